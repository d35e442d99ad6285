//! A strict XML reader producing a small namespace-resolved tree.
//!
//! SAML messages arrive from the internet, so this reader accepts only the
//! subset of XML 1.0 (Fifth Edition) that SAML needs and refuses everything
//! that has been used for attacks or that changes what a signature covers:
//! document type declarations (entity expansion, external entities),
//! processing instructions, comments (which split text nodes and let a signed
//! `victim@example.com` become something else), CDATA sections, unknown
//! entities, unbound prefixes and duplicate attributes. Sizes are bounded
//! before any work is done, and the tree is built without recursion.
//!
//! Namespaces are resolved per Namespaces in XML 1.0 (Third Edition). Each
//! element keeps the declarations made on it, so the in-scope bindings that
//! exclusive canonicalization needs can be rebuilt from its ancestors.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Largest document accepted, in bytes.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
/// Deepest element nesting accepted (the root is at depth 1).
pub const MAX_DEPTH: usize = 32;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 2_000;
/// Most attributes (namespace declarations included) on one element.
pub const MAX_ATTRIBUTES: usize = 32;

/// The namespace the `xml` prefix is bound to (Namespaces in XML 1.0, 3).
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` attributes (Namespaces in XML 1.0, 3).
pub const NS_XMLNS: &str = "http://www.w3.org/2000/xmlns/";

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    #[error("document is {found} bytes, more than the {limit} accepted")]
    TooLarge { limit: usize, found: usize },
    #[error("elements nest deeper than {limit}")]
    TooDeep { limit: usize },
    #[error("document has more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("element <{element}> has {found} attributes, more than the {limit} accepted")]
    TooManyAttributes {
        element: String,
        limit: usize,
        found: usize,
    },
    #[error("document is not UTF-8")]
    NotUtf8,
    #[error("XML declaration names encoding {found:?}, expected UTF-8")]
    UnsupportedEncoding { found: String },
    #[error("XML declaration names version {found:?}, expected 1.0")]
    UnsupportedVersion { found: String },
    #[error("XML declaration is not at the start of the document")]
    MisplacedDeclaration,
    #[error("document type declarations are refused")]
    DocType,
    #[error("processing instruction <?{target}?> is refused")]
    ProcessingInstruction { target: String },
    #[error("comments are refused")]
    Comment,
    #[error("CDATA sections are refused")]
    CData,
    #[error("entity &{found}; is refused: only the five predefined entities are known")]
    UnknownEntity { found: String },
    #[error("character reference &{found}; is not an XML character")]
    InvalidCharRef { found: String },
    #[error("character U+{found:04X} is not allowed in XML")]
    InvalidChar { found: u32 },
    #[error("{found:?} is not a valid XML name")]
    InvalidName { found: String },
    #[error("prefix {found:?} is not bound to a namespace")]
    UnboundPrefix { found: String },
    #[error("namespace declaration {prefix:?}={uri:?} is not allowed")]
    InvalidNamespaceDeclaration { prefix: String, uri: String },
    #[error("attribute {found} appears twice on <{element}>")]
    DuplicateAttribute { element: String, found: String },
    #[error("attribute value contains {found:?}")]
    InvalidAttributeValue { found: char },
    #[error("a second root element <{found}> follows the first")]
    MultipleRoots { found: String },
    #[error("text outside the root element")]
    TextOutsideRoot,
    #[error("document has no root element")]
    NoRoot,
    #[error("element <{element}> was expected to hold only text, found child <{found}>")]
    NotTextOnly { element: String, found: String },
    #[error("malformed XML: {0}")]
    Malformed(String),
}

/// An attribute other than a namespace declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI; unprefixed attributes have none (Namespaces 6.2).
    pub ns: Option<String>,
    pub prefix: Option<String>,
    pub local: String,
    /// The normalized, unescaped value (XML 1.0, 3.3.3).
    pub value: String,
}

impl Attribute {
    /// The name as written: `prefix:local` or `local`.
    pub fn qname(&self) -> String {
        qname(self.prefix.as_deref(), &self.local)
    }
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    /// Character data, unescaped, line ends normalized to LF (XML 1.0, 2.11).
    /// Adjacent character data is merged into one node.
    Text(String),
}

/// An element with its namespace resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI, `None` when the element is in no namespace.
    pub ns: Option<String>,
    pub prefix: Option<String>,
    pub local: String,
    pub attributes: Vec<Attribute>,
    /// Namespace declarations made on this element: `(prefix, uri)`, with
    /// `None` for the default namespace and an empty URI for `xmlns=""`.
    pub ns_decls: Vec<(Option<String>, String)>,
    pub children: Vec<Node>,
}

impl Element {
    /// Whether the element has namespace `ns` and local name `local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }

    /// The value of the attribute named `local` in no namespace.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// The value of the attribute `local` in namespace `ns`.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// The element children, in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The text children, in document order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.children.iter().filter_map(|n| match n {
            Node::Text(t) => Some(t.as_str()),
            Node::Element(_) => None,
        })
    }

    /// Whether any direct text child holds more than XML whitespace.
    pub fn has_significant_text(&self) -> bool {
        self.texts().any(|t| !is_xml_whitespace(t))
    }

    /// The concatenated text of an element that must have no element children.
    pub fn text_only(&self) -> Result<String, XmlError> {
        if let Some(child) = self.elements().next() {
            return Err(XmlError::NotTextOnly {
                element: self.qname(),
                found: child.qname(),
            });
        }
        Ok(self.texts().collect())
    }

    /// The name as written: `prefix:local` or `local`.
    pub fn qname(&self) -> String {
        qname(self.prefix.as_deref(), &self.local)
    }

    /// `{namespace}local`, for error messages that must not depend on prefixes.
    pub fn expanded_name(&self) -> String {
        match &self.ns {
            Some(ns) => format!("{{{ns}}}{}", self.local),
            None => self.local.clone(),
        }
    }

    /// Every element of the subtree rooted here (itself included), in
    /// document order, without recursion.
    pub fn descendants(&self) -> Descendants<'_> {
        Descendants { stack: vec![self] }
    }
}

