//! The IdP's signing key and enveloped XML signatures over canonical output.
//!
//! Signatures follow XML Signature 1.1 as profiled by SAML Core 5.4: one
//! `Reference` to the signed element's `ID`, the enveloped-signature and
//! exc-c14n transforms, SHA-256 digests, and RSA-SHA256 or ECDSA-SHA256.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::hash::{hash, MessageDigest};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509Builder, X509NameBuilder, X509};
use time::OffsetDateTime;

use super::algorithms;
use super::xml_writer::{CanonicalWriter, EmitError, Ns};

/// Smallest RSA modulus accepted, in bits (saml2int; NIST SP 800-131A).
pub const MIN_RSA_BITS: u32 = 2048;

/// Bytes of each of `r` and `s` in an ECDSA P-256 signature value.
const P256_SCALAR_LEN: usize = 32;

/// Errors loading, generating or using the signing key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("the private key is not a readable PEM key")]
    KeyPem(#[source] ErrorStack),
    #[error(
        "the private key is encrypted: signet cannot ask for its passphrase; \
         give it the key decrypted (openssl pkey -in key.pem -out plain-key.pem)"
    )]
    EncryptedKey,
    #[error("the certificate is not a readable PEM X.509 certificate")]
    CertificatePem(#[source] ErrorStack),
    #[error("the private key does not belong to the certificate ({subject})")]
    KeyMismatch { subject: String },
    #[error("RSA key of {found} bits is too short: at least {expected} bits are required")]
    RsaTooShort { expected: u32, found: u32 },
    #[error("EC key on curve {found} is not supported: expected P-256 (prime256v1)")]
    UnsupportedCurve { found: String },
    #[error("{found} keys are not supported: expected RSA (2048 bits or more) or EC P-256")]
    UnsupportedKeyType { found: String },
    #[error("the certificate expired at {not_after} (now {now})")]
    Expired {
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("the certificate is not valid before {not_before} (now {now})")]
    NotYetValid {
        not_before: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("a certificate date is out of range")]
    DateOutOfRange,
    #[error("cryptographic operation failed")]
    Crypto(#[from] ErrorStack),
}

/// The key that signs assertions and responses, with its certificate.
///
/// The private key is parsed once when loaded: signing a sign-in is the hot
/// path, and re-importing a PEM key per signature costs more than the
/// signature itself. Debug shows the algorithm, subject and fingerprint, never
/// the key.
pub struct SigningKey {
    key: PKey<Private>,
    certificate: X509,
    certificate_base64: String,
    algorithm: &'static str,
    subject: String,
    fingerprint: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("subject", &self.subject)
            .field("fingerprint_sha256", &self.fingerprint)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads a PEM private key (PKCS#8 or traditional) and its PEM certificate.
    ///
    /// The key must be the certificate's (an SP verifies with the
    /// certificate, so a mismatch would fail every sign-in), and RSA of at
    /// least 2048 bits or EC P-256.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<SigningKey, KeyError> {
        // Handed an encrypted key and no passphrase, OpenSSL asks for one on
        // the terminal and waits: a request (or the start) would hang there,
        // and whoever sits at that terminal would answer. So an encrypted key
        // is refused by its PEM labels ("ENCRYPTED PRIVATE KEY" for PKCS#8,
        // "Proc-Type: 4,ENCRYPTED" for the legacy form), and the key is read
        // with a passphrase supplied, which can fail but never prompts.
        if key_pem.windows(9).any(|w| w == b"ENCRYPTED") {
            return Err(KeyError::EncryptedKey);
        }
        let key = PKey::private_key_from_pem_passphrase(key_pem, b"signet: no passphrase")
            .map_err(KeyError::KeyPem)?;
        let certificate = X509::from_pem(cert_pem).map_err(KeyError::CertificatePem)?;
        Self::new(key, certificate)
    }

    fn new(key: PKey<Private>, certificate: X509) -> Result<SigningKey, KeyError> {
        let subject = subject_text(&certificate);
        let certificate_key = certificate.public_key()?;
        if !key.public_eq(&certificate_key) {
            return Err(KeyError::KeyMismatch { subject });
        }
        let algorithm = signature_algorithm_for(&key)?;

        let certificate_base64 = BASE64.encode(certificate.to_der()?);
        let fingerprint = colon_hex(&certificate.digest(MessageDigest::sha256())?);
        let not_before = asn1_to_offset(certificate.not_before())?;
        let not_after = asn1_to_offset(certificate.not_after())?;
        Ok(SigningKey {
            key,
            certificate,
            certificate_base64,
            algorithm,
            subject,
            fingerprint,
            not_before,
            not_after,
        })
    }

    /// Generates an RSA-2048 key and a self-signed SHA-256 certificate for it.
    ///
    /// Returns the key, the key as PKCS#8 PEM and the certificate as PEM. The
    /// serial is 128 random bits (CA/B Forum asks for at least 64); subject
    /// and issuer are `CN=common_name`; validity runs from now for
    /// `valid_days` days.
    pub fn generate_self_signed(
        common_name: &str,
        valid_days: u32,
    ) -> Result<(SigningKey, Vec<u8>, Vec<u8>), KeyError> {
        let key = PKey::from_rsa(Rsa::generate(MIN_RSA_BITS)?)?;

        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_nid(Nid::COMMONNAME, common_name)?;
        let name = name.build();

        let mut serial = BigNum::new()?;
        serial.rand(128, MsbOption::MAYBE_ZERO, false)?;
        let serial = serial.to_asn1_integer()?;
        let not_before = Asn1Time::days_from_now(0)?;
        let not_after = Asn1Time::days_from_now(valid_days)?;

        let mut builder = X509Builder::new()?;
        builder.set_version(2)?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&name)?;
        builder.set_issuer_name(&name)?;
        builder.set_not_before(&not_before)?;
        builder.set_not_after(&not_after)?;
        builder.set_pubkey(&key)?;
        builder.append_extension(BasicConstraints::new().critical().build()?)?;
        builder.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .non_repudiation()
                .build()?,
        )?;
        builder.sign(&key, MessageDigest::sha256())?;
        let certificate = builder.build();

        let key_pem = key.private_key_to_pem_pkcs8()?;
        let cert_pem = certificate.to_pem()?;
        Ok((Self::new(key, certificate)?, key_pem, cert_pem))
    }

    pub fn certificate(&self) -> &X509 {
        &self.certificate
    }

    /// The certificate as PEM text, for download by SP administrators.
    pub fn certificate_pem(&self) -> String {
        let pem = self
            .certificate
            .to_pem()
            .expect("re-encoding a parsed certificate cannot fail");
        String::from_utf8(pem).expect("PEM is ASCII")
    }

    /// The certificate's DER in base64 without line breaks, as it goes into
    /// `ds:X509Certificate` and metadata.
    pub fn certificate_base64(&self) -> &str {
        &self.certificate_base64
    }

    /// SHA-256 of the certificate's DER as colon-separated uppercase hex, the
    /// form SP consoles display.
    pub fn fingerprint_sha256(&self) -> String {
        self.fingerprint.clone()
    }

    /// The certificate's subject, e.g. `CN=signet`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Whether `now` lies within the certificate's validity period.
    ///
    /// SPs check the certificate they were given against the signature, and
    /// some check its dates too; an expired one must stop the start.
    pub fn check_validity(&self, now: OffsetDateTime) -> Result<(), KeyError> {
        if now < self.not_before {
            return Err(KeyError::NotYetValid {
                not_before: self.not_before,
                now,
            });
        }
        if now > self.not_after {
            return Err(KeyError::Expired {
                not_after: self.not_after,
                now,
            });
        }
        Ok(())
    }

    /// The `SignatureMethod` URI for this key (RFC 6931 2.3).
    pub fn signature_algorithm(&self) -> &'static str {
        self.algorithm
    }

    /// Signs `data` with SHA-256.
    ///
    /// RSA gives a PKCS#1 v1.5 signature. ECDSA gives `r || s`, each padded
    /// to the curve's size, the form XML Signature requires (RFC 4051 3.3,
    /// XMLDSig 1.1 section 6.4.3) instead of OpenSSL's DER.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key)?;
        signer.update(data)?;
        let signature = signer.sign_to_vec()?;
        if self.algorithm != algorithms::ECDSA_SHA256 {
            return Ok(signature);
        }

        let der = EcdsaSig::from_der(&signature)?;
        let mut fixed = der.r().to_vec_padded(P256_SCALAR_LEN as i32)?;
        fixed.extend(der.s().to_vec_padded(P256_SCALAR_LEN as i32)?);
        Ok(fixed)
    }
}

