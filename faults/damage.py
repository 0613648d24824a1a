#!/usr/bin/env python3
"""Damage one commit-log record for faults/run.sh (damage-last, damage-older).

usage: damage.py STORE_DIR ACKED_FILE last|older

Walks the records of every commit-log file from its start (Java's layout: 4-byte big-endian total
size, 4-byte magic, 4-byte body CRC, ...), picks the middle record of the last file holding
records (`last`) or of the first file (`older`, which must not be the last one), and flips one
byte inside its body (after the fixed header), so its body CRC no longer matches. Prints one line
of key=value pairs for the script:
  file         the damaged file's name        offset     the damaged record's commit-log offset
  index        its index in the file (0-based)   in_file    records in that file
  after        records from the damaged one to the end of its file
  acked_after  acked msgIds among those records
  expected_lost  acked msgIds with no copy before the damage (what truncating there loses)
  files        commit-log files with records  consistent the checkpoint's logics-consistent offset
  scan_file    the file recovery starts its scan at (the one holding that offset)
  victim_lost  1 when the damaged record's msgId is acked and stored nowhere else (what not
               serving that one record loses)
"""
import os
import struct
import sys

MESSAGE_MAGIC = 0xDAA320A7
BLANK_MAGIC = 0xCBD43194
BORNHOST_V6 = 1 << 4
STOREHOST_V6 = 1 << 5


def walk(path):
    """(position, total size, body position, body length, UNIQ_KEY) of each record of a file."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    pos = 0
    while pos + 8 <= len(data):
        size, magic = struct.unpack_from(">iI", data, pos)
        if magic != MESSAGE_MAGIC or size <= 0 or pos + size > len(data):
            break  # the blank at the end, the zero-filled tail, or a torn last record
        p = pos + 4 + 4 + 4 + 4 + 4 + 8 + 8  # size magic crc queueId flag queueOffset physicalOffset
        (sysflag,) = struct.unpack_from(">i", data, p)
        p += 4 + 8  # sysFlag bornTimestamp
        p += 20 if sysflag & BORNHOST_V6 else 8
        p += 8  # storeTimestamp
        p += 20 if sysflag & STOREHOST_V6 else 8
        p += 4 + 8  # reconsumeTimes preparedTransactionOffset
        (body_len,) = struct.unpack_from(">i", data, p)
        body = p + 4
        p = body + body_len
        topic_len = data[p]
        p += 1 + topic_len
        (props_len,) = struct.unpack_from(">h", data, p)
        props = data[p + 2 : p + 2 + props_len].decode("utf-8", "replace")
        uniq = None
        for kv in props.split("\x02"):
            k, _, v = kv.partition("\x01")
            if k == "UNIQ_KEY":
                uniq = v
        out.append((pos, size, body, body_len, uniq))
        pos += size
    return data, out


def main():
    store, acked_path, which = sys.argv[1], sys.argv[2], sys.argv[3]
    cl = os.path.join(store, "commitlog")
    names = sorted(n for n in os.listdir(cl) if n.isdigit())
    files = []
    for n in names:
        _, recs = walk(os.path.join(cl, n))
        if recs:
            files.append((n, recs))
    if len(files) < 2:
        print("error=only_%d_commit_log_files_with_records" % len(files))
        return 1
    fi = len(files) - 1 if which == "last" else 0
    name, recs = files[fi]
    if len(recs) < 2:  # the damaged record needs an intact one after it
        print("error=only_%d_records_in_%s" % (len(recs), name))
        return 1
    idx = (len(recs) - 1) // 2
    pos, size, body, body_len, _ = recs[idx]
    if body_len < 64:
        print("error=body_too_short")
        return 1
    offset = int(name) + pos
    # Flip a byte in the middle of the body (FaultLoad's 'x' padding).
    at = body + body_len // 2
    with open(os.path.join(cl, name), "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0xFF]))
        f.flush()
        os.fsync(f.fileno())
    acked = set()
    with open(acked_path) as f:
        for line in f:
            w = line.split()
            if w:
                acked.add(w[0])
    after_ids = {r[4] for r in recs[idx:]}
    before = set()
    for n, rs in files:
        for r in rs:
            if int(n) + r[0] < offset:
                before.add(r[4])
    # Not serving the damaged record alone loses its msgId unless another record holds it.
    victim = recs[idx][4]
    others = sum(1 for n, rs in files for r in rs if r[4] == victim) - 1
    victim_lost = 1 if victim in acked and others == 0 else 0
    consistent = -1
    try:
        with open(os.path.join(store, "checkpoint"), "rb") as f:
            cp = f.read(44)
        if len(cp) >= 44:
            (consistent,) = struct.unpack_from(">q", cp, 36)
    except OSError:
        pass
    scan_file = "?"
    for n, _ in files:
        if int(n) <= max(consistent, 0):
            scan_file = n
    print(
        "file=%s offset=%d index=%d in_file=%d after=%d acked_after=%d expected_lost=%d files=%d consistent=%d scan_file=%s victim_lost=%d"
        % (
            name,
            offset,
            idx,
            len(recs),
            len(recs) - idx,
            len(after_ids & acked),
            len(acked - before),
            len(files),
            consistent,
            scan_file,
            victim_lost,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
