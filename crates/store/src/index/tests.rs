use super::*;

fn java_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for u in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(u as i32);
    }
    h
}

#[test]
fn hash_is_java_string_hash_code_made_positive() {
    // String.hashCode values (computed independently): "a#b" 94400, "T#k" 81916,
    // "T#order-1" -1840611261, "TopicTest#ORDER-ÄÖ-😀" 1240317405 (UTF-16 units).
    assert_eq!(java_hash("a#b"), 94400);
    assert_eq!(key_hash("a", "b"), 94400);
    assert_eq!(key_hash("T", "k"), 81916);
    assert_eq!(key_hash("T", "order-1"), 1840611261);
    assert_eq!(key_hash("TopicTest", "ORDER-ÄÖ-😀"), 1240317405);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE: Math.abs keeps it negative and
    // Java then uses 0.
    assert_eq!(java_hash("polygenelubricants"), i32::MIN);
    assert_eq!(positive(i32::MIN), 0);
    assert_eq!(positive(-5), 5);
}

#[test]
fn human_names() {
    let ms = 1_700_000_000_123;
    let n = human_time(ms);
    assert_eq!(n.len(), 17);
    assert!(n.ends_with("123"));
    assert_eq!(parse_human_time(&n), Some(ms));
}

#[test]
fn keys_in_java_order() {
    let mut v = Vec::new();
    index_keys("KEYS\u{1}a  b\u{2}UNIQ_KEY\u{1}U\u{2}", |k| {
        v.push(k.to_owned())
    });
    assert_eq!(v, ["U", "a", "b"]);
    assert_eq!(count_keys("TAGS\u{1}x"), 0);
}

fn svc(dir: &Path, slots: usize, num: usize) -> IndexService {
    IndexService::load(dir.join("index"), slots, num, None)
        .unwrap()
        .service
}

fn all(s: &IndexService, topic: &str, key: &str) -> Vec<i64> {
    let mut v = Vec::new();
    s.query(topic, key, 0, i64::MAX, &mut |p| {
        v.push(p);
        true
    });
    v
}

fn be32(b: &[u8], p: usize) -> i32 {
    i32::from_be_bytes(b[p..p + 4].try_into().unwrap())
}
fn be64(b: &[u8], p: usize) -> i64 {
    i64::from_be_bytes(b[p..p + 8].try_into().unwrap())
}

/// The bytes of a file with two keys, field by field as Java's `IndexFile.putKey` and
/// `IndexHeader` write them.
#[test]
fn golden_layout() {
    let d = tempfile::tempdir().unwrap();
    let mut s = svc(d.path(), 8, 4);
    let t0 = 1_700_000_000_000i64;
    s.reserve([2], t0).unwrap();
    s.put_key("T", "k", 4096, t0);
    s.put_key("T", "order-1", 8192, t0 + 2_500);
    flush(&s.take_dirty().1).unwrap();
    let name = s.files[0].name.clone();
    assert_eq!(
        name,
        human_time(t0),
        "named by creation time, yyyyMMddHHmmssSSS local"
    );
    let b = fs::read(d.path().join("index").join(&name)).unwrap();
    assert_eq!(b.len(), 40 + 8 * 4 + 4 * 20);
    // Header.
    assert_eq!(be64(&b, 0), t0, "beginTimestamp");
    assert_eq!(be64(&b, 8), t0 + 2_500, "endTimestamp");
    assert_eq!(be64(&b, 16), 4096, "beginPhyOffset");
    assert_eq!(be64(&b, 24), 8192, "endPhyOffset");
    assert_eq!(be32(&b, 32), 2, "hashSlotCount");
    assert_eq!(be32(&b, 36), 3, "indexCount (starts at 1)");
    // Slots: hash % 8. "T#k" 81916 -> 4, "T#order-1" 1840611261 -> 5.
    let slot = |i: usize| be32(&b, 40 + 4 * i);
    assert_eq!((81916 % 8, 1840611261 % 8), (4, 5));
    assert_eq!(slot(4), 1);
    assert_eq!(slot(5), 2);
    for i in [0, 1, 2, 3, 6, 7] {
        assert_eq!(slot(i), 0);
    }
    // Entries: 0 unused; 1 and 2 = keyHash, phyOffset, timeDiff (s), prevIndex.
    let e = |i: usize| 40 + 8 * 4 + 20 * i;
    assert!(b[e(0)..e(1)].iter().all(|&x| x == 0));
    assert_eq!((be32(&b, e(1)), be64(&b, e(1) + 4)), (81916, 4096));
    assert_eq!((be32(&b, e(1) + 12), be32(&b, e(1) + 16)), (0, 0));
    assert_eq!((be32(&b, e(2)), be64(&b, e(2) + 4)), (1840611261, 8192));
    assert_eq!((be32(&b, e(2) + 12), be32(&b, e(2) + 16)), (2, 0));
    assert!(b[e(3)..].iter().all(|&x| x == 0));
    // A third key in slot 4 chains to entry 1, and the file is then full (indexNum 4).
    s.put_key("T", "k", 9000, t0 + 3_000);
    assert!(s.files[0].is_write_full());
    let b = s.files[0].bytes(0, b.len()).unwrap().to_vec();
    assert_eq!(be32(&b, 40 + 4 * 4), 3);
    assert_eq!((be32(&b, e(3) + 12), be32(&b, e(3) + 16)), (3, 1));
    assert_eq!(be32(&b, 32), 2, "no new slot used");
    assert_eq!(all(&s, "T", "k"), vec![9000, 4096]);
}

