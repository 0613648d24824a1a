//! Finding and reading messages, as the dashboard's message pages do: by key (QUERY_MESSAGE on
//! the index, `mqadmin queryMsgByKey`), by store time (SEARCH_OFFSET_BY_TIMESTAMP per queue,
//! then PULL_MESSAGE over the range, as the dashboard's `queryMessageByTopic`), one message by
//! id (VIEW_MESSAGE_BY_ID for an offset msgId, else the index by unique key, `mqadmin
//! queryMsgById`) with which groups consumed it (`messageTrackDetail`), a group's dead
//! letters (`%DLQ%group`), a producer group's connections and a topic's TPS.

use rocklet_client::{ClientError, MQAdmin, MessageQueue, PullStatus};
use rocklet_protocol::message::{property, MessageExt};
use rocklet_protocol::msgid::decode_offset_msg_id;
use rocklet_protocol::time::now_ms;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

use super::api::{check_topic, ConsoleError, Result};
use super::form::time_text;

/// At most this many messages are read from one queue for a time-range search.
pub const PER_QUEUE_CAP: usize = 64;
/// At most this many messages in one search result.
pub const TOTAL_CAP: usize = 2000;
/// The group the console pulls with (`MixAll.TOOLS_CONSUMER_GROUP`, as the dashboard does);
/// the pulls commit no offset.
const TOOLS_GROUP: &str = "TOOLS_CONSUMER";
/// Messages per PULL_MESSAGE.
const PULL_BATCH: i32 = 32;
/// Bodies longer than this are cut on the message page.
pub const BODY_SHOWN: usize = 64 * 1024;

/// One message of a search result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRow {
    pub msg_id: String,
    pub offset_msg_id: String,
    pub topic: String,
    pub tags: Option<String>,
    pub keys: Option<String>,
    pub queue_id: i32,
    pub queue_offset: i64,
    pub store_host: String,
    pub store_timestamp: i64,
    pub store_time: String,
    pub body_size: usize,
    pub reconsume_times: i32,
}

impl MessageRow {
    fn of(m: &MessageExt) -> Self {
        MessageRow {
            msg_id: m.msg_id(),
            offset_msg_id: m.offset_msg_id(),
            topic: m.topic.clone(),
            tags: m.tags().map(str::to_owned),
            keys: m.keys().map(str::to_owned),
            queue_id: m.queue_id,
            queue_offset: m.queue_offset,
            store_host: m.store_host.to_string(),
            store_timestamp: m.store_timestamp,
            store_time: time_text(m.store_timestamp),
            body_size: m.raw_body.len(),
            reconsume_times: m.reconsume_times,
        }
    }
}

/// What a search asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Messages whose `KEYS` hold the key (the broker's index).
    Key(String),
    /// Messages stored between the two times (ms, both included).
    Range { begin: i64, end: i64 },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesView {
    pub topic: String,
    pub key: Option<String>,
    pub begin: Option<i64>,
    pub end: Option<i64>,
    /// Newest first.
    pub messages: Vec<MessageRow>,
    /// A cap (64 per queue, 2000 in all, 64 for a key) cut the result short.
    pub capped: bool,
}

/// Searches `topic`. A topic with no route is 404.
pub async fn search(admin: &MQAdmin, topic: &str, how: &Search) -> Result<MessagesView> {
    check_topic(topic)?;
    let (mut msgs, capped) = match how {
        Search::Key(key) => by_key(admin, topic, key).await?,
        Search::Range { begin, end } => by_time(admin, topic, *begin, *end).await?,
    };
    msgs.sort_by_key(|m| std::cmp::Reverse(m.store_timestamp));
    let (key, begin, end) = match how {
        Search::Key(k) => (Some(k.clone()), None, None),
        Search::Range { begin, end } => (None, Some(*begin), Some(*end)),
    };
    Ok(MessagesView {
        topic: topic.to_owned(),
        key,
        begin,
        end,
        messages: msgs.iter().map(MessageRow::of).collect(),
        capped,
    })
}

/// `mqadmin queryMsgByKey`: at most 64 per broker; "no message" is an empty result.
async fn by_key(admin: &MQAdmin, topic: &str, key: &str) -> Result<(Vec<MessageExt>, bool)> {
    if key.trim().is_empty() {
        return Err(ConsoleError::BadRequest("the key is blank".into()));
    }
    const MAX: i32 = PER_QUEUE_CAP as i32;
    match admin
        .query_message(topic, key, MAX, 0, i64::MAX, false)
        .await
    {
        Ok(r) => {
            let capped = r.message_list.len() >= PER_QUEUE_CAP;
            Ok((r.message_list, capped))
        }
        Err(e) if is_no_message(&e) => Ok((Vec::new(), false)),
        Err(e) => Err(e.into()),
    }
}

