//! Authentication of platform calls: Telegram's secret-token header and Meta's
//! `X-Hub-Signature-256` HMAC over the raw body, both compared in constant time.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// True when `given` equals `expected`, in time independent of where they differ (both are
/// hashed first, so the length does not leak either).
pub fn secret_matches(given: &[u8], expected: &[u8]) -> bool {
    if expected.is_empty() {
        return false;
    }
    let a = Sha256::digest(given);
    let b = Sha256::digest(expected);
    a.ct_eq(&b).into()
}

/// Checks an `X-Hub-Signature-256` header value (`sha256=<hex>`) against the HMAC-SHA256 of
/// `body` keyed with the app secret.
pub fn meta_signature_valid(header: Option<&str>, body: &[u8], app_secret: &str) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&sig).is_ok()
}

/// The header value Meta would send for `body` (used by tests and tools).
pub fn meta_signature(body: &[u8], app_secret: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trip_and_tamper() {
        let body = br#"{"object":"page"}"#;
        let sig = meta_signature(body, "s3cret");
        assert!(meta_signature_valid(Some(&sig), body, "s3cret"));
        assert!(!meta_signature_valid(
            Some(&sig),
            b"{\"object\":\"pagE\"}",
            "s3cret"
        ));
        assert!(!meta_signature_valid(Some(&sig), body, "other"));
        assert!(!meta_signature_valid(None, body, "s3cret"));
        assert!(!meta_signature_valid(Some("sha256=zz"), body, "s3cret"));
        assert!(!meta_signature_valid(Some(&sig[7..]), body, "s3cret"));
    }

    #[test]
    fn secrets() {
        assert!(secret_matches(b"abc", b"abc"));
        assert!(!secret_matches(b"abd", b"abc"));
        assert!(!secret_matches(b"", b""));
    }
}
