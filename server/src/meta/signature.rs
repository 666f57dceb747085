//! `X-Hub-Signature-256`: Meta signs every webhook POST with HMAC-SHA256 of the raw body under
//! the app secret. The check runs on the bytes as received, before any parsing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    Missing,
    /// Not `sha256=` followed by 64 hex digits.
    Malformed,
    /// Well formed, but no configured secret produced it.
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SignatureError::Missing => "missing X-Hub-Signature-256 header",
            SignatureError::Malformed => "X-Hub-Signature-256 is not `sha256=` and 64 hex digits",
            SignatureError::Mismatch => "X-Hub-Signature-256 does not match the body",
        })
    }
}

/// `sha256=` and the lowercase hex HMAC-SHA256 of `body` under `secret`: the header value
/// Meta sends.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks `header` against `body` under each of `secrets` (Meta may sign with either of two
/// app secrets). The comparison is constant-time ([`Mac::verify_slice`]).
pub fn verify(
    secrets: &[String],
    header: Option<&[u8]>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let digest = header
        .strip_prefix(b"sha256=")
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(SignatureError::Malformed)?;
    let matches = secrets.iter().any(|secret| {
        let mut mac = mac(secret);
        mac.update(body);
        mac.verify_slice(&digest).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length")
}
