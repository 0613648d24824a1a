//! The queue-allocation strategies against the real Java 4.9.3 client's results.
//!
//! `tests/data/allocate_golden.tsv` is the output of `interop/src/main/java/rocklet/interop/
//! AllocateGolden.java` (the five Java strategies on fixed cases). Regenerate it with
//! `interop/allocate.sh --regen` (after `interop/setup.sh`); `interop/allocate.sh` (run by
//! `interop/run.sh`, cell `allocate/java-golden`) checks that the committed file still is what
//! the Java client prints.
//!
//! Lines: `case <id> <cidAll,> <mqAll topic/broker/id;>` gives a case's inputs (sorted as the
//! rebalance sorts them), then `<strategy> <params> <case> <currentCid> <result>` the Java
//! result for one consumer. `<empty>` is an empty string or list; `!IllegalArgumentException`
//! is a Java exception, for which the Rust strategies return an empty list.

use std::collections::{BTreeSet, HashMap};

use rocklet_client::consumer::{
    AllocateMessageQueueAveragely, AllocateMessageQueueAveragelyByCircle,
    AllocateMessageQueueByConfig, AllocateMessageQueueByMachineRoom,
    AllocateMessageQueueConsistentHash, AllocateMessageQueueStrategy,
};
use rocklet_client::message::MessageQueue;

const GOLDEN: &str = include_str!("data/allocate_golden.tsv");
const EMPTY: &str = "<empty>";

fn parse_str(s: &str) -> String {
    if s == EMPTY {
        String::new()
    } else {
        s.to_string()
    }
}

fn parse_cids(s: &str) -> Vec<String> {
    if s == EMPTY {
        return Vec::new();
    }
    s.split(',').map(str::to_string).collect()
}

fn parse_mqs(s: &str) -> Vec<MessageQueue> {
    if s == EMPTY {
        return Vec::new();
    }
    s.split(';')
        .map(|q| {
            let mut parts = q.rsplitn(2, '/');
            let id = parts.next().unwrap().parse().unwrap();
            let (topic, broker) = parts.next().unwrap().split_once('/').unwrap();
            MessageQueue::new(topic, broker, id)
        })
        .collect()
}

fn compact(mqs: &[MessageQueue]) -> String {
    if mqs.is_empty() {
        return EMPTY.to_string();
    }
    mqs.iter()
        .map(|m| format!("{}/{}/{}", m.topic, m.broker_name, m.queue_id))
        .collect::<Vec<_>>()
        .join(";")
}

fn strategy(name: &str, params: &str) -> Box<dyn AllocateMessageQueueStrategy> {
    match name {
        "AVG" => Box::new(AllocateMessageQueueAveragely),
        "AVG_BY_CIRCLE" => Box::new(AllocateMessageQueueAveragelyByCircle),
        "CONSISTENT_HASH" => Box::new(AllocateMessageQueueConsistentHash::new(
            params.parse().unwrap(),
        )),
        "CONFIG" => Box::new(AllocateMessageQueueByConfig {
            message_queue_list: parse_mqs(params),
        }),
        "MACHINE_ROOM" => Box::new(AllocateMessageQueueByMachineRoom {
            consumer_idcs: if params == EMPTY {
                BTreeSet::new()
            } else {
                // The empty room, when in the set, is written first (",a,bj") and kept here.
                params.split(',').map(str::to_string).collect()
            },
        }),
        other => panic!("unknown strategy {other}"),
    }
}

#[test]
fn rust_strategies_equal_java_4_9_3() {
    let mut cases: HashMap<&str, (Vec<String>, Vec<MessageQueue>)> = HashMap::new();
    let mut checked = 0usize;
    let mut per_strategy: HashMap<String, usize> = HashMap::new();
    let mut mismatches = Vec::new();
    for (no, line) in GOLDEN.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f[0] == "case" {
            assert_eq!(f.len(), 4, "line {}: {line}", no + 1);
            let cids = parse_cids(f[2]);
            let mqs = parse_mqs(f[3]);
            // The file is in Java's sort order; Rust's orders must agree with Java's compareTo.
            assert!(
                mqs.windows(2).all(|w| w[0] <= w[1]),
                "case {}: mqAll not in Rust order",
                f[1]
            );
            assert!(
                cids.windows(2).all(|w| w[0] <= w[1]),
                "case {}: cidAll not in Rust order",
                f[1]
            );
            cases.insert(f[1], (cids, mqs));
            continue;
        }
        assert_eq!(f.len(), 5, "line {}: {line}", no + 1);
        let (name, params, case, current, expected) = (f[0], f[1], f[2], f[3], f[4]);
        let (cids, mqs) = cases
            .get(case)
            .unwrap_or_else(|| panic!("line {}: unknown case {case}", no + 1));
        let s = strategy(name, params);
        assert_eq!(s.name(), name);
        let got = compact(&s.allocate("group_a", &parse_str(current), mqs, cids));
        let want = if expected.starts_with('!') {
            EMPTY
        } else {
            expected
        };
        if got != want {
            mismatches.push(format!(
                "line {}: {name}({params}) case {case} cid {current:?}:\n  java: {expected}\n  rust: {got}",
                no + 1
            ));
        }
        checked += 1;
        *per_strategy.entry(name.to_string()).or_default() += 1;
    }
    for name in [
        "AVG",
        "AVG_BY_CIRCLE",
        "CONSISTENT_HASH",
        "CONFIG",
        "MACHINE_ROOM",
    ] {
        assert!(
            per_strategy.get(name).copied().unwrap_or(0) > 0,
            "no golden lines for {name}"
        );
    }
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    assert!(
        mismatches.is_empty(),
        "{} of {checked} allocations differ from Java 4.9.3:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!(
        "{checked} allocations in {} cases identical to Java 4.9.3",
        cases.len()
    );
}
