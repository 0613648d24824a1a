#!/usr/bin/env python3
"""Normalise and compare the output of one mqadmin subcommand run against the Java servers and
against Rocklet (stdlib only; used by mqadmin.sh).

  mqadmin_compare.py SUB JAVA_OUT ROCKLET_OUT [--diff FILE] [--logs JAVA_LOG ROCKLET_LOG]
                     --java --var NAME=VALUE ... --rocklet --var NAME=VALUE ...

JAVA_OUT / ROCKLET_OUT hold one or more mqadmin runs as written by mqadmin.sh:
  "### mqadmin ARGS", stdout, optionally "### stderr" + stderr, "### exit N" (or "### killed ..."),
  optionally "### file NAME" + an exported file.
Each side is normalised (NAME.norm is written next to the raw output) and the two must be equal.
--logs: the errors mqadmin logged during the calls (it swallows some, e.g. statsAll's); only used
to explain a difference ("rocklet log: request code 300 ... not supported").

What is normalised away (values that legitimately differ between two servers and two runs):
  the per-side values given with --var (addresses, broker name, client ids, msgIds, paths, ports),
  any other IPv4 address / host:port, dates, epoch-millisecond timestamps, 32/56-hex message ids,
  Java identity hashes (Foo@1a2b3c), stack frames ("\\tat ...", "... N more"), runs of blanks;
  numbers in table columns whose header names a volatile quantity (offsets, diffs, TPS, RT, times,
  totals, ...), in key=value / "Key: value" pairs with such keys, and in config / runtime-stats
  values (key sets are still compared); key=value config and set-like listings are sorted.
What is kept: column headers, row keys, field names, every other value (perms, queue ids and
counts, versions, booleans, `null`s, tags, keys, bodies, store sizes, CRCs), error vs success and
the error text (exception class, CODE and DESC).

Exit 0 and a one-line summary when both sides agree; exit 1 and a one-line reason otherwise
(for an error: the broker's / name server's answer, e.g. "request code 202
GET_TOPIC_STATS_INFO not supported"; else the first differing normalised line pair).
"""
import difflib
import json
import os
import re
import sys