#[test]
fn rolls_over_when_full_and_reloads() {
    let d = tempfile::tempdir().unwrap();
    let mut s = svc(d.path(), 4, 3); // 2 entries a file
    let t0 = 1_700_000_000_000i64;
    for i in 0..7i64 {
        s.reserve([1], t0).unwrap();
        s.put_key("T", &format!("k{}", i % 2), 100 * (i + 1), t0 + i * 1000);
    }
    assert_eq!(s.files.len(), 4);
    let h = s.headers();
    // The second file starts where the first ended, then moves to its first entry.
    assert_eq!(
        (h[1].begin_phy_offset, h[1].end_phy_offset, h[1].index_count),
        (300, 400, 3)
    );
    assert_eq!(h[1].begin_timestamp, t0 + 2000);
    assert_eq!(all(&s, "T", "k0"), vec![700, 500, 300, 100]);
    assert_eq!(s.indexed_to(), Some(700));
    flush(&s.take_dirty().1).unwrap();
    drop(s);
    let mut s = svc(d.path(), 4, 3);
    assert_eq!(s.files.len(), 4);
    assert_eq!(all(&s, "T", "k1"), vec![600, 400, 200]);
    // Query limits and time ranges.
    let mut v = Vec::new();
    s.query("T", "k0", t0 + 2000, t0 + 4000, &mut |p| {
        v.push(p);
        true
    });
    assert_eq!(v, vec![500, 300]);
    // Retention: whole files whose endPhyOffset is below the min offset, never the last.
    assert_eq!(s.delete_expired(450), 2);
    assert_eq!(all(&s, "T", "k0"), vec![700, 500]);
    assert_eq!(s.delete_expired(i64::MAX), 1);
    assert_eq!(s.files.len(), 1);
    assert_eq!(fs::read_dir(d.path().join("index")).unwrap().count(), 1);
}

#[test]
fn colliding_keys_share_a_chain() {
    // "Aa" and "BB" have the same String.hashCode.
    assert_eq!(key_hash("T", "Aa"), key_hash("T", "BB"));
    let d = tempfile::tempdir().unwrap();
    let mut s = svc(d.path(), 16, 16);
    s.reserve([2], 1).unwrap();
    s.put_key("T", "Aa", 10, 1_000);
    s.put_key("T", "BB", 20, 1_000);
    // Both are candidates for either key; the store checks the record.
    assert_eq!(all(&s, "T", "Aa"), vec![20, 10]);
    assert_eq!(all(&s, "T", "BB"), vec![20, 10]);
    assert!(all(&s, "T", "Ab").is_empty());
}

