//! `ConsumerManageProcessor`: the group's consumer list and its committed offsets.

use rocklet_protocol::body::{encode_json, ConsumerIdList};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;

use super::{fail, ok, Res, B};

pub(super) fn consumer_list(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: GetConsumerListByGroupRequestHeader = req.header()?;
    let ids = b.clients.consumer_ids(&h.consumer_group);
    if ids.is_empty() {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("no consumer for this group, {}", h.consumer_group),
        ));
    }
    Ok(ok(req).with_body(encode_json(&ConsumerIdList {
        consumer_id_list: ids,
    })))
}

pub(super) fn query_consumer_offset(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: QueryConsumerOffsetRequestHeader = req.header()?;
    let offset = b.offsets.query(&h.consumer_group, &h.topic, h.queue_id);
    if offset >= 0 {
        return Ok(ok(req).with_header(&OffsetResponseHeader { offset }));
    }
    // Java: a group that never committed starts at 0 while the queue still begins at 0 and its
    // first message is not "in disk" (further behind than accessMessageInMemoryMaxRatio of
    // memory); the client's consumeFromWhere decides otherwise.
    if b.store.min_offset_in_queue(&h.topic, h.queue_id) <= 0
        && !b.store.in_disk_by_consume_offset(&h.topic, h.queue_id, 0)
    {
        return Ok(ok(req).with_header(&OffsetResponseHeader { offset: 0 }));
    }
    Ok(fail(
        req,
        ResponseCode::QUERY_NOT_FOUND,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    ))
}

pub(super) fn update_consumer_offset(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: UpdateConsumerOffsetRequestHeader = req.header()?;
    b.offsets
        .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    Ok(ok(req))
}
