//! Checks for values an administrator types. Each returns a message fit to
//! show next to the field.

use crate::saml::xml_writer::is_xml_char;

/// Plain text (names, labels): no control characters, within `max` chars.
pub fn text(value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() || !is_xml_char(*c)) {
        return Err(format!(
            "must not contain the control character U+{:04X}",
            c as u32
        ));
    }
    Ok(())
}

/// Longest login name, in bytes (its characters are ASCII).
pub const MAX_USERNAME_BYTES: usize = 64;

/// A login name: letters, digits and `. _ @ -`, at most 64.
pub fn username(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > MAX_USERNAME_BYTES {
        return Err(format!("must be 1 to {MAX_USERNAME_BYTES} characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
    {
        return Err("may contain only letters, digits and . _ @ -".into());
    }
    Ok(())
}

/// Names the admin pages' own addresses take: `/admin/users/new/` is the
/// creation form, and a browser resolves `/admin/users/../` to `/admin/`
/// before asking, so a user or application named so could never be shown,
/// changed or deactivated there.
const RESERVED_NAMES: &[&str] = &["new", ".", ".."];

/// A login name for a new user: [`username`], and not one of the names the
/// admin pages' addresses take.
pub fn new_username(value: &str) -> Result<(), String> {
    username(value)?;
    if RESERVED_NAMES.contains(&value) {
        return Err(format!(
            "{value:?} is reserved: the administration pages could not reach such a user"
        ));
    }
    Ok(())
}

/// An email address as used for the NameID: `local@domain`, no spaces.
pub fn email(value: &str) -> Result<(), String> {
    text(value, 254)?;
    let Some((local, domain)) = value.split_once('@') else {
        return Err("must be an address like name@example.com".into());
    };
    let bad = |s: &str| s.is_empty() || s.contains('@') || s.chars().any(char::is_whitespace);
    if bad(local) || bad(domain) || !domain.contains('.') || domain.starts_with('.') {
        return Err("must be an address like name@example.com".into());
    }
    Ok(())
}

/// An application slug as in authentik's URLs: `[-a-zA-Z0-9_]+`.
pub fn slug(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("may contain only letters, digits, - and _".into());
    }
    Ok(())
}

/// A slug for a new application: [`slug`], and not `new` in any case,
/// which is the address of the creation form.
pub fn new_slug(value: &str) -> Result<(), String> {
    slug(value)?;
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(value)) {
        return Err(format!(
            "{value:?} is reserved: /admin/applications/new/ is the creation form"
        ));
    }
    Ok(())
}

/// An entity id (Issuer, Audience): a URI or name, no spaces, at most 1024.
pub fn entity_id(value: &str) -> Result<(), String> {
    text(value, 1024)?;
    if value.chars().any(char::is_whitespace) {
        return Err("must not contain spaces".into());
    }
    Ok(())
}

/// A URL signet sends browsers to (ACS, SLS, launch link).
///
/// It must be absolute `https`, or `http` on a loopback host for local
/// testing. It is stored exactly as typed: requests are later compared with
/// it byte for byte, so nothing here rewrites it.
pub fn endpoint_url(value: &str) -> Result<(), String> {
    if value.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("must not contain spaces or control characters".into());
    }
    let url = url::Url::parse(value).map_err(|_| "must be an absolute http(s) URL".to_string())?;
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" => {}
        "http" if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => {}
        "http" => return Err("must use https (plain http only on localhost)".into()),
        other => return Err(format!("must be an http(s) URL, not {other}:")),
    }
    if host.is_empty() {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not carry a #fragment".into());
    }
    // `Url::parse` accepts `https:host` and backslashes; insist on the plain form.
    if !value
        .to_ascii_lowercase()
        .starts_with(&format!("{}://", url.scheme()))
    {
        return Err("must start with https://".into());
    }
    Ok(())
}

/// How many additional ACS URLs an application may have.
pub const MAX_ADDITIONAL_ACS_URLS: usize = 16;

