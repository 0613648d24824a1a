//! The broker's config files (consumer offsets, topics) across restarts: the `.bak` Java keeps
//! is used when the file is damaged, and a broker whose file and backup are both damaged
//! refuses to start, naming the file, instead of resetting every offset.

mod common;

use common::*;
use rocklet_protocol::header::{OffsetResponseHeader, UpdateConsumerOffsetRequestHeader};
use rocklet_protocol::{RemotingCommand, RequestCode};

fn commit(group: &str, topic: &str, q: i32, offset: i64) -> RemotingCommand {
    RemotingCommand::request(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id: q,
            commit_offset: offset,
        },
    )
}

async fn stored_offset(e: &Env, group: &str, topic: &str, q: i32) -> Option<i64> {
    let r = e.call(query_offset(group, topic, q)).await;
    (r.code == 0).then(|| r.header::<OffsetResponseHeader>().unwrap().offset)
}

#[tokio::test]
async fn damaged_offsets_fall_back_to_bak_or_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = dir.path().join("config/consumerOffset.json");
    let bak = dir.path().join("config/consumerOffset.json.bak");

    // Two clean shutdowns: the file holds 7, its backup the offsets of the first one (5).
    let e = start(config(dir.path())).await;
    send_ok(&e, send_v1("T", 0, "a", b"x")).await;
    assert_eq!(e.call(commit("g", "T", 0, 5)).await.code, 0);
    e.broker.shutdown().await;
    let e = start(config(dir.path())).await;
    assert_eq!(stored_offset(&e, "g", "T", 0).await, Some(5));
    assert_eq!(e.call(commit("g", "T", 0, 7)).await.code, 0);
    e.broker.shutdown().await;
    assert!(std::fs::read_to_string(&offsets).unwrap().contains("7"));
    assert!(bak.exists());
    // No temp file is left in config/.
    for entry in std::fs::read_dir(dir.path().join("config")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.contains(".tmp"), "{name}");
    }

    // A torn file: the broker starts from the backup, not from nothing.
    std::fs::write(&offsets, b"{\"offsetTable\":{\"T@g\":{0:").unwrap();
    let e = start(config(dir.path())).await;
    let got = stored_offset(&e, "g", "T", 0).await;
    assert!(got == Some(5) || got == Some(7), "{got:?}");
    e.broker.shutdown().await;

    // File and backup both damaged: refused, with the file's name in the error.
    std::fs::write(&offsets, b"garbage").unwrap();
    std::fs::write(&bak, b"garbage too").unwrap();
    let err = match rocklet_broker::Broker::start(config(dir.path())).await {
        Ok(_) => panic!("a broker with damaged offsets must not start"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("consumerOffset.json"), "{err}");

    // The operator removes the damaged pair: the broker starts (offsets gone, knowingly).
    std::fs::remove_file(&offsets).unwrap();
    std::fs::remove_file(&bak).unwrap();
    let e = start(config(dir.path())).await;
    // No stored offset: Java's answer for a queue whose first message is still in memory.
    assert_eq!(stored_offset(&e, "g", "T", 0).await, Some(0));
    e.broker.shutdown().await;
}
