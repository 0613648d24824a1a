//! Pure helpers for the encoded message properties string
//! (`key\u{1}value\u{2}` repeated, `MessageDecoder.string2messageProperties`).

use rocklet_protocol::message::java_string_hash;

/// `MessageConst.PROPERTY_TAGS`.
pub const TAGS: &str = "TAGS";
/// `MessageConst.PROPERTY_KEYS` (space separated).
pub const KEYS: &str = "KEYS";
/// `MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX`.
pub const UNIQ_KEY: &str = "UNIQ_KEY";
/// `MessageConst.PROPERTY_WAIT_STORE_MSG_OK`.
pub const WAIT: &str = "WAIT";
/// `MessageConst.PROPERTY_DELAY_TIME_LEVEL`.
pub const DELAY: &str = "DELAY";
/// `MessageConst.PROPERTY_REAL_TOPIC`.
pub const REAL_TOPIC: &str = "REAL_TOPIC";
/// `MessageConst.PROPERTY_REAL_QUEUE_ID`.
pub const REAL_QID: &str = "REAL_QID";
/// `MessageConst.KEY_SEPARATOR`.
pub const KEY_SEPARATOR: char = ' ';
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Iterates the (name, value) pairs Java would put into its map (later duplicates win there;
/// use [`get`] for that behaviour). Mirrors Java `String.split` which drops trailing empty
/// parts and ignores items that do not split into exactly two parts.
pub fn iter(props: &str) -> impl Iterator<Item = (&str, &str)> {
    props.split(PROPERTY_SEPARATOR).filter_map(|item| {
        let item = item.trim_end_matches(NAME_VALUE_SEPARATOR);
        let (k, v) = item.split_once(NAME_VALUE_SEPARATOR)?;
        // Exactly two parts, as Java's `split` leaves them (one memchr per item, not three).
        (!v.contains(NAME_VALUE_SEPARATOR)).then_some((k, v))
    })
}

/// Value of `name`, as Java's map would hold it (last occurrence wins).
pub fn get<'a>(props: &'a str, name: &str) -> Option<&'a str> {
    iter(props)
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .last()
}

/// A message's properties as the Java broker holds them while it handles a send: a
/// `java.util.HashMap` built by `string2messageProperties`, changed by `putProperty` /
/// `clearProperty`, and encoded back by `messageProperties2String`. Parsed once from the wire
/// string (borrowing it); every later step of the send reads and changes this map; one
/// [`JavaMap::encode`] gives the bytes Java stores.
#[derive(Debug, Clone, Default)]
pub struct JavaMap<'a> {
    /// Insertion order (Java's order within a bucket).
    pairs: Vec<(&'a str, std::borrow::Cow<'a, str>)>,
    /// The most entries the map ever held (its table never shrinks).
    max_size: usize,
}

impl<'a> JavaMap<'a> {
    /// `string2messageProperties`: a key seen twice keeps its first place and its last value.
    pub fn parse(props: &'a str) -> Self {
        let mut map = JavaMap::default();
        for (k, v) in iter(props) {
            map.put(k, v);
        }
        map
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// `HashMap.put`: an existing key keeps its place.
    pub fn put(&mut self, name: &'a str, value: impl Into<std::borrow::Cow<'a, str>>) {
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => {
                self.pairs.push((name, value));
                self.max_size = self.max_size.max(self.pairs.len());
            }
        }
    }

    /// `HashMap.remove`.
    pub fn remove(&mut self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        let i = self.pairs.iter().position(|(k, _)| *k == name)?;
        Some(self.pairs.remove(i).1)
    }

    /// `messageProperties2String` (see [`encode_java_map`]).
    pub fn encode(&self) -> String {
        let view: Vec<(&str, &str)> = self.pairs.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        encode_java_map(&view, self.max_size)
    }
}

/// Encode `pairs` (in insertion order) as Java's broker does, `messageProperties2String` over a
/// `java.util.HashMap`: iteration goes bucket by bucket (bucket = spread `String.hashCode` masked
/// by the table size, which starts at 16 and doubles past 3/4 full, `max_size` being the most
/// entries the map ever held), insertion order within a bucket; no separator after the last.
/// This makes a stored record byte-for-byte the one Java stores.
pub fn encode_java_map(pairs: &[(&str, &str)], max_size: usize) -> String {
    let mut table = 16usize;
    while max_size > table * 3 / 4 {
        table *= 2;
    }
    let bucket = |k: &str| {
        let h = java_string_hash(k) as u32;
        ((h ^ (h >> 16)) as usize) & (table - 1)
    };
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by_key(|&i| bucket(pairs[i].0));
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (n, i) in order.into_iter().enumerate() {
        if n > 0 {
            out.push(PROPERTY_SEPARATOR);
        }
        out.push_str(pairs[i].0);
        out.push(NAME_VALUE_SEPARATOR);
        out.push_str(pairs[i].1);
    }
    out
}