# org.apache.rocketmq.common.protocol.RequestCode (4.9.3), for readable reasons
REQUEST_CODES = {
    10: "SEND_MESSAGE", 11: "PULL_MESSAGE", 12: "QUERY_MESSAGE", 13: "QUERY_BROKER_OFFSET",
    14: "QUERY_CONSUMER_OFFSET", 15: "UPDATE_CONSUMER_OFFSET", 17: "UPDATE_AND_CREATE_TOPIC",
    21: "GET_ALL_TOPIC_CONFIG", 22: "GET_TOPIC_CONFIG_LIST", 23: "GET_TOPIC_NAME_LIST",
    25: "UPDATE_BROKER_CONFIG", 26: "GET_BROKER_CONFIG", 27: "TRIGGER_DELETE_FILES",
    28: "GET_BROKER_RUNTIME_INFO", 29: "SEARCH_OFFSET_BY_TIMESTAMP", 30: "GET_MAX_OFFSET",
    31: "GET_MIN_OFFSET", 32: "GET_EARLIEST_MSG_STORETIME", 33: "VIEW_MESSAGE_BY_ID",
    34: "HEART_BEAT", 35: "UNREGISTER_CLIENT", 36: "CONSUMER_SEND_MSG_BACK", 37: "END_TRANSACTION",
    38: "GET_CONSUMER_LIST_BY_GROUP", 39: "CHECK_TRANSACTION_STATE", 40: "NOTIFY_CONSUMER_IDS_CHANGED",
    41: "LOCK_BATCH_MQ", 42: "UNLOCK_BATCH_MQ", 43: "GET_ALL_CONSUMER_OFFSET",
    45: "GET_ALL_DELAY_OFFSET", 46: "CHECK_CLIENT_CONFIG", 100: "PUT_KV_CONFIG", 101: "GET_KV_CONFIG",
    102: "DELETE_KV_CONFIG", 103: "REGISTER_BROKER", 104: "UNREGISTER_BROKER",
    105: "GET_ROUTEINFO_BY_TOPIC", 106: "GET_BROKER_CLUSTER_INFO",
    200: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP", 201: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
    202: "GET_TOPIC_STATS_INFO", 203: "GET_CONSUMER_CONNECTION_LIST",
    204: "GET_PRODUCER_CONNECTION_LIST", 205: "WIPE_WRITE_PERM_OF_BROKER",
    206: "GET_ALL_TOPIC_LIST_FROM_NAMESERVER", 207: "DELETE_SUBSCRIPTIONGROUP",
    208: "GET_CONSUME_STATS", 209: "SUSPEND_CONSUMER", 210: "RESUME_CONSUMER",
    211: "RESET_CONSUMER_OFFSET_IN_CONSUMER", 212: "RESET_CONSUMER_OFFSET_IN_BROKER",
    213: "ADJUST_CONSUMER_THREAD_POOL", 214: "WHO_CONSUME_THE_MESSAGE", 215: "DELETE_TOPIC_IN_BROKER",
    216: "DELETE_TOPIC_IN_NAMESRV", 219: "GET_KVLIST_BY_NAMESPACE", 220: "RESET_CONSUMER_CLIENT_OFFSET",
    221: "GET_CONSUMER_STATUS_FROM_CLIENT", 222: "INVOKE_BROKER_TO_RESET_OFFSET",
    223: "INVOKE_BROKER_TO_GET_CONSUMER_STATUS", 224: "GET_TOPICS_BY_CLUSTER",
    300: "QUERY_TOPIC_CONSUME_BY_WHO", 301: "REGISTER_FILTER_SERVER",
    302: "REGISTER_MESSAGE_FILTER_CLASS", 303: "QUERY_CONSUME_TIME_SPAN",
    304: "GET_SYSTEM_TOPIC_LIST_FROM_NS", 305: "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
    306: "CLEAN_EXPIRED_CONSUMEQUEUE", 307: "GET_CONSUMER_RUNNING_INFO",
    308: "QUERY_CORRECTION_OFFSET", 309: "CONSUME_MESSAGE_DIRECTLY", 310: "SEND_MESSAGE_V2",
    311: "GET_UNIT_TOPIC_LIST", 312: "GET_HAS_UNIT_SUB_TOPIC_LIST",
    313: "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST", 314: "CLONE_GROUP_OFFSET",
    315: "VIEW_BROKER_STATS_DATA", 316: "CLEAN_UNUSED_TOPIC", 317: "GET_BROKER_CONSUME_STATS",
    318: "UPDATE_NAMESRV_CONFIG", 319: "GET_NAMESRV_CONFIG", 320: "SEND_BATCH_MESSAGE",
    321: "QUERY_CONSUME_QUEUE", 322: "QUERY_DATA_VERSION", 323: "RESUME_CHECK_HALF_MESSAGE",
    324: "SEND_REPLY_MESSAGE", 325: "SEND_REPLY_MESSAGE_V2", 326: "PUSH_REPLY_MESSAGE_TO_CLIENT",
    327: "ADD_WRITE_PERM_OF_BROKER",
}

N = "N"
# table column headers (after '#') whose cells hold volatile numbers
VOLATILE_COL = re.compile(
    r"Offset|Diff|TPS|RT$|^RT|LastTime|Last Updated|Accumulation|Msg24Hour|Total(Yest|Today)|"
    r"PCWait|^Hour$|^SPACE$|InHour|SendTime|CostTimes|Count$", re.I)
