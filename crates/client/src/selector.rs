//! Queue selectors for `send_with_selector` (`MessageQueueSelector` and its stock
//! implementations `SelectMessageQueueByHash`, `SelectMessageQueueByRandom`).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::message::{Message, MessageQueue};

/// Java's `hashCode()` for the argument types people pass (so Rust and Java producers route the
/// same order id to the same queue).
pub trait JavaHashCode {
    /// The value Java's `hashCode()` returns for the same value (`String`, `Integer`, `Long`).
    fn java_hash_code(&self) -> i32;
}
impl JavaHashCode for str {
    fn java_hash_code(&self) -> i32 {
        rocklet_protocol::message::java_string_hash(self)
    }
}
impl JavaHashCode for String {
    fn java_hash_code(&self) -> i32 {
        self.as_str().java_hash_code()
    }
}
impl JavaHashCode for i32 {
    fn java_hash_code(&self) -> i32 {
        *self
    }
}
impl JavaHashCode for i64 {
    fn java_hash_code(&self) -> i32 {
        (*self ^ ((*self as u64) >> 32) as i64) as i32
    }
}
impl JavaHashCode for u64 {
    fn java_hash_code(&self) -> i32 {
        (*self as i64).java_hash_code()
    }
}
impl<T: JavaHashCode + ?Sized> JavaHashCode for &T {
    fn java_hash_code(&self) -> i32 {
        (**self).java_hash_code()
    }
}

/// Picks a queue for a message given a user argument.
///
/// Closures `Fn(&[MessageQueue], &Message, &A) -> Option<MessageQueue>` are selectors too.
pub trait MessageQueueSelector<A: ?Sized>: Send + Sync {
    /// `select(mqs, msg, arg)`: one of `mqs` (the topic's writable queues), or `None` to fail
    /// the send.
    fn select(&self, mqs: &[MessageQueue], msg: &Message, arg: &A) -> Option<MessageQueue>;
}

impl<A: ?Sized, F> MessageQueueSelector<A> for F
where
    F: Fn(&[MessageQueue], &Message, &A) -> Option<MessageQueue> + Send + Sync,
{
    fn select(&self, mqs: &[MessageQueue], msg: &Message, arg: &A) -> Option<MessageQueue> {
        self(mqs, msg, arg)
    }
}

/// `SelectMessageQueueByHash`: `abs(arg.hashCode() % n)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SelectByHash;

impl<A: JavaHashCode + ?Sized> MessageQueueSelector<A> for SelectByHash {
    fn select(&self, mqs: &[MessageQueue], _: &Message, arg: &A) -> Option<MessageQueue> {
        if mqs.is_empty() {
            return None;
        }
        let v = (arg.java_hash_code() % mqs.len() as i32).unsigned_abs() as usize;
        mqs.get(v).cloned()
    }
}

/// Round robin over the queues, ignoring the argument.
#[derive(Debug, Default)]
pub struct SelectByRoundRobin {
    next: AtomicU32,
}

impl<A: ?Sized> MessageQueueSelector<A> for SelectByRoundRobin {
    fn select(&self, mqs: &[MessageQueue], _: &Message, _: &A) -> Option<MessageQueue> {
        if mqs.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) as usize % mqs.len();
        mqs.get(i).cloned()
    }
}

/// `SelectMessageQueueByRandom`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SelectByRandom;

impl<A: ?Sized> MessageQueueSelector<A> for SelectByRandom {
    fn select(&self, mqs: &[MessageQueue], _: &Message, _: &A) -> Option<MessageQueue> {
        if mqs.is_empty() {
            return None;
        }
        mqs.get(rand::random::<u32>() as usize % mqs.len()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_java() {
        let mqs: Vec<_> = (0..4).map(|i| MessageQueue::new("T", "b", i)).collect();
        let m = Message::new("T", "x");
        // "order-7".hashCode() = -1207111304 in Java; % 4 = 0 -> 0
        assert_eq!("order-7".java_hash_code(), -1207111304);
        assert_eq!(
            SelectByHash.select(&mqs, &m, "order-7").unwrap().queue_id,
            0
        );
        assert_eq!(SelectByHash.select(&mqs, &m, &6i32).unwrap().queue_id, 2);
        let rr = SelectByRoundRobin::default();
        let a: Vec<i32> = (0..5)
            .map(|_| {
                MessageQueueSelector::<()>::select(&rr, &mqs, &m, &())
                    .unwrap()
                    .queue_id
            })
            .collect();
        assert_eq!(a, [0, 1, 2, 3, 0]);
    }
}