/// Iterator returned by [`Element::descendants`].
pub struct Descendants<'a> {
    stack: Vec<&'a Element>,
}

impl<'a> Iterator for Descendants<'a> {
    type Item = &'a Element;

    fn next(&mut self) -> Option<&'a Element> {
        let next = self.stack.pop()?;
        let start = self.stack.len();
        self.stack.extend(next.elements());
        if let Some(added) = self.stack.get_mut(start..) {
            added.reverse();
        }
        Some(next)
    }
}

fn qname(prefix: Option<&str>, local: &str) -> String {
    match prefix {
        Some(p) => format!("{p}:{local}"),
        None => local.to_owned(),
    }
}

/// XML whitespace: space, tab, CR, LF (XML 1.0, production 3).
pub fn is_xml_whitespace(s: &str) -> bool {
    s.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// XML 1.0 production 2, `Char`.
fn is_xml_char(c: char) -> bool {
    matches!(c as u32,
        0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// XML 1.0 production 4, `NameStartChar`, without the colon.
fn is_name_start_char(c: char) -> bool {
    matches!(c as u32,
        0x41..=0x5A | 0x5F | 0x61..=0x7A | 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF
        | 0x370..=0x37D | 0x37F..=0x1FFF | 0x200C..=0x200D | 0x2070..=0x218F
        | 0x2C00..=0x2FEF | 0x3001..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD
        | 0x10000..=0xEFFFF)
}

/// XML 1.0 production 4a, `NameChar`, without the colon.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c as u32, 0x2D | 0x2E | 0x30..=0x39 | 0xB7 | 0x300..=0x36F | 0x203F..=0x2040)
}

/// Namespaces in XML 1.0, production 4, `NCName`.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// Splits a `QName` (Namespaces in XML 1.0, production 7) into prefix and local part.
fn split_qname(raw: &str) -> Result<(Option<&str>, &str), XmlError> {
    let invalid = || XmlError::InvalidName {
        found: raw.chars().take(64).collect(),
    };
    match raw.split_once(':') {
        Some((p, l)) if is_ncname(p) && is_ncname(l) => Ok((Some(p), l)),
        None if is_ncname(raw) => Ok((None, raw)),
        _ => Err(invalid()),
    }
}

/// Resolves the body of a reference `&body;` (XML 1.0, 4.1 and 4.6).
fn resolve_reference(body: &str) -> Result<char, XmlError> {
    let found = || body.chars().take(32).collect::<String>();
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        // from_str_radix alone would accept a leading '+'.
        let well_formed = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
        return u32::from_str_radix(digits, radix)
            .ok()
            .filter(|_| well_formed)
            .and_then(char::from_u32)
            .filter(|c| is_xml_char(*c))
            .ok_or_else(|| XmlError::InvalidCharRef { found: found() });
    }
    match body {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(XmlError::UnknownEntity { found: found() }),
    }
}

/// Unescapes and normalizes an attribute value (XML 1.0, 3.3.3): literal
/// whitespace becomes a space (CR LF counting once), references are replaced,
/// and characters produced by references are kept as they are.
fn attribute_value(raw: &str) -> Result<String, XmlError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
        match c {
            '<' => return Err(XmlError::InvalidAttributeValue { found: c }),
            '&' => {
                let Some((body, after)) = rest.split_once(';') else {
                    return Err(XmlError::Malformed("unterminated reference".into()));
                };
                out.push(resolve_reference(body)?);
                rest = after;
            }
            '\r' => {
                rest = rest.strip_prefix('\n').unwrap_or(rest);
                out.push(' ');
            }
            '\n' | '\t' => out.push(' '),
            c if is_xml_char(c) => out.push(c),
            c => return Err(XmlError::InvalidChar { found: c as u32 }),
        }
    }
    Ok(out)
}

