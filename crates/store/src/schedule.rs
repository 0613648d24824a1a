//! Delay levels (Java `ScheduleMessageService` / `CommitLog.putMessage`): a message with a
//! `DELAY` level is stored in `SCHEDULE_TOPIC_XXXX`, queue `level - 1`, with its real topic and
//! queue in `REAL_TOPIC` / `REAL_QID`; its consume-queue tagsCode is the delivery time. The
//! broker's scheduler later re-puts it to the real topic. Pure functions; no I/O.

use crate::properties;
use crate::store::PutMessage;

/// `TopicValidator.RMQ_SYS_SCHEDULE_TOPIC`.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// `MessageStoreConfig.messageDelayLevel` default.
pub const DEFAULT_DELAY_LEVELS: &str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

/// Parsed `messageDelayLevel`: level `n` (1-based) waits `delays[n - 1]` milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayLevels {
    delays: Vec<i64>,
}

impl DelayLevels {
    /// Parses Java's format: space-separated numbers with a unit `s`, `m`, `h` or `d`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut delays = Vec::new();
        for item in s.split(' ').filter(|i| !i.is_empty()) {
            let unit_at = item.len() - item.chars().last().map_or(0, char::len_utf8);
            let (num, unit) = item.split_at(unit_at);
            let unit_ms = match unit {
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => {
                    return Err(format!(
                        "messageDelayLevel item {item:?}: unit must be s, m, h or d"
                    ))
                }
            };
            let n: i64 = num
                .parse()
                .map_err(|_| format!("messageDelayLevel item {item:?}: not a number and a unit"))?;
            if n < 0 {
                return Err(format!("messageDelayLevel item {item:?} is negative"));
            }
            delays.push(n.saturating_mul(unit_ms));
        }
        if delays.is_empty() {
            return Err("messageDelayLevel has no levels".into());
        }
        Ok(DelayLevels { delays })
    }

    /// Java's text for these levels (`1s 5s ... 2h`), each in the largest unit that divides it;
    /// `parse` of the text gives the same levels.
    pub fn to_text(&self) -> String {
        let item = |ms: i64| {
            for (unit, len) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000)] {
                if ms != 0 && ms % len == 0 {
                    return format!("{}{unit}", ms / len);
                }
            }
            format!("{}s", ms / 1000)
        };
        self.delays
            .iter()
            .map(|d| item(*d))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The highest level (`maxDelayLevel`).
    pub fn max_level(&self) -> i32 {
        self.delays.len() as i32
    }

    /// Delay of `level` in milliseconds (levels above the maximum use the maximum).
    pub fn delay_ms(&self, level: i32) -> Option<i64> {
        if level < 1 {
            return None;
        }
        let i = (level.min(self.max_level()) - 1) as usize;
        self.delays.get(i).copied()
    }
}

impl Default for DelayLevels {
    fn default() -> Self {
        Self::parse(DEFAULT_DELAY_LEVELS).expect("the default delay levels parse")
    }
}

/// The `DELAY` level of a properties string (`Message.getDelayTimeLevel`: 0 when absent; a
/// value that is not a number is refused, where Java's `Integer.parseInt` throws).
pub fn delay_level(props: &str) -> Result<i32, String> {
    parse_delay_level(properties::get(props, properties::DELAY))
}

/// The level a `DELAY` value gives (see [`delay_level`]).
pub fn parse_delay_level(value: Option<&str>) -> Result<i32, String> {
    match value {
        None => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| format!("the DELAY property {v:?} is not a number")),
    }
}