/// tagsCode stored in the consume queue: hash of the TAGS property, 0 without tags (widened to
/// i64 like `MessageExtBrokerInner.tagsString2tagsCode`).
pub fn tags_code(props: &str) -> i64 {
    match get(props, TAGS) {
        Some(t) if !t.is_empty() => i64::from(java_string_hash(t)),
        _ => 0,
    }
}

/// Index keys of a message: each non-empty space separated KEYS entry, then UNIQ_KEY.
pub fn index_keys(props: &str, mut f: impl FnMut(&str)) {
    let mut keys = None;
    let mut uniq = None;
    for (k, v) in iter(props) {
        if k == KEYS {
            keys = Some(v);
        } else if k == UNIQ_KEY {
            uniq = Some(v);
        }
    }
    if let Some(keys) = keys {
        for k in keys.split(KEY_SEPARATOR).filter(|k| !k.is_empty()) {
            f(k);
        }
    }
    if let Some(u) = uniq.filter(|u| !u.is_empty()) {
        f(u);
    }
}

/// Whether `key` is one of the message's index keys.
pub fn has_index_key(props: &str, key: &str) -> bool {
    let mut found = false;
    index_keys(props, |k| found |= k == key);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_map_keeps_places_and_the_largest_table() {
        let props = "A\u{1}1\u{2}B\u{1}2\u{2}A\u{1}3";
        let mut m = JavaMap::parse(props);
        // A repeated key keeps its first place and its last value, as Java's map.
        assert_eq!(m.get("A"), Some("3"));
        m.put("A", "4");
        assert_eq!(m.remove("B").as_deref(), Some("2"));
        assert_eq!(m.get("B"), None);
        m.put("C", String::from("5"));
        let enc = m.encode();
        assert_eq!(get(&enc, "A"), Some("4"));
        assert_eq!(get(&enc, "C"), Some("5"));
        assert_eq!(iter(&enc).count(), 2);
        // The table is sized by the most entries the map held and never shrinks: with 16
        // buckets REAL_TOPIC (bucket 1) comes before b (2), with 32 after it (17 vs 2).
        let mut many = String::from("REAL_TOPIC\u{1}t\u{2}b\u{1}v");
        for i in 0..11 {
            many.push_str(&format!("\u{2}k{i}\u{1}v"));
        }
        let mut big = JavaMap::parse(&many);
        for i in 0..11 {
            big.remove(&format!("k{i}"));
        }
        let small = JavaMap::parse("REAL_TOPIC\u{1}t\u{2}b\u{1}v");
        assert_eq!(small.encode(), "REAL_TOPIC\u{1}t\u{2}b\u{1}v");
        assert_eq!(big.encode(), "b\u{1}v\u{2}REAL_TOPIC\u{1}t");
    }

    #[test]
    fn parse() {
        let p = "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2  k3\u{2}UNIQ_KEY\u{1}ABC\u{2}";
        assert_eq!(get(p, TAGS), Some("TagA"));
        assert_eq!(tags_code(p), i64::from(java_string_hash("TagA")));
        let mut keys = vec![];
        index_keys(p, |k| keys.push(k.to_string()));
        assert_eq!(keys, ["k1", "k2", "k3", "ABC"]);
        assert!(has_index_key(p, "k2"));
        assert!(!has_index_key(p, "k4"));
        assert_eq!(tags_code(""), 0);
        assert_eq!(tags_code("TAGS\u{1}\u{2}"), 0);
        assert_eq!(get("a\u{1}b\u{1}c\u{2}a\u{1}d", "a"), Some("d"));
        assert_eq!(get("x\u{1}1\u{1}\u{2}", "x"), Some("1"));
    }

    #[test]
    fn java_tags_code() {
        // Java: "TagA".hashCode() == 2598919
        assert_eq!(tags_code("TAGS\u{1}TagA"), 2598919);
    }
}

#[cfg(test)]
mod java_map_tests {
    use super::*;

    /// Orders printed by `java.util.HashMap` (Java 17) for these keys inserted in this order,
    /// then `remove("WAIT")` (the second set grows the table to 32).
    #[test]
    fn hash_map_iteration_order_matches_java() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["KEYS", "TAGS", "WAIT", "UNIQ_KEY", "CLUSTER"],
                "KEYS,UNIQ_KEY,CLUSTER,TAGS",
            ),
            (
                &[
                    "a",
                    "b",
                    "c",
                    "KEYS",
                    "TAGS",
                    "UNIQ_KEY",
                    "WAIT",
                    "MIN_OFFSET",
                    "MAX_OFFSET",
                    "x1",
                    "x2",
                    "x3",
                    "x4",
                    "CLUSTER",
                ],
                "a,b,c,MIN_OFFSET,MAX_OFFSET,KEYS,x1,x2,x3,UNIQ_KEY,x4,CLUSTER,TAGS",
            ),
        ];
        for (keys, java) in cases {
            let pairs: Vec<(&str, &str)> = keys
                .iter()
                .filter(|k| **k != "WAIT")
                .map(|k| (*k, "v"))
                .collect();
            let enc = encode_java_map(&pairs, keys.len());
            let order: Vec<&str> = iter(&enc).map(|(k, _)| k).collect();
            assert_eq!(order.join(","), *java);
        }
    }
}
