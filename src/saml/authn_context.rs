//! Whether the way a user signed in meets a `<samlp:RequestedAuthnContext>`
//! (SAML Core 3.3.2.2.1). The responder judges the relative strength of
//! classes; signet knows a few classes weaker than a password over TLS and
//! takes every other one, named or unknown, to be stronger, so that it never
//! claims more than it did.

use super::authn_request::RequestedAuthnContext;
use super::AC_PASSWORD_PROTECTED_TRANSPORT;

/// `urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified` (AuthnContext 3.4.25).
pub const AC_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";
/// `urn:oasis:names:tc:SAML:2.0:ac:classes:Password` (AuthnContext 3.4.13):
/// a password over a transport that need not be protected.
pub const AC_PASSWORD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";

/// How a class compares with the one signet performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    Weaker,
    Same,
    Stronger,
}

fn strength(class: &str, performed: &str) -> Strength {
    if class == performed {
        return Strength::Same;
    }
    match (performed, class) {
        (AC_PASSWORD_PROTECTED_TRANSPORT, AC_UNSPECIFIED | AC_PASSWORD) => Strength::Weaker,
        _ => Strength::Stronger,
    }
}

/// Whether an authentication of class `performed` satisfies `requested`.
///
/// - `exact`: `performed` is one of the classes; `unspecified` asks for no
///   particular one and is met by any.
/// - `minimum`: `performed` is at least as strong as one of them.
/// - `better`: `performed` is stronger than every one of them.
/// - `maximum`: `performed` does not exceed one of them.
pub fn satisfies(requested: &RequestedAuthnContext, performed: &str) -> bool {
    let mut classes = requested.class_refs.iter().map(|c| strength(c, performed));
    match requested.comparison.as_str() {
        "minimum" => classes.any(|s| s != Strength::Stronger),
        "better" => classes.all(|s| s == Strength::Weaker),
        "maximum" => classes.any(|s| s != Strength::Weaker),
        // The parser admits only these four; "exact" is the default.
        _ => requested
            .class_refs
            .iter()
            .any(|c| c == performed || c == AC_UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PPT: &str = AC_PASSWORD_PROTECTED_TRANSPORT;
    const MFA: &str = "https://refeds.org/profile/mfa";
    const X509: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:X509";

    fn ctx(comparison: &str, classes: &[&str]) -> RequestedAuthnContext {
        RequestedAuthnContext {
            comparison: comparison.to_owned(),
            class_refs: classes.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn exact_is_met_by_the_performed_class_or_unspecified_only() {
        assert!(satisfies(&ctx("exact", &[PPT]), PPT));
        assert!(satisfies(&ctx("exact", &[X509, PPT]), PPT));
        assert!(satisfies(&ctx("exact", &[AC_UNSPECIFIED]), PPT));
        assert!(!satisfies(&ctx("exact", &[AC_PASSWORD]), PPT));
        assert!(!satisfies(&ctx("exact", &[MFA]), PPT));
    }

    #[test]
    fn minimum_is_met_when_one_class_is_no_stronger() {
        assert!(satisfies(&ctx("minimum", &[AC_PASSWORD]), PPT));
        assert!(satisfies(&ctx("minimum", &[PPT]), PPT));
        assert!(satisfies(&ctx("minimum", &[MFA, AC_PASSWORD]), PPT));
        assert!(!satisfies(&ctx("minimum", &[MFA]), PPT));
        assert!(!satisfies(&ctx("minimum", &[X509, MFA]), PPT));
    }

    #[test]
    fn better_needs_every_class_to_be_weaker() {
        assert!(satisfies(&ctx("better", &[AC_PASSWORD]), PPT));
        assert!(satisfies(
            &ctx("better", &[AC_PASSWORD, AC_UNSPECIFIED]),
            PPT
        ));
        assert!(!satisfies(&ctx("better", &[PPT]), PPT));
        assert!(!satisfies(&ctx("better", &[AC_PASSWORD, MFA]), PPT));
    }

    #[test]
    fn maximum_is_met_unless_every_class_is_weaker() {
        assert!(satisfies(&ctx("maximum", &[PPT]), PPT));
        assert!(satisfies(&ctx("maximum", &[MFA]), PPT));
        assert!(satisfies(&ctx("maximum", &[AC_PASSWORD, X509]), PPT));
        assert!(!satisfies(&ctx("maximum", &[AC_PASSWORD]), PPT));
    }

    #[test]
    fn unknown_classes_count_as_stronger() {
        let odd = "urn:example:ac:classes:retina-scan";
        assert!(!satisfies(&ctx("exact", &[odd]), PPT));
        assert!(!satisfies(&ctx("minimum", &[odd]), PPT));
        assert!(satisfies(&ctx("maximum", &[odd]), PPT));
    }
}
