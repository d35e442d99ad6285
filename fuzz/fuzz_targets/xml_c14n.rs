//! The strict XML reader, then exclusive canonicalization of what it built:
//! the bytes an enveloped signature is checked over.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet::saml::dsig::canonicalize;
use signet::saml::xml_reader::{self, Element, Node, XmlError};

mod common;

/// Canonical form of `root` with `inclusive` prefixes, when its size is
/// reasonable. Exclusive c14n re-declares a namespace on every sibling that
/// uses it, so output grows with elements times declared namespace bytes;
/// that is only reached after a signature verified, and measured apart.
fn c14n(root: &Element, inclusive: &[Option<String>]) -> Option<String> {
    let declared: usize = root
        .descendants()
        .flat_map(|e| e.ns_decls.iter())
        .map(|(p, uri)| p.as_ref().map_or(0, String::len) + uri.len() + 10)
        .sum();
    let elements = root.descendants().count();
    if declared.saturating_mul(elements) > 4 << 20 {
        return None;
    }
    Some(canonicalize(root, &[], inclusive, None).expect("a parsed tree canonicalizes"))
}

/// Canonicalizing the canonical form again changes nothing.
fn check_idempotent(root: &Element, inclusive: &[Option<String>]) {
    let Some(once) = c14n(root, inclusive) else {
        return;
    };
    match xml_reader::parse(once.as_bytes()) {
        Ok(reparsed) => {
            // No size guard here: the guard estimates from declarations, and
            // the canonical form re-declares on every element that uses a
            // namespace, so the estimate grows though a fixed point cannot.
            let twice = canonicalize(&reparsed, &[], inclusive, None)
                .expect("a parsed tree canonicalizes");
            assert_eq!(once, twice, "canonical form is not a fixed point");
        }
        // Rendered declarations can take an element past the attribute
        // limit, and escaping can take the document past the size limit.
        Err(XmlError::TooManyAttributes { .. } | XmlError::TooLarge { .. }) => {}
        Err(e) => panic!("canonical form does not parse: {e}\n{once}"),
    }
}

/// The enveloped-signature transform leaves out exactly one subtree: the
/// same bytes as canonicalizing a copy without it.
fn check_exclusion(root: &Element) {
    let Some(position) = root.children.iter().position(|n| matches!(n, Node::Element(_))) else {
        return;
    };
    let Some(Node::Element(excluded)) = root.children.get(position) else {
        return;
    };
    if c14n(root, &[]).is_none() {
        return;
    }
    let skipped = canonicalize(root, &[], &[], Some(excluded)).unwrap();
    let mut without = root.clone();
    without.children.remove(position);
    assert_eq!(skipped, canonicalize(&without, &[], &[], None).unwrap());
}

/// A subtree canonicalized with its ancestors in scope is the subtree made
/// a root with the ancestors' declarations moved onto it.
fn check_subset(root: &Element) {
    let Some(child) = root.elements().next() else {
        return;
    };
    if c14n(root, &[]).is_none() {
        return;
    }
    let in_place = canonicalize(child, &[root], &[], None).unwrap();
    let mut lifted = child.clone();
    lifted.ns_decls = root.ns_decls.iter().chain(&child.ns_decls).cloned().collect();
    assert_eq!(in_place, canonicalize(&lifted, &[], &[], None).unwrap());
}

fuzz_target!(|data: &[u8]| {
    let Ok(root) = xml_reader::parse(data) else {
        return;
    };
    common::check_tree(data, &root);

    check_idempotent(&root, &[]);
    // Every prefix declared on the root, and #default, as a PrefixList.
    let mut inclusive: Vec<Option<String>> = root.ns_decls.iter().map(|(p, _)| p.clone()).collect();
    inclusive.push(None);
    check_idempotent(&root, &inclusive);
    check_exclusion(&root);
    check_subset(&root);
});