/// An application's additional ACS URLs: each an [`endpoint_url`], none
/// listed twice or equal to the default ACS URL `default`, at most
/// [`MAX_ADDITIONAL_ACS_URLS`]. Equality is byte for byte, as requests are
/// matched. The message names every refused URL.
pub fn additional_acs_urls(default: &str, urls: &[String]) -> Result<(), String> {
    if urls.len() > MAX_ADDITIONAL_ACS_URLS {
        return Err(format!(
            "at most {MAX_ADDITIONAL_ACS_URLS} additional ACS URLs, not {}",
            urls.len()
        ));
    }
    let mut problems = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let shown: String = url.chars().take(200).collect();
        if let Err(m) = endpoint_url(url) {
            problems.push(format!("{shown:?} {m}"));
        } else if url == default {
            problems.push(format!("{shown:?} is already the ACS URL"));
        } else if urls[..i].contains(url) {
            problems.push(format!("{shown:?} is listed twice"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(urls: &[&str]) -> Vec<String> {
        urls.iter().map(|u| (*u).to_owned()).collect()
    }

    #[test]
    fn additional_acs_urls_are_endpoint_urls_without_repeats() {
        let default = "https://sp.example.com/acs";
        assert!(additional_acs_urls(default, &[]).is_ok());
        let ok = owned(&[
            "https://staging.example.com/acs?c=1",
            "https://sp.example.com/acs/",
            "http://localhost:8080/acs",
        ]);
        assert!(additional_acs_urls(default, &ok).is_ok());
        for (bad, words) in [
            ("javascript:alert(1)", "not javascript:"),
            ("data:text/html,x", "not data:"),
            ("/relative/acs", "absolute"),
            ("http://sp.example.com/acs2", "https"),
            ("", "absolute"),
        ] {
            let list = owned(&["https://ok.example.com/acs", bad]);
            let m = additional_acs_urls(default, &list).unwrap_err();
            assert!(
                m.contains(words) && m.contains(&format!("{bad:?}")),
                "{bad}: {m}"
            );
        }
        let m = additional_acs_urls(default, &owned(&[default])).unwrap_err();
        assert!(m.contains("already the ACS URL"), "{m}");
        let twice = owned(&["https://a.example/acs", "https://a.example/acs"]);
        let m = additional_acs_urls(default, &twice).unwrap_err();
        assert!(m.contains("listed twice"), "{m}");
        // Every refused URL is named, not only the first.
        let two_bad = owned(&["javascript:x", "https://b.example/acs", "data:x"]);
        let m = additional_acs_urls(default, &two_bad).unwrap_err();
        assert!(m.contains("javascript:") && m.contains("data:"), "{m}");
        let many: Vec<String> = (0..=MAX_ADDITIONAL_ACS_URLS)
            .map(|i| format!("https://sp{i}.example.com/acs"))
            .collect();
        assert!(additional_acs_urls(default, &many[..MAX_ADDITIONAL_ACS_URLS]).is_ok());
        assert!(additional_acs_urls(default, &many)
            .unwrap_err()
            .contains("at most 16"));
    }

    #[test]
    fn endpoint_urls_must_be_absolute_https_or_local_http() {
        for ok in [
            "https://temp.temp",
            "https://auth.openai.com/sso/saml/acs/abc?connection=x",
            "http://localhost:8080/acs",
            "http://127.0.0.1/acs",
        ] {
            assert!(endpoint_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "/relative/acs",
            "//evil.example/acs",
            "http://sp.example.com/acs",
            "https://user:pw@sp.example.com/acs",
            "https://sp.example.com/acs#frag",
            "https:sp.example.com/acs",
            "https://sp.example.com/a b",
            "ftp://sp.example.com/acs",
        ] {
            assert!(endpoint_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_refuses_control_characters_xml_cannot_carry() {
        assert!(text("Zoë O'Brien <x>", 64).is_ok());
        assert!(text("a\u{1}b", 64).is_err());
        assert!(text("a\nb", 64).is_err());
        assert!(text("", 64).is_err());
    }

    #[test]
    fn emails_and_usernames_have_plain_shapes() {
        assert!(email("alice@example.com").is_ok());
        assert!(email("alice").is_err());
        assert!(email("a@b@example.com").is_err());
        assert!(email("a b@example.com").is_err());
        assert!(username("alice.doe-1").is_ok());
        assert!(username("alice doe").is_err());
        assert!(slug("chat-gpt_1").is_ok());
        assert!(slug("chat/gpt").is_err());
    }

    #[test]
    fn names_the_admin_addresses_take_are_refused_for_new_users_and_applications() {
        for bad in ["new", ".", ".."] {
            assert!(new_username(bad).is_err(), "{bad}");
        }
        assert!(new_username("newton").is_ok());
        assert!(new_username("...").is_ok());
        for bad in ["new", "NEW", "New"] {
            assert!(new_slug(bad).is_err(), "{bad}");
        }
        assert!(new_slug("news").is_ok());
    }
}
