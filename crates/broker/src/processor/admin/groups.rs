//! Subscription groups: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
//! DELETE_SUBSCRIPTIONGROUP.

use rocklet_protocol::body::{decode_json, encode_json, SubscriptionGroupConfig};
use rocklet_protocol::header::DeleteSubscriptionGroupRequestHeader;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;

use super::super::{fail, ok, Res, B};

pub(in crate::processor) fn update(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let c: SubscriptionGroupConfig = decode_json(req.body_bytes())?;
    if c.group_name.is_empty() {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            "the subscription group config has no groupName",
        ));
    }
    tracing::info!(group = %c.group_name, peer = %_ctx.peer, "update subscription group");
    b.subscriptions.update(c);
    Ok(ok(req))
}

pub(in crate::processor) fn all(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    Ok(ok(req).with_body(encode_json(&b.subscriptions.snapshot())))
}

pub(in crate::processor) fn delete(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: DeleteSubscriptionGroupRequestHeader = req.header()?;
    tracing::info!(group = %h.group_name, peer = %ctx.peer, "delete subscription group");
    b.subscriptions.delete(&h.group_name);
    if h.remove_offset == Some(true) {
        b.offsets.remove_group(&h.group_name);
    }
    Ok(ok(req))
}
