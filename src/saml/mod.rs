//! SAML 2.0 protocol code: decoding, checking and emitting messages.
//!
//! Nothing in this module knows about HTTP. The web layer hands it bytes and
//! strings as they arrived and gets back typed values or XML text to send.

pub mod authn_context;
pub mod authn_request;
pub mod binding;
pub mod dsig;
pub mod ids;
pub mod logout;
pub mod metadata;
pub mod response;
pub mod signing;
pub mod time;
pub mod xml_reader;
pub mod xml_writer;

/// `urn:oasis:names:tc:SAML:2.0:protocol` (SAML Core 3).
pub const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// `urn:oasis:names:tc:SAML:2.0:assertion` (SAML Core 2).
pub const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// `urn:oasis:names:tc:SAML:2.0:metadata` (SAML Metadata 2).
pub const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML Signature namespace.
pub const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Binding URIs (SAML Bindings 3).
pub mod bindings {
    pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    pub const HTTP_ARTIFACT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";
    pub const PAOS: &str = "urn:oasis:names:tc:SAML:2.0:bindings:PAOS";
}

/// NameID format URIs (SAML Core 8.3).
pub mod name_id_formats {
    pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
    pub const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    pub const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
}

/// Status code URIs (SAML Core 3.2.2.2).
pub mod status {
    pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    pub const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
    pub const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
    pub const NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
    pub const NO_AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
    pub const INVALID_NAME_ID_POLICY: &str =
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
    pub const PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
}

/// Signature and digest algorithm URIs (XML-DSig, RFC 6931).
pub mod algorithms {
    pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
    pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
    pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
    pub const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
    pub const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
    pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
}

/// `urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport` (SAML AuthnContext 3.4.14).
pub const AC_PASSWORD_PROTECTED_TRANSPORT: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
/// Attribute NameFormat for URI-named attributes (SAML Core 8.2.2).
pub const ATTRNAME_FORMAT_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
/// Attribute NameFormat for plain names (SAML Core 8.2.1).
pub const ATTRNAME_FORMAT_BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
/// Bearer subject confirmation method (SAML Profiles 3.3).
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