/// Picks the signature method for a key, refusing weak or unknown keys.
fn signature_algorithm_for(key: &PKey<Private>) -> Result<&'static str, KeyError> {
    match key.id() {
        Id::RSA if key.bits() >= MIN_RSA_BITS => Ok(algorithms::RSA_SHA256),
        Id::RSA => Err(KeyError::RsaTooShort {
            expected: MIN_RSA_BITS,
            found: key.bits(),
        }),
        Id::EC => {
            let ec: EcKey<Private> = key.ec_key()?;
            match ec.group().curve_name() {
                Some(Nid::X9_62_PRIME256V1) => Ok(algorithms::ECDSA_SHA256),
                Some(nid) => Err(KeyError::UnsupportedCurve {
                    found: nid.short_name().unwrap_or("unnamed").to_owned(),
                }),
                None => Err(KeyError::UnsupportedCurve {
                    found: "explicit parameters".to_owned(),
                }),
            }
        }
        other => Err(KeyError::UnsupportedKeyType {
            found: key_type_name(other),
        }),
    }
}

fn key_type_name(id: Id) -> String {
    let name = match id {
        Id::DSA => "DSA",
        Id::DH => "DH",
        Id::ED25519 => "Ed25519",
        Id::ED448 => "Ed448",
        Id::RSA_PSS => "RSA-PSS",
        _ => return format!("key type {}", id.as_raw()),
    };
    name.to_owned()
}

