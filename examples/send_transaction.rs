//! Transactional send: the half message is stored invisible, the local transaction runs, and
//! its outcome (commit / rollback) is sent with END_TRANSACTION. An UNKNOW outcome is resolved
//! later when the broker asks `check_local_transaction`.
//!
//! `cargo run --example send_transaction`

mod common;
use rocklet_client::{
    LocalTransactionState, Message, MessageExt, ProducerConfig, TransactionListener,
    TransactionMQProducer, TxArg,
};

struct Orders;

impl TransactionListener for Orders {
    fn execute_local_transaction(
        &self,
        msg: &Message,
        _arg: Option<&TxArg>,
    ) -> LocalTransactionState {
        // Write the order to the local database here; commit the message only if that worked.
        if msg.keys() == Some("order-2") {
            LocalTransactionState::ROLLBACK_MESSAGE
        } else {
            LocalTransactionState::COMMIT_MESSAGE
        }
    }
    fn check_local_transaction(&self, _msg: &MessageExt) -> LocalTransactionState {
        // Look the order up in the local database.
        LocalTransactionState::COMMIT_MESSAGE
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer = TransactionMQProducer::new(
        ProducerConfig::new("example_tx").with_namesrv(&t.namesrv),
        Orders,
    );
    producer.start().await?;
    for i in 1..=3 {
        let msg = Message::new("OrderEvents", format!("order-{i} created"))
            .with_keys([format!("order-{i}")]);
        let r = producer.send_message_in_transaction(msg, None).await?;
        println!(
            "order-{i}: half message {:?}, local transaction {:?}",
            r.send_result.send_status, r.local_transaction_state
        );
    }
    producer.shutdown().await;
    Ok(())
}
