#!/usr/bin/env python3
"""crosscheck.py: compare what the Java 4.9.3 client and the Rocklet (Rust) client report.

  crosscheck.py records JAVA_GOT.jsonl RUST_GOT.jsonl
      Same msgIds, and every field of every received record equal (msgId, offsetMsgId, topic,
      tags, keys, props, body, queueId, queueOffset, store/born host, timestamps, sysFlag,
      reconsumeTimes): the two clients decode the same stored messages identically.
  crosscheck.py admin JAVA_ADMIN.json RUST_ADMIN.json
      The admin answers of Admin.java and `interop_driver admin` for the same topic agree: route
      (parsed and the raw fastjson text), cluster info, min/max/search offsets per queue, the
      msgIds found by key, the messages viewed by unique key and by offset msgId.
  crosscheck.py servers JAVA_BROKER_GOT.jsonl ROCKLET_GOT.jsonl
      The same producer's corpus read back from the Java broker and from Rocklet (matched by the
      rk_mode/rk_index user properties, since msgIds differ): same messages, and the fields the
      broker stores or derives agree (tags, keys, props, body, sysFlag, reconsumeTimes; queueId for
      explicit-queue sends; hosts in ip:port form).
  crosscheck.py mixed --stop-ms T --stopped NAME --survivor NAME [--max-fail N] [--min-after N] LOOP.json...
      Fail-over of `Loop` / `interop_driver loop` runs while broker NAME was stopped at T (epoch
      ms, the moment the process had exited): before T both brokers took messages; after T at
      least --min-after sends succeeded, all on the survivor, the last sends all succeeded, and
      no run had more than --max-fail failed sends.

Stdlib only. Prints PASS/FAIL lines; exit 0 only if everything agrees.
"""
import json
import sys

RECORD_FIELDS = ("msgId", "offsetMsgId", "topic", "tags", "keys", "props", "bodyHex", "queueId",
                 "queueOffset", "storeHost", "bornHost", "bornTimestamp", "storeTimestamp",
                 "sysFlag", "reconsumeTimes")


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def short(v, n=100):
    s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= n else s[:n] + f"...({len(s)} chars)"


def diff_records(a, b, label):
    """Field-by-field differences of two received-message records."""
    out = []
    for f in RECORD_FIELDS:
        if a.get(f) != b.get(f):
            out.append(f"{label} {f}: java {short(a.get(f))} rust {short(b.get(f))}")
    return out


def cmd_records(java_path, rust_path):
    j = {r["msgId"]: r for r in load_jsonl(java_path)}
    r = {x["msgId"]: x for x in load_jsonl(rust_path)}
    problems = []
    only_j = sorted(set(j) - set(r))
    only_r = sorted(set(r) - set(j))
    if only_j:
        problems.append(f"{len(only_j)} msgIds only seen by Java, e.g. {only_j[:3]}")
    if only_r:
        problems.append(f"{len(only_r)} msgIds only seen by Rust, e.g. {only_r[:3]}")
    by_field = {}
    for mid in sorted(set(j) & set(r)):
        for d in diff_records(j[mid], r[mid], f"msgId={mid}"):
            f = d.split(" ")[1].rstrip(":")
            by_field.setdefault(f, []).append(d)
    for f, ds in sorted(by_field.items()):
        problems.append(f"{f} differs in {len(ds)} message(s), e.g. {ds[0]}")
    print(f"crosscheck records: {len(set(j) & set(r))} common msgIds (java {len(j)}, rust {len(r)}), "
          f"{len(RECORD_FIELDS)} fields each")
    return report("records", problems)


