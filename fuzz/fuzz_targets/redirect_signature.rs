//! The redirect-binding signature check (Bindings 3.4.4.1): queries through
//! `decode_redirect` then `verify_redirect_signature`, and signatures built
//! straight from the input, against keys no input can have signed with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openssl::hash::MessageDigest;
use openssl::sign::Signer;
use signet::saml::algorithms;
use signet::saml::binding::{
    decode_redirect, verify_redirect_signature, RedirectSignature, SignatureError,
};

mod common;

const ALGORITHMS: [&str; 6] = [
    algorithms::RSA_SHA256,
    algorithms::RSA_SHA384,
    algorithms::RSA_SHA512,
    algorithms::RSA_SHA1,
    algorithms::ECDSA_SHA256,
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
];

/// No input verifies, and the refusal is the one the algorithm calls for.
fn check_refused(sig: &RedirectSignature) {
    let known = ALGORITHMS[..5].contains(&sig.sig_alg.as_str());
    let ec_alg = sig.sig_alg == algorithms::ECDSA_SHA256;
    for (key, is_ec) in [(common::rsa_public(), false), (common::ec_public(), true)] {
        for allow_sha1 in [false, true] {
            let result = verify_redirect_signature(sig, key, allow_sha1);
            match result {
                Ok(()) => panic!("a signature verified: {sig:?}"),
                Err(SignatureError::UnsupportedAlgorithm { .. }) => assert!(!known),
                Err(SignatureError::InsecureAlgorithm { .. }) => {
                    assert!(!allow_sha1 && sig.sig_alg == algorithms::RSA_SHA1)
                }
                Err(SignatureError::KeyMismatch { .. }) => assert!(known && ec_alg != is_ec),
                Err(SignatureError::Invalid) => assert!(known && ec_alg == is_ec),
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
    }
}

/// A signature made here over fuzzed octets verifies, in both the DER and
/// the raw `r || s` form, and stops verifying when any octet changes.
fn check_accepted(signed_octets: &str, flip: usize) {
    let mut signer = Signer::new(MessageDigest::sha256(), common::ec()).unwrap();
    let der = signer.sign_oneshot_to_vec(signed_octets.as_bytes()).unwrap();
    let parsed = openssl::ecdsa::EcdsaSig::from_der(&der).unwrap();
    let mut raw = parsed.r().to_vec_padded(32).unwrap();
    raw.extend(parsed.s().to_vec_padded(32).unwrap());

    for signature in [der, raw] {
        let mut sig = RedirectSignature {
            sig_alg: algorithms::ECDSA_SHA256.to_owned(),
            signature,
            signed_octets: signed_octets.to_owned(),
        };
        verify_redirect_signature(&sig, common::ec_public(), false).unwrap();

        let mut bytes = sig.signed_octets.into_bytes();
        if bytes.is_empty() {
            bytes.push(b'x');
        } else {
            let i = flip % bytes.len();
            bytes[i] ^= 1;
        }
        sig.signed_octets = String::from_utf8_lossy(&bytes).into_owned();
        assert_eq!(
            verify_redirect_signature(&sig, common::ec_public(), false),
            Err(SignatureError::Invalid)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    // Through the binding, as the SLO and SSO endpoints do.
    let query = String::from_utf8_lossy(data);
    if let Ok(message) = decode_redirect(&query) {
        if let Some(sig) = &message.signature {
            check_refused(sig);
            check_accepted(&sig.signed_octets, data.len());
        }
    }

    // Straight to the verifier: the first byte picks an algorithm, the next
    // two the length of the signature, the rest is signature then octets.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (len, rest) = match rest {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => return,
    };
    let (signature, octets) = rest.split_at(len.min(rest.len()));
    let sig = RedirectSignature {
        sig_alg: ALGORITHMS[usize::from(pick) % ALGORITHMS.len()].to_owned(),
        signature: signature.to_vec(),
        signed_octets: String::from_utf8_lossy(octets).into_owned(),
    };
    check_refused(&sig);
});
