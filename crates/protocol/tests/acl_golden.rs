//! ACL signatures against vectors printed by the real 4.9.3 `AclUtils` / `AclClientRPCHook`
//! (`interop/golden/acl_signature.txt`, from `rocklet.interop.AclSignVector`).

use rocklet_protocol::acl::{self, SessionCredentials};
use rocklet_protocol::RemotingCommand;
use std::collections::BTreeMap;

fn golden() -> BTreeMap<String, String> {
    let text = include_str!("../../../interop/golden/acl_signature.txt");
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.replace("\\u0001", "\u{1}").replace("\\u0002", "\u{2}");
            (k.to_owned(), v)
        })
        .collect()
}

#[test]
fn plain_signature_matches_java() {
    let g = golden();
    assert_eq!(
        acl::signature(g["plain.data"].as_bytes(), &g["plain.secret"]),
        g["plain.signature"]
    );
}

#[test]
fn signed_send_request_matches_java() {
    let g = golden();
    let mut cmd = RemotingCommand::request_bare(310);
    for (k, v) in &g {
        if let Some(f) = k.strip_prefix("send.field.") {
            if f != "AccessKey" && f != "Signature" {
                cmd.ext_fields.push(f, v);
            }
        }
    }
    cmd.body = Some(bytes::Bytes::from(g["send.body"].clone().into_bytes()));
    acl::sign_request(
        &mut cmd,
        &SessionCredentials::new("RocketMQ", &g["send.secret"]),
    );
    assert_eq!(
        cmd.ext_fields.get("Signature"),
        Some(g["send.field.Signature"].as_str())
    );
    assert_eq!(cmd.ext_fields.get("AccessKey"), Some("RocketMQ"));
    assert!(acl::verify_request(&cmd, &g["send.secret"]));
}
