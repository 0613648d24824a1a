//! Queue allocation strategies of a clustering consumer group (Java's
//! `org.apache.rocketmq.client.consumer.rebalance.*`): which of a topic's queues the consumer
//! `current_cid` pulls, given every queue and every consumer id of the group.
//!
//! The five strategies give the same results as the Java 4.9.3 client for the same inputs;
//! `tests/allocate_golden.rs` compares them with the output of the real Java classes
//! (`interop/src/main/java/rocklet/interop/AllocateGolden.java`).
//!
//! One deliberate difference: where Java throws `IllegalArgumentException` (empty or, for
//! `MACHINE_ROOM`, blank `currentCID`; empty `mqAll` or `cidAll`), these return an empty `Vec`
//! and log a warning. Java's rebalance catches that exception, logs it and keeps the previous
//! assignment; a caller that wants the same must treat "empty inputs" itself before calling.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use md5::{Digest, Md5};

use crate::message::MessageQueue;

/// Java's `AllocateMessageQueueStrategy`.
pub trait AllocateMessageQueueStrategy: Send + Sync + fmt::Debug {
    /// Java's `getName()`: "AVG", "AVG_BY_CIRCLE", "CONSISTENT_HASH", "CONFIG", "MACHINE_ROOM".
    fn name(&self) -> &str;