# columns that hold a count the harness controls (kept although they match VOLATILE_COL)
KEEP_COL = re.compile(r"^(successCount|failCount|Count)$")
# cumulative counters that the live traffic makes positive on both sides: only 0 vs >0 is kept
POSITIVE_COL = re.compile(r"^(In|Out)Total(Today|Yest)$|^(In|Out)Msg24Hour$")
POSITIVE_STATUS = {"msgPutTotalTodayNow", "msgGetTotalTodayNow", "putMessageTimesTotal",
                   "putMessageSizeTotal", "commitLogMaxOffset"}
# key=value (MessageExt, ProcessQueueInfo, SendResult, ...) and "Key: value" pairs with volatile numbers
VOLATILE_KEYS = (
    "queueOffset|commitLogOffset|bornTimestamp|storeTimestamp|MIN_OFFSET|MAX_OFFSET|offset|"
    "minOffset|maxOffset|physicOffset|commitOffset|cachedMsgMinOffset|cachedMsgMaxOffset|"
    "cachedMsgCount|cachedMsgSizeInMiB|lastPullTimestamp|lastConsumeTimestamp|lastLockTimestamp|"
    "tryUnlockTimes|transactionMsgMinOffset|transactionMsgMaxOffset|transactionMsgCount|"
    "spentTimeMills|preparedTransactionOffset_|exportTime|TRAN_MSG|CONSUME_START_TIME|"
    "Queue Offset|CommitLog Offset|Consume TPS|Diff Total|Avg RT|max|min|idx|"
    "PROP_CONSUMER_START_TIMESTAMP|consumeTimestamp")
KV_EQ = re.compile(r"\b(" + VOLATILE_KEYS + r")=(-?[\d.]+)")
KV_COLON = re.compile(r"(^|, )(" + VOLATILE_KEYS + r"):(\s*)(-?[\d.]+)")
NUM = re.compile(r"-?\d+(\.\d+)?(E-?\d+)?")

# config listings (getBrokerConfig / getNamesrvConfig): values kept for these keys only
KEEP_CONFIG = {
    "brokerName", "brokerClusterName", "brokerId", "brokerIP1", "fileReservedTime",
    "autoCreateTopicEnable", "autoCreateSubscriptionGroup", "defaultTopicQueueNums",
    "maxMessageSize", "messageDelayLevel", "flushDiskType", "brokerRole", "brokerPermission",
    "msgTraceTopicName", "traceOn", "regionId", "aclEnable", "enableDLegerCommitLog", "listenPort",
    "namesrvAddr", "productEnvName", "orderMessageEnable", "clusterTest",
}
KEEP_STATUS = {"brokerVersion", "brokerVersionDesc"}


