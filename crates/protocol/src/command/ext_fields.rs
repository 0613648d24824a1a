//! `extFields`: a command's header fields as one string plus spans.

/// The `extFields` map. Java keeps a `HashMap<String, String>`; here every key and value of a
/// command sits back to back in one string, indexed by a small vector of spans, in insertion
/// order (deterministic encoding). Decoding a send header used to allocate two `String`s per
/// field (~30 per request; all malloc/free together were ~9% of the broker's send path in perf).
#[derive(Clone, Default)]
pub struct ExtFields {
    text: String,
    spans: Vec<Span>,
}

/// Byte ranges of one key and its value in `ExtFields::text`.
#[derive(Clone, Copy)]
struct Span {
    key: (u32, u32),
    value: (u32, u32),
}

impl ExtFields {
    /// Room for `n` fields of about `bytes` bytes of text in all.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        ExtFields {
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(n),
        }
    }

    /// From text holding keys and values back to back; `spans` are (key start, value start,
    /// value end) byte offsets, each key ending where its value starts. Spans that are not in
    /// bounds and on char boundaries are dropped (none are: the JSON decoder records them around
    /// whole strings), which keeps the unchecked slicing in `slice` sound.
    pub(crate) fn from_text(text: String, spans: &[(usize, usize, usize)]) -> Self {
        let ok = |i: usize| text.is_char_boundary(i) && i <= u32::MAX as usize;
        ExtFields {
            spans: spans
                .iter()
                .filter(|&&(k, v, e)| k <= v && v <= e && ok(k) && ok(v) && ok(e))
                .map(|&(k, v, e)| Span {
                    key: (k as u32, v as u32),
                    value: (v as u32, e as u32),
                })
                .collect(),
            text,
        }
    }

    fn slice(&self, (a, b): (u32, u32)) -> &str {
        // SAFETY: every span was recorded around a whole `&str` appended to `text` (`append`,
        // `from_text`), so it is in bounds and on char boundaries, and `text` only grows
        // (a checked slice cost +40% on encoding a send header: two boundary checks per field).
        unsafe { self.text.get_unchecked(a as usize..b as usize) }
    }

    fn key_of(&self, s: &Span) -> &str {
        self.slice(s.key)
    }

    fn value_of(&self, s: &Span) -> &str {
        self.slice(s.value)
    }

    /// Headers are bounded by the 16 MiB frame limit, so offsets fit in u32; a caller that
    /// builds more than 4 GiB of fields stops here instead of recording a truncated span that
    /// `slice` would then read out of bounds.
    fn append(&mut self, t: &str) -> (u32, u32) {
        let a = self.text.len();
        let end = a
            .checked_add(t.len())
            .and_then(|e| u32::try_from(e).ok())
            .expect("ExtFields holds at most 4 GiB of text (frames are limited to 16 MiB)");
        self.text.push_str(t);
        // `a <= end <= u32::MAX`.
        (a as u32, end)
    }

    fn position(&self, key: &str) -> Option<usize> {
        let kb = key.as_bytes();
        // Length and first byte inline before the full comparison: the V2 send header's keys
        // are single letters, and a memcmp call per candidate key was ~4% of the broker's send
        // path (perf, 128 B sends).
        // The last of equal keys, as Java's `HashMap` keeps it (fastjson and the ROCKETMQ
        // decoder both `put` in order).
        self.spans.iter().rposition(|s| {
            let b = self.key_of(s).as_bytes();
            b.len() == kb.len() && b.first() == kb.first() && b == kb
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.value_of(&self.spans[i]))
    }

    /// Insert or replace.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let (key, value) = (key.as_ref(), value.as_ref());
        match self.position(key) {
            Some(i) => {
                // The old value's bytes stay unused in `text` until the command is dropped.
                let v = self.append(value);
                self.spans[i].value = v;
            }
            None => self.push(key, value),
        }
    }

    /// Append a field without looking for an existing one (decoders; header writers, whose keys
    /// are distinct). `get` returns the last of equal keys.
    pub fn push(&mut self, key: &str, value: &str) {
        let key = self.append(key);
        let value = self.append(value);
        self.spans.push(Span { key, value });
    }

    /// Remove every field named `key`.
    pub fn remove(&mut self, key: &str) {
        let text = &self.text;
        self.spans
            .retain(|s| &text[s.key.0 as usize..s.key.1 as usize] != key);
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.spans
            .iter()
            .map(|s| (self.key_of(s), self.value_of(s)))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(it: I) -> Self {
        let mut e = ExtFields::default();
        for (k, v) in it {
            e.push(k.as_ref(), v.as_ref());
        }
        e
    }
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ExtFields {}

impl std::fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