    /// The queues of `mq_all` allocated to `current_cid`. `mq_all` and `cid_all` arrive sorted
    /// (the caller sorts them as Java's rebalance does); the strategies use them in the order
    /// given. Empty when `current_cid` is not in `cid_all`, and (with a warning) where Java
    /// throws `IllegalArgumentException`.
    fn allocate(
        &self,
        consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue>;
}

/// Java's argument checks of AVG, AVG_BY_CIRCLE and CONSISTENT_HASH: the index of the first
/// `current_cid` in `cid_all`, or `None` (Java throws, or logs "[BUG] ... not in cidAll").
fn check(
    strategy: &str,
    consumer_group: &str,
    current_cid: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Option<usize> {
    if !check_non_empty(
        strategy,
        consumer_group,
        current_cid.is_empty(),
        mq_all,
        cid_all,
    ) {
        return None;
    }
    match cid_all.iter().position(|c| c == current_cid) {
        Some(i) => Some(i),
        None => {
            tracing::info!(
                "[BUG] ConsumerGroup: {} The consumerId: {} not in cidAll: {:?}",
                consumer_group,
                current_cid,
                cid_all
            );
            None
        }
    }
}

/// The checks where Java throws `IllegalArgumentException`; false (and a warning) if one fails.
fn check_non_empty(
    strategy: &str,
    consumer_group: &str,
    cid_empty: bool,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> bool {
    let problem = if cid_empty {
        "currentCID is empty"
    } else if mq_all.is_empty() {
        "mqAll is null or mqAll empty"
    } else if cid_all.is_empty() {
        "cidAll is null or cidAll empty"
    } else {
        return true;
    };
    tracing::warn!(
        "allocate {} for group {}: {} (Java throws IllegalArgumentException); allocating nothing",
        strategy,
        consumer_group,
        problem
    );
    false
}

/// Java's `Character.isWhitespace`, as `StringUtils.isBlank` uses it: Unicode white space
/// except the no-break spaces (and U+0085), plus the separators U+001C..U+001F.
fn java_is_whitespace(c: char) -> bool {
    matches!(c, '\u{1c}'..='\u{1f}')
        || (c.is_whitespace() && !matches!(c, '\u{85}' | '\u{a0}' | '\u{2007}' | '\u{202f}'))
}

/// `AllocateMessageQueueAveragely` ("AVG", the default): consecutive blocks of queues, the
/// first `len(mq) % len(cid)` consumers getting one queue more.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateMessageQueueAveragely;

impl AllocateMessageQueueStrategy for AllocateMessageQueueAveragely {
    fn name(&self) -> &str {
        "AVG"
    }

    fn allocate(
        &self,
        consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = check(self.name(), consumer_group, current_cid, mq_all, cid_all) else {
            return Vec::new();
        };
        // Java's int arithmetic; `range` goes negative for a consumer past the queues.
        let (n, c, index) = (mq_all.len() as i64, cid_all.len() as i64, index as i64);
        let rem = n % c;
        let bigger = rem > 0 && index < rem;
        let average = if n <= c {
            1
        } else if bigger {
            n / c + 1
        } else {
            n / c
        };
        let start = if bigger {
            index * average
        } else {
            index * average + rem
        };
        let range = average.min(n - start);
        (0..range.max(0))
            .map(|i| mq_all[((start + i) % n) as usize].clone())
            .collect()
    }
}

/// `AllocateMessageQueueAveragelyByCircle` ("AVG_BY_CIRCLE"): queue `i` goes to consumer
/// `i % len(cid)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateMessageQueueAveragelyByCircle;

impl AllocateMessageQueueStrategy for AllocateMessageQueueAveragelyByCircle {
    fn name(&self) -> &str {
        "AVG_BY_CIRCLE"
    }

    fn allocate(
        &self,
        consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = check(self.name(), consumer_group, current_cid, mq_all, cid_all) else {
            return Vec::new();
        };
        mq_all
            .iter()
            .enumerate()
            .skip(index)
            .filter(|(i, _)| i % cid_all.len() == index)
            .map(|(_, mq)| mq.clone())
            .collect()
    }
}

/// `AllocateMessageQueueConsistentHash` ("CONSISTENT_HASH") with Java's default MD5 hash:
/// each consumer id is placed on a ring `virtual_node_cnt` times (keys `"{cid}-{i}"`), each
/// queue (key: its `MessageQueue [topic=.., brokerName=.., queueId=..]` text) goes to the first
/// virtual node at or after its hash, wrapping to the first.
#[derive(Debug, Clone, Copy)]
pub struct AllocateMessageQueueConsistentHash {
    virtual_node_cnt: usize,
}

impl AllocateMessageQueueConsistentHash {
    /// Java's default number of virtual nodes per consumer.
    pub const DEFAULT_VIRTUAL_NODE_CNT: usize = 10;

    /// With `virtual_node_cnt` virtual nodes per consumer (0 allocates nothing, as in Java).
    pub fn new(virtual_node_cnt: usize) -> Self {
        AllocateMessageQueueConsistentHash { virtual_node_cnt }
    }

    /// The number of virtual nodes per consumer.
    pub fn virtual_node_cnt(&self) -> usize {
        self.virtual_node_cnt
    }
}

impl Default for AllocateMessageQueueConsistentHash {
    fn default() -> Self {
        Self::new(Self::DEFAULT_VIRTUAL_NODE_CNT)
    }
}

/// Java's `ConsistentHashRouter.MD5Hash`: the first four bytes of the MD5 digest of the key's
/// bytes, big-endian, as an unsigned value. Java hashes `key.getBytes()` in the platform
/// charset; this uses UTF-8 (Java 18+, or `-Dfile.encoding=UTF-8`; the same for ASCII keys).
pub fn java_md5_hash(key: &str) -> u32 {
    let digest = Md5::digest(key.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

impl AllocateMessageQueueStrategy for AllocateMessageQueueConsistentHash {
    fn name(&self) -> &str {
        "CONSISTENT_HASH"
    }

    fn allocate(
        &self,
        consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        if check(self.name(), consumer_group, current_cid, mq_all, cid_all).is_none() {
            return Vec::new();
        }
        // The ring, built as Java's router does: a consumer id listed twice gets its second
        // batch of virtual nodes numbered after the ones already on the ring, and a later
        // virtual node with the same hash replaces the earlier one.
        let mut ring: BTreeMap<u32, &str> = BTreeMap::new();
        for cid in cid_all {
            let existing = ring.values().filter(|v| **v == cid.as_str()).count();
            for i in 0..self.virtual_node_cnt {
                ring.insert(
                    java_md5_hash(&format!("{}-{}", cid, i + existing)),
                    cid.as_str(),
                );
            }
        }
        let Some((_, first)) = ring.iter().next() else {
            return Vec::new();
        };
        let first = *first;
        mq_all
            .iter()
            .filter(|mq| {
                let h = java_md5_hash(&mq.to_string());
                let node = ring.range(h..).next().map_or(first, |(_, cid)| *cid);
                node == current_cid
            })
            .cloned()
            .collect()
    }
}

/// `AllocateMessageQueueByConfig` ("CONFIG"): always the configured queues, whatever the
/// inputs (Java does no checks here either).
#[derive(Debug, Clone, Default)]
pub struct AllocateMessageQueueByConfig {
    /// The queues this consumer takes.
    pub message_queue_list: Vec<MessageQueue>,
}

impl AllocateMessageQueueStrategy for AllocateMessageQueueByConfig {
    fn name(&self) -> &str {
        "CONFIG"
    }

    fn allocate(
        &self,
        _consumer_group: &str,
        _current_cid: &str,
        _mq_all: &[MessageQueue],
        _cid_all: &[String],
    ) -> Vec<MessageQueue> {
        self.message_queue_list.clone()
    }
}

/// `AllocateMessageQueueByMachineRoom` ("MACHINE_ROOM"): only queues on brokers named
/// `"{room}@{name}"` whose room is in `consumer_idcs`, spread in blocks over the consumers,
/// the remainder one each to the first consumers.
#[derive(Debug, Clone, Default)]
pub struct AllocateMessageQueueByMachineRoom {
    /// The machine rooms (IDCs) this group consumes from.
    pub consumer_idcs: BTreeSet<String>,
}

/// The room of a broker name as Java's `brokerName.split("@")` with exactly two parts gives
/// it (trailing empty parts dropped, so `"room@"` has no room but `"@name"` has room "").
fn machine_room(broker_name: &str) -> Option<&str> {
    let mut parts: Vec<&str> = broker_name.split('@').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    (parts.len() == 2).then(|| parts[0])
}

impl AllocateMessageQueueStrategy for AllocateMessageQueueByMachineRoom {
    fn name(&self) -> &str {
        "MACHINE_ROOM"
    }

    fn allocate(
        &self,
        consumer_group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let blank = current_cid.chars().all(java_is_whitespace);
        if !check_non_empty(self.name(), consumer_group, blank, mq_all, cid_all) {
            return Vec::new();
        }
        // Java returns silently here (no "[BUG]" log).
        let Some(index) = cid_all.iter().position(|c| c == current_cid) else {
            return Vec::new();
        };
        let pre: Vec<&MessageQueue> = mq_all
            .iter()
            .filter(|mq| {
                machine_room(&mq.broker_name).is_some_and(|r| self.consumer_idcs.contains(r))
            })
            .collect();
        let per = pre.len() / cid_all.len();
        let rem = pre.len() % cid_all.len();
        let mut result: Vec<MessageQueue> = pre[per * index..per * index + per]
            .iter()
            .map(|mq| (*mq).clone())
            .collect();
        if rem > index {
            result.push(pre[index + per * cid_all.len()].clone());
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mqs(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|i| MessageQueue::new("T", "b", i)).collect()
    }

    fn cids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    fn ids(v: &[MessageQueue]) -> Vec<i32> {
        v.iter().map(|m| m.queue_id).collect()
    }

    #[test]
    fn md5_fold_matches_java() {
        // MD5("") = d41d8cd9..., MD5("a") = 0cc175b9...
        assert_eq!(java_md5_hash(""), 0xd41d_8cd9);
        assert_eq!(java_md5_hash("a"), 0x0cc1_75b9);
    }

    #[test]
    fn averagely_blocks_and_remainder() {
        let s = AllocateMessageQueueAveragely;
        let (m, c) = (mqs(8), cids(3));
        assert_eq!(ids(&s.allocate("g", "c0", &m, &c)), [0, 1, 2]);
        assert_eq!(ids(&s.allocate("g", "c1", &m, &c)), [3, 4, 5]);
        assert_eq!(ids(&s.allocate("g", "c2", &m, &c)), [6, 7]);
        // more consumers than queues: the extra ones get nothing
        let c = cids(5);
        let m = mqs(3);
        assert_eq!(ids(&s.allocate("g", "c2", &m, &c)), [2]);
        assert!(s.allocate("g", "c3", &m, &c).is_empty());
        assert!(s.allocate("g", "c4", &m, &c).is_empty());
    }

    #[test]
    fn by_circle() {
        let s = AllocateMessageQueueAveragelyByCircle;
        let (m, c) = (mqs(8), cids(3));
        assert_eq!(ids(&s.allocate("g", "c1", &m, &c)), [1, 4, 7]);
        assert!(s.allocate("g", "c4", &mqs(3), &cids(5)).is_empty());
    }

    #[test]
    fn java_would_throw_gives_empty() {
        let all: [&dyn AllocateMessageQueueStrategy; 4] = [
            &AllocateMessageQueueAveragely,
            &AllocateMessageQueueAveragelyByCircle,
            &AllocateMessageQueueConsistentHash::default(),
            &AllocateMessageQueueByMachineRoom {
                consumer_idcs: ["r".to_string()].into(),
            },
        ];
        for s in all {
            assert!(
                s.allocate("g", "", &mqs(3), &cids(2)).is_empty(),
                "{}",
                s.name()
            );
            assert!(
                s.allocate("g", "c0", &[], &cids(2)).is_empty(),
                "{}",
                s.name()
            );
            assert!(
                s.allocate("g", "c0", &mqs(3), &[]).is_empty(),
                "{}",
                s.name()
            );
            assert!(
                s.allocate("g", "zz", &mqs(3), &cids(2)).is_empty(),
                "{}",
                s.name()
            );
        }
    }

    #[test]
    fn blank_cid_only_refused_by_machine_room() {
        let m: Vec<MessageQueue> = (0..2).map(|i| MessageQueue::new("T", "r@b", i)).collect();
        let c = vec![" ".to_string()];
        assert_eq!(
            AllocateMessageQueueAveragely
                .allocate("g", " ", &m, &c)
                .len(),
            2
        );
        let room = AllocateMessageQueueByMachineRoom {
            consumer_idcs: ["r".to_string()].into(),
        };
        assert!(room.allocate("g", " ", &m, &c).is_empty());
        // U+00A0 is not blank for Java, U+001F is
        let c = vec!["\u{a0}".to_string(), "\u{1f}".to_string()];
        assert_eq!(room.allocate("g", "\u{a0}", &m, &c).len(), 1);
        assert!(room.allocate("g", "\u{1f}", &m, &c).is_empty());
    }

    #[test]
    fn consistent_hash_partitions_and_zero_nodes() {
        let (m, c) = (mqs(40), cids(7));
        let s = AllocateMessageQueueConsistentHash::new(10);
        let mut all: Vec<i32> = c
            .iter()
            .flat_map(|cid| ids(&s.allocate("g", cid, &m, &c)))
            .collect();
        all.sort();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
        let zero = AllocateMessageQueueConsistentHash::new(0);
        assert!(zero.allocate("g", "c0", &m, &c).is_empty());
        assert_eq!(
            AllocateMessageQueueConsistentHash::default().virtual_node_cnt(),
            10
        );
    }

    #[test]
    fn machine_room_split_rules() {
        assert_eq!(machine_room("hz@b"), Some("hz"));
        assert_eq!(machine_room("@b"), Some(""));
        assert_eq!(machine_room("hz@"), None);
        assert_eq!(machine_room("hz@b@"), Some("hz"));
        assert_eq!(machine_room("a@b@c"), None);
        assert_eq!(machine_room("b"), None);
        assert_eq!(machine_room("@"), None);
        let m = vec![
            MessageQueue::new("T", "hz@b0", 0),
            MessageQueue::new("T", "hz@b0", 1),
            MessageQueue::new("T", "sh@b1", 0),
            MessageQueue::new("T", "b2", 0),
            MessageQueue::new("T", "hz@b3", 0),
        ];
        let s = AllocateMessageQueueByMachineRoom {
            consumer_idcs: ["hz".to_string()].into(),
        };
        let c = cids(2);
        let a = s.allocate("g", "c0", &m, &c);
        let b = s.allocate("g", "c1", &m, &c);
        assert_eq!(a, vec![m[0].clone(), m[4].clone()]);
        assert_eq!(b, vec![m[1].clone()]);
    }

    #[test]
    fn by_config_ignores_inputs() {
        let s = AllocateMessageQueueByConfig {
            message_queue_list: mqs(2),
        };
        assert_eq!(s.allocate("g", "", &[], &[]), mqs(2));
        assert_eq!(s.name(), "CONFIG");
    }
}
