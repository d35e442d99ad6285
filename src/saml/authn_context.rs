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

/// How a class compares with the one signet performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    Weaker,
    Same,
    Stronger,
}

/// Classes that also truthfully describe an authentication of class
/// `performed`: a password over TLS is a password sign-in too.
fn implied(performed: &str) -> &'static [&'static str] {
    match performed {
        AC_PASSWORD_PROTECTED_TRANSPORT => &[AC_PASSWORD],
        _ => &[],
    }
}

fn strength(class: &str, performed: &str) -> Strength {
    if class == performed {
        Strength::Same
    } else if class == AC_UNSPECIFIED || implied(performed).contains(&class) {
        Strength::Weaker
    } else {
        Strength::Stronger
    }
}

/// The class to state in the AuthnStatement for an authentication of class
/// `performed` (a `&'static` constant of this crate), or `None` when it does
/// not meet `requested`:
///
/// - `exact`: the first listed class that describes it; `unspecified` asks
///   for no particular class and is met by any.
/// - `minimum`: `performed`, if at least as strong as one listed class.
/// - `better`: `performed`, if stronger than every listed class.
/// - `maximum`: `performed` if it does not exceed one listed class (or one
///   is `unspecified`), else the strongest listed class that describes it.
pub fn stated_class(
    requested: Option<&RequestedAuthnContext>,
    performed: &'static str,
) -> Option<&'static str> {
    let Some(requested) = requested else {
        return Some(performed);
    };
    let classes = &requested.class_refs;
    let describing = |c: &String| -> Option<&'static str> {
        if c == performed || c == AC_UNSPECIFIED {
            Some(performed)
        } else {
            implied(performed).iter().copied().find(|i| i == c)
        }
    };
    let met = match requested.comparison.as_str() {
        "minimum" => classes
            .iter()
            .any(|c| strength(c, performed) != Strength::Stronger),
        "better" => classes
            .iter()
            .all(|c| strength(c, performed) == Strength::Weaker),
        "maximum" => {
            let no_limit =
                |c: &String| c == AC_UNSPECIFIED || strength(c, performed) != Strength::Weaker;
            if classes.iter().any(no_limit) {
                true
            } else {
                return implied(performed)
                    .iter()
                    .copied()
                    .find(|i| classes.iter().any(|c| c == i));
            }
        }
        // The parser admits only these four; "exact" is the default.
        _ => return classes.iter().find_map(describing),
    };
    met.then_some(performed)
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

    fn stated(comparison: &str, classes: &[&str]) -> Option<&'static str> {
        stated_class(Some(&ctx(comparison, classes)), PPT)
    }

    #[test]
    fn no_requested_context_states_the_performed_class() {
        assert_eq!(stated_class(None, PPT), Some(PPT));
    }

    #[test]
    fn exact_states_the_first_listed_class_that_describes_the_login() {
        assert_eq!(stated("exact", &[PPT]), Some(PPT));
        assert_eq!(stated("exact", &[X509, PPT]), Some(PPT));
        assert_eq!(stated("exact", &[AC_UNSPECIFIED]), Some(PPT));
        assert_eq!(stated("exact", &[AC_PASSWORD]), Some(AC_PASSWORD));
        assert_eq!(stated("exact", &[MFA, AC_PASSWORD, PPT]), Some(AC_PASSWORD));
        assert_eq!(stated("exact", &[MFA]), None);
        assert_eq!(stated("exact", &[X509, MFA]), None);
    }

    #[test]
    fn minimum_is_met_when_one_class_is_no_stronger() {
        assert_eq!(stated("minimum", &[AC_PASSWORD]), Some(PPT));
        assert_eq!(stated("minimum", &[PPT]), Some(PPT));
        assert_eq!(stated("minimum", &[MFA, AC_PASSWORD]), Some(PPT));
        assert_eq!(stated("minimum", &[MFA]), None);
        assert_eq!(stated("minimum", &[X509, MFA]), None);
    }

    #[test]
    fn better_needs_every_class_to_be_weaker() {
        assert_eq!(stated("better", &[AC_PASSWORD]), Some(PPT));
        assert_eq!(stated("better", &[AC_PASSWORD, AC_UNSPECIFIED]), Some(PPT));
        assert_eq!(stated("better", &[PPT]), None);
        assert_eq!(stated("better", &[AC_PASSWORD, MFA]), None);
    }

    #[test]
    fn maximum_never_states_more_than_the_strongest_listed_class() {
        assert_eq!(stated("maximum", &[PPT]), Some(PPT));
        assert_eq!(stated("maximum", &[MFA]), Some(PPT));
        assert_eq!(stated("maximum", &[AC_PASSWORD, X509]), Some(PPT));
        assert_eq!(stated("maximum", &[AC_PASSWORD]), Some(AC_PASSWORD));
        assert_eq!(stated("maximum", &[AC_UNSPECIFIED]), Some(PPT));
    }

    #[test]
    fn unknown_classes_count_as_stronger() {
        let odd = "urn:example:ac:classes:retina-scan";
        assert_eq!(stated("exact", &[odd]), None);
        assert_eq!(stated("minimum", &[odd]), None);
        assert_eq!(stated("better", &[odd]), None);
        assert_eq!(stated("maximum", &[odd]), Some(PPT));
    }
}