/// Checks character data and normalizes its line ends (XML 1.0, 2.4 and 2.11).
fn character_data(raw: &str) -> Result<String, XmlError> {
    if raw.contains("]]>") {
        return Err(XmlError::Malformed("`]]>` in character data".into()));
    }
    if let Some(c) = raw.chars().find(|c| !is_xml_char(*c)) {
        return Err(XmlError::InvalidChar { found: c as u32 });
    }
    Ok(raw.replace("\r\n", "\n").replace('\r', "\n"))
}

/// An element being read, with the namespace scope length to restore at its end.
struct Open {
    element: Element,
    scope_len: usize,
}

/// Namespace bindings in scope, innermost last. `xml` is implicit.
struct Scope {
    bindings: Vec<(Option<String>, String)>,
}

impl Scope {
    fn lookup(&self, prefix: Option<&str>) -> Result<Option<String>, XmlError> {
        if prefix == Some("xml") {
            return Ok(Some(NS_XML.to_owned()));
        }
        match self
            .bindings
            .iter()
            .rev()
            .find(|(p, _)| p.as_deref() == prefix)
        {
            Some((_, uri)) if uri.is_empty() => Ok(None),
            Some((_, uri)) => Ok(Some(uri.clone())),
            None if prefix.is_none() => Ok(None),
            None => Err(XmlError::UnboundPrefix {
                found: prefix.unwrap_or_default().to_owned(),
            }),
        }
    }
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// Checks a namespace declaration against Namespaces in XML 1.0, 3.
fn check_declaration(prefix: Option<&str>, uri: &str) -> Result<(), XmlError> {
    let bad = match prefix {
        Some("xml") => uri != NS_XML,
        Some("xmlns") => true,
        // Undeclaring a prefix exists only in Namespaces 1.1.
        Some(_) => uri.is_empty() || uri == NS_XML || uri == NS_XMLNS,
        None => uri == NS_XML || uri == NS_XMLNS,
    };
    if bad {
        return Err(XmlError::InvalidNamespaceDeclaration {
            prefix: prefix.unwrap_or("").to_owned(),
            uri: uri.chars().take(128).collect(),
        });
    }
    Ok(())
}

/// XML 1.0 [40], [44]: each attribute is preceded by white space, so a
/// closing quote is followed by white space, `/` or the end of the tag.
/// quick-xml reads `a="1"b="2"` as two attributes; libxml2 refuses it.
fn check_attribute_separation(tag: &[u8]) -> Result<(), XmlError> {
    let mut quote = None;
    let mut after_value = false;
    for &b in tag {
        if let Some(q) = quote {
            if b == q {
                quote = None;
                after_value = true;
            }
            continue;
        }
        if after_value && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/') {
            return Err(malformed("attributes are not separated by white space"));
        }
        after_value = false;
        if b == b'"' || b == b'\'' {
            quote = Some(b);
        }
    }
    Ok(())
}

