//! Pure file-layout arithmetic for mapped file queues (no I/O).

/// File name for a file starting at `offset`: 20-digit zero-padded decimal.
pub fn file_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// Parses a file name produced by [`file_name`].
pub fn parse_file_name(name: &str) -> Option<u64> {
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// Index of the file holding `offset` in a queue whose first file starts at `first_from`.
pub fn file_index(first_from: u64, file_size: u64, offset: u64) -> Option<usize> {
    if file_size == 0 || offset < first_from {
        return None;
    }
    Some(((offset - first_from) / file_size) as usize)
}

/// Start offset of the file that holds `offset`.
pub fn file_start(file_size: u64, offset: u64) -> u64 {
    offset - offset % file_size
}

/// Where a record (or contiguous batch) of `len` bytes goes in a commit-log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Write at the current position.
    Here,
    /// Write a blank of this many bytes at the current position and move to the next file.
    NextFile { blank_len: usize },
    /// Can never fit, even in an empty file.
    Never,
}

/// Java rule: a record is only placed if `len + END_FILE_MIN_BLANK_LENGTH <= remaining`.
pub fn fit(file_size: usize, wrote_pos: usize, len: usize) -> Fit {
    let min_blank = crate::record::END_FILE_MIN_BLANK_LENGTH;
    if len + min_blank > file_size {
        Fit::Never
    } else if len + min_blank <= file_size - wrote_pos {
        Fit::Here
    } else {
        Fit::NextFile {
            blank_len: file_size - wrote_pos,
        }
    }
}

/// Java `getMappedFileSizeConsumeQueue`: round the configured size up to whole entries.
pub fn consume_queue_file_size(configured: u64) -> u64 {
    let unit = crate::cq_entry::CQ_STORE_UNIT_SIZE as u64;
    configured.div_ceil(unit).max(1) * unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(file_name(0), "00000000000000000000");
        assert_eq!(file_name(1073741824), "00000000001073741824");
        assert_eq!(parse_file_name("00000000001073741824"), Some(1073741824));
        assert_eq!(parse_file_name("0000000000107374182x"), None);
        assert_eq!(parse_file_name("123"), None);
    }

    #[test]
    fn indices() {
        assert_eq!(file_index(0, 100, 0), Some(0));
        assert_eq!(file_index(0, 100, 99), Some(0));
        assert_eq!(file_index(0, 100, 100), Some(1));
        assert_eq!(file_index(200, 100, 350), Some(1));
        assert_eq!(file_index(200, 100, 199), None);
        assert_eq!(file_start(100, 250), 200);
    }

    #[test]
    fn fits() {
        assert_eq!(fit(100, 0, 92), Fit::Here);
        assert_eq!(fit(100, 0, 93), Fit::Never);
        assert_eq!(fit(100, 50, 42), Fit::Here);
        assert_eq!(fit(100, 50, 43), Fit::NextFile { blank_len: 50 });
        assert_eq!(fit(100, 92, 1), Fit::NextFile { blank_len: 8 });
    }

    #[test]
    fn cq_size() {
        assert_eq!(consume_queue_file_size(300_000 * 20), 6_000_000);
        assert_eq!(consume_queue_file_size(1001), 1020);
        assert_eq!(consume_queue_file_size(0), 20);
    }
}