fn subject_text(certificate: &X509) -> String {
    let parts: Vec<String> = certificate
        .subject_name()
        .entries()
        .map(|entry| {
            let field = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_default();
            format!("{field}={value}")
        })
        .collect();
    parts.join(", ")
}

fn colon_hex(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

fn asn1_to_offset(t: &Asn1TimeRef) -> Result<OffsetDateTime, KeyError> {
    let diff = Asn1Time::from_unix(0)?.diff(t)?;
    let seconds = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| KeyError::DateOutOfRange)
}

/// Builds the enveloped `ds:Signature` for the element with `ID` `reference_id`.
///
/// `canonical_element` is that element's exclusive canonical form without
/// its signature, which is what a verifier gets after the enveloped-signature
/// and exc-c14n transforms (XMLDSig 6.6.4, exc-c14n 3). The signature goes
/// over `SignedInfo` canonicalized on its own, which is the in-document
/// `SignedInfo` plus the `xmlns:ds` declaration it inherits from `Signature`.
/// The returned text declares `xmlns:ds` on `ds:Signature` and is meant to be
/// inserted where no `ds` prefix is in scope.
pub fn enveloped_signature(
    key: &SigningKey,
    reference_id: &str,
    canonical_element: &str,
) -> Result<String, EmitError> {
    let digest = BASE64.encode(hash(MessageDigest::sha256(), canonical_element.as_bytes())?);

    let mut standalone = CanonicalWriter::with_capacity(1024);
    write_signed_info(&mut standalone, key.algorithm, reference_id, &digest)?;
    let signature = BASE64.encode(key.sign(standalone.finish().as_bytes())?);

    let mut w = CanonicalWriter::with_capacity(3072);
    w.start(Ns::Ds, "Signature", &[])?;
    write_signed_info(&mut w, key.algorithm, reference_id, &digest)?;
    w.element_with_text(Ns::Ds, "SignatureValue", &[], &signature)?;
    w.start(Ns::Ds, "KeyInfo", &[])?;
    w.start(Ns::Ds, "X509Data", &[])?;
    w.element_with_text(Ns::Ds, "X509Certificate", &[], &key.certificate_base64)?;
    w.end(Ns::Ds, "X509Data");
    w.end(Ns::Ds, "KeyInfo");
    w.end(Ns::Ds, "Signature");
    Ok(w.finish())
}

fn write_signed_info(
    w: &mut CanonicalWriter,
    signature_algorithm: &str,
    reference_id: &str,
    digest: &str,
) -> Result<(), EmitError> {
    let uri = format!("#{reference_id}");
    w.start(Ns::Ds, "SignedInfo", &[])?;
    w.empty_element(
        Ns::Ds,
        "CanonicalizationMethod",
        &[("Algorithm", algorithms::EXC_C14N)],
    )?;
    w.empty_element(
        Ns::Ds,
        "SignatureMethod",
        &[("Algorithm", signature_algorithm)],
    )?;
    w.start(Ns::Ds, "Reference", &[("URI", &uri)])?;
    w.start(Ns::Ds, "Transforms", &[])?;
    w.empty_element(Ns::Ds, "Transform", &[("Algorithm", algorithms::ENVELOPED)])?;
    w.empty_element(Ns::Ds, "Transform", &[("Algorithm", algorithms::EXC_C14N)])?;
    w.end(Ns::Ds, "Transforms");
    w.empty_element(Ns::Ds, "DigestMethod", &[("Algorithm", algorithms::SHA256)])?;
    w.element_with_text(Ns::Ds, "DigestValue", &[], digest)?;
    w.end(Ns::Ds, "Reference");
    w.end(Ns::Ds, "SignedInfo");
    Ok(())
}

