//! GET_BROKER_CONFIG and UPDATE_BROKER_CONFIG (see `crate::settings`).

use rocklet_protocol::body::parse_properties_text;
use rocklet_protocol::header::GetBrokerConfigResponseHeader;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;

use super::super::{fail, ok, Res, B};

pub(in crate::processor) fn get(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let (version, text) = b.settings.render();
    Ok(ok(req)
        .with_header(&GetBrokerConfigResponseHeader {
            version: Some(version),
        })
        .with_body(text.into_bytes()))
}

pub(in crate::processor) fn update(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let body = req.body_bytes();
    if body.is_empty() {
        return Ok(ok(req));
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            "string2Properties error: the body is not UTF-8",
        ));
    };
    let pairs = match parse_properties_text(text) {
        Ok(p) => p,
        Err(e) => {
            return Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("string2Properties error: {e}"),
            ))
        }
    };
    let changed = b.settings.update(&pairs);
    tracing::info!(peer = %ctx.peer, ?changed, "broker config updated (effective at the next start)");
    Ok(ok(req))
}
