//! Writing XML that is already in Exclusive XML Canonicalization form.
//!
//! Everything signet signs is written by [`CanonicalWriter`] in the form that
//! Exclusive XML Canonicalization 1.0 (exc-c14n, without comments) would
//! produce for it, so the bytes that are digested and signed are the bytes
//! that are sent. Nothing is re-parsed or re-serialised after signing, which
//! removes the class of bugs where the signed document and the sent document
//! differ (a parser in "recover" mode silently dropping `&x;`, for example).
//!
//! The canonical form (C14N 1.0 section 2.3, exc-c14n section 3) used here:
//! no XML declaration, no whitespace between elements, start and end tags
//! for empty elements, namespace declarations before attributes, attributes
//! sorted by name, and each element declaring exactly the prefixes it uses
//! that no output ancestor has declared (exc-c14n 3, "visibly utilized").

use std::fmt;

use super::{NS_ASSERTION, NS_DSIG, NS_METADATA, NS_PROTOCOL};
use crate::saml::signing::KeyError;

/// Errors while emitting a SAML message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// A value holds a character that XML 1.0 cannot carry (XML 1.0 section 2.2).
    #[error("{field} holds {}, which XML 1.0 cannot carry (byte {index})", .ch.escape_unicode())]
    InvalidCharacter {
        /// The element or attribute the value was meant for.
        field: &'static str,
        /// The offending character.
        ch: char,
        /// Its byte offset in the value.
        index: usize,
    },
    /// A value the schema requires was empty.
    #[error("{field} is required but was empty")]
    Missing { field: &'static str },
    /// Neither the assertion nor the response was to be signed; signet never
    /// emits an assertion that an SP could not authenticate.
    #[error("refusing to emit an unsigned assertion: sign_assertion and sign_response are off")]
    Unsigned,
    /// Producing a signature failed.
    #[error("signing failed")]
    Signing(#[from] KeyError),
}

impl From<openssl::error::ErrorStack> for EmitError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        EmitError::Signing(KeyError::Crypto(e))
    }
}

/// A character outside the XML 1.0 `Char` production, found in a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} at byte {index} is not an XML 1.0 character", .ch.escape_unicode())]
pub struct InvalidXmlChar {
    /// The offending character.
    pub ch: char,
    /// Its byte offset in the checked string.
    pub index: usize,
}

impl InvalidXmlChar {
    /// Names the element or attribute the value was for.
    pub fn in_field(self, field: &'static str) -> EmitError {
        EmitError::InvalidCharacter {
            field,
            ch: self.ch,
            index: self.index,
        }
    }
}

/// Whether `c` matches the `Char` production of XML 1.0 section 2.2.
///
/// Most C0 controls, U+FFFE and U+FFFF are excluded; no escape can carry
/// them in XML 1.0, so a value holding one cannot be emitted at all.
pub fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\u{9}' | '\u{A}' | '\u{D}'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Checks that every character of `s` is an XML 1.0 `Char`.
pub fn check_xml_chars(s: &str) -> Result<(), InvalidXmlChar> {
    match s.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        Some((index, ch)) => Err(InvalidXmlChar { ch, index }),
        None => Ok(()),
    }
}

/// Appends `s` escaped as canonical text content (C14N 1.0 section 2.3).
///
/// `&`, `<`, `>` and CR become references; everything else is literal. The
/// caller must have checked `s` with [`check_xml_chars`].
pub fn escape_text(s: &str, out: &mut String) {
    escape(s, out, text_escape);
}

/// Appends `s` escaped as a canonical attribute value (C14N 1.0 section 2.3).
///
/// `&`, `<`, `"`, TAB, LF and CR become references, so that attribute value
/// normalization in the reader gives back exactly `s`. The caller must have
/// checked `s` with [`check_xml_chars`].
pub fn escape_attr(s: &str, out: &mut String) {
    escape(s, out, attr_escape);
}

fn text_escape(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '\r' => Some("&#xD;"),
        _ => None,
    }
}

fn attr_escape(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '"' => Some("&quot;"),
        '\t' => Some("&#x9;"),
        '\n' => Some("&#xA;"),
        '\r' => Some("&#xD;"),
        _ => None,
    }
}

fn escape(s: &str, out: &mut String, rule: fn(char) -> Option<&'static str>) {
    let mut literal_from = 0;
    for (i, c) in s.char_indices() {
        if let Some(reference) = rule(c) {
            out.push_str(&s[literal_from..i]);
            out.push_str(reference);
            literal_from = i + c.len_utf8();
        }
    }
    out.push_str(&s[literal_from..]);
}

/// The namespaces signet writes, each with its one fixed prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    /// `samlp`, SAML protocol.
    Samlp,
    /// `saml`, SAML assertion.
    Saml,
    /// `ds`, XML Signature.
    Ds,
    /// `md`, SAML metadata.
    Md,
}