/// Keys and an independent signature check shared by the emitters' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::OnceLock;

    use openssl::ec::EcGroup;
    use openssl::pkey::Public;
    use openssl::sign::Verifier;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    use super::*;
    use crate::saml::NS_DSIG;

    /// A freshly generated RSA-2048 key, shared by the tests of a run.
    pub(crate) fn rsa_key() -> &'static SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| {
            SigningKey::generate_self_signed("signet test", 30)
                .unwrap()
                .0
        })
    }

    /// A freshly generated EC P-256 key with a self-signed certificate.
    pub(crate) fn ec_key() -> &'static SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| {
            let (key_pem, cert_pem) = ec_pem(Nid::X9_62_PRIME256V1);
            SigningKey::from_pem(&key_pem, &cert_pem).unwrap()
        })
    }

    /// A self-signed certificate for `key`, as PEM.
    pub(crate) fn self_signed_pem(key: &PKey<Private>) -> Vec<u8> {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::COMMONNAME, "test").unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.set_pubkey(key).unwrap();
        b.sign(key, MessageDigest::sha256()).unwrap();
        b.build().to_pem().unwrap()
    }

    /// A PKCS#8 EC key on `curve` and a certificate for it, as PEM.
    pub(crate) fn ec_pem(curve: Nid) -> (Vec<u8>, Vec<u8>) {
        let group = EcGroup::from_curve_name(curve).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        (
            key.private_key_to_pem_pkcs8().unwrap(),
            self_signed_pem(&key),
        )
    }

    /// What a verified enveloped signature said.
    #[derive(Debug)]
    pub(crate) struct Verified {
        pub reference_uri: String,
        pub certificate_base64: String,
    }

    /// Verifies the first `ds:Signature` inside `element` the way an SP does,
    /// written without our emitting code: cut the signature out, digest the
    /// rest, rebuild the standalone `SignedInfo` and check its signature
    /// with the certificate's public key.
    pub(crate) fn verify_enveloped(element: &str, cert: &X509) -> Result<Verified, String> {
        let start = element.find("<ds:Signature ").ok_or("no ds:Signature")?;
        let len = element[start..]
            .find("</ds:Signature>")
            .ok_or("unterminated ds:Signature")?
            + "</ds:Signature>".len();
        let signature = &element[start..start + len];
        let without = format!("{}{}", &element[..start], &element[start + len..]);

        let fields = signature_fields(signature);
        let digest = BASE64.encode(hash(MessageDigest::sha256(), without.as_bytes()).unwrap());
        if digest != fields.digest_value {
            return Err(format!(
                "digest {digest} != DigestValue {}",
                fields.digest_value
            ));
        }

        let si_start = signature.find("<ds:SignedInfo>").ok_or("no SignedInfo")?;
        let si_end = signature.find("</ds:SignedInfo>").ok_or("no /SignedInfo")?;
        let standalone = format!(
            "<ds:SignedInfo xmlns:ds=\"{NS_DSIG}\">{}",
            &signature[si_start + "<ds:SignedInfo>".len()..si_end + "</ds:SignedInfo>".len()]
        );
        let value = BASE64
            .decode(&fields.signature_value)
            .map_err(|e| e.to_string())?;
        let public = cert.public_key().unwrap();
        let der_value = match fields.signature_method.as_str() {
            algorithms::RSA_SHA256 => value,
            algorithms::ECDSA_SHA256 => p256_to_der(&value)?,
            other => return Err(format!("unexpected SignatureMethod {other}")),
        };
        if !verify(&public, standalone.as_bytes(), &der_value) {
            return Err("SignatureValue does not verify".to_owned());
        }
        Ok(Verified {
            reference_uri: fields.reference_uri,
            certificate_base64: fields.certificate,
        })
    }

    fn verify(public: &PKey<Public>, data: &[u8], signature: &[u8]) -> bool {
        let mut verifier = Verifier::new(MessageDigest::sha256(), public).unwrap();
        verifier.update(data).unwrap();
        verifier.verify(signature).unwrap_or(false)
    }

    fn p256_to_der(value: &[u8]) -> Result<Vec<u8>, String> {
        if value.len() != 2 * P256_SCALAR_LEN {
            return Err(format!("ECDSA value of {} bytes, expected 64", value.len()));
        }
        let r = BigNum::from_slice(&value[..P256_SCALAR_LEN]).unwrap();
        let s = BigNum::from_slice(&value[P256_SCALAR_LEN..]).unwrap();
        Ok(EcdsaSig::from_private_components(r, s)
            .unwrap()
            .to_der()
            .unwrap())
    }

    #[derive(Default)]
    struct SignatureFields {
        reference_uri: String,
        signature_method: String,
        digest_value: String,
        signature_value: String,
        certificate: String,
    }

    fn signature_fields(signature: &str) -> SignatureFields {
        let mut fields = SignatureFields::default();
        let mut reader = Reader::from_str(signature);
        let mut current = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) => {
                    let attr = |name: &[u8]| {
                        e.try_get_attribute(name)
                            .unwrap()
                            .map(|a| a.unescape_value().unwrap().into_owned())
                    };
                    match e.name().as_ref() {
                        b"ds:Reference" => fields.reference_uri = attr(b"URI").unwrap(),
                        b"ds:SignatureMethod" => {
                            fields.signature_method = attr(b"Algorithm").unwrap()
                        }
                        _ => {}
                    }
                    current = e.name().as_ref().to_vec();
                }
                Event::Text(t) => {
                    let text = t.decode().unwrap().into_owned();
                    match current.as_slice() {
                        b"ds:DigestValue" => fields.digest_value = text,
                        b"ds:SignatureValue" => fields.signature_value = text,
                        b"ds:X509Certificate" => fields.certificate = text,
                        _ => {}
                    }
                }
                Event::Eof => return fields,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use openssl::ec::EcGroup;

    #[test]
    fn signing_key_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<SigningKey>();
        shareable::<KeyError>();
    }

    #[test]
    fn generated_key_loads_back_from_its_pem() {
        let (key, key_pem, cert_pem) =
            SigningKey::generate_self_signed("idp.example", 365).unwrap();
        assert!(String::from_utf8_lossy(&key_pem).starts_with("-----BEGIN PRIVATE KEY-----"));
        let loaded = SigningKey::from_pem(&key_pem, &cert_pem).unwrap();

        assert_eq!(loaded.fingerprint_sha256(), key.fingerprint_sha256());
        assert_eq!(loaded.signature_algorithm(), algorithms::RSA_SHA256);
        assert_eq!(loaded.subject(), "CN=idp.example");
        assert_eq!(loaded.certificate_pem().as_bytes(), cert_pem.as_slice());
        assert!(!loaded.certificate_base64().contains('\n'));

        let days = (loaded.not_after() - OffsetDateTime::now_utc()).whole_days();
        assert!((364..=365).contains(&days), "valid for {days} days");
        assert!(loaded.check_validity(OffsetDateTime::now_utc()).is_ok());
    }

    #[test]
    fn generated_certificates_have_distinct_128_bit_serials() {
        let serial = |k: &SigningKey| k.certificate().serial_number().to_bn().unwrap();
        let a = SigningKey::generate_self_signed("a", 1).unwrap().0;
        let b = rsa_key();
        assert_ne!(serial(&a), serial(b));
        assert!(serial(&a).num_bits() <= 128);
    }

    #[test]
    fn fingerprint_is_colon_separated_uppercase_sha256() {
        let fp = rsa_key().fingerprint_sha256();
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.split(':').all(|b| b.len() == 2
            && b.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_lowercase())));
    }

    #[test]
    fn refuses_key_that_does_not_match_certificate() {
        let (_, key_pem, _) = SigningKey::generate_self_signed("one", 1).unwrap();
        let other_cert = rsa_key().certificate_pem();
        let err = SigningKey::from_pem(&key_pem, other_cert.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, KeyError::KeyMismatch { subject } if subject == "CN=signet test"),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_rsa_1024_keys() {
        let key = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
        let err = SigningKey::from_pem(
            &key.private_key_to_pem_pkcs8().unwrap(),
            &self_signed_pem(&key),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::RsaTooShort {
                    expected: 2048,
                    found: 1024
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_ec_keys_on_other_curves() {
        let (key_pem, cert_pem) = ec_pem(Nid::SECP384R1);
        let err = SigningKey::from_pem(&key_pem, &cert_pem).unwrap_err();
        assert!(
            matches!(&err, KeyError::UnsupportedCurve { found } if found == "secp384r1"),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_ed25519_keys() {
        let key = PKey::generate_ed25519().unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::COMMONNAME, "ed").unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::null()).unwrap();
        let cert_pem = b.build().to_pem().unwrap();

        let err =
            SigningKey::from_pem(&key.private_key_to_pem_pkcs8().unwrap(), &cert_pem).unwrap_err();
        assert!(
            matches!(&err, KeyError::UnsupportedKeyType { found } if found == "Ed25519"),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_garbage_pem_naming_which_file() {
        let cert = rsa_key().certificate_pem();
        assert!(matches!(
            SigningKey::from_pem(b"not a key", cert.as_bytes()),
            Err(KeyError::KeyPem(_))
        ));
        let (_, key_pem, _) = SigningKey::generate_self_signed("x", 1).unwrap();
        assert!(matches!(
            SigningKey::from_pem(&key_pem, b"-----BEGIN CERTIFICATE-----\n"),
            Err(KeyError::CertificatePem(_))
        ));
    }

    #[test]
    fn refuses_an_encrypted_private_key_without_asking_for_its_passphrase() {
        let (_, key_pem, cert_pem) = SigningKey::generate_self_signed("enc", 1).unwrap();
        let pkey = PKey::private_key_from_pem(&key_pem).unwrap();
        let cipher = openssl::symm::Cipher::aes_256_cbc();
        let pkcs8 = pkey
            .private_key_to_pem_pkcs8_passphrase(cipher, b"secret")
            .unwrap();
        let legacy = pkey
            .rsa()
            .unwrap()
            .private_key_to_pem_passphrase(cipher, b"secret")
            .unwrap();
        for encrypted in [pkcs8, legacy] {
            assert!(matches!(
                SigningKey::from_pem(&encrypted, &cert_pem),
                Err(KeyError::EncryptedKey)
            ));
        }
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let (key, key_pem, _) = SigningKey::generate_self_signed("debug", 1).unwrap();
        let shown = format!("{key:?}");
        let pem = String::from_utf8(key_pem).unwrap();
        let body_line = pem.lines().nth(1).unwrap();
        assert!(!shown.contains(body_line));
        assert!(!shown.contains("PRIVATE"));
        assert!(shown.contains(&key.fingerprint_sha256()));
        assert!(shown.contains("rsa-sha256"));
        assert!(shown.contains("CN=debug"));
    }

    #[test]
    fn validity_check_reports_expired_and_not_yet_valid() {
        let key = rsa_key();
        let later = key.not_after() + time::Duration::days(1);
        let earlier = key.not_before() - time::Duration::days(1);
        assert!(matches!(
            key.check_validity(later),
            Err(KeyError::Expired { .. })
        ));
        assert!(matches!(
            key.check_validity(earlier),
            Err(KeyError::NotYetValid { .. })
        ));
    }

    #[test]
    fn ecdsa_signature_is_fixed_width_r_and_s_that_verifies() {
        let key = ec_key();
        assert_eq!(key.signature_algorithm(), algorithms::ECDSA_SHA256);
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let public = key.certificate().public_key().unwrap().ec_key().unwrap();
        for _ in 0..20 {
            let value = key.sign(b"data").unwrap();
            assert_eq!(value.len(), 64);
            let r = BigNum::from_slice(&value[..32]).unwrap();
            let s = BigNum::from_slice(&value[32..]).unwrap();
            let sig = EcdsaSig::from_private_components(r, s).unwrap();
            let digest = hash(MessageDigest::sha256(), b"data").unwrap();
            assert!(sig.verify(&digest, &public).unwrap());
            assert_eq!(public.group().curve_name(), group.curve_name());
        }
    }

    #[test]
    fn enveloped_signature_verifies_independently_for_rsa_and_ec() {
        for key in [rsa_key(), ec_key()] {
            let element = concat!(
                r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
                r#"ID="_abc"><saml:Issuer>idp</saml:Issuer></saml:Assertion>"#
            );
            let signature = enveloped_signature(key, "_abc", element).unwrap();
            assert!(signature.starts_with(
                r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#
            ));
            let at = element.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
            let signed = format!("{}{signature}{}", &element[..at], &element[at..]);

            let verified = verify_enveloped(&signed, key.certificate()).unwrap();
            assert_eq!(verified.reference_uri, "#_abc");
            assert_eq!(verified.certificate_base64, key.certificate_base64());

            let tampered = signed.replace(">idp<", ">evil<");
            assert!(verify_enveloped(&tampered, key.certificate()).is_err());
        }
    }
}
