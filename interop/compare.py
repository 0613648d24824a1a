#!/usr/bin/env python3
"""compare.py sent.jsonl got.jsonl

Checks that every message written by Produce was received (by msgId) with identical
topic, tags, keys, user properties and body. Stdlib only. Exit 0 only if all match.
"""
import json
import sys

FIELDS = ("topic", "tags", "keys", "props", "bodyHex")


def load(path):
    recs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                raise SystemExit(f"FAIL compare: {path}:{n}: bad JSON: {e}")
    return recs


def short(v, n=80):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + f"...({len(s)} chars)"


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip())
        return 2
    sent, got = load(argv[1]), load(argv[2])
    by_id = {}
    for r in got:
        by_id.setdefault(r.get("msgId"), r)
    problems = []
    per_mode = {}
    ok = 0
    for s in sent:
        mode = s.get("mode", "?")
        pm = per_mode.setdefault(mode, [0, 0])
        pm[1] += 1
        mid = s.get("msgId")
        g = by_id.get(mid)
        if g is None:
            problems.append(f"missing {mode} msgId={mid}")
            continue
        bad = [f for f in FIELDS if (s.get(f) or None) != (g.get(f) or None)]
        if bad:
            for f in bad:
                problems.append(f"mismatch {mode} msgId={mid} {f}: sent {short(s.get(f))} got {short(g.get(f))}")
            continue
        if s.get("queueId", -1) not in (-1, None) and g.get("queueId") != s.get("queueId"):
            problems.append(f"mismatch {mode} msgId={mid} queueId: sent {s.get('queueId')} got {g.get('queueId')}")
            continue
        ok += 1
        pm[0] += 1
    sent_ids = {s.get("msgId") for s in sent}
    extra = [r.get("msgId") for r in got if r.get("msgId") not in sent_ids]
    modes = ", ".join(f"{m} {a}/{b}" for m, (a, b) in per_mode.items())
    print(f"compare: {ok}/{len(sent)} sent messages matched ({modes}); received {len(got)}, "
          f"{len(extra)} not in sent file")
    for p in problems[:30]:
        print("  " + p)
    if len(problems) > 30:
        print(f"  ... {len(problems) - 30} more")
    if problems or not sent:
        print(f"FAIL compare: {len(problems)} problem(s)" + ("" if sent else " (sent file empty)"))
        return 1
    print("PASS compare")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