def parse_args(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    sub, jpath, rpath = argv[:3]
    opts = {"diff": None, "logs": None, "java": [], "rocklet": []}
    side = None
    i = 3
    while i < len(argv):
        a = argv[i]
        if a == "--diff":
            opts["diff"] = argv[i + 1]; i += 2; continue
        if a == "--logs":
            opts["logs"] = (argv[i + 1], argv[i + 2]); i += 3; continue
        if a in ("--java", "--rocklet"):
            side = a[2:]; i += 1; continue
        if a == "--var" and side:
            k, _, v = argv[i + 1].partition("=")
            if v:
                opts[side].append((k, v))
            i += 2; continue
        sys.exit(f"mqadmin_compare.py: unexpected argument {a!r}")
    return sub, jpath, rpath, opts


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        return f"### missing output: {e}\n"


def split_glued(text, sub):
    """mqadmin prints some results without a newline; put every record on its own line."""
    text = re.sub(r"(?<!\n)(### (exit|stderr|killed|file|mqadmin))", r"\n\1", text)
    if sub in ("printMsg", "printMsgByQueue", "consumeMessage"):
        text = re.sub(r"(?<!^)(?<!\n)(minOffset=\d+, maxOffset=)", r"\n\1", text)
        text = re.sub(r"(?<!^)(?<!\n)(MSGID: )", r"\n\1", text)
        text = re.sub(r"\](MessageQueue \[)", r"]\n\1", text)
    if sub == "sendMsgStatus":
        text = re.sub(r"(?<!\n)(rt:\d+ms, SendResult=)", r"\n\1", text)
    return text


def sort_entries(inner):
    """'K=V, K2=V2' -> '{...}' with sorted entries (HashMap order is not part of the contract)."""
    if not inner.strip():
        return "{}"
    parts = [p.strip() for p in re.split(r", (?=[A-Za-z_%][\w%.-]*=)", inner)]
    return "{" + ", ".join(sorted(parts)) + "}"


def norm_line(line, vars_):
    for name, value in vars_:
        if name.endswith("_PORT"):
            line = re.sub(r"(?<![\d.])" + re.escape(value) + r"(?!\d)", f"<{name}>", line)
        else:
            line = line.replace(value, f"<{name}>")
    line = re.sub(r"@[0-9a-f]{6,8}\b", "@<hash>", line)
    line = re.sub(r"\$\$Lambda\$\d+/0x[0-9a-f]+", "$$Lambda", line)
    line = re.sub(r"\d{4}-\d{2}-\d{2}[ #]\d{2}:\d{2}:\d{2}([,.:]\d{3})?", "<date>", line)
    line = re.sub(r"(?<![\d.])\d{1,3}(\.\d{1,3}){3}:\d{1,5}(?!\d)", "<addr>", line)
    line = re.sub(r"(?<![\d.])\d{1,3}(\.\d{1,3}){3}(?![\d.])", "<ip>", line)
    line = re.sub(r"\b([0-9A-F]{56}|[0-9A-F]{32})\b", "<msgid>", line)
    line = re.sub(r"(?<!\d)1[5-9]\d{11}(?!\d)", "<ts>", line)       # epoch milliseconds
    line = re.sub(r"(?<!\d)20\d{12}(?!\d)", "<ts14>", line)         # yyyyMMddHHmmss
    line = KV_EQ.sub(lambda m: f"{m.group(1)}={N}", line)
    line = KV_COLON.sub(lambda m: f"{m.group(1)}{m.group(2)}:{m.group(3)}{N}", line)
    line = re.sub(r"\brt:\d+ms", "rt:Nms", line)
    line = re.sub(r"(properties=|Properties:\s+)\{([^{}]*)\}",
                  lambda m: m.group(1) + sort_entries(m.group(2)), line)
    return line


def header_columns(line):
    if not line.startswith("#"):
        return None
    cols = re.split(r"\s+(?=#)", line.strip())
    if len(cols) < 2 or not all(c.startswith("#") for c in cols):
        return None
    return cols


def table_cells(row, header_line, cols):
    """Split a data row into len(cols) cells: by whitespace when the count matches, else by the
    header's column positions (mqadmin formats header and rows with the same widths)."""
    tokens = row.split()
    if len(tokens) == len(cols):
        return tokens
    if len(tokens) > len(cols) and len(cols) > 0:
        # the last column may hold blanks (e.g. ProcessQueueInfo [...])
        head = row.split(None, len(cols) - 1)
        if len(head) == len(cols):
            return head
    starts = [m.start() for m in re.finditer(r"(?:^|\s)(#)", header_line)]
    starts = [s + (0 if header_line[s] == "#" else 1) for s in starts]
    cells = [""] * len(cols)
    for m in re.finditer(r"\S+", row):
        idx = 0
        for j, s in enumerate(starts):
            if m.start() >= s - 1:
                idx = j
        cells[idx] = (cells[idx] + " " + m.group(0)).strip()
    return cells


def positive(text):
    """numbers -> 'N' when > 0, '0' when zero (a counter that should move, but by how much varies)"""
    return NUM.sub(lambda m: N if float(m.group(0)) > 0 else "0", text)


def norm_table_cell(col, cell):
    name = col.lstrip("#").strip()
    if POSITIVE_COL.match(name):
        return positive(cell)
    if KEEP_COL.match(name) or not VOLATILE_COL.search(name):
        return cell
    return NUM.sub(N, cell)


def normalise(text, vars_, sub):
    text = split_glued(text, sub)
    vars_ = sorted(vars_, key=lambda kv: -len(kv[1]))
    out = []
    header = None      # (raw header line, columns) of the table being read
    section = None     # "stderr" | "stdout" | "file"
    call_args = ""
    file_buf = None
    lines = text.split("\n")

    def flush_file():
        nonlocal file_buf
        if file_buf is not None:
            out.extend(norm_json_file("\n".join(file_buf), vars_))
            file_buf = None

    for raw in lines:
        line = raw.rstrip()
        if line.startswith("### "):
            flush_file()
            header = None
            if line.startswith("### mqadmin "):
                call_args = line[len("### mqadmin "):]
                args = norm_line(call_args, vars_)
                args = re.sub(r"(?<=\s)-?\d+(?=\s|$)", N, args)
                out.append("### mqadmin " + args)
                section = "stdout"
            elif line.startswith("### file "):
                out.append(line)
                section = "file"
                file_buf = []
            else:
                out.append(line)
                section = "stderr" if line == "### stderr" else section
            continue
        if section == "file":
            file_buf.append(line)
            continue
        if re.match(r"^\s+at \S+\(.*\)$", line) or re.match(r"^\s+\.\.\. \d+ more$", line):
            continue
        if line.startswith("RocketMQLog:"):
            continue
        line = norm_line(line, vars_)
        cols = header_columns(line)
        if cols:
            header = (line, cols)
            out.append(" ".join(cols))
            continue
        if not line.strip():
            header = None
            out.append("")
            continue
        if header and re.match(r"^[A-Za-z][A-Za-z ()]*: ", line):
            header = None                            # "Avg RT: 2.33", "Diff Total: 3" end a table
        if header and not line.startswith("-----"):
            cols = header[1]
            cells = table_cells(line, header[0], cols)
            vol = set()
            if sub == "sendMessage" and not re.search(r"\s-i\s", call_args):
                vol.add("#QID")                      # the producer picks the queue
            if sub == "skipAccumulatedMessage":
                vol.add("#offset")                   # the max offsets at that moment
            keep = {"#offset"} if sub == "resetOffsetByTime" else set()   # 0: before any message
            cells = [NUM.sub(N, c) if col in vol else c if col in keep else norm_table_cell(col, c)
                     for col, c in zip(cols, cells)]
            out.append(" | ".join(cells))
            continue
        out.append(re.sub(r"\s+", " ", line).strip())
    flush_file()
    return post_process(out, sub)


def norm_json_file(text, vars_):
    lenient = re.sub(r"([{,]\s*)(-?\d+):", r'\1"\2":', text)
    try:
        data = json.loads(lenient)
    except ValueError:
        return [norm_line(l, vars_) for l in text.split("\n")]

    def walk(key, v):
        if isinstance(v, dict):
            return {norm_line(str(k), vars_): walk(str(k), x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(key, x) for x in v]
        if isinstance(v, (int, float)) and not isinstance(v, bool) or \
                (isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v or "x")):
            if re.search(r"(Tps|Num|Time|Ratio|AverageSize)$", key) and key not in (
                    "readQueueNums", "writeQueueNums", "retryQueueNums"):
                return N
            return v
        if isinstance(v, str):
            return norm_line(v, vars_)
        return v
    return json.dumps(walk("", data), indent=1, sort_keys=True).split("\n")


def post_process(lines, sub):
    """Per-subcommand views: sorted sets, key sets of config / status listings, repeated rows."""
    out = []
    if sub in ("getBrokerConfig", "getNamesrvConfig"):
        block = []
        for l in lines + ["### end"]:
            m = re.match(r"^(\S+) ?= ?(.*)$", l)
            if m and not l.startswith("###"):
                k = m.group(1)
                block.append(f"{k} = {m.group(2).strip()}" if k in KEEP_CONFIG else f"{k} = <v>")
                continue
            out.extend(sorted(block)); block = []
            if l != "### end":
                out.append(l)
        return out
    if sub == "brokerStatus":
        for l in lines:
            m = re.match(r"^(\S+) ?: ?(.*)$", l)
            if m and not l.startswith("###"):
                k = m.group(1)
                if k in KEEP_STATUS:
                    v = m.group(2)
                elif k in POSITIVE_STATUS:
                    v = positive(m.group(2))
                elif k.endswith("Tps"):
                    # "10s 1min 10min" averages; Java leaves a window blank until it has samples
                    v = "<tps>"
                elif k.endswith("AverageSize"):
                    # a quotient: "225.0" one run, "146.72727272727272" the next
                    v = "<num>"
                elif k == "earliestMessageTimeStamp":
                    v = "<ts>"     # Java says -1 until 2 x maxMessageSize of commit log is written
                else:
                    v = NUM.sub(N, m.group(2))
                    # byte counts are printed as "812 B" below 1 KiB and "3.0 KiB" above
                    v = re.sub(r"\bN [KMGTPE]?i?B\b", "N <bytes>", v)
                out.append(f"{k} : {v}")
            else:
                out.append(l)
        return out
    if sub == "topicList":
        # a set (the name server's HashSet order is not part of the contract)
        res, block = [], []
        for l in lines + ["### end"]:
            if l.startswith("###"):
                res.extend(sorted(block, key=lambda x: (x.startswith("#Cluster") is False, x)))
                block = []
                if l != "### end":
                    res.append(l)
            else:
                block.append(l)
        return res
    if sub == "consumerStatus":
        res, props = [], None
        for l in lines:
            if l == "#Consumer Properties#":
                res.append(l); props = []; continue
            if props is not None:
                if l == "":
                    res.extend(sorted(props)); res.append(l); props = None
                else:
                    props.append(l)
                continue
            res.append(l)
        if props:
            res.extend(sorted(props))
        return res
    if sub in ("wipeWritePerm", "addWritePerm"):
        return [re.sub(r"OK, \d+$", "OK, N", l) for l in lines]
    if sub == "printMsgByQueue":
        # -f true: messages per tag; the live producer's count depends on the moment
        return [re.sub(r"^(Tag: TagLive Count:) \d+$", r"\1 N", l) for l in lines]
    if sub == "clusterRT":
        # one row per interval until the timeout: keep distinct consecutive rows only
        for l in lines:
            if not out or out[-1] != l:
                out.append(l)
        return out
    return lines


ERR = re.compile(r"CODE: (-?\d+)\s+DESC: (.*?)(?: BROKER: \S+)?$")


def errors_of(raw):
    """Error texts in one side's raw output (in order): 'CODE n DESC' lines and exception lines."""
    errs = []
    for l in raw.split("\n"):
        m = ERR.search(l)
        if m:
            code, desc = int(m.group(1)), m.group(2).strip()
            rt = re.match(r"request type (\d+) not supported", desc)
            if rt:
                c = int(rt.group(1))
                errs.append(f"request code {c} {REQUEST_CODES.get(c, '?')} not supported")
            else:
                errs.append(f"CODE {code}: {desc}")
        elif re.match(r"^(org\.apache|java\.|com\.alibaba)\S*(Exception|Error)\b", l) and "CODE:" not in l:
            errs.append(l.strip()[:160])
    # drop the generic "XxxCommand command failed" wrappers when a cause is known
    specific = [e for e in errs if "command failed" not in e]
    return list(dict.fromkeys(specific or errs))


def main():
    sub, jpath, rpath, opts = parse_args(sys.argv[1:])
    jraw, rraw = read(jpath), read(rpath)
    jn = normalise(jraw, opts["java"], sub)
    rn = normalise(rraw, opts["rocklet"], sub)
    for path, lines in ((jpath, jn), (rpath, rn)):
        try:
            with open(os.path.splitext(path)[0] + ".norm", "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        except OSError:
            pass
    jerr, rerr = errors_of(jraw), errors_of(rraw)
    calls = sum(1 for l in jn if l.startswith("### mqadmin "))
    if jn == rn:
        if opts["diff"] and os.path.exists(opts["diff"]):
            os.remove(opts["diff"])
        body = sum(1 for l in jn if l and not l.startswith("###"))
        detail = f"{calls} call(s), {body} normalised lines identical"
        if jerr:
            detail += f" (incl. the same error: {jerr[0]})"
        print(detail)
        return 0
    diff = list(difflib.unified_diff(jn, rn, "java (normalised)", "rocklet (normalised)", lineterm="", n=3))
    if opts["diff"]:
        with open(opts["diff"], "w", encoding="utf-8") as f:
            f.write("\n".join(diff) + "\n")
    new_r = [e for e in rerr if e not in jerr]
    if new_r:
        print("rocklet: " + "; ".join(new_r)[:300])
        return 1
    if jerr and not rerr:
        print("java fails but rocklet succeeds: " + "; ".join(jerr)[:250])
        return 1
    hint = ""
    if opts["logs"]:
        jl = errors_of(read(opts["logs"][0]))
        rl = [e for e in errors_of(read(opts["logs"][1])) if e not in jl]
        if rl:
            hint = "; rocklet log: " + "; ".join(rl)[:200]
    minus = [l[1:] for l in diff if l.startswith("-") and not l.startswith("---")]
    plus = [l[1:] for l in diff if l.startswith("+") and not l.startswith("+++")]
    print(explain(minus, plus) + hint)
    return 1


def explain(minus, plus):
    """One line: what differs between the java (minus) and rocklet (plus) normalised lines."""
    kv = re.compile(r"^([^\s#|][^\s|]*) [:=] (.*)$")
    km = {m.group(1): m.group(2) for m in map(kv.match, minus) if m}
    kp = {m.group(1): m.group(2) for m in map(kv.match, plus) if m}
    if len(km) + len(kp) >= 3 and len(km) >= len(minus) - 1 and len(kp) >= len(plus) - 1:
        only_j = [k for k in km if k not in kp]
        only_r = [k for k in kp if k not in km]
        vals = [f"{k}: java `{km[k]}` rocklet `{kp[k]}`" for k in km if k in kp]
        parts = []
        if only_j:
            parts.append(f"{len(only_j)} key(s) missing in rocklet: " + ", ".join(only_j[:12])
                         + (", ..." if len(only_j) > 12 else ""))
        if only_r:
            parts.append(f"{len(only_r)} extra in rocklet: " + ", ".join(only_r[:8]))
        if vals:
            parts.append(f"{len(vals)} value(s) differ: " + "; ".join(vals[:4]))
        return "; ".join(parts)
    ndiff = max(len(minus), len(plus))
    if not minus or not plus:
        side, lines = ("java only", minus) if minus else ("rocklet only", plus)
        return f"{ndiff} line(s) {side}, first: `{lines[0][:160]}`"
    a, b = minus[0], plus[0]
    tok = re.compile(r"[^\s,{}\[\]|]+")
    ta, tb = tok.findall(a), tok.findall(b)
    ops = [op for op in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes() if op[0] != "equal"]
    fields = []
    for tag, i1, i2, j1, j2 in ops[:3]:
        fields.append(f"java `{' '.join(ta[i1:i2]) or '-'}` vs rocklet `{' '.join(tb[j1:j2]) or '-'}`")
    where = a[:60] + ("..." if len(a) > 60 else "")
    return f"{ndiff} line(s) differ; first in `{where}`: " + "; ".join(fields)


if __name__ == "__main__":
    sys.exit(main())
