#!/usr/bin/env python3
"""Checks of interop/push.sh over the JSON lines its members and senders write.

Deliveries (PushMember.java / interop_driver push-member): msgId, tags, body, queueId,
queueOffset, reconsumeTimes, member, t (ms). Sends (PushSend.java): msgId, queueId, queueOffset,
tags, body, order. Queue files (<out>.queues.jsonl): one line per change of the member's assigned
queues: clientId, member, t, queues [{brokerName, queueId}].

    push_check.py SUBCOMMAND ARGS...   exit 0 when the check holds; prints a one-line detail
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict


def read(path):
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass  # a line cut by a kill
    except OSError:
        pass
    return out


def last_queues(path):
    q = read(path)
    if not q:
        return None, set()
    return q[-1].get("clientId"), {(x["brokerName"], x["queueId"]) for x in q[-1]["queues"]}


def ids(qs):
    return sorted(q for _, q in qs)


def done(ok, text):
    print(text)
    sys.exit(0 if ok else 1)


def split_ok(r, j, n):
    _, a = last_queues(r)
    _, b = last_queues(j)
    ok = a and b and not (a & b) and {q for _, q in a | b} == set(range(int(n)))
    done(ok, f"rust {ids(a)} java {ids(b)}")


def avg(mq_all, cid_all, cid):
    """AllocateMessageQueueAveragely (4.9.3), for the check."""
    if cid not in cid_all:
        return []
    index, n, c = cid_all.index(cid), len(mq_all), len(cid_all)
    mod = n % c
    average = 1 if n <= c else (n // c + 1 if mod > 0 and index < mod else n // c)
    start = index * average if mod > 0 and index < mod else index * average + mod
    rng = min(average, n - start)
    return [mq_all[(start + i) % n] for i in range(max(rng, 0))]


def avg_check(conn, r, j, n):
    text = open(conn, encoding="utf-8", errors="replace").read()
    cids = sorted(set(re.findall(r"^(\S+@\S+)\s+\S+:\d+\s", text, re.M)))
    rc, a = last_queues(r)
    jc, b = last_queues(j)
    if sorted([rc or "?", jc or "?"]) != cids:
        done(False, f"consumerConnection lists {cids}, the members say rust {rc}, java {jc}")
    brokers = {bn for bn, _ in a | b}
    mq_all = sorted((bn, q) for bn in brokers for q in range(int(n)))
    want_r, want_j = set(avg(mq_all, cids, rc)), set(avg(mq_all, cids, jc))
    ok = a == want_r and b == want_j
    done(ok, f"consumerConnection {cids}: rust {ids(a)}, java {ids(b)}"
             + (" = AllocateMessageQueueAveragely" if ok else f"; AVG gives rust {ids(want_r)}, java {ids(want_j)}"))


def has_queues(f, n):
    _, a = last_queues(f)
    sys.exit(0 if len(a) == int(n) else 1)


def min_queues(f, n):
    _, a = last_queues(f)
    sys.exit(0 if len(a) >= int(n) else 1)


def print_last_queues(f):
    print(ids(last_queues(f)[1]))


def delivered(sent, gots):
    want = [s["msgId"] for s in read(sent)]
    per = {g: read(g) for g in gots}
    seen = Counter(d["msgId"] for ds in per.values() for d in ds)
    return want, per, seen


def all_delivered(sent, *gots):
    want, per, seen = delivered(sent, gots)
    missing = [m for m in want if seen[m] == 0]
    dups = sum(seen[m] - 1 for m in want if seen[m] > 1)
    counts = ", ".join(f"{os.path.basename(g).split('.')[0]} {len(ds)}" for g, ds in per.items())
    ok = bool(want) and not missing
    done(ok, f"{len(want)} sent, {len(want) - len(missing)} delivered ({counts} deliveries, {dups} duplicates)"
             + (f"; missing {len(missing)}, e.g. {missing[:2]}" if missing else ""))


def delivered_times(sent, got, k):
    want, _, seen = delivered(sent, [got])
    sys.exit(0 if want and all(seen[m] >= int(k) for m in want) else 1)


def orderly_check(sent, *gots):
    want, per, seen = delivered(sent, gots)
    missing = [m for m in want if seen[m] == 0]
    problems, members, both = [], {}, set()
    queue_owners = defaultdict(set)
    for g, ds in per.items():
        name = os.path.basename(g).split(".")[0]
        members[name] = len(ds)
        last_off, last_step = {}, {}
        for d in ds:
            q, off = d["queueId"], d["queueOffset"]
            queue_owners[q].add(name)
            if q in last_off and off <= last_off[q]:
                problems.append(f"{name} q{q} offset {off} after {last_off[q]}")
            last_off[q] = off
            o, s = (int(x) for x in d["body"].split(":"))
            if o in last_step and s <= last_step[o]:
                problems.append(f"{name} order {o} step {s} after {last_step[o]}")
            last_step[o] = s
    both = sorted(q for q, o in queue_owners.items() if len(o) > 1)
    dups = sum(seen[m] - 1 for m in want if seen[m] > 1)
    text = (f"{len(want)} sent in 16 orders over 8 queues, {len(want) - len(missing)} delivered "
            f"({', '.join(f'{k} {v}' for k, v in members.items())}; {dups} duplicates); "
            f"queues consumed by both members (rebalanced): {both}; per member offsets per queue and steps per order "
            + ("strictly increasing" if not problems else f"NOT increasing: {problems[:3]}"))
    if missing:
        text += f"; missing {len(missing)}"
    if not both:
        text += "; no queue changed hands"
    done(bool(want) and not missing and not problems and bool(both) and all(members.values()), text)


def retry_done(sent, *gots):
    s = read(sent)
    for g in gots:
        rts = defaultdict(list)
        for d in read(g):
            rts[d["msgId"]].append(d["reconsumeTimes"])
        for m in s:
            need = [0, 1, 2] if m["tags"] == "Fail" else [0]
            if sorted(rts[m["msgId"]]) != need:
                sys.exit(1)
    sys.exit(0 if s else 1)


def retry_summary(s, got, dlq):
    fail = {m["msgId"]: m for m in s if m["tags"] == "Fail"}
    okm = {m["msgId"] for m in s if m["tags"] != "Fail"}
    per = defaultdict(list)
    for d in read(got):
        per[d["msgId"]].append(d)
    probs, gaps = [], []
    for mid in fail:
        ds = sorted(per[mid], key=lambda d: d["t"])
        rts = [d["reconsumeTimes"] for d in ds]
        if rts != [0, 1, 2]:
            probs.append(f"{mid[-6:]} reconsumeTimes {rts}")
        gaps += [b["t"] - a["t"] for a, b in zip(ds, ds[1:])]
    for mid in okm:
        rts = [d["reconsumeTimes"] for d in per[mid]]
        if rts != [0]:
            probs.append(f"ok {mid[-6:]} {rts}")
    if gaps and min(gaps) < 900:
        probs.append(f"a retry came {min(gaps)} ms after the previous delivery")
    dl = read(dlq)
    dids = Counter(d["msgId"] for d in dl)
    if set(dids) != set(fail) or any(v != 1 for v in dids.values()):
        probs.append(f"DLQ holds {sorted(k[-6:] for k in dids)} for Fail {sorted(k[-6:] for k in fail)}")
    for d in dl:
        m = fail.get(d["msgId"])
        if m and bytes.fromhex(d.get("bodyHex", "")).decode("utf-8", "replace") != m["body"]:
            probs.append(f"DLQ body of {d['msgId'][-6:]} differs")
    counts = (f"{len(fail)} Fail delivered {sum(len(per[m]) for m in fail)} times (reconsumeTimes 0,1,2 each), "
              f"{len(okm)} ok once, DLQ {len(dl)} with the original msgIds and bodies")
    return counts, probs, (min(gaps) if gaps else None)


def retry_check(sent, rust, java, dlq_rust, dlq_java):
    s = read(sent)
    rc, rp, rg = retry_summary(s, rust, dlq_rust)
    jc, jp, jg = retry_summary(s, java, dlq_java)
    probs = [f"rust: {p}" for p in rp] + [f"java: {p}" for p in jp]
    if rc != jc and not probs:
        probs.append(f"rust '{rc}' vs java '{jc}'")
    done(bool(s) and not probs,
         f"rust and java members: {rc}; retry gaps >= {rg} ms (rust), {jg} ms (java)"
         + (f"; PROBLEMS: {probs[:4]}" if probs else ""))


def broadcast_check(sent_a, sent_b, bc1, bc2, bc2again, offdir, group):
    a = {m["msgId"] for m in read(sent_a)}
    b = {m["msgId"] for m in read(sent_b)}
    g1 = {d["msgId"] for d in read(bc1)}
    g2 = {d["msgId"] for d in read(bc2)}
    g3 = Counter(d["msgId"] for d in read(bc2again))
    probs = []
    if not (a | b) <= g1:
        probs.append(f"bc1 misses {len((a | b) - g1)}")
    if not a <= g2:
        probs.append(f"bc2 misses {len(a - g2)} of the first batch")
    if not b <= set(g3):
        probs.append(f"bc2 after restart misses {len(b - set(g3))} of the new batch")
    old = sum(v for k, v in g3.items() if k in a)
    if old:
        probs.append(f"bc2 after restart got {old} old messages again")
    cid, _ = last_queues(bc2again + ".queues.jsonl")
    f = os.path.join(offdir, cid or "?", group, "offsets.json")
    offs = "none"
    try:
        # fastjson's form: the keys are MessageQueue objects
        t = re.findall(r'"queueId":(\d+),"topic":"[^"]*"\}:(-?\d+)', open(f).read())
        offs = ",".join(f"q{q}={v}" for q, v in sorted(t))
        if not t:
            probs.append(f"no offsets in {f}")
    except OSError as e:
        probs.append(f"no offsets file {f} ({type(e).__name__})")
    done(len(a) == 20 and len(b) == 20 and not probs,
         f"bc1 and bc2 got all {len(a)}; bc2 stopped, {len(b)} more sent; bc2 restarted ({cid}) got "
         f"{sum(g3.values())}: only the new ones; {os.path.relpath(f, offdir)} offsets {offs}"
         + (f"; PROBLEMS: {probs}" if probs else ""))


def reset_check(sent, before, after, reset_txt):
    want = [m["msgId"] for m in read(sent)]
    b = Counter(d["msgId"] for d in read(before))
    a = Counter(d["msgId"] for d in read(after))
    again = [m for m in want if a[m] - b[m] >= 1]
    txt = open(reset_txt, encoding="utf-8", errors="replace").read()
    rows = re.findall(r"^\S+\s+\d+\s+\d+\s*$", txt, re.M)
    probs = []
    if not all(b[m] >= 1 for m in want):
        probs.append(f"only {sum(1 for m in want if b[m])} consumed before the reset")
    if len(again) != len(want):
        probs.append(f"{len(again)} of {len(want)} consumed again")
    if "Exception" in txt:
        probs.append("mqadmin: " + re.search(r".*Exception.*", txt).group(0)[:200])
    done(bool(want) and not probs,
         f"{len(want)} consumed, offsets committed, resetOffsetByTime ({len(rows)} queue rows) -> "
         f"{len(again)} consumed again" + (f"; PROBLEMS: {probs}" if probs else ""))


CMDS = {
    "split-ok": split_ok, "avg-check": avg_check, "has-queues": has_queues, "min-queues": min_queues,
    "last-queues": print_last_queues, "all-delivered": all_delivered, "delivered-times": delivered_times,
    "orderly-check": orderly_check, "retry-done": retry_done, "retry-check": retry_check,
    "broadcast-check": broadcast_check, "reset-check": reset_check,
}

if __name__ == "__main__":
    CMDS[sys.argv[1]](*sys.argv[2:])