/// Reads a start tag into an element, pushing its declarations onto `scope`.
fn start_element(start: &BytesStart<'_>, scope: &mut Scope) -> Result<Element, XmlError> {
    let raw_name = std::str::from_utf8(start.name().into_inner()).map_err(|_| XmlError::NotUtf8)?;
    let (prefix, local) = split_qname(raw_name)?;
    check_attribute_separation(start)?;

    let mut ns_decls = Vec::new();
    let mut plain = Vec::new();
    let mut count = 0;
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| match e {
            quick_xml::events::attributes::AttrError::Duplicated(_, _) => {
                XmlError::DuplicateAttribute {
                    element: raw_name.to_owned(),
                    found: "(same name twice)".to_owned(),
                }
            }
            other => malformed(other),
        })?;
        count += 1;
        if count > MAX_ATTRIBUTES {
            return Err(XmlError::TooManyAttributes {
                element: raw_name.to_owned(),
                limit: MAX_ATTRIBUTES,
                found: count,
            });
        }
        let key = std::str::from_utf8(attr.key.into_inner()).map_err(|_| XmlError::NotUtf8)?;
        let raw_value = std::str::from_utf8(&attr.value).map_err(|_| XmlError::NotUtf8)?;
        let value = attribute_value(raw_value)?;
        let (attr_prefix, attr_local) = split_qname(key)?;
        match (attr_prefix, attr_local) {
            (None, "xmlns") => {
                check_declaration(None, &value)?;
                ns_decls.push((None, value));
            }
            (Some("xmlns"), declared) => {
                check_declaration(Some(declared), &value)?;
                // The xml binding is implicit everywhere; recording it would
                // only make canonicalization skip it again.
                if declared != "xml" {
                    ns_decls.push((Some(declared.to_owned()), value));
                }
            }
            (p, l) => plain.push((p.map(str::to_owned), l.to_owned(), value)),
        }
    }

    scope.bindings.extend(ns_decls.iter().cloned());
    let ns = scope.lookup(prefix)?;

    let mut attributes: Vec<Attribute> = Vec::with_capacity(plain.len());
    for (p, l, value) in plain {
        let attr_ns = match &p {
            Some(p) => scope.lookup(Some(p))?,
            None => None,
        };
        // Namespaces in XML 1.0, 6.3: no two attributes with the same expanded name.
        if attributes.iter().any(|a| a.ns == attr_ns && a.local == l) {
            return Err(XmlError::DuplicateAttribute {
                element: raw_name.to_owned(),
                found: qname(p.as_deref(), &l),
            });
        }
        attributes.push(Attribute {
            ns: attr_ns,
            prefix: p,
            local: l,
            value,
        });
    }

    Ok(Element {
        ns,
        prefix: prefix.map(str::to_owned),
        local: local.to_owned(),
        attributes,
        ns_decls,
        children: Vec::new(),
    })
}

/// Appends character data to an element, merging with a preceding text node.
fn push_text(element: &mut Element, text: &str) {
    if let Some(Node::Text(last)) = element.children.last_mut() {
        last.push_str(text);
    } else if !text.is_empty() {
        element.children.push(Node::Text(text.to_owned()));
    }
}