/// `queryMsgById`: an id that decodes as an offset msgId of a message of `topic` is that
/// message (VIEW_MESSAGE_BY_ID); anything else is a unique key, looked up in the index up to
/// three times, 250 ms apart, then 404.
pub(super) async fn find(admin: &MQAdmin, topic: &str, id: &str) -> Result<MessageExt> {
    if decode_offset_msg_id(id).is_some() {
        if let Ok(m) = admin.view_message(id).await {
            if m.topic == topic && m.offset_msg_id().eq_ignore_ascii_case(id) {
                return Ok(m);
            }
        }
    }
    for attempt in 0..3 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        match admin.query_message(topic, id, 32, 0, i64::MAX, true).await {
            Ok(r) => {
                if let Some(m) = r.message_list.into_iter().next() {
                    return Ok(m);
                }
            }
            Err(e) if is_no_message(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(ConsoleError::NotFound(format!(
        "no message [{id}] in topic [{topic}]"
    )))
}

/// The client's "query message by key finished, but no message".
fn is_no_message(e: &ClientError) -> bool {
    matches!(e, ClientError::Client { code: -1, message, .. } if message.contains("no message"))
}

/// Every readable queue of the topic's route, searched from `begin`'s offset up to the first
/// message stored after `end`.
async fn by_time(
    admin: &MQAdmin,
    topic: &str,
    begin: i64,
    end: i64,
) -> Result<(Vec<MessageExt>, bool)> {
    if begin > end {
        return Err(ConsoleError::BadRequest(format!(
            "begin [{begin}] is after end [{end}]"
        )));
    }
    let route = admin.topic_route(topic).await?;
    let mut queues: Vec<MessageQueue> = route
        .queue_datas
        .iter()
        .flat_map(|qd| {
            (0..qd.read_queue_nums).map(|q| MessageQueue::new(topic, &qd.broker_name, q))
        })
        .collect();
    queues.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
    let mut out = Vec::new();
    let mut capped = false;
    for mq in &queues {
        let room = PER_QUEUE_CAP.min(TOTAL_CAP - out.len());
        if room == 0 {
            capped = true;
            break;
        }
        let (msgs, cut) = read_range(admin, mq, begin, end, room).await?;
        capped |= cut;
        out.extend(msgs);
    }
    Ok((out, capped))
}

/// Up to `limit` messages of `mq` stored in `[begin, end]`; true when more were there.
async fn read_range(
    admin: &MQAdmin,
    mq: &MessageQueue,
    begin: i64,
    end: i64,
    limit: usize,
) -> Result<(Vec<MessageExt>, bool)> {
    let mut offset = admin.search_offset(mq, begin).await?;
    let max = admin.max_offset(mq).await?;
    let mut out = Vec::new();
    while offset < max {
        let r = admin.pull(TOOLS_GROUP, mq, "*", offset, PULL_BATCH).await?;
        let next = r.next_begin_offset;
        match r.pull_status {
            PullStatus::FOUND => {}
            PullStatus::OFFSET_ILLEGAL if next > offset => {
                offset = next;
                continue;
            }
            _ => break,
        }
        for m in r.msg_found_list {
            if m.store_timestamp > end {
                return Ok((out, false));
            }
            if m.store_timestamp >= begin {
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(m);
            }
        }
        if next <= offset {
            break;
        }
        offset = next;
    }
    Ok((out, false))
}

/// A group's dead letters (`%DLQ%group`); a group with no DLQ topic has none.
pub async fn dlq(admin: &MQAdmin, group: &str, begin: i64, end: i64) -> Result<MessagesView> {
    rocklet_client::validators::check_group(group)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
    let topic = format!("%DLQ%{group}");
    match search(admin, &topic, &Search::Range { begin, end }).await {
        Err(ConsoleError::NotFound(_)) => Ok(MessagesView {
            topic,
            key: None,
            begin: Some(begin),
            end: Some(end),
            messages: Vec::new(),
            capped: false,
        }),
        r => r,
    }
}

/// How the body is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    Text,
    Hex,
    Json,
}

impl BodyFormat {
    pub fn parse(s: Option<&str>) -> Result<Self> {
        match s.map(str::trim).unwrap_or("") {
            "" | "text" => Ok(BodyFormat::Text),
            "hex" => Ok(BodyFormat::Hex),
            "json" => Ok(BodyFormat::Json),
            other => Err(ConsoleError::BadRequest(format!(
                "format [{other}] is none of text, hex, json"
            ))),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    #[serde(flatten)]
    pub row: MessageRow,
    pub born_host: String,
    pub born_timestamp: i64,
    pub born_time: String,
    pub sys_flag: i32,
    pub body_crc: i32,
    pub properties: BTreeMap<String, String>,
    /// The format `body` is in; `text` when JSON was asked for and the body is not JSON.
    pub format: BodyFormat,
    pub body: String,
    /// Why `body` is not what was asked for, or is cut.
    pub body_note: Option<String>,
    /// Per consumer group of the topic, whether it consumed the message.
    pub tracks: Vec<Track>,
    /// Why the tracks are missing.
    pub track_error: Option<String>,
}

/// `MessageTrack`: one group's progress past the message.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Track {
    pub consumer_group: String,
    /// `CONSUMED` or `NOT_CONSUME_YET` (Java's `TrackType`).
    pub track_type: &'static str,
}

/// One message of `topic` by msgId (offset msgId or unique key, see [`find`]). Not found (or
/// in another topic): 404.
pub async fn message(
    admin: &MQAdmin,
    topic: &str,
    id: &str,
    format: BodyFormat,
) -> Result<MessageView> {
    check_topic(topic)?;
    let id = id.trim();
    if id.is_empty() {
        return Err(ConsoleError::BadRequest("the message id is blank".into()));
    }
    let m = find(admin, topic, id).await?;
    let (tracks, track_error) = match tracks(admin, &m).await {
        Ok(t) => (t, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let (format, body, body_note) = render_body(&m.raw_body, format);
    Ok(MessageView {
        row: MessageRow::of(&m),
        born_host: m.born_host.to_string(),
        born_timestamp: m.born_timestamp,
        born_time: time_text(m.born_timestamp),
        sys_flag: m.sys_flag,
        body_crc: m.body_crc,
        properties: m
            .properties
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        format,
        body,
        body_note,
        tracks,
        track_error,
    })
}

/// The body as text (lossy UTF-8), hex (16 bytes a line) or pretty JSON (text when it does
/// not parse); the first [`BODY_SHOWN`] bytes only.
pub fn render_body(body: &[u8], want: BodyFormat) -> (BodyFormat, String, Option<String>) {
    let shown = &body[..body.len().min(BODY_SHOWN)];
    let mut note = (body.len() > BODY_SHOWN)
        .then(|| format!("first {BODY_SHOWN} of {} bytes shown", body.len()));
    let text = || String::from_utf8_lossy(shown).into_owned();
    let (format, s) = match want {
        BodyFormat::Text => (BodyFormat::Text, text()),
        BodyFormat::Hex => (BodyFormat::Hex, hex_dump(shown)),
        BodyFormat::Json => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) if body.len() <= BODY_SHOWN => (
                BodyFormat::Json,
                serde_json::to_string_pretty(&v).unwrap_or_else(|_| text()),
            ),
            _ => {
                note = Some(match note {
                    Some(n) => format!("the body is too long to format as JSON; {n}"),
                    None => "the body is not JSON; shown as text".into(),
                });
                (BodyFormat::Text, text())
            }
        },
    };
    (format, s, note)
}

fn hex_dump(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() * 3 + b.len() / 16 * 10);
    for (i, line) in b.chunks(16).enumerate() {
        out.push_str(&format!("{:08x} ", i * 16));
        for byte in line {
            out.push_str(&format!(" {byte:02x}"));
        }
        out.push('\n');
    }
    out
}

/// `messageTrackDetail`, simplified: each group QUERY_TOPIC_CONSUME_BY_WHO names on the
/// message's broker has consumed it when its offset of the message's queue is past it.
async fn tracks(admin: &MQAdmin, m: &MessageExt) -> std::result::Result<Vec<Track>, ClientError> {
    let addr = m.store_host.to_string();
    let mut groups = admin.topic_consumed_by(&addr, &m.topic).await?;
    groups.sort();
    let mut out = Vec::new();
    for g in groups {
        let stats = admin.consume_stats(&addr, &g, Some(&m.topic)).await?;
        let consumed = stats.offsets.iter().any(|(mq, o)| {
            mq.topic == m.topic && mq.queue_id == m.queue_id && o.consumer_offset > m.queue_offset
        });
        out.push(Track {
            consumer_group: g,
            track_type: if consumed {
                "CONSUMED"
            } else {
                "NOT_CONSUME_YET"
            },
        });
    }
    Ok(out)
}

/// The topic a dead letter came from: `RETRY_TOPIC` (set when the message was first sent
/// back), else `REAL_TOPIC`.
pub fn original_topic(m: &MessageExt) -> Option<&str> {
    m.properties
        .get(property::RETRY_TOPIC)
        .or_else(|| m.properties.get(property::REAL_TOPIC))
        .filter(|t| !t.is_empty())
}

/// The time range of a search: begin defaults to 0, end to now.
pub fn range(begin: Option<i64>, end: Option<i64>) -> (i64, i64) {
    (begin.unwrap_or(0), end.unwrap_or_else(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let (f, s, n) = render_body(b"{\"a\":[1,2]}", BodyFormat::Json);
        assert_eq!(f, BodyFormat::Json);
        assert!(s.contains("\"a\": [\n"), "{s}");
        assert!(n.is_none());
        let (f, s, n) = render_body(b"plain", BodyFormat::Json);
        assert_eq!((f, s.as_str()), (BodyFormat::Text, "plain"));
        assert!(n.unwrap().contains("not JSON"));
        let (_, s, _) = render_body(&[0, 1, 0xff], BodyFormat::Hex);
        assert_eq!(s, "00000000  00 01 ff\n");
        let big = vec![b'x'; BODY_SHOWN + 1];
        let (_, s, n) = render_body(&big, BodyFormat::Text);
        assert_eq!(s.len(), BODY_SHOWN);
        assert!(n.unwrap().contains("bytes shown"));
        assert!(BodyFormat::parse(Some("yaml")).is_err());
        assert_eq!(BodyFormat::parse(None).unwrap(), BodyFormat::Text);
    }
}
