//! ACL request signing, as Java's `AclClientRPCHook` (client side) and
//! `PlainAccessValidator.parse` + `AclUtils.combineRequestContent` (broker side) compute it:
//! HmacSHA1 over the values of the request's ext fields sorted by key (without `Signature` and
//! `_UNIQUE_KEY_QUERY`), followed by the body, Base64-encoded.

use crate::RemotingCommand;
use base64::Engine;
use hmac::{Hmac, Mac};

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

/// The signed values of `fields` in key order (later duplicates win, as in Java's map),
/// `Signature` and `_UNIQUE_KEY_QUERY` left out. A sorted vector, not a map: a request has a
/// dozen fields and this runs twice per request (client and broker).
fn signed_values<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<&'a str> {
    let mut v: Vec<(&str, &str)> = fields
        .into_iter()
        .filter(|(k, _)| *k != SIGNATURE && *k != UNIQUE_MSG_QUERY_FLAG)
        .collect();
    // Stable: equal keys keep their order, so the last of each run is the later duplicate.
    v.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::with_capacity(v.len());
    for (i, (k, val)) in v.iter().enumerate() {
        if v.get(i + 1).is_none_or(|(next, _)| next != k) {
            out.push(*val);
        }
    }
    out
}

/// The signed bytes: the values of `fields` in key order (later duplicates win, as in Java's
/// map), `Signature` and `_UNIQUE_KEY_QUERY` left out, then `body`.
pub fn signed_content<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
) -> Vec<u8> {
    let values = signed_values(fields);
    let mut out = Vec::with_capacity(values.iter().map(|v| v.len()).sum::<usize>() + body.len());
    for v in values {
        out.extend_from_slice(v.as_bytes());
    }
    out.extend_from_slice(body);
    out
}

fn mac(secret_key: &str) -> Hmac<sha1::Sha1> {
    // HMAC takes a key of any length.
    Hmac::<sha1::Sha1>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC accepts keys of any length")
}

/// `AclUtils.calSignature`: Base64(HmacSHA1(secret_key, data)).
pub fn signature(data: &[u8], secret_key: &str) -> String {
    let mut mac = mac(secret_key);
    mac.update(data);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The signature of a request's fields and body, fed to the MAC piece by piece (the same
/// bytes as [`signed_content`], without copying the body).
fn request_signature(cmd: &RemotingCommand, secret_key: &str) -> String {
    let mut mac = mac(secret_key);
    for v in signed_values(cmd.ext_fields.iter()) {
        mac.update(v.as_bytes());
    }
    mac.update(cmd.body_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `AclClientRPCHook.doBeforeRequest`: add `AccessKey` (and `SecurityToken`) to the request's
/// fields, sign them with the body, add `Signature`.
pub fn sign_request(cmd: &mut RemotingCommand, creds: &SessionCredentials) {
    cmd.ext_fields.insert(ACCESS_KEY, &creds.access_key);
    if let Some(t) = &creds.security_token {
        cmd.ext_fields.insert(SECURITY_TOKEN, t);
    }
    let sig = request_signature(cmd, &creds.secret_key);
    cmd.ext_fields.insert(SIGNATURE, sig);
}

/// The broker's check of a request's `Signature` against the account's secret key.
pub fn verify_request(cmd: &RemotingCommand, secret_key: &str) -> bool {
    let expected = request_signature(cmd, secret_key);
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
        let dup = [("b", "x"), ("a", "1"), ("b", "y"), ("c", "3"), ("b", "z")];
        assert_eq!(signed_content(dup, b""), b"1z3");
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
