//! Message ids. The *offset* msgId names a record by store host and commit-log offset
//! (`MessageDecoder.createMessageId`); the *unique* id (`UNIQ_KEY`) is made by the client
//! (`MessageClientIDSetter.createUniqID`) and is what `SendResult.msgId` returns.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Upper-case hex by table: the store makes an offset msgId per appended message, and the client
/// a unique id per sent one, so this stays out of `fmt`.
fn hex_upper(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xF) as usize] as char);
    }
}

/// Store host (IPv4 4 bytes or IPv6 16 bytes) + port (i32) + offset (i64), upper-case hex:
/// 32 characters for IPv4, 56 for IPv6.
pub fn create_offset_msg_id(store_host: SocketAddr, commit_log_offset: i64) -> String {
    let mut raw = [0u8; 28];
    let n = match store_host.ip() {
        IpAddr::V4(ip) => {
            raw[..4].copy_from_slice(&ip.octets());
            4
        }
        IpAddr::V6(ip) => {
            raw[..16].copy_from_slice(&ip.octets());
            16
        }
    };
    raw[n..n + 4].copy_from_slice(&(store_host.port() as i32).to_be_bytes());
    raw[n + 4..n + 12].copy_from_slice(&commit_log_offset.to_be_bytes());
    let mut s = String::with_capacity((n + 12) * 2);
    hex_upper(&mut s, &raw[..n + 12]);
    s
}

/// Parse an offset msgId back into (store host, commit-log offset) (`MessageDecoder.decodeMessageId`).
pub fn decode_offset_msg_id(id: &str) -> Option<(SocketAddr, i64)> {
    let b = id.as_bytes();
    if b.len() != 32 && b.len() != 56 {
        return None;
    }
    let mut raw = [0u8; 28];
    for (i, pair) in b.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        raw[i] = (hi * 16 + lo) as u8;
    }
    let n = if b.len() == 32 { 4 } else { 16 };
    let ip = if n == 4 {
        IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(&raw[..16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let port = i32::from_be_bytes([raw[n], raw[n + 1], raw[n + 2], raw[n + 3]]);
    let mut off = [0u8; 8];
    off.copy_from_slice(&raw[n + 4..n + 12]);
    Some((SocketAddr::new(ip, port as u16), i64::from_be_bytes(off)))
}

/// Generator of unique message ids in the 4.9.3 layout: ip (4) + pid (2) + a per-process value
/// (4, Java uses the class loader's hash) as a fixed prefix, then milliseconds since the start of
/// the current month (4) and a counter (2). 32 hex characters for IPv4.
pub struct UniqIdGenerator {
    prefix: String,
    counter: AtomicU16,
}

impl UniqIdGenerator {
    pub fn new(ip: IpAddr) -> Self {
        let mut raw = Vec::with_capacity(22);
        match ip {
            IpAddr::V4(v4) => raw.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => raw.extend_from_slice(&v6.octets()),
        }
        raw.extend_from_slice(&(std::process::id() as u16).to_be_bytes());
        let seed = (SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0))
            ^ (std::process::id().rotate_left(16));
        raw.extend_from_slice(&seed.to_be_bytes());
        let mut prefix = String::with_capacity(40);
        hex_upper(&mut prefix, &raw);
        UniqIdGenerator {
            prefix,
            counter: AtomicU16::new(0),
        }
    }

    /// The process-wide generator for the local address.
    pub fn global() -> &'static UniqIdGenerator {
        static G: OnceLock<UniqIdGenerator> = OnceLock::new();
        G.get_or_init(|| UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))))
    }

    pub fn next_id(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let diff = (now - month_start_millis(now)) as i32;
        let c = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut s = String::with_capacity(self.prefix.len() + 12);
        s.push_str(&self.prefix);
        hex_upper(&mut s, &diff.to_be_bytes());
        hex_upper(&mut s, &c.to_be_bytes());
        s
    }
}

/// Midnight UTC of the first day of the month containing `now_ms`. (Java uses the local time zone;
/// the value only has to be monotonic within a month for the id to be unique.)
fn month_start_millis(now_ms: i64) -> i64 {
    let days = now_ms.div_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant), enough to find the day of month.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    (days - (d - 1)) * 86_400_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_id_roundtrip() {
        let a: SocketAddr = "192.168.0.1:10911".parse().unwrap();
        let id = create_offset_msg_id(a, 0x1234_5678);
        assert_eq!(id, "C0A8000100002A9F0000000012345678");
        assert_eq!(decode_offset_msg_id(&id), Some((a, 0x1234_5678)));
        assert_eq!(decode_offset_msg_id("zz"), None);
        assert_eq!(decode_offset_msg_id("C0A8"), None);
    }

    /// Moved from the store's copy (`record::offset_msg_id`).
    #[test]
    fn offset_id_ipv6_and_strict_hex() {
        // from_str_radix would take "+0" as a hex pair.
        assert_eq!(
            decode_offset_msg_id("+0A8000100002A9F0000000012345678"),
            None
        );
        let id = create_offset_msg_id("192.168.1.2:10911".parse().unwrap(), 0x1234);
        assert_eq!(id, "C0A8010200002A9F0000000000001234");
        let v6: SocketAddr = "[::1]:1".parse().unwrap();
        let id6 = create_offset_msg_id(v6, 5);
        assert_eq!(id6.len(), 56);
        assert_eq!(decode_offset_msg_id(&id6), Some((v6, 5)));
    }

    #[test]
    fn uniq_ids_are_32_hex_and_distinct() {
        let g = UniqIdGenerator::new("10.0.0.1".parse().unwrap());
        let a = g.next_id();
        let b = g.next_id();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.starts_with("0A000001"));
    }

    #[test]
    fn month_start() {
        // 2026-11-25T16:00:00Z -> 2026-11-01T00:00:00Z
        assert_eq!(month_start_millis(1_795_622_400_000), 1_793_491_200_000);
    }
}
