//! Webhook signing, the Standard Webhooks scheme (pure): `webhook-signature` is
//! `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// A signing secret. Its bytes never reach a log, an error or `check-config` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// Why a secret is unusable; never contains the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("is empty")]
    Empty,
    #[error("starts with whsec_ but the rest is not base64")]
    NotBase64,
}

impl Secret {
    /// Reads a secret as written in config, an environment variable or a file: `whsec_<base64>`
    /// (the Standard Webhooks form) is decoded; anything else is used as its UTF-8 bytes.
    /// Surrounding whitespace (a file's trailing newline) is ignored.
    ///
    /// # Errors
    /// [`SecretError`] for an empty secret or a `whsec_` secret that is not base64.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SecretError::Empty);
        }
        match text.strip_prefix("whsec_") {
            Some(b64) => {
                let key = STANDARD.decode(b64).map_err(|_| SecretError::NotBase64)?;
                if key.is_empty() { Err(SecretError::Empty) } else { Ok(Self(key)) }
            }
            None => Ok(Self(text.as_bytes().to_vec())),
        }
    }

    /// The `webhook-signature` header value for one attempt.
    ///
    /// # Panics
    /// Never: HMAC accepts keys of any length.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_vector() {
        // The example from the Standard Webhooks specification.
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let sig = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, r#"{"test": 2432232314}"#);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn parsing() {
        assert_eq!(Secret::parse("  \n"), Err(SecretError::Empty));
        assert_eq!(Secret::parse("whsec_!!!"), Err(SecretError::NotBase64));
        assert_eq!(Secret::parse("plain-secret\n").expect("plain").0, b"plain-secret");
        assert_eq!(format!("{:?}", Secret::parse("hunter2").expect("plain")), "Secret(redacted)");
    }

    #[test]
    fn signatures_depend_on_every_part() {
        let s = Secret::parse("k").expect("secret");
        let base = s.sign("a", 1, "b");
        assert_ne!(base, s.sign("a", 2, "b"));
        assert_ne!(base, s.sign("x", 1, "b"));
        assert_ne!(base, s.sign("a", 1, "c"));
        assert_ne!(base, Secret::parse("other").expect("secret").sign("a", 1, "b"));
    }
}
