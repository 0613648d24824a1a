//! `QueryMessageProcessor`: QUERY_MESSAGE (by key or unique key) and VIEW_MESSAGE_BY_ID.

use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;

use super::{concat, fail, now_ms, ok, Res, B};

pub(super) fn query_message(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let mut h: QueryMessageRequestHeader = req.header()?;
    if h.unique_key_query == Some(true) {
        h.max_num = b.cfg.default_query_max_num;
    }
    let recs = b.store.query_message(
        &h.topic,
        &h.key,
        h.max_num.clamp(1, 64) as usize,
        h.begin_timestamp,
        h.end_timestamp,
    );
    let header = QueryMessageResponseHeader {
        index_last_update_timestamp: now_ms(),
        index_last_update_phyoffset: b.store.commit_log_max_offset(),
    };
    if recs.is_empty() {
        return Ok(fail(
            req,
            ResponseCode::QUERY_NOT_FOUND,
            "can not find message, maybe time range not correct",
        )
        .with_header(&header));
    }
    Ok(ok(req).with_header(&header).with_body(concat(&recs)))
}

pub(super) fn view_message_by_id(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: ViewMessageRequestHeader = req.header()?;
    Ok(match b.store.look_message_by_offset(h.offset) {
        Some(rec) => ok(req).with_body(rec),
        None => fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("can not find message by the offset, {}", h.offset),
        ),
    })
}
