//! Pure consume-queue entry codec: commitLogOffset i64, size i32, tagsCode i64 (20 bytes).

/// `ConsumeQueue.CQ_STORE_UNIT_SIZE`.
pub const CQ_STORE_UNIT_SIZE: usize = 20;

/// One consume-queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqEntry {
    pub commit_log_offset: i64,
    pub size: i32,
    pub tags_code: i64,
}

impl CqEntry {
    /// Filler written before the first real entry of a queue that starts mid-file
    /// (Java `fillPreBlank`).
    pub const PRE_BLANK: CqEntry = CqEntry {
        commit_log_offset: 0,
        size: i32::MAX,
        tags_code: 0,
    };

    /// Java recovery validity rule: `offset >= 0 && size > 0`.
    pub fn is_valid(&self) -> bool {
        self.commit_log_offset >= 0 && self.size > 0
    }

    pub fn is_pre_blank(&self) -> bool {
        *self == Self::PRE_BLANK
    }

    /// Writes the entry into the first 20 bytes of `dst` (panics if shorter).
    pub fn encode(&self, dst: &mut [u8]) {
        dst[0..8].copy_from_slice(&self.commit_log_offset.to_be_bytes());
        dst[8..12].copy_from_slice(&self.size.to_be_bytes());
        dst[12..20].copy_from_slice(&self.tags_code.to_be_bytes());
    }

    /// Reads an entry from the first 20 bytes of `src`; None if shorter.
    pub fn decode(src: &[u8]) -> Option<CqEntry> {
        let s = src.get(..CQ_STORE_UNIT_SIZE)?;
        let mut o = [0u8; 8];
        o.copy_from_slice(&s[0..8]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&s[12..20]);
        Some(CqEntry {
            commit_log_offset: i64::from_be_bytes(o),
            size: i32::from_be_bytes([s[8], s[9], s[10], s[11]]),
            tags_code: i64::from_be_bytes(t),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let e = CqEntry {
            commit_log_offset: 0x0102030405060708,
            size: 300,
            tags_code: -5,
        };
        let mut b = [0u8; 20];
        e.encode(&mut b);
        assert_eq!(&b[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(CqEntry::decode(&b), Some(e));
        assert!(e.is_valid());
        assert!(!CqEntry::decode(&[0u8; 20]).unwrap().is_valid());
        assert_eq!(CqEntry::decode(&[0u8; 19]), None);
        assert!(CqEntry::PRE_BLANK.is_valid());
    }
}
