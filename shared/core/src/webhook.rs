//! The webhook a deployment sends its events to, and the Standard Webhooks signature
//! (<https://www.standardwebhooks.com>): `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">` keyed with the bytes of the `whsec_…` secret.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Where events are posted: `INTERVIEWS_WEBHOOK_URL`.
pub const URL_VAR: &str = "INTERVIEWS_WEBHOOK_URL";
/// The signing secret, `whsec_<base64>`: `INTERVIEWS_WEBHOOK_SECRET`.
pub const SECRET_VAR: &str = "INTERVIEWS_WEBHOOK_SECRET";

const SECRET_PREFIX: &str = "whsec_";

/// Why the webhook settings are unusable; fixing the variable is the only remedy.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookConfigError {
    /// One of the two variables is set without the other.
    #[error("{set} is set but {missing} is not; set both (or neither, for no webhook)")]
    Incomplete {
        /// The variable that is set.
        set: &'static str,
        /// The one missing.
        missing: &'static str,
    },
    /// The URL is not `http://` or `https://`.
    #[error("{URL_VAR} must start with http:// or https://")]
    BadUrl,
    /// The secret is not `whsec_` followed by base64 of at least 24 bytes.
    #[error("{SECRET_VAR} must be `whsec_` followed by base64 of 24 to 64 random bytes")]
    BadSecret,
}

/// The signing key, decoded from its `whsec_` form. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl std::str::FromStr for WebhookSecret {
    type Err = WebhookConfigError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let encoded = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(WebhookConfigError::BadSecret)?;
        let key = STANDARD.decode(encoded).map_err(|_| WebhookConfigError::BadSecret)?;
        if !(24..=64).contains(&key.len()) {
            return Err(WebhookConfigError::BadSecret);
        }
        Ok(Self(key))
    }
}

impl WebhookSecret {
    /// The `webhook-signature` header value for one message.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut signed = Vec::with_capacity(message_id.len() + body.len() + 24);
        signed.extend_from_slice(message_id.as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(timestamp.to_string().as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(body);
        format!("v1,{}", STANDARD.encode(hmac_sha256(&self.0, &signed)))
    }
}

/// The deployment's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Where events are posted.
    pub url: String,
    /// The signing key.
    pub secret: WebhookSecret,
}

impl WebhookSettings {
    /// From the process environment; `None` when no webhook is configured.
    pub fn from_env() -> Result<Option<Self>, WebhookConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// From `vars`; `None` when neither variable is set (or both are empty).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Option<Self>, WebhookConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        match (get(URL_VAR), get(SECRET_VAR)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(WebhookConfigError::Incomplete {
                set: URL_VAR,
                missing: SECRET_VAR,
            }),
            (None, Some(_)) => Err(WebhookConfigError::Incomplete {
                set: SECRET_VAR,
                missing: URL_VAR,
            }),
            (Some(url), Some(secret)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(WebhookConfigError::BadUrl);
                }
                Ok(Some(Self {
                    url: url.to_string(),
                    secret: secret.parse()?,
                }))
            }
        }
    }
}

/// HMAC-SHA256 (RFC 2104) for keys up to the block size, which [`WebhookSecret`] guarantees.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector the Standard Webhooks reference libraries test against.
    #[test]
    fn signs_the_reference_libraries_test_vector() {
        let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse().unwrap();
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    /// RFC 4231 test case 1: the HMAC itself, below the secret's minimum key length.
    #[test]
    fn hmac_matches_rfc_4231_case_1() {
        assert_eq!(
            hex::encode(hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn settings_need_both_variables_and_valid_values() {
        let vars = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(WebhookSettings::from_vars(&vars(&[])), Ok(None));
        assert!(matches!(
            WebhookSettings::from_vars(&vars(&[(URL_VAR, "http://x")])),
            Err(WebhookConfigError::Incomplete {
                missing: SECRET_VAR,
                ..
            })
        ));
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        assert_eq!(
            WebhookSettings::from_vars(&vars(&[(URL_VAR, "ftp://x"), (SECRET_VAR, secret)])),
            Err(WebhookConfigError::BadUrl)
        );
        assert_eq!(
            WebhookSettings::from_vars(&vars(&[(URL_VAR, "http://x"), (SECRET_VAR, "whsec_c2hvcnQ=")])),
            Err(WebhookConfigError::BadSecret)
        );
        let ok = WebhookSettings::from_vars(&vars(&[(URL_VAR, "https://hooks.example/x"), (SECRET_VAR, secret)]))
            .unwrap()
            .unwrap();
        assert_eq!(ok.url, "https://hooks.example/x");
        assert!(!format!("{ok:?}").contains("MfKQ"));
    }
}
