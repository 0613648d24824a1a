//! `ClientManageProcessor`: HEART_BEAT and UNREGISTER_CLIENT.

use rocklet_protocol::body::{decode_json, HeartbeatData};
use rocklet_protocol::header::*;
use rocklet_protocol::route::perm;
use rocklet_protocol::RemotingCommand;
use rocklet_remoting::ConnCtx;

use super::{ok, Res, B};
use crate::clients::ClientHello;
use crate::topic::RETRY_GROUP_TOPIC_PREFIX;

pub(super) fn heartbeat(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let hb: HeartbeatData = decode_json(req.body_bytes())?;
    let hello = ClientHello {
        client_id: &hb.client_id,
        ctx,
        language: req.language,
        version: req.version,
    };
    for p in &hb.producer_data_set {
        b.clients.register_producer(&p.group_name, &hello);
    }
    for c in &hb.consumer_data_set {
        // Java: the group's settings (auto-created with `autoCreateSubscriptionGroup`) give the
        // retry topic's queue count and whether members hear of each other's changes.
        let mut notify = true;
        if let Some(sg) = b.subscriptions.find_or_create(&c.group_name) {
            notify = sg.notify_consumer_ids_changed_enable;
            let retry = format!("{RETRY_GROUP_TOPIC_PREFIX}{}", c.group_name);
            let queues = sg.retry_queue_nums.max(1);
            let (_, created) = b
                .topics
                .create_system(&retry, queues, perm::READ | perm::WRITE);
            if created {
                b.register_now.notify_one();
            }
        }
        b.filters
            .register_group(&c.group_name, &c.subscription_data_set);
        if b.clients.register_consumer(c, &hello) && notify {
            b.clients.notify_consumer_ids_changed(&c.group_name);
        }
    }
    Ok(ok(req))
}

pub(super) fn unregister_client(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: UnregisterClientRequestHeader = req.header()?;
    if b.clients.unregister(
        &h.client_id,
        h.producer_group.as_deref(),
        h.consumer_group.as_deref(),
    ) {
        if let Some(g) = &h.consumer_group {
            if b.clients.consumer_connection(g).is_none() {
                b.filters.unregister_group(g);
            }
            b.clients.notify_consumer_ids_changed(g);
        }
    }
    Ok(ok(req))
}

/// CHECK_CLIENT_CONFIG (`checkClientConfig`): whether the broker can filter the way a consumer
/// subscribes, asked by a push consumer at start. TAG is always fine; SQL92 needs
/// `enablePropertyFilter` and an expression that compiles (else SUBSCRIPTION_PARSE_FAILED with
/// the parser's message).
pub(super) fn check_client_config(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct CheckClientRequestBody {
        subscription_data: Option<rocklet_protocol::body::SubscriptionData>,
    }
    let body: CheckClientRequestBody = decode_json(req.body_bytes())?;
    let Some(sub) = body.subscription_data else {
        return Ok(ok(req));
    };
    let kind = sub.expression_type.clone().unwrap_or_default();
    if crate::filter::is_tag_type(Some(&kind)) {
        return Ok(ok(req));
    }
    if !b.cfg.enable_property_filter {
        return Ok(super::fail(
            req,
            rocklet_protocol::ResponseCode::SYSTEM_ERROR,
            format!("The broker does not support consumer to filter message by {kind}"),
        ));
    }
    if let Err(e) = crate::filter::compile(&kind, &sub.sub_string) {
        return Ok(super::fail(
            req,
            rocklet_protocol::ResponseCode::SUBSCRIPTION_PARSE_FAILED,
            e,
        ));
    }
    Ok(ok(req))
}
