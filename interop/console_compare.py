#!/usr/bin/env python3
"""Normalise and compare the JSON lines that `Console` (the console / dashboard admin calls) printed
against the Java servers and against Rocklet (stdlib only; used by console.sh).

  console_compare.py JAVA.jsonl ROCKLET.jsonl [--out-dir DIR] [--checks a,b,c]

Each input line is {"check": NAME, "ok": bool, "ms": N, "result": TREE} or {..., "error": {"class",
"code", "message", "causes"}}; lines whose check starts with "_" describe the run (_setup, _done).
For every check (in the Java file's order, or --checks) prints one tab-separated line:

  PASS<TAB>check<TAB>seconds<TAB>detail
  FAIL<TAB>check<TAB>seconds<TAB>reason

seconds = the slower side's time for the call. With --out-dir, writes DIR/<check>.{java,rocklet}.json
(normalised, pretty) and DIR/<check>.diff for every FAIL.

Normalised away (values that legitimately differ between two servers / two runs):
  addresses (ip:port, bare IPv4), message ids (32+ hex), absolute paths, epoch-millisecond times in
  text, pid-based client instance names, Java identity hashes (Foo@1a2b3c) and lambda class
  addresses; numbers (and numeric strings) under volatile field names:
  offsets, timestamps, TPS / RT, counts, sums, data-version counters, spent times, the wipe/add
  topic counts, subscription versions; a message's queueId (the producer picks a random start queue);
  in broker/name-server config and runtime-stats listings every value except a few stable keys
  (the key SETS are still compared); exception message text (shown in the reason, not compared;
  an "exceptionDesc" text is reduced to its leading exception class and CODE); the lazily created
  RMQ_SYS_TRANS_HALF_TOPIC / RMQ_SYS_TRANS_OP_HALF_TOPIC in topic lists.
Kept: field names and key sets, every other value (topic / group / broker / cluster names, perms,
queue ids and counts, bodies, keys, tags, user properties, booleans, nulls, versions, enums, CRCs,
store sizes), success vs exception, exception classes and response codes.
"""
import argparse
import json
import os
import re
import sys

VOLATILE_KEY = re.compile(
    r"^(.*Offset|.*Timestamp|timestamp|.*TPS|.*Tps|.*RT|.*MsgCount|cachedMsgSizeInMiB|"
    r"tryUnlockTimes|consumeFailedMsgs|sum|tps|avgpt|totalDiff|diffTotal|counter|spentTimeMills|"
    r"subVersion|.*TopicCount|offsets|PROP_CONSUMER_START_TIMESTAMP|waitedMs)$")
# config / runtime-stats listings: values kept only for these keys
KEEP_CONFIG = {
    "brokerName", "brokerClusterName", "brokerId", "brokerIP1", "autoCreateTopicEnable",
    "autoCreateSubscriptionGroup", "defaultTopicQueueNums", "maxMessageSize", "messageDelayLevel",
    "flushDiskType", "brokerRole", "brokerPermission", "msgTraceTopicName", "traceTopicEnable",
    "regionId", "aclEnable", "enableDLegerCommitLog", "productEnvName",
    "orderMessageEnable", "clusterTest", "clusterTopicEnable", "brokerTopicEnable",
    "storeReplyMessageEnable", "traceOn", "transactionCheckMax", "longPollingEnable",
}
KEEP_STATUS = {"brokerVersion", "brokerVersionDesc"}
LISTING_CHECKS = {"getBrokerConfig": "config", "getNameServerConfig": "config",
                  "fetchBrokerRuntimeStats": "status"}

ADDR = re.compile(r"/?\b\d{1,3}(\.\d{1,3}){3}:\d+\b")
IP = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")
MSGID = re.compile(r"\b[0-9A-F]{32,}\b")
PATH = re.compile(r"(?<![A-Za-z0-9.:/])(/[\w.\-%]+){2,}/?")
HEX_ADDR = re.compile(r"\b0x[0-9a-f]+\b")
IDENTITY_HASH = re.compile(r"(?<=[\w$>])@[0-9a-f]{4,8}\b")
EPOCH_MS = re.compile(r"\b1\d{12}\b")
PID_INSTANCE = re.compile(r"@\d+#\d+")
CODE_IN_TEXT = re.compile(r"CODE:\s*(-?\d+)")
JAVA_CLASS = re.compile(r"^([a-z]+(\.[a-z0-9_]+)+\.([A-Z]\w*))")
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
ERROR_KEYS = {"class", "code", "message", "causes"}
V = "<v>"
# system topics the Java broker creates lazily (the half topic on its first transaction check,
# transactionCheckInterval = 60 s after boot): present or not depending on when the list is read
LAZY_TOPICS = {"RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC"}


