//! What a signed sign-in costs, next to the RSA floor.
//!
//! Measures, with one freshly generated RSA-2048 key: one RSA-2048 SHA-256
//! signature over 32 bytes (the floor no implementation can beat), building
//! and signing a ChatGPT-like response with the assertion signed, and the
//! same with the response signed as well (two RSA signatures). Afterwards it
//! reads criterion's mean estimates and prints each build as a ratio of the
//! floor, so a regression in the XML path shows up as a ratio, not as a
//! machine-dependent time.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use signet::saml::response::{build_response, AssertionContent, Attribute, Signing};
use signet::saml::signing::SigningKey;
use signet::saml::{
    name_id_formats, AC_PASSWORD_PROTECTED_TRANSPORT, ATTRNAME_FORMAT_BASIC, ATTRNAME_FORMAT_URI,
};
use time::OffsetDateTime;

const GROUP: &str = "sign_response";
const FLOOR: &str = "rsa2048_sign";
const ASSERTION_SIGNED: &str = "build_sign_response";
const BOTH_SIGNED: &str = "build_sign_response_and_assertion";

const CLAIMS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";

/// The eight attributes a ChatGPT sign-in carries: WorkOS's names and the
/// older claim URIs (saml-idp-facts.md).
fn chatgpt_attributes() -> Vec<Attribute> {
    let basic = |name: &str, value: &str| Attribute {
        name: name.to_owned(),
        name_format: ATTRNAME_FORMAT_BASIC,
        friendly_name: None,
        values: vec![value.to_owned()],
    };
    let claim = |name: &str, friendly: &str, value: &str| Attribute {
        name: format!("{CLAIMS}/{name}"),
        name_format: ATTRNAME_FORMAT_URI,
        friendly_name: Some(friendly.to_owned()),
        values: vec![value.to_owned()],
    };
    vec![
        basic("id", "5f0c8a1e-2b7d-4c3e-9a6f-1d2e3f4a5b6c"),
        basic("email", "ada.lovelace@example.com"),
        basic("firstName", "Ada"),
        basic("lastName", "Lovelace"),
        claim("emailaddress", "email", "ada.lovelace@example.com"),
        claim("givenname", "givenName", "Ada"),
        claim("surname", "sn", "Lovelace"),
        claim("name", "displayName", "Ada Lovelace"),
    ]
}

fn main() {
    let (key, _, _) = SigningKey::generate_self_signed("signet bench", 30).expect("key");
    let attributes = chatgpt_attributes();
    let now = OffsetDateTime::now_utc();
    let content = AssertionContent {
        issuer: "https://idp.example.com/application/saml/chatgpt/metadata/",
        destination: "https://auth.openai.com/sso/saml/acs/conn_01HXYZABCDEF",
        in_response_to: Some("_a1b2c3d4e5f60718293a4b5c6d7e8f90"),
        audience: Some("https://auth.openai.com/sso/saml/aud/conn_01HXYZABCDEF"),
        name_id: "ada.lovelace@example.com",
        name_id_format: name_id_formats::EMAIL,
        sp_name_qualifier: None,
        issue_instant: now,
        not_before: now - time::Duration::minutes(5),
        not_on_or_after: now + time::Duration::minutes(5),
        authn_instant: now,
        session_index: "_0123456789abcdef0123456789abcdef",
        session_not_on_or_after: now + time::Duration::hours(8),
        authn_context_class_ref: AC_PASSWORD_PROTECTED_TRANSPORT,
        attributes: &attributes,
    };

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group(GROUP);
        let digest = [0x5au8; 32];
        group.bench_function(FLOOR, |b| b.iter(|| key.sign(black_box(&digest)).unwrap()));
        let assertion_only = Signing {
            sign_assertion: true,
            sign_response: false,
        };
        group.bench_function(ASSERTION_SIGNED, |b| {
            b.iter(|| build_response(black_box(&content), assertion_only, &key).unwrap())
        });
        let both = Signing {
            sign_assertion: true,
            sign_response: true,
        };
        group.bench_function(BOTH_SIGNED, |b| {
            b.iter(|| build_response(black_box(&content), both, &key).unwrap())
        });
        group.finish();
    }
    criterion.final_summary();

    print_ratios();
}

/// Where criterion keeps its results: `CRITERION_HOME`, else
/// `<target dir>/criterion` as criterion itself decides.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// The mean time in nanoseconds criterion estimated for `bench`, if it ran.
fn mean_ns(bench: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(GROUP)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

fn print_ratios() {
    let Some(floor) = mean_ns(FLOOR) else {
        println!(
            "no estimate for {FLOOR} under {}",
            criterion_dir().display()
        );
        return;
    };
    println!("{FLOOR}: {:.1} us", floor / 1000.0);
    for bench in [ASSERTION_SIGNED, BOTH_SIGNED] {
        match mean_ns(bench) {
            Some(mean) => println!(
                "{bench}: {:.1} us; ratio {bench} / {FLOOR} = {:.2}",
                mean / 1000.0,
                mean / floor
            ),
            None => println!("no estimate for {bench}"),
        }
    }
}