#[test]
fn damaged_files_are_refused_and_partial_ones_destroyed() {
    let d = tempfile::tempdir().unwrap();
    let t0 = 1_700_000_000_000i64;
    let mut s = svc(d.path(), 4, 3);
    for i in 0..4i64 {
        s.reserve([1], t0).unwrap();
        s.put_key("T", "k", 100 * (i + 1), t0 + i * 1000);
    }
    let names: Vec<String> = s.files.iter().map(|f| f.name.clone()).collect();
    drop(s);
    assert_eq!(names.len(), 2);
    // Abnormal shutdown: files ending after the checkpoint's index timestamp go.
    let l = IndexService::load(d.path().join("index"), 4, 3, Some(t0 + 1000)).unwrap();
    assert_eq!(l.destroyed, 1);
    assert_eq!(l.service.indexed_to(), Some(200));
    drop(l);
    // A damaged header (indexCount past indexNum) and a wrong length are refused.
    let p = d.path().join("index").join(&names[0]);
    let mut b = fs::read(&p).unwrap();
    b[36..40].copy_from_slice(&99i32.to_be_bytes());
    fs::write(&p, &b).unwrap();
    let l = IndexService::load(d.path().join("index"), 4, 3, None).unwrap();
    assert_eq!((l.destroyed, l.service.files.len()), (1, 0));
    fs::write(d.path().join("index").join(&names[0]), [0u8; 7]).unwrap();
    let l = IndexService::load(d.path().join("index"), 4, 3, None).unwrap();
    assert_eq!((l.destroyed, l.service.indexed_to()), (1, None));
    // Garbage slots and chains end the walk, never panic.
    let mut s = svc(d.path(), 4, 3);
    s.reserve([2], t0).unwrap();
    s.put_key("T", "k", 1, t0);
    s.put_key("T", "k", 2, t0);
    let slot = s.files[0].slot_pos(key_hash("T", "k"));
    s.files[0].put(slot, &7i32.to_be_bytes());
    assert!(all(&s, "T", "k").is_empty());
    let e2 = s.files[0].entry_pos(2);
    s.files[0].put(slot, &2i32.to_be_bytes());
    s.files[0].put(e2 + 16, &2i32.to_be_bytes()); // prev == self
    assert_eq!(all(&s, "T", "k"), vec![2]);
    s.files[0].put(e2 + 12, &(-1i32).to_be_bytes()); // negative timeDiff
    assert!(all(&s, "T", "k").is_empty());
}

#[test]
fn a_record_keys_stay_in_one_file_unless_more_than_a_file_holds() {
    let d = tempfile::tempdir().unwrap();
    let mut s = svc(d.path(), 4, 4); // 3 entries a file
    let two = "KEYS\u{1}a b\u{2}";
    s.reserve([2, 2], 1).unwrap();
    assert_eq!(
        s.pending.len(),
        2,
        "no file yet, and the second record needs the next"
    );
    s.put_record("T", two, 2, 10, 1_000);
    s.put_record("T", two, 2, 20, 1_000);
    let h = s.headers();
    assert_eq!((h.len(), h[0].index_count, h[1].index_count), (2, 3, 3));
    assert_eq!((h[0].end_phy_offset, h[1].begin_phy_offset), (10, 20));
    // Five keys: the rest of this file, then the next ones.
    let five = "KEYS\u{1}a b c d e\u{2}";
    s.reserve([5], 1).unwrap();
    s.put_record("T", five, 5, 30, 1_000);
    let h = s.headers();
    assert_eq!(h.len(), 4);
    assert_eq!(all(&s, "T", "e"), vec![30]);
    assert_eq!(all(&s, "T", "a"), vec![30, 20, 10]);
    assert!(s.pending.is_empty());
}

#[test]
fn a_record_split_by_java_gets_its_missing_keys_once() {
    let d = tempfile::tempdir().unwrap();
    let mut s = svc(d.path(), 8, 16);
    let props = "KEYS\u{1}a b\u{2}UNIQ_KEY\u{1}U\u{2}";
    s.reserve([3, 3], 1).unwrap();
    s.put_key("T", "a", 50, 1_000);
    // As Java after its file rolled mid-record: only UNIQ_KEY survived for offset 100.
    s.put_key("T", "U", 100, 2_000);
    assert_eq!(s.put_missing("T", props, 100, 2_000, 1).unwrap(), 2);
    assert_eq!(s.put_missing("T", props, 100, 2_000, 1).unwrap(), 0);
    assert_eq!(all(&s, "T", "U"), vec![100]);
    assert_eq!(all(&s, "T", "a"), vec![100, 50]);
    assert_eq!(all(&s, "T", "b"), vec![100]);
}