/// Checks an XML declaration against XML 1.0 productions 23-32: version
/// 1.0, an optional UTF-8 encoding, an optional standalone, in that order.
fn declaration(raw: &str) -> Result<(), XmlError> {
    let malformed = || XmlError::Malformed("malformed XML declaration".into());
    let mut rest = raw
        .strip_prefix("<?xml")
        .and_then(|r| r.strip_suffix("?>"))
        .ok_or_else(malformed)?;
    let mut seen = Vec::new();
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if trimmed.is_empty() {
            break;
        }
        if trimmed.len() == rest.len() {
            return Err(malformed());
        }
        let (name, after) = trimmed.split_once('=').ok_or_else(malformed)?;
        let after = after.trim_start_matches([' ', '\t', '\r', '\n']);
        let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'');
        let quote = quote.ok_or_else(malformed)?;
        let (value, tail) = after
            .get(1..)
            .and_then(|a| a.split_once(quote))
            .ok_or_else(malformed)?;
        seen.push((name.trim_end_matches([' ', '\t', '\r', '\n']), value));
        rest = tail;
    }
    let mut pseudo = seen.into_iter().peekable();
    match pseudo.next() {
        Some(("version", "1.0")) => {}
        Some(("version", other)) => {
            return Err(XmlError::UnsupportedVersion {
                found: other.chars().take(16).collect(),
            })
        }
        _ => return Err(malformed()),
    }
    if let Some((_, encoding)) = pseudo.next_if(|(n, _)| *n == "encoding") {
        if !encoding.eq_ignore_ascii_case("utf-8") {
            return Err(XmlError::UnsupportedEncoding {
                found: encoding.chars().take(64).collect(),
            });
        }
    }
    if pseudo
        .next_if(|(n, v)| *n == "standalone" && matches!(*v, "yes" | "no"))
        .is_none()
        && pseudo.peek().is_some()
    {
        return Err(malformed());
    }
    if pseudo.next().is_some() {
        return Err(malformed());
    }
    Ok(())
}

/// Parses a complete document into its root element, within the limits above.
pub fn parse(xml: &[u8]) -> Result<Element, XmlError> {
    if xml.len() > MAX_INPUT_BYTES {
        return Err(XmlError::TooLarge {
            limit: MAX_INPUT_BYTES,
            found: xml.len(),
        });
    }
    let text = std::str::from_utf8(xml).map_err(|_| XmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // One byte order mark is allowed; quick-xml would skip a second one.
    if text.starts_with('\u{FEFF}') {
        return Err(XmlError::InvalidChar { found: 0xFEFF });
    }

    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.allow_unmatched_ends = false;
    config.allow_dangling_amp = false;
    config.expand_empty_elements = false;
    config.trim_text(false);

    let mut scope = Scope {
        bindings: Vec::new(),
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    let mut element_count = 0usize;
    let mut first_event = true;

    loop {
        let event = reader.read_event().map_err(malformed)?;
        let was_first = std::mem::replace(&mut first_event, false);
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                element_count += 1;
                if element_count > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements {
                        limit: MAX_ELEMENTS,
                    });
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep { limit: MAX_DEPTH });
                }
                if stack.is_empty() && root.is_some() {
                    return Err(XmlError::MultipleRoots {
                        found: String::from_utf8_lossy(start.name().into_inner()).into_owned(),
                    });
                }
                let scope_len = scope.bindings.len();
                let element = start_element(start, &mut scope)?;
                let open = Open { element, scope_len };
                if matches!(event, Event::Start(_)) {
                    stack.push(open);
                } else {
                    close(open, &mut stack, &mut root, &mut scope);
                }
            }
            Event::End(_) => {
                // quick-xml has already matched the end tag's name to the start tag.
                let open = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("end tag without start tag".into()))?;
                close(open, &mut stack, &mut root, &mut scope);
            }
            Event::Text(t) => {
                let raw = std::str::from_utf8(&t).map_err(|_| XmlError::NotUtf8)?;
                let data = character_data(raw)?;
                match stack.last_mut() {
                    Some(open) => push_text(&mut open.element, &data),
                    None if is_xml_whitespace(&data) => {}
                    None => return Err(XmlError::TextOutsideRoot),
                }
            }
            Event::GeneralRef(r) => {
                let body = std::str::from_utf8(&r).map_err(|_| XmlError::NotUtf8)?;
                let c = resolve_reference(body)?;
                match stack.last_mut() {
                    Some(open) => push_text(&mut open.element, c.encode_utf8(&mut [0; 4])),
                    None => return Err(XmlError::TextOutsideRoot),
                }
            }
            Event::Decl(_) => {
                // XML 1.0, 2.8: the declaration, if any, opens the document.
                let raw = text.find("?>").and_then(|end| text.get(..end + 2));
                match raw {
                    Some(raw) if was_first && raw.starts_with("<?xml") => declaration(raw)?,
                    _ => return Err(XmlError::MisplacedDeclaration),
                }
            }
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::PI(pi) => {
                return Err(XmlError::ProcessingInstruction {
                    target: String::from_utf8_lossy(pi.target())
                        .chars()
                        .take(64)
                        .collect(),
                })
            }
            Event::Comment(_) => return Err(XmlError::Comment),
            Event::CData(_) => return Err(XmlError::CData),
            Event::Eof => break,
        }
    }

    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "document ends inside an element".into(),
        ));
    }
    root.ok_or(XmlError::NoRoot)
}

