//! A cursor over one system queue (the transaction half and op queues, the delay levels): the
//! three loops that page through them read the store the same way, handling a short read, a
//! corrected offset and an unreadable record once, here.

use std::collections::VecDeque;

use bytes::Bytes;
use rocklet_protocol::message::MessageExt;
use rocklet_store::{GetStatus, MessageStore};

/// What the next read of a [`QueueCursor`] found.
// One item per read, handled at once and never stored in bulk: the message stays inline.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Item {
    /// The message at `offset` (the cursor now stands after it).
    Message { offset: i64, msg: MessageExt },
    /// The record at `offset` does not decode; the cursor stands after it.
    Unreadable { offset: i64, error: String },
    /// The offset was outside the queue (Java `correctDelayOffset`); the cursor moved to the
    /// queue's edge `to`. `past_end` when it was beyond the end (nothing more to read now).
    Corrected { from: i64, to: i64, past_end: bool },
    /// Nothing more in the queue for now.
    End,
}

/// Reads `topic`/`queue_id` from `offset` on, `batch` messages per store read.
pub(crate) struct QueueCursor<'a> {
    store: &'a MessageStore,
    topic: &'a str,
    queue_id: i32,
    batch: i32,
    /// The next offset to read: every item before it was returned.
    pub(crate) offset: i64,
    buffered: VecDeque<Bytes>,
}

impl<'a> QueueCursor<'a> {
    pub(crate) fn new(
        store: &'a MessageStore,
        topic: &'a str,
        queue_id: i32,
        offset: i64,
        batch: i32,
    ) -> Self {
        QueueCursor {
            store,
            topic,
            queue_id,
            batch: batch.max(1),
            offset,
            buffered: VecDeque::new(),
        }
    }

    /// Moves to `offset` without reading what lies between.
    pub(crate) fn skip_to(&mut self, offset: i64) {
        self.buffered.clear();
        self.offset = offset;
    }

    /// The next item. A read that finds entries whose records are gone skips past them.
    pub(crate) fn next_item(&mut self) -> Item {
        while self.buffered.is_empty() {
            let got =
                self.store
                    .get_message(self.topic, self.queue_id, self.offset, self.batch, None);
            match got.status {
                GetStatus::Found if !got.messages.is_empty() => self.buffered = got.messages.into(),
                GetStatus::OffsetTooSmall | GetStatus::OffsetOverflowBadly => {
                    let from = self.offset;
                    self.offset = got.next_begin_offset;
                    return Item::Corrected {
                        from,
                        to: self.offset,
                        past_end: got.status == GetStatus::OffsetOverflowBadly,
                    };
                }
                GetStatus::NoMessageInQueue
                | GetStatus::OffsetOverflowOne
                | GetStatus::NoMatchedLogicQueue => return Item::End,
                // Entries without a readable record (Found but empty, offset found null, being
                // removed): step over them, but never backwards or in place.
                _ => {
                    let next = got.next_begin_offset.max(self.offset + 1);
                    if next >= self.store.max_offset_in_queue(self.topic, self.queue_id) {
                        self.offset = next;
                        return Item::End;
                    }
                    self.offset = next;
                }
            }
        }
        let rec = self.buffered.pop_front().unwrap_or_default();
        let offset = self.offset;
        self.offset += 1;
        match MessageExt::decode(&rec) {
            Ok((msg, _)) => Item::Message { offset, msg },
            Err(e) => Item::Unreadable {
                offset,
                error: e.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocklet_store::{PutMessage, StoreConfig};

    #[tokio::test]
    async fn reads_every_message_once_and_corrects_out_of_range_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let store = MessageStore::open(StoreConfig {
            root_dir: dir.path().to_path_buf(),
            mapped_file_size_commit_log: 64 * 1024,
            ..StoreConfig::default()
        })
        .unwrap();
        for i in 0..7 {
            let m = PutMessage {
                topic: "SYS_Q".into(),
                body: Bytes::from(format!("m{i}")),
                ..PutMessage::default()
            };
            store.put_message(m).await.unwrap();
        }
        // Batches of 3 over 7 messages: every offset once, in order, then End.
        let mut c = QueueCursor::new(&store, "SYS_Q", 0, 0, 3);
        let mut seen = Vec::new();
        loop {
            match c.next_item() {
                Item::Message { offset, msg } => {
                    assert_eq!(offset, msg.queue_offset);
                    seen.push(String::from_utf8(msg.raw_body.to_vec()).unwrap());
                }
                Item::End => break,
                _ => panic!("unexpected item"),
            }
        }
        assert_eq!(seen, (0..7).map(|i| format!("m{i}")).collect::<Vec<_>>());
        assert_eq!(c.offset, 7);
        // Far past the end: corrected as Java's store does (to the min offset while it is 0),
        // and nothing more read now.
        let mut c = QueueCursor::new(&store, "SYS_Q", 0, 100, 3);
        assert!(matches!(
            c.next_item(),
            Item::Corrected {
                from: 100,
                to: 0,
                past_end: true
            }
        ));
        // skip_to drops what was buffered.
        let mut c = QueueCursor::new(&store, "SYS_Q", 0, 0, 5);
        assert!(matches!(c.next_item(), Item::Message { offset: 0, .. }));
        c.skip_to(5);
        assert!(matches!(c.next_item(), Item::Message { offset: 5, .. }));
        // A queue that does not exist has nothing.
        let mut c = QueueCursor::new(&store, "NO_Q", 0, 0, 3);
        assert!(matches!(c.next_item(), Item::End));
        store.shutdown();
    }
}
