//! The ACL management codes (`AdminBrokerProcessor.updateAndCreateAccessConfig`,
//! `deleteAccessConfig`, `updateGlobalWhiteAddrsConfig`, `getBrokerAclConfigVersion`,
//! `getBrokerClusterAclConfig`); the file work is `crate::acl::AclManager`'s.
//!
//! With `aclEnable=false` Java's processor finds no validator: the three changes answer their
//! FAILED code with the NullPointerException's message (JVM-dependent, `null` on Java 8) and
//! the two reads answer nothing at all (the client times out). Rocklet answers the same codes,
//! and SYSTEM_ERROR for the reads, with [`NOT_ENABLED`] (docs/differences.md).

use rocklet_protocol::body::encode_json;
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;

use super::super::{fail, ok, Res, B};
use crate::acl::{java_split, AccountUpdate};

/// The remark when the broker runs without `aclEnable`.
pub(crate) const NOT_ENABLED: &str =
    "The broker does not enable ACL (aclEnable=false): no ACL config to read or change";

pub(in crate::processor) fn update_and_create(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: CreateAccessConfigRequestHeader = req.header()?;
    let code = ResponseCode::UPDATE_AND_CREATE_ACL_CONFIG_FAILED;
    let Some(acl) = &b.acl else {
        return Ok(fail(req, code, NOT_ENABLED));
    };
    // The string fields as sent: Java keeps an empty string (the typed header reads it as absent).
    let raw = |k: &str| req.ext_fields.get(k).map(str::to_owned);
    let u = AccountUpdate {
        access_key: Some(h.access_key.clone()),
        secret_key: raw("secretKey"),
        white_remote_address: raw("whiteRemoteAddress"),
        admin: h.admin.unwrap_or(false),
        default_topic_perm: raw("defaultTopicPerm"),
        default_group_perm: raw("defaultGroupPerm"),
        topic_perms: raw("topicPerms").map(|s| java_split(&s, ',')),
        group_perms: raw("groupPerms").map(|s| java_split(&s, ',')),
    };
    tracing::info!(peer = %ctx.peer, access_key = %h.access_key, "UPDATE_AND_CREATE_ACL_CONFIG");
    Ok(match acl.update_account(&u) {
        Ok(true) => ok(req),
        Ok(false) => fail(
            req,
            code,
            format!(
                "The accesskey[{}] corresponding to accessConfig has been updated failed.",
                h.access_key
            ),
        ),
        Err(e) => fail(req, code, e),
    })
}

pub(in crate::processor) fn delete(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: DeleteAccessConfigRequestHeader = req.header()?;
    let code = ResponseCode::DELETE_ACL_CONFIG_FAILED;
    let Some(acl) = &b.acl else {
        return Ok(fail(req, code, NOT_ENABLED));
    };
    tracing::info!(peer = %ctx.peer, access_key = %h.access_key, "DELETE_ACL_CONFIG");
    Ok(match acl.delete_account(&h.access_key) {
        Ok(true) => ok(req),
        Ok(false) => fail(
            req,
            code,
            format!(
                "The accesskey[{}] corresponding to accessConfig has been deleted failed.",
                h.access_key
            ),
        ),
        Err(e) => fail(req, code, e),
    })
}

pub(in crate::processor) fn update_global_white(
    b: &B,
    ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    let h: UpdateGlobalWhiteAddrsConfigRequestHeader = req.header()?;
    let code = ResponseCode::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED;
    let Some(acl) = &b.acl else {
        return Ok(fail(req, code, NOT_ENABLED));
    };
    tracing::info!(peer = %ctx.peer, addrs = %h.global_white_addrs, "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG");
    Ok(
        match acl.update_global_white(&java_split(&h.global_white_addrs, ',')) {
            Ok(true) => ok(req),
            Ok(false) => fail(
                req,
                code,
                format!(
                    "The globalWhiteAddresses[{}] has been updated failed.",
                    h.global_white_addrs
                ),
            ),
            Err(e) => fail(req, code, e),
        },
    )
}

/// fastjson's `{"counter":N,"timestamp":MS}`.
fn version_json(v: &rocklet_protocol::body::DataVersion) -> String {
    format!(
        "{{\"counter\":{},\"timestamp\":{}}}",
        v.counter, v.timestamp
    )
}

pub(in crate::processor) fn version_info(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let Some(acl) = &b.acl else {
        return Ok(fail(req, ResponseCode::SYSTEM_ERROR, NOT_ENABLED));
    };
    let (version, files) = acl.versions();
    let all: Vec<String> = files
        .iter()
        .map(|(path, v)| {
            format!(
                "{}:{}",
                serde_json::to_string(path).unwrap_or_default(),
                version_json(v)
            )
        })
        .collect();
    Ok(ok(req).with_header(&GetBrokerAclConfigResponseHeader {
        version: version_json(&version),
        all_acl_file_version: Some(format!("{{{}}}", all.join(","))),
        broker_name: b.cfg.broker_name.clone(),
        broker_addr: b.addr.clone(),
        cluster_name: b.cfg.broker_cluster_name.clone(),
    }))
}

pub(in crate::processor) fn all_config(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let Some(acl) = &b.acl else {
        return Ok(fail(req, ResponseCode::SYSTEM_ERROR, NOT_ENABLED));
    };
    Ok(match acl.all_config() {
        Ok(c) => ok(req).with_body(encode_json(&c)),
        Err(e) => fail(req, ResponseCode::SYSTEM_ERROR, e),
    })
}