/// Finishes an element: restores the namespace scope and attaches it.
fn close(open: Open, stack: &mut [Open], root: &mut Option<Element>, scope: &mut Scope) {
    scope.bindings.truncate(open.scope_len);
    match stack.last_mut() {
        Some(parent) => parent.element.children.push(Node::Element(open.element)),
        None => *root = Some(open.element),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(xml: &str) -> XmlError {
        parse(xml.as_bytes()).expect_err("document should be refused")
    }

    #[test]
    fn resolves_prefixed_default_and_undeclared_namespaces() {
        let root = parse(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<p:a xmlns:p="urn:p" xmlns="urn:d" q:at="1" xmlns:q="urn:q" plain="2">
  <b><c xmlns=""/></b>
</p:a>"#,
        )
        .unwrap();
        assert!(root.is("urn:p", "a"));
        assert_eq!(root.prefix.as_deref(), Some("p"));
        assert_eq!(root.attr_ns("urn:q", "at"), Some("1"));
        assert_eq!(root.attr("plain"), Some("2"));
        assert_eq!(root.attr("at"), None);
        assert_eq!(root.ns_decls.len(), 3);
        let b = root.elements().next().unwrap();
        assert!(b.is("urn:d", "b"));
        let c = b.elements().next().unwrap();
        assert_eq!(c.ns, None);
        assert_eq!(c.ns_decls, vec![(None, String::new())]);
    }

    #[test]
    fn keeps_whitespace_text_and_unescapes_references() {
        let root = parse(b"<a>\r\n <b>x &amp; &lt;&#x41;&#66;&gt;\ry</b>\n</a>").unwrap();
        assert_eq!(root.children.len(), 3);
        assert_eq!(root.children[0], Node::Text("\n ".into()));
        let b = root.elements().next().unwrap();
        assert_eq!(b.text_only().unwrap(), "x & <AB>\ny");
    }

    #[test]
    fn normalizes_attribute_whitespace_but_keeps_char_refs() {
        let root = parse(b"<a v=\"x\ty\r\nz\rw&#9;&#10;&#13;&quot;&apos;\"/>").unwrap();
        assert_eq!(root.attr("v"), Some("x y z w\t\n\r\"'"));
    }

    #[test]
    fn text_only_refuses_element_children() {
        let root = parse(b"<a>x<b/></a>").unwrap();
        assert!(matches!(
            root.text_only(),
            Err(XmlError::NotTextOnly { .. })
        ));
    }

    #[test]
    fn refuses_attributes_not_separated_by_white_space() {
        for xml in [
            r#"<a x="1"y="2"/>"#,
            r#"<a x='1'y="2"></a>"#,
            r#"<a x="1"y="2">t</a>"#,
        ] {
            assert!(matches!(err(xml), XmlError::Malformed(_)), "{xml}");
        }
        for xml in [
            r#"<a x="1" y="2"/>"#,
            "<a x=\"1\"\n\ty='2'/>",
            r#"<a x="it's" y='say "hi"'/>"#,
            r#"<a x="1"></a>"#,
            r#"<a/>"#,
        ] {
            assert!(parse(xml.as_bytes()).is_ok(), "{xml}");
        }
    }

    #[test]
    fn accepts_one_byte_order_mark_only() {
        assert!(parse("\u{FEFF}<a/>".as_bytes()).is_ok());
        assert_eq!(
            err("\u{FEFF}\u{FEFF}<a/>"),
            XmlError::InvalidChar { found: 0xFEFF }
        );
    }

    #[test]
    fn refuses_doctype_billion_laughs() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"#;
        assert_eq!(err(xml), XmlError::DocType);
    }

    #[test]
    fn refuses_doctype_external_entity() {
        let xml = r#"<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>"#;
        assert_eq!(err(xml), XmlError::DocType);
    }

    #[test]
    fn refuses_undeclared_entity_without_doctype() {
        assert!(matches!(
            err("<a>&xxe;</a>"),
            XmlError::UnknownEntity { .. }
        ));
        assert!(matches!(
            err("<a v='&xxe;'/>"),
            XmlError::UnknownEntity { .. }
        ));
    }

    #[test]
    fn refuses_char_refs_to_non_characters() {
        for bad in [
            "&#0;",
            "&#x1;",
            "&#xFFFE;",
            "&#xD800;",
            "&#+65;",
            "&#x;",
            "&#99999999999;",
        ] {
            let e = err(&format!("<a>{bad}</a>"));
            assert!(matches!(e, XmlError::InvalidCharRef { .. }), "{bad}: {e:?}");
        }
    }

    #[test]
    fn refuses_processing_instruction() {
        assert!(matches!(
            err("<a><?php evil() ?></a>"),
            XmlError::ProcessingInstruction { .. }
        ));
        assert!(matches!(
            err("<?xml-stylesheet href='x'?><a/>"),
            XmlError::ProcessingInstruction { .. }
        ));
    }

    #[test]
    fn declaration_only_first_and_only_utf8() {
        assert!(parse(b"<?xml version='1.0' encoding='utf-8'?><a/>").is_ok());
        assert!(parse(b"<?xml version=\"1.0\"?>\n<a/>").is_ok());
        assert!(matches!(
            err("<?xml version='1.0' encoding='ISO-8859-1'?><a/>"),
            XmlError::UnsupportedEncoding { .. }
        ));
        assert!(matches!(
            err("<?xml version='1.1'?><a/>"),
            XmlError::UnsupportedVersion { .. }
        ));
        for bad in [
            "<?xml version='1.0'encoding='UTF-8'?><a/>",
            "<?xml encoding='UTF-8' version='1.0'?><a/>",
            "<?xml version='1.0' standalone='maybe'?><a/>",
            "<?xml version='1.0' bogus='1'?><a/>",
            "<?xml version=\"1.0'?><a/>",
        ] {
            assert!(matches!(err(bad), XmlError::Malformed(_)), "{bad}");
        }
        assert!(parse(b"<?xml version = '1.0' standalone='yes' ?><a/>").is_ok());
        assert!(matches!(
            err(" <?xml version='1.0'?><a/>"),
            XmlError::MisplacedDeclaration | XmlError::Malformed(_)
        ));
    }

    #[test]
    fn refuses_comments_anywhere() {
        assert_eq!(err("<a>x<!-- c -->y</a>"), XmlError::Comment);
        assert_eq!(err("<!-- c --><a/>"), XmlError::Comment);
        assert_eq!(err("<a/><!-- c -->"), XmlError::Comment);
    }

    #[test]
    fn refuses_cdata() {
        assert_eq!(err("<a><![CDATA[x]]></a>"), XmlError::CData);
    }

    #[test]
    fn refuses_non_utf8_and_invalid_chars() {
        assert_eq!(parse(b"<a>\xff</a>").unwrap_err(), XmlError::NotUtf8);
        assert_eq!(
            parse(b"\xff\xfe<\0a\0/\0>\0").unwrap_err(),
            XmlError::NotUtf8
        );
        assert!(matches!(
            err("<a>\u{1}</a>"),
            XmlError::InvalidChar { found: 1 }
        ));
        assert!(matches!(
            err("<a v='\u{1}'/>"),
            XmlError::InvalidChar { found: 1 }
        ));
    }

    #[test]
    fn refuses_unbound_prefixes() {
        assert!(matches!(err("<p:a/>"), XmlError::UnboundPrefix { .. }));
        assert!(matches!(
            err("<a p:x='1'/>"),
            XmlError::UnboundPrefix { .. }
        ));
        // A binding ends with the element that made it.
        assert!(matches!(
            err("<a><b xmlns:p='urn:p'/><p:c/></a>"),
            XmlError::UnboundPrefix { .. }
        ));
    }

    #[test]
    fn refuses_reserved_namespace_misuse() {
        for bad in [
            "<a xmlns:p=''/>",
            "<a xmlns:xmlns='urn:x'/>",
            "<a xmlns:xml='urn:x'/>",
            "<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
            "<a xmlns='http://www.w3.org/2000/xmlns/'/>",
        ] {
            assert!(
                matches!(err(bad), XmlError::InvalidNamespaceDeclaration { .. }),
                "{bad}"
            );
        }
        assert!(parse(b"<a xml:lang='en'/>").is_ok());
    }

    #[test]
    fn refuses_duplicate_attributes_by_name_and_by_namespace() {
        assert!(matches!(
            err("<a x='1' x='2'/>"),
            XmlError::DuplicateAttribute { .. }
        ));
        assert!(matches!(
            err("<a xmlns:p='urn:n' xmlns:q='urn:n' p:x='1' q:x='2'/>"),
            XmlError::DuplicateAttribute { .. }
        ));
        assert!(matches!(
            err("<a xmlns:p='urn:1' xmlns:p='urn:2'/>"),
            XmlError::DuplicateAttribute { .. }
        ));
    }

    #[test]
    fn refuses_second_root_and_text_outside_root() {
        assert!(matches!(err("<a/><b/>"), XmlError::MultipleRoots { .. }));
        assert_eq!(err("<a/>junk"), XmlError::TextOutsideRoot);
        assert_eq!(err("junk<a/>"), XmlError::TextOutsideRoot);
        assert_eq!(err("<a/>&amp;"), XmlError::TextOutsideRoot);
        assert!(parse(b"\n <a/>\n\t").is_ok());
        assert_eq!(err("  "), XmlError::NoRoot);
        assert_eq!(err(""), XmlError::NoRoot);
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in [
            "<a>",
            "<a></b>",
            "</a>",
            "<a x=1/>",
            "<a x/>",
            "<a>&amp</a>",
            "<a>x & y</a>",
            "<a v='<'/>",
            "<a>]]></a>",
            "<1a/>",
            "<a:b:c xmlns:a='urn:a'/>",
            "<a",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn enforces_size_depth_element_and_attribute_limits() {
        let big = format!("<a>{}</a>", "x".repeat(MAX_INPUT_BYTES));
        assert!(matches!(err(&big), XmlError::TooLarge { .. }));

        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(err(&deep), XmlError::TooDeep { limit: MAX_DEPTH });
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());

        let many = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        assert!(matches!(err(&many), XmlError::TooManyElements { .. }));

        let attrs: String = (0..=MAX_ATTRIBUTES).map(|i| format!(" a{i}='x'")).collect();
        assert!(matches!(
            err(&format!("<a{attrs}/>")),
            XmlError::TooManyAttributes { .. }
        ));
    }

    #[test]
    fn descendants_walks_in_document_order() {
        let root = parse(b"<a><b><c/></b><d/></a>").unwrap();
        let names: Vec<_> = root.descendants().map(|e| e.local.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }
}