def norm_str(s):
    s = ADDR.sub("<addr>", s)
    s = IP.sub("<ip>", s)
    s = MSGID.sub("<msgid>", s)
    s = PATH.sub("<path>", s)
    s = EPOCH_MS.sub("<ms>", s)
    s = PID_INSTANCE.sub("@<pid>", s)
    s = HEX_ADDR.sub("0x<hex>", s)
    s = IDENTITY_HASH.sub("@<hash>", s)
    return s


def norm_exception_text(s):
    """exceptionDesc-like text: only its class (if it starts with one) and CODE are kept."""
    m = CODE_IN_TEXT.search(s)
    c = JAVA_CLASS.match(s)
    parts = []
    if c:
        parts.append(c.group(3))
    parts.append("CODE:" + m.group(1) if m else "<text>")
    return " ".join(parts)


def is_error(d):
    return isinstance(d, dict) and set(d) == ERROR_KEYS


def norm(v, key=None, volatile=False, listing=None):
    """listing: None, "config" or "status" (values replaced unless the key is kept)."""
    if isinstance(v, dict):
        if is_error(v):
            return {"class": v["class"], "code": v["code"],
                    "causes": [norm(c) for c in v.get("causes") or []]}
        if listing:
            keep = KEEP_CONFIG if listing == "config" else KEEP_STATUS
            return {norm_str(k): (norm(x, k) if k in keep else V) for k, x in v.items()}
        out = {}
        message = "msgId" in v and "bornHost" in v
        for k, x in v.items():
            if message and k == "queueId":
                out[k] = V
                continue
            out[norm_str(k)] = norm(x, k, volatile or bool(VOLATILE_KEY.match(k)))
        return out
    if isinstance(v, list):
        if key in ("topicList",):
            v = [x for x in v if x not in LAZY_TOPICS]
        items = [norm(x, key, volatile) for x in v]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return V if volatile else v
    if isinstance(v, str):
        if volatile and NUMERIC.match(v):
            return V
        if key == "exceptionDesc":
            return norm_exception_text(v)
        return norm_str(v)
    return v


def normalise_line(d):
    """The compared form of one check line."""
    name = d.get("check")
    if not d.get("ok"):
        return {"ok": False, "error": norm(d.get("error") or {})}
    res = d.get("result")
    listing = LISTING_CHECKS.get(name)
    if listing == "status" and isinstance(res, dict) and isinstance(res.get("table"), dict):
        res = dict(res, table=norm(res["table"], listing="status"))
        return {"ok": True, "result": norm(res)}
    if listing == "config" and isinstance(res, dict):
        if name == "getNameServerConfig":   # {addr: {config}}
            return {"ok": True, "result": {norm_str(k): norm(x, listing="config") for k, x in res.items()}}
        return {"ok": True, "result": norm(res, listing="config")}
    return {"ok": True, "result": norm(res)}


def load(path):
    lines = {}
    order = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                raw = raw.strip()
                if not raw.startswith("{"):
                    continue
                try:
                    d = json.loads(raw)
                except ValueError:
                    continue
                name = d.get("check")
                if not name:
                    continue
                if name not in lines:
                    order.append(name)
                lines[name] = d
    except OSError:
        pass
    return lines, order


def short(v, n=160):
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= n else s[:n - 3] + "..."


