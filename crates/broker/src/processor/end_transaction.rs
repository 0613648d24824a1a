//! `EndTransactionProcessor`: END_TRANSACTION (the decision itself is in `crate::transaction`).

use rocklet_protocol::RemotingCommand;
use rocklet_remoting::ConnCtx;

use super::{BoxFuture, Res, B};

pub(super) fn end_transaction<'a>(
    b: &'a B,
    ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move {
        crate::transaction::end_transaction(b, ctx, req)
            .await
            .map(Ok)
    })
}