/// `CommitLog.putMessage` for a plain or committed message with a delay level: clamp the level
/// to the maximum, keep the real topic and queue in properties, move the message to
/// `SCHEDULE_TOPIC_XXXX` queue `level - 1`. Returns whether the message was redirected (the
/// caller then encodes `map`).
pub fn redirect_delayed_map<'a>(
    topic: &mut String,
    queue_id: &mut i32,
    map: &mut properties::JavaMap<'a>,
    levels: &DelayLevels,
) -> Result<bool, String> {
    let level = parse_delay_level(map.get(properties::DELAY))?;
    if level <= 0 {
        return Ok(false);
    }
    if level > levels.max_level() {
        map.put(properties::DELAY, levels.max_level().to_string());
    }
    map.put(properties::REAL_TOPIC, topic.clone());
    map.put(properties::REAL_QID, queue_id.to_string());
    *topic = SCHEDULE_TOPIC.to_owned();
    *queue_id = level.min(levels.max_level()) - 1;
    Ok(true)
}

/// [`redirect_delayed_map`] for a message whose properties are already encoded.
pub fn redirect_delayed(m: &mut PutMessage, levels: &DelayLevels) -> Result<bool, String> {
    let props = std::mem::take(&mut m.properties);
    let mut map = properties::JavaMap::parse(&props);
    let redirected = redirect_delayed_map(&mut m.topic, &mut m.queue_id, &mut map, levels);
    let encoded = matches!(redirected, Ok(true)).then(|| map.encode());
    m.properties = encoded.unwrap_or(props);
    redirected
}

/// The consume-queue tagsCode of a `SCHEDULE_TOPIC_XXXX` record: its delivery time. `None`
/// for any other record (whose tagsCode is the hash of its tags).
pub fn deliver_tags_code(
    topic: &str,
    props: &str,
    store_timestamp: i64,
    levels: &DelayLevels,
) -> Option<i64> {
    if topic != SCHEDULE_TOPIC {
        return None;
    }
    let level = delay_level(props).ok().filter(|l| *l > 0)?;
    Some(store_timestamp + levels.delay_ms(level)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_levels_are_javas() {
        let l = DelayLevels::default();
        assert_eq!(l.max_level(), 18);
        assert_eq!(l.delay_ms(1), Some(1000));
        assert_eq!(l.delay_ms(3), Some(10_000));
        assert_eq!(l.delay_ms(5), Some(60_000));
        assert_eq!(l.delay_ms(18), Some(7_200_000));
        assert_eq!(l.delay_ms(40), Some(7_200_000));
        assert_eq!(l.delay_ms(0), None);
    }

    #[test]
    fn bad_levels_are_refused() {
        for bad in ["", "1x", "s", "1.5s", "-1s", "1s  2q"] {
            assert!(DelayLevels::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            DelayLevels::parse("2s 1d").unwrap().delay_ms(2),
            Some(86_400_000)
        );
    }

    #[test]
    fn redirect_keeps_the_real_destination() {
        let mut m = PutMessage {
            topic: "T".into(),
            queue_id: 5,
            properties: "DELAY\u{1}99\u{2}TAGS\u{1}a".into(),
            ..PutMessage::default()
        };
        assert!(redirect_delayed(&mut m, &DelayLevels::default()).unwrap());
        assert_eq!(m.topic, SCHEDULE_TOPIC);
        assert_eq!(m.queue_id, 17);
        assert_eq!(properties::get(&m.properties, "DELAY"), Some("18"));
        assert_eq!(properties::get(&m.properties, "REAL_TOPIC"), Some("T"));
        assert_eq!(properties::get(&m.properties, "REAL_QID"), Some("5"));
        assert_eq!(properties::get(&m.properties, "TAGS"), Some("a"));
        let ts = deliver_tags_code(&m.topic, &m.properties, 1000, &DelayLevels::default());
        assert_eq!(ts, Some(1000 + 7_200_000));

        let mut plain = PutMessage {
            topic: "T".into(),
            properties: "DELAY\u{1}0".into(),
            ..PutMessage::default()
        };
        assert!(!redirect_delayed(&mut plain, &DelayLevels::default()).unwrap());
        assert_eq!(plain.topic, "T");
        plain.properties = "DELAY\u{1}x".into();
        assert!(redirect_delayed(&mut plain, &DelayLevels::default()).is_err());
    }
}