def diffs(a, b, path="$", out=None, limit=4):
    """Differences between two normalised trees, as readable strings (at most `limit`)."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        ka, kb = set(a), set(b)
        if ka != kb:
            only_a, only_b = sorted(ka - kb), sorted(kb - ka)
            msg = f"{path}: key sets differ"
            if only_a:
                msg += f"; only java: {', '.join(only_a[:12])}" + (f" (+{len(only_a) - 12})" if len(only_a) > 12 else "")
            if only_b:
                msg += f"; only rocklet: {', '.join(only_b[:12])}" + (f" (+{len(only_b) - 12})" if len(only_b) > 12 else "")
            out.append(msg)
        for k in sorted(ka & kb):
            diffs(a[k], b[k], f"{path}.{k}", out, limit)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b) and all(not isinstance(x, (dict, list)) for x in a + b):
            sa = {json.dumps(x) for x in a}
            sb = {json.dumps(x) for x in b}
            out.append(f"{path}: {len(a)} items (java) vs {len(b)} (rocklet); only java: "
                       f"{', '.join(sorted(sa - sb)) or '-'}; only rocklet: {', '.join(sorted(sb - sa)) or '-'}")
            return out
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items (java) vs {len(b)} (rocklet): java {short(a)} rocklet {short(b)}")
            return out
        for i, (x, y) in enumerate(zip(a, b)):
            diffs(x, y, f"{path}[{i}]", out, limit)
        return out
    if a != b:
        out.append(f"{path}: java={short(a)} rocklet={short(b)}")
    return out


def describe_error(d):
    e = d.get("error") or {}
    s = e.get("class", "?")
    if e.get("code") is not None:
        s += f" code {e['code']}"
    if e.get("message"):
        s += f" '{norm_str(e['message'])[:200]}'"
    for c in e.get("causes") or []:
        s += f" <- {c.get('class')}" + (f" code {c['code']}" if c.get("code") is not None else "")
        if c.get("message"):
            s += f" '{norm_str(c['message'])[:120]}'"
    return s


def why_missing(lines):
    """Why a side has no line for a check: its _setup failed, it timed out, or it died."""
    setup = lines.get("_setup")
    if setup is None:
        return "Console printed nothing (died at start?)"
    if not setup.get("ok"):
        return "Console setup failed: " + describe_error(setup)
    if "_timeout" in lines:
        return "Console hit its time limit before this check"
    if "_done" not in lines:
        return "Console died or was killed before this check"
    return "check not run"


def compare(name, j, r, jl=None, rl=None):
    """(ok, text) for one check."""
    if j is None and r is None:
        return False, f"no output from either side (java: {why_missing(jl or {})}; rocklet: {why_missing(rl or {})})"
    if j is None:
        return False, f"no output from the Java side: {why_missing(jl or {})}"
    if r is None:
        return False, f"no output from the Rocklet side: {why_missing(rl or {})}"
    nj, nr = normalise_line(j), normalise_line(r)
    if nj == nr:
        if not j.get("ok"):
            return True, f"both fail alike: {describe_error(j)}"
        res = nj.get("result")
        size = len(res) if isinstance(res, (dict, list)) else None
        return True, "results agree" + (f" ({size} {'keys' if isinstance(res, dict) else 'items'})" if size is not None else f" ({short(res, 60)})")
    if j.get("ok") and not r.get("ok"):
        return False, f"rocklet threw {describe_error(r)}; java succeeded"
    if r.get("ok") and not j.get("ok"):
        return False, f"java threw {describe_error(j)}; rocklet succeeded with {short(nr.get('result'), 200)}"
    if not j.get("ok"):
        return False, f"different errors: java {describe_error(j)}; rocklet {describe_error(r)}"
    ds = diffs(nj["result"], nr["result"], "$")
    return False, "; ".join(ds) if ds else "results differ (ordering?)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("java")
    ap.add_argument("rocklet")
    ap.add_argument("--out-dir")
    ap.add_argument("--checks", help="comma-separated check names (default: all in the Java file)")
    a = ap.parse_args()
    jl, jorder = load(a.java)
    rl, rorder = load(a.rocklet)
    if a.checks:
        names = [c for c in a.checks.split(",") if c]
    else:
        names = [n for n in jorder if not n.startswith("_")]
        names += [n for n in rorder if not n.startswith("_") and n not in names]
    if a.out_dir:
        os.makedirs(a.out_dir, exist_ok=True)
    nfail = 0
    for name in names:
        j, r = jl.get(name), rl.get(name)
        ok, text = compare(name, j, r, jl, rl)
        secs = max((x or {}).get("ms", 0) or 0 for x in (j, r)) / 1000.0
        text = text.replace("\t", " ").replace("\n", " ")
        print(f"{'PASS' if ok else 'FAIL'}\t{name}\t{secs:.0f}\t{text}")
        if not ok:
            nfail += 1
        if a.out_dir:
            for side, x in (("java", j), ("rocklet", r)):
                with open(os.path.join(a.out_dir, f"{name}.{side}.json"), "w", encoding="utf-8") as f:
                    json.dump(normalise_line(x) if x else None, f, indent=1, sort_keys=True)
                    f.write("\n")
            if not ok:
                import difflib
                ja = json.dumps(normalise_line(j) if j else None, indent=1, sort_keys=True).splitlines()
                ra = json.dumps(normalise_line(r) if r else None, indent=1, sort_keys=True).splitlines()
                with open(os.path.join(a.out_dir, f"{name}.diff"), "w", encoding="utf-8") as f:
                    f.write(f"# {text}\n")
                    f.write("\n".join(difflib.unified_diff(ja, ra, "java", "rocklet", lineterm="", n=2)))
                    f.write("\n")
    sys.exit(1 if nfail else 0)


if __name__ == "__main__":
    main()