impl Ns {
    pub fn prefix(self) -> &'static str {
        match self {
            Ns::Samlp => "samlp",
            Ns::Saml => "saml",
            Ns::Ds => "ds",
            Ns::Md => "md",
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            Ns::Samlp => NS_PROTOCOL,
            Ns::Saml => NS_ASSERTION,
            Ns::Ds => NS_DSIG,
            Ns::Md => NS_METADATA,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`Ns`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NsSet(u8);

impl NsSet {
    pub fn contains(self, ns: Ns) -> bool {
        self.0 & ns.bit() != 0
    }

    fn insert(&mut self, ns: Ns) {
        self.0 |= ns.bit();
    }

    fn intersects(self, other: NsSet) -> bool {
        self.0 & other.0 != 0
    }
}

struct Open {
    ns: Ns,
    local: &'static str,
    declared_here: bool,
}

/// Writes elements in exclusive canonical form.
///
/// The writer declares namespaces itself: an element declares its prefix
/// exactly when no open ancestor has, which is the exc-c14n rule for
/// elements whose attributes carry no prefix (all of ours). Attributes must
/// be passed sorted by name (checked in debug builds); every value is checked
/// for XML 1.0 characters and escaped.
///
/// A writer started with [`CanonicalWriter::new`] has no namespace in scope,
/// so what it writes is the canonical form of that subtree on its own: the
/// form a verifier computes for an element signed by `ID` reference.
pub struct CanonicalWriter {
    buf: String,
    open: Vec<Open>,
    used: NsSet,
}

impl Default for CanonicalWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CanonicalWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanonicalWriter")
            .field("len", &self.buf.len())
            .field("depth", &self.open.len())
            .finish()
    }
}