def norm(v):
    """Canonical JSON value: dict keys sorted, lists of route/broker entries sorted."""
    if isinstance(v, dict):
        return {str(k): norm(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if isinstance(v, list):
        items = [norm(x) for x in v]
        if all(isinstance(x, dict) for x in items):
            return sorted(items, key=lambda d: json.dumps(d, sort_keys=True))
        return items
    return v


def cmd_admin(java_path, rust_path):
    j, r = load_json(java_path), load_json(rust_path)
    problems = []
    checked = []

    def err(name):
        bad = [who for who, d in (("java", j), ("rust", r))
               if not isinstance(d.get(name), (dict, list)) or d.get(name) is None]
        if bad:
            problems.append(f"{name}: no result from {'/'.join(bad)} "
                            f"(java {short(j.get(name), 160)}, rust {short(r.get(name), 160)})")
            return True
        return False

    for name in ("examineTopicRouteInfo", "examineBrokerClusterInfo"):
        if err(name):
            continue
        checked.append(name)
        if norm(j[name]) != norm(r[name]):
            problems.append(f"{name}: java {short(norm(j[name]), 300)} rust {short(norm(r[name]), 300)}")
    name = "examineTopicRouteInfo.rawJson"
    checked.append(name)
    if j.get(name) != r.get(name):
        problems.append(f"{name}: java {short(j.get(name), 300)} rust {short(r.get(name), 300)}")

    name = "createAndUpdateTopicConfig"
    if not err(name):
        checked.append(name)
        qj = norm(j[name]["route"]["queueDatas"])
        qr = norm(r[name]["route"]["queueDatas"])
        if qj != qr:
            problems.append(f"{name}: new topic's queueDatas java {short(qj, 200)} rust {short(qr, 200)}")

    name = "offsets"
    if not err(name):
        checked.append(name)
        key = lambda o: (o["brokerName"], o["queueId"])
        oj = {key(o): o for o in j[name]}
        orr = {key(o): o for o in r[name]}
        if set(oj) != set(orr):
            problems.append(f"offsets: queues java {sorted(oj)} rust {sorted(orr)}")
        for k in sorted(set(oj) & set(orr)):
            for f in ("minOffset", "maxOffset", "searchOffsetPast1h", "searchOffsetNow", "searchOffsetFuture1h"):
                if oj[k].get(f) != orr[k].get(f):
                    problems.append(f"offsets {k[0]}/{k[1]} {f}: java {oj[k].get(f)} rust {orr[k].get(f)}")

    name = "queryMessageByKey"
    if not err(name):
        checked.append(name)
        if j[name].get("key") != r[name].get("key"):
            problems.append(f"{name}: key java {j[name].get('key')} rust {r[name].get('key')}")
        mj = {m["msgId"]: m for m in j[name]["messages"]}
        mr = {m["msgId"]: m for m in r[name]["messages"]}
        if set(mj) != set(mr):
            problems.append(f"{name}: msgIds java {sorted(mj)} rust {sorted(mr)}")
        for mid in sorted(set(mj) & set(mr)):
            problems += [f"{name} {d}" for d in diff_records(mj[mid], mr[mid], f"msgId={mid}")]

    for name in ("viewMessageByUniqKey", "viewMessageByOffsetMsgId"):
        if err(name):
            continue
        checked.append(name)
        problems += [f"{name} {d}" for d in diff_records(j[name]["message"], r[name]["message"], "message")]

    print(f"crosscheck admin: compared {', '.join(checked)}")
    return report("admin", problems)


def cmd_servers(java_path, rocklet_path):
    def load(p):
        out = {}
        for r in load_jsonl(p):
            out[(r.get("props", {}).get("rk_mode"), r.get("props", {}).get("rk_index"))] = r
        return out
    j, r = load(java_path), load(rocklet_path)
    problems = []
    if set(j) != set(r):
        problems.append(f"different messages: only Java {sorted(set(j) - set(r))[:3]}, only Rocklet {sorted(set(r) - set(j))[:3]}")
    by_field = {}
    hostport = lambda v: isinstance(v, str) and v.count(":") == 1 and v.split(":")[1].isdigit()
    for k in sorted(set(j) & set(r), key=str):
        a, b = j[k], r[k]
        fields = ["tags", "keys", "props", "bodyHex", "sysFlag", "reconsumeTimes"]
        if k[0] == "queue":
            fields.append("queueId")
        for f in fields:
            if a.get(f) != b.get(f):
                by_field.setdefault(f, []).append(f"{k}: java {short(a.get(f))} rocklet {short(b.get(f))}")
        for f in ("storeHost", "bornHost"):
            if hostport(a.get(f)) != hostport(b.get(f)):
                by_field.setdefault(f, []).append(f"{k}: java {a.get(f)} rocklet {b.get(f)}")
        # Every stored property (values that differ per run or per queue masked), and the stored
        # record's size less its topic name (the two runs use different topics).
        if "allProps" in a and "allProps" in b:
            per_run = {"UNIQ_KEY", "MIN_OFFSET", "MAX_OFFSET", "CONSUME_START_TIME"}
            mask = lambda p: {key: ("*" if key in per_run else v) for key, v in p.items()}
            if mask(a["allProps"]) != mask(b["allProps"]):
                by_field.setdefault("allProps", []).append(
                    f"{k}: java {short(mask(a['allProps']))} rocklet {short(mask(b['allProps']))}")
            size = lambda r: r.get("storeSize", 0) - len(r.get("topic", "").encode())
            if size(a) != size(b):
                by_field.setdefault("storeSize", []).append(
                    f"{k}: java {a.get('storeSize')} rocklet {b.get('storeSize')} (topics {a.get('topic')}, {b.get('topic')})")
    for f, ds in sorted(by_field.items()):
        problems.append(f"{f} differs in {len(ds)} message(s), e.g. {ds[0]}")
    print(f"crosscheck servers: {len(set(j) & set(r))} messages matched by mode/index (Java broker {len(j)}, Rocklet {len(r)})")
    return report("servers", problems)


def cmd_mixed(args):
    opts = {"max-fail": "3", "min-after": "10"}
    files = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            opts[a[2:]] = args[i + 1]
            i += 2
        else:
            files.append(a)
            i += 1
    for need in ("stop-ms", "stopped", "survivor"):
        if need not in opts:
            raise SystemExit(f"crosscheck mixed: missing --{need}")
    stop = int(opts["stop-ms"])
    stopped, survivor = opts["stopped"], opts["survivor"]
    max_fail, min_after = int(opts["max-fail"]), int(opts["min-after"])
    problems = []
    for path in files:
        d = load_json(path)
        who = f"{d.get('client', '?')} loop"
        ev = d.get("events", [])
        before = [e for e in ev if e["t"] < stop and e.get("ok")]
        after = [e for e in ev if e["t"] >= stop]
        after_ok = [e for e in after if e.get("ok")]
        fails = [e for e in ev if not e.get("ok")]
        b_before = {}
        for e in before:
            b_before[e.get("broker")] = b_before.get(e.get("broker"), 0) + 1
        b_after = {}
        for e in after_ok:
            b_after[e.get("broker")] = b_after.get(e.get("broker"), 0) + 1
        tail = ev[-5:]
        print(f"SUMMARY {len(ev) - len(fails)}/{len(ev)} sends ok, {len(fails)} failed; per broker before stop "
              f"{json.dumps(b_before, sort_keys=True)}, after {json.dumps(b_after, sort_keys=True)}")
        print(f"crosscheck mixed: {who}: {len(ev)} sends, {len(fails)} failed; before stop ok per broker {b_before}; "
              f"after stop {len(after_ok)}/{len(after)} ok, per broker {b_after}")
        for e in fails[:3]:
            print(f"  failed send #{e.get('i')} at stop{e['t'] - stop:+d} ms after {e.get('ms')} ms: {e.get('err')}")
        if b_before.get(stopped, 0) == 0 or b_before.get(survivor, 0) == 0:
            problems.append(f"{who}: before the stop not both brokers took messages: {b_before}")
        if len(after_ok) < min_after:
            problems.append(f"{who}: only {len(after_ok)} successful sends after the stop (want >= {min_after})")
        if b_after.get(stopped, 0):
            problems.append(f"{who}: {b_after[stopped]} sends reported stored on {stopped} after it had exited")
        if len(fails) > max_fail:
            problems.append(f"{who}: {len(fails)} failed sends (max {max_fail}); first: {fails[0].get('err')}")
        if not tail or not all(e.get("ok") for e in tail):
            problems.append(f"{who}: the last sends did not all succeed: {[e.get('err') for e in tail if not e.get('ok')]}")
    if not files:
        problems.append("no loop files")
    return report("mixed", problems)


def report(what, problems):
    for p in problems[:20]:
        print("  " + p)
    if len(problems) > 20:
        print(f"  ... {len(problems) - 20} more")
    if problems:
        print(f"FAIL crosscheck {what}: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
        return 1
    print(f"PASS crosscheck {what}")
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "records":
        return cmd_records(argv[2], argv[3])
    if len(argv) >= 4 and argv[1] == "admin":
        return cmd_admin(argv[2], argv[3])
    if len(argv) >= 4 and argv[1] == "servers":
        return cmd_servers(argv[2], argv[3])
    if len(argv) >= 3 and argv[1] == "mixed":
        return cmd_mixed(argv[2:])
    print(__doc__.strip())
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
