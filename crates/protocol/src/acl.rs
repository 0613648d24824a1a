//! ACL request signing, as Java's `AclClientRPCHook` (client side) and
//! `PlainAccessValidator.parse` + `AclUtils.combineRequestContent` (broker side) compute it:
//! HmacSHA1 over the values of the request's ext fields sorted by key (without `Signature` and
//! `_UNIQUE_KEY_QUERY`), followed by the body, Base64-encoded.

use crate::RemotingCommand;
use base64::Engine;
use hmac::{Hmac, Mac};
use std::collections::BTreeMap;

/// `SessionCredentials.ACCESS_KEY`.
pub const ACCESS_KEY: &str = "AccessKey";
/// `SessionCredentials.SECRET_KEY`.
pub const SECRET_KEY: &str = "SecretKey";
/// `SessionCredentials.SIGNATURE`.
pub const SIGNATURE: &str = "Signature";
/// `SessionCredentials.SECURITY_TOKEN`.
pub const SECURITY_TOKEN: &str = "SecurityToken";
/// `MixAll.UNIQUE_MSG_QUERY_FLAG`: added to QUERY_MESSAGE outside the header, never signed.
pub const UNIQUE_MSG_QUERY_FLAG: &str = "_UNIQUE_KEY_QUERY";

/// A client's ACL identity (Java `SessionCredentials`).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    pub access_key: String,
    pub secret_key: String,
    pub security_token: Option<String>,
}

impl SessionCredentials {
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        SessionCredentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
        }
    }
}

impl std::fmt::Debug for SessionCredentials {
    /// The secret key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// The signed bytes: the values of `fields` in key order (later duplicates win, as in Java's
/// map), `Signature` and `_UNIQUE_KEY_QUERY` left out, then `body`.
pub fn signed_content<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
) -> Vec<u8> {
    let mut sorted = BTreeMap::new();
    for (k, v) in fields {
        if k != SIGNATURE && k != UNIQUE_MSG_QUERY_FLAG {
            sorted.insert(k, v);
        }
    }
    let mut out = Vec::with_capacity(sorted.values().map(|v| v.len()).sum::<usize>() + body.len());
    for v in sorted.values() {
        out.extend_from_slice(v.as_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// `AclUtils.calSignature`: Base64(HmacSHA1(secret_key, data)).
pub fn signature(data: &[u8], secret_key: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(data);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `AclClientRPCHook.doBeforeRequest`: add `AccessKey` (and `SecurityToken`) to the request's
/// fields, sign them with the body, add `Signature`.
pub fn sign_request(cmd: &mut RemotingCommand, creds: &SessionCredentials) {
    cmd.ext_fields.insert(ACCESS_KEY, &creds.access_key);
    if let Some(t) = &creds.security_token {
        cmd.ext_fields.insert(SECURITY_TOKEN, t);
    }
    let content = signed_content(cmd.ext_fields.iter(), cmd.body_bytes());
    let sig = signature(&content, &creds.secret_key);
    cmd.ext_fields.insert(SIGNATURE, sig);
}

/// The broker's check of a request's `Signature` against the account's secret key.
pub fn verify_request(cmd: &RemotingCommand, secret_key: &str) -> bool {
    let content = signed_content(cmd.ext_fields.iter(), cmd.body_bytes());
    let expected = signature(&content, secret_key);
    cmd.ext_fields.get(SIGNATURE) == Some(expected.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_sorted_without_signature() {
        let f = [
            ("b", "2"),
            ("Signature", "x"),
            ("a", "1"),
            ("b", "3"),
            ("_UNIQUE_KEY_QUERY", "t"),
        ];
        assert_eq!(signed_content(f, b"body"), b"13body");
    }

    #[test]
    fn sign_then_verify() {
        let mut cmd = RemotingCommand::request_bare(10);
        cmd.ext_fields.insert("topic", "T");
        cmd.body = Some(bytes::Bytes::from_static(b"hello"));
        let c = SessionCredentials::new("RocketMQ", "12345678");
        sign_request(&mut cmd, &c);
        assert!(verify_request(&cmd, "12345678"));
        assert!(!verify_request(&cmd, "wrong-secret"));
        cmd.ext_fields.insert("topic", "U");
        assert!(!verify_request(&cmd, "12345678"));
    }
}