impl CanonicalWriter {
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: String::with_capacity(capacity),
            open: Vec::with_capacity(8),
            used: NsSet::default(),
        }
    }

    /// The namespaces declared by currently open elements.
    pub fn scope(&self) -> NsSet {
        let mut scope = NsSet::default();
        for open in self.open.iter().filter(|o| o.declared_here) {
            scope.insert(open.ns);
        }
        scope
    }

    /// The namespaces used anywhere in the output so far.
    pub fn used(&self) -> NsSet {
        self.used
    }

    /// The byte offset where the next output goes.
    pub fn offset(&self) -> usize {
        self.buf.len()
    }

    /// The output so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// Writes a start tag. `attrs` are `(name, value)` pairs sorted by name.
    pub fn start(
        &mut self,
        ns: Ns,
        local: &'static str,
        attrs: &[(&'static str, &str)],
    ) -> Result<(), EmitError> {
        debug_assert!(
            attrs.windows(2).all(|w| w[0].0 < w[1].0),
            "attributes of {local} are not sorted as C14N requires: {attrs:?}"
        );
        debug_assert!(
            attrs.iter().all(|(name, _)| !name.contains(':')),
            "prefixed attribute on {local}: the writer only declares element prefixes"
        );

        let rollback = self.buf.len();
        let declare = !self.scope().contains(ns);
        self.buf.push('<');
        self.buf.push_str(ns.prefix());
        self.buf.push(':');
        self.buf.push_str(local);
        if declare {
            self.buf.push_str(" xmlns:");
            self.buf.push_str(ns.prefix());
            self.buf.push_str("=\"");
            self.buf.push_str(ns.uri());
            self.buf.push('"');
        }
        for &(name, value) in attrs {
            if let Err(e) = check_xml_chars(value) {
                self.buf.truncate(rollback);
                return Err(e.in_field(name));
            }
            self.buf.push(' ');
            self.buf.push_str(name);
            self.buf.push_str("=\"");
            escape_attr(value, &mut self.buf);
            self.buf.push('"');
        }
        self.buf.push('>');

        self.used.insert(ns);
        self.open.push(Open {
            ns,
            local,
            declared_here: declare,
        });
        Ok(())
    }

    /// Writes escaped character content; `field` names it in errors.
    pub fn text(&mut self, field: &'static str, value: &str) -> Result<(), EmitError> {
        check_xml_chars(value).map_err(|e| e.in_field(field))?;
        escape_text(value, &mut self.buf);
        Ok(())
    }

    /// Closes the innermost open element, which must be `ns:local`.
    pub fn end(&mut self, ns: Ns, local: &'static str) {
        let open = self.open.pop();
        debug_assert!(
            matches!(&open, Some(o) if o.ns == ns && o.local == local),
            "end of {local} does not match the open element"
        );
        self.buf.push_str("</");
        self.buf.push_str(ns.prefix());
        self.buf.push(':');
        self.buf.push_str(local);
        self.buf.push('>');
    }

    /// Writes `<ns:local attrs>text</ns:local>`; errors name the element.
    pub fn element_with_text(
        &mut self,
        ns: Ns,
        local: &'static str,
        attrs: &[(&'static str, &str)],
        text: &str,
    ) -> Result<(), EmitError> {
        self.start(ns, local, attrs)?;
        self.text(local, text)?;
        self.end(ns, local);
        Ok(())
    }

    /// Writes an element with attributes and no content.
    pub fn empty_element(
        &mut self,
        ns: Ns,
        local: &'static str,
        attrs: &[(&'static str, &str)],
    ) -> Result<(), EmitError> {
        self.start(ns, local, attrs)?;
        self.end(ns, local);
        Ok(())
    }

    /// Appends a complete subtree written by another writer.
    ///
    /// The subtree is canonical on its own; it stays canonical here only if
    /// no namespace it uses is already declared by an open element (else
    /// exc-c14n would drop its redundant declaration). Both signed elements
    /// are embedded this way, so this is what keeps their bytes equal to the
    /// bytes that were digested.
    pub fn append_subtree(&mut self, subtree: CanonicalWriter) {
        debug_assert!(subtree.open.is_empty(), "embedding an unfinished subtree");
        debug_assert!(
            !self.scope().intersects(subtree.used),
            "embedded subtree redeclares a namespace already in scope"
        );
        self.used.0 |= subtree.used.0;
        self.buf.push_str(&subtree.buf);
    }

    /// Inserts a canonical fragment at byte `offset`, an earlier
    /// [`CanonicalWriter::offset`] between two elements.
    ///
    /// Used for an enveloped `ds:Signature`, which can only be computed
    /// after the element around it has been written. `uses` lists the
    /// namespaces the fragment declares for itself.
    pub fn insert_fragment(&mut self, offset: usize, fragment: &str, uses: Ns) {
        debug_assert!(self.buf[offset..].starts_with('<'));
        debug_assert!(self.buf[..offset].ends_with('>'));
        self.used.insert(uses);
        self.buf.insert_str(offset, fragment);
    }

    /// The finished output.
    pub fn finish(self) -> String {
        debug_assert!(self.open.is_empty(), "finishing with open elements");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = String::new();
        escape_text(s, &mut out);
        out
    }

    fn attr(s: &str) -> String {
        let mut out = String::new();
        escape_attr(s, &mut out);
        out
    }

    #[test]
    fn text_escaping_follows_c14n() {
        assert_eq!(
            text("a&b<c>d\re\"f'g\th\ni"),
            "a&amp;b&lt;c&gt;d&#xD;e\"f'g\th\ni"
        );
        assert_eq!(text("plain é 漢字 🎉"), "plain é 漢字 🎉");
        assert_eq!(text("]]>"), "]]&gt;");
    }

    #[test]
    fn attribute_escaping_follows_c14n() {
        assert_eq!(attr("a&b<c>d\"e'f"), "a&amp;b&lt;c>d&quot;e'f");
        assert_eq!(attr("\t\n\r"), "&#x9;&#xA;&#xD;");
    }

    #[test]
    fn xml_char_check_refuses_controls_and_nonchars() {
        assert!(check_xml_chars("ok\t\n\r text é 🎉 \u{FFFD}").is_ok());
        assert_eq!(
            check_xml_chars("ab\u{1}c"),
            Err(InvalidXmlChar {
                ch: '\u{1}',
                index: 2
            })
        );
        assert_eq!(check_xml_chars("é\0").unwrap_err().index, 2);
        for bad in [
            '\u{0}', '\u{8}', '\u{B}', '\u{C}', '\u{1F}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert!(!is_xml_char(bad), "{bad:?} accepted");
        }
        for good in [
            '\u{20}',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            assert!(is_xml_char(good), "{good:?} refused");
        }
    }

    #[test]
    fn writer_declares_each_prefix_where_first_used() {
        let mut w = CanonicalWriter::new();
        w.start(Ns::Samlp, "Response", &[("ID", "_1")]).unwrap();
        w.element_with_text(Ns::Saml, "Issuer", &[], "idp").unwrap();
        w.start(Ns::Samlp, "Status", &[]).unwrap();
        w.empty_element(Ns::Samlp, "StatusCode", &[("Value", "ok")])
            .unwrap();
        w.end(Ns::Samlp, "Status");
        w.end(Ns::Samlp, "Response");
        assert_eq!(
            w.finish(),
            concat!(
                r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1">"#,
                r#"<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">idp"#,
                r#"</saml:Issuer><samlp:Status><samlp:StatusCode Value="ok">"#,
                r#"</samlp:StatusCode></samlp:Status></samlp:Response>"#
            )
        );
    }

    #[test]
    fn writer_refuses_control_characters_naming_the_field() {
        let mut w = CanonicalWriter::new();
        let err = w.start(Ns::Saml, "Audience", &[("Name", "x\u{7}")]);
        assert!(matches!(
            err,
            Err(EmitError::InvalidCharacter {
                field: "Name",
                ch: '\u{7}',
                index: 1
            })
        ));
        assert_eq!(w.as_str(), "", "a refused start tag leaves no output");

        let err = w.element_with_text(Ns::Saml, "NameID", &[], "a\u{1B}b");
        assert!(matches!(
            err,
            Err(EmitError::InvalidCharacter {
                field: "NameID",
                ch: '\u{1B}',
                index: 1
            })
        ));
    }

    #[test]
    #[should_panic(expected = "not sorted")]
    #[cfg(debug_assertions)]
    fn writer_catches_unsorted_attributes_in_debug_builds() {
        let mut w = CanonicalWriter::new();
        let _ = w.start(Ns::Saml, "Assertion", &[("Version", "2.0"), ("ID", "_1")]);
    }
}
