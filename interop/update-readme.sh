#!/usr/bin/env bash
# Writes the feature x direction compatibility table from the cell results of interop/run.sh.
#
#   interop/update-readme.sh [--results work/results.tsv] [--out COMPATIBILITY.md]
#                            [--total-secs N] [--filter F]
#
# run.sh calls it after every run with --out work/COMPATIBILITY.md; after a full green run, run it
# without arguments to refresh the committed interop/COMPATIBILITY.md. Per-mode send rows also read
# work/<group>/produce.out and work/<group>/compare-*.out. Stdlib python only.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RESULTS="$HERE/work/results.tsv"
OUT="$HERE/COMPATIBILITY.md"
TOTAL=""
FILTER=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --results) RESULTS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --total-secs) TOTAL="$2"; shift 2 ;;
    --filter) FILTER="$2"; shift 2 ;;
    *) echo "usage: $0 [--results TSV] [--out FILE] [--total-secs N] [--filter F]" >&2; exit 2 ;;
  esac
done
[[ -f "$RESULTS" ]] || { echo "update-readme.sh: $RESULTS not found (run interop/run.sh first)" >&2; exit 1; }

python3 - "$RESULTS" "$OUT" "$TOTAL" "$FILTER" "$(java -version 2>&1 | head -1)" <<'PY'
import csv, glob, os, re, sys, datetime

results_path, out_path, total, filt, java_version = sys.argv[1:6]
work = os.path.dirname(os.path.abspath(results_path))
res = {}
order = []
with open(results_path, encoding="utf-8") as f:
    for row in csv.DictReader(f, delimiter="\t"):
        res[row["cell"]] = row
        order.append(row["cell"])

COLS = [
    ("Java client → Java servers", ["java-java"], "java"),
    ("Java client → Rocklet", ["java-rocklet", "java-rocklet-split"], "java"),
    ("Rust client → Java servers", ["rust-java"], "rust"),
    ("Rust client → Rocklet", ["rust-rocklet"], "rust"),
]
MODES = [("sync", "sync"), ("async", "async"), ("oneway", "oneway"), ("batch", "batch"),
         ("queue", "queue(id=1)"), ("selector", "selector"), ("compressed", "compressed")]


def status(cells):
    """Combined status of a list of cell names: FAIL > not run > SKIP > PASS."""
    if not cells:
        return "n/a"
    rs = [res[c]["result"] if c in res else "not run" for c in cells]
    for s in ("FAIL", "not run", "SKIP"):
        if s in rs:
            return s
    return "PASS"


def mode_status(prefix, mode, label):
    prod = res.get(f"{prefix}/produce")
    if prod is None:
        return "not run"
    if prod["result"] != "PASS":
        return prod["result"]
    d = os.path.join(work, prefix)
    try:
        out = open(os.path.join(d, "produce.out"), encoding="utf-8").read()
    except OSError:
        return "FAIL"
    if not re.search(rf"^PASS {re.escape(label)} ", out, re.M):
        return "FAIL"
    compares = glob.glob(os.path.join(d, "compare-*.out"))
    if not compares:
        return "not run"
    for p in compares:
        m = re.search(rf"\b{re.escape(mode)} (\d+)/(\d+)", open(p, encoding="utf-8").read())
        if not m or m.group(1) != m.group(2) or m.group(2) == "0":
            return "FAIL"
    return "PASS"


def combine(states):
    for s in ("FAIL", "not run", "SKIP"):
        if s in states:
            return s
    return "PASS" if states else "n/a"


rows = []
for mode, label in MODES:
    rows.append((f"send {mode}", [combine([mode_status(p, mode, label) for p in ps]) for _, ps, _ in COLS]))


def per_col(fn):
    return [fn(ps, kind) for _, ps, kind in COLS]


rows.append(("consume: Java litepull", per_col(lambda ps, k: status([f"{p}/consume-litepull" for p in ps]))))
rows.append(("consume: Java push", per_col(lambda ps, k: status([f"{p}/consume-push" for p in ps]))))
rows.append(("consume: Rust lite pull consumer (assign) ¹⁷", per_col(lambda ps, k: status([f"{p}/consume-rustlitepull" for p in ps]) if k == "java" else "n/a")))
rows.append(("consume: Rust lite pull consumer (subscribe) ¹⁷", per_col(lambda ps, k: status([f"{p}/consume-rustlitesub" for p in ps]) if k == "java" else "n/a")))
rows.append(("consume: Rust push consumer ¹⁷", per_col(lambda ps, k: status([f"{p}/consume-rustpush" for p in ps]) if k == "java" else "n/a")))
rows.append(("consume: Rust pull", per_col(lambda ps, k: status([f"{p}/consume-rustpull" for p in ps]) if k == "rust" else "n/a")))
rows.append(("decoded message fields, Rust = Java ¹", per_col(lambda ps, k: status([f"{p}/consume-fields" for p in ps]) if k == "rust" else "n/a")))
rows.append(("stored fields = Java broker's ⁷", ["n/a", status(["java-rocklet/same-as-java-broker", "java-rocklet-split/same-as-java-broker"]), "n/a", status(["rust-rocklet/same-as-java-broker"])]))
rows.append(("admin ²", per_col(lambda ps, k: status([f"{p}/admin" for p in ps] + ([f"{p}/admin-agree" for p in ps] if k == "rust" else [])))))
rows.append(("route JSON ³", per_col(lambda ps, k: status([f"{p}/namesrv-wire" for p in ps] if k == "java" else [f"{p}/admin-agree" for p in ps]))))
rows.append(("golden bytes ⁴", ["PASS" if status(["golden/reproducible"]) == "PASS" else status(["golden/reproducible"]), "n/a", "n/a", "n/a"]))
rows.append(("mixed cluster (fail-over) ⁵", per_col(lambda ps, k: status([f"mixed/{ns}-namesrv/{k}-client" for ns in ("java", "rocklet")]))))
rows.append(("benchmark producer ⁶", [status(["bench/java-producer-java-broker"]), status(["bench/java-producer"]), "n/a", "n/a"]))
rows.append(("benchmark throughput ≥ ¼ of the Java broker's ⁶", ["n/a", status(["bench/throughput-vs-java"]), "n/a", "n/a"]))
TX = {"java-java": "java-client-java-broker", "java-rocklet": "java-client-rocklet",
      "rust-java": "rust-client-java-broker", "rust-rocklet": "rust-client-rocklet"}
rows.append(("transactions ⁸", per_col(lambda ps, k: status([f"transactions/{TX[ps[0]]}"]))))
rows.append(("delay levels, consumer retry ⁹", per_col(lambda ps, k: status([f"delay/{TX[ps[0]]}"]) if k == "java" else "n/a")))
rows.append(("orderly consumers, queue locks ¹⁰", per_col(lambda ps, k: status([f"orderly/{TX[ps[0]]}"]) if k == "java" else "n/a")))
rows.append(("broker SIGKILL + restart ¹¹", ["n/a", status(["restart/java-client-rocklet"]), "n/a", "n/a"]))


def group(prefix):
    """Combined status and pass count of every cell of an external group (mqadmin/, console/)."""
    cells = [c for c in order if c.startswith(prefix)]
    if not cells:
        return "not run"
    run = [c for c in cells if res[c]["result"] != "SKIP"]
    n = sum(1 for c in run if res[c]["result"] == "PASS")
    skipped = len(cells) - len(run)
    st = status(run) if run else "SKIP"
    extra = f", {skipped} skipped" if skipped else ""
    return f"{st} ({n}/{len(run)}{extra})" if st == "PASS" else st


def group_of(prefixes):
    cells = [c for c in order if any(c.startswith(p) for p in prefixes)]
    if not cells:
        return "not run"
    run = [c for c in cells if res[c]["result"] != "SKIP"]
    n = sum(1 for c in run if res[c]["result"] == "PASS")
    st = status(run) if run else "SKIP"
    return f"{st} ({n}/{len(run)})" if st == "PASS" else st


rows.append(("mqadmin, every subcommand ¹²", ["n/a", group("mqadmin/"), "n/a", "n/a"]))
rows.append(("DefaultMQAdminExt (console calls) ¹²", ["n/a", group("console/"), "n/a", "n/a"]))
rows.append(("request-reply ¹³", [status(["reqreply/java-java"]), status(["reqreply/java-rocklet"]),
                                   status(["reqreply/rust-java"]), status(["reqreply/rust-rocklet"])]))
rows.append(("request codes answered as Java's ¹⁴", ["n/a", status(["codes/coverage"]), "n/a", "n/a"]))
rows.append(("store dir shared with the Java broker, both ways ¹⁵", ["n/a", group("storecompat/"), "n/a", "n/a"]))
rows.append(("SQL92 and tag filters ¹⁶", ["n/a", group_of(["sql/", "tags/"]), "n/a", "n/a"]))
rows.append(("retry and DLQ, new groups' start ¹⁶", ["n/a", group_of(["retry/", "from/"]), "n/a", "n/a"]))
rows.append(("broadcast groups as the admin tools see them ¹⁶", ["n/a", group("broadcast/"), "n/a", "n/a"]))
rows.append(("message trace read by mqadmin ¹⁶", ["n/a", group("mqadmin/QueryMsgTraceById"), "n/a", group("trace/")]))
PUSH_WHAT = ["mixed", "orderly", "retry", "broadcast", "reset"]
rows.append(("Rust push consumer in groups with Java clients ¹⁸", ["n/a", "n/a", status([f"push/{w}-java" for w in PUSH_WHAT]),
                                                                   status([f"push/{w}-rocklet" for w in PUSH_WHAT])]))


def fmt(s):
    return {"FAIL": "**FAIL**", "PASS": "PASS", "SKIP": "SKIP", "not run": "not run", "n/a": "—"}.get(s, s)


npass = sum(1 for c in order if res[c]["result"] == "PASS")
nfail = sum(1 for c in order if res[c]["result"] not in ("PASS", "SKIP"))
nskip = sum(1 for c in order if res[c]["result"] == "SKIP")
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
L = []
L.append("# Rocklet ↔ Apache RocketMQ 4.9.3 compatibility")
L.append("")
L.append("Generated by `interop/update-readme.sh` from `interop/run.sh`"
         + (f" (partial run, filter `{filt}`)" if filt else " (full matrix)")
         + f" on {now}: {npass} cells passed, {nfail} failed, {nskip} skipped"
         + (f", {total} s wall time" if total else "") + ".")
L.append(f"Java side: the real RocketMQ 4.9.3 client, name server and broker from Maven Central ({java_version}).")
L.append("Rust client: `rocklet-client` driven by `examples/interop_driver.rs`. Rocklet servers: `rocklet serve` and"
         " `rocklet namesrv` + `rocklet broker`.")
L.append("")
L.append("| feature | " + " | ".join(c for c, _, _ in COLS) + " |")
L.append("| --- | " + " | ".join("---" for _ in COLS) + " |")
for name, vals in rows:
    L.append(f"| {name} | " + " | ".join(fmt(v) for v in vals) + " |")
L.append("")
L.append("Each send row passes when the producer reported every message of that mode sent and every consumer"
         " (Java litepull, Java push and, for the Rust client, Rust pull) read all of them back with identical"
         " topic, tags, keys, user properties, body and msgId (`compare.py`). Modes: sync, async, oneway, batch"
         " of 10, explicit queue 1, selector (`abs(hash % n)`), 8 KiB zlib-compressed bodies.")
L.append("")
L.append("1. `crosscheck.py records`: the Rust client's pull and the Java litepull consumer decode the same stored"
         " messages field by field (msgId, offsetMsgId, tags, keys, properties, body, queue id/offset, hosts,"
         " timestamps, sysFlag, reconsumeTimes).")
L.append("2. Java: `Admin` (DefaultMQAdminExt: route, cluster info, create topic, min/max/search offset,"
         " query by key, view by unique key and by offset msgId). Rust: the same checks with `MQAdmin`, and"
         " `crosscheck.py admin` requires both clients' answers for the same topic to agree.")
L.append("3. Java columns: `probe.py namesrv-wire`, raw GET_ROUTEINFO_BY_TOPIC / GET_BROKER_CLUSTER_INFO answers."
         " Rust columns: the route the Rust client parsed equals Java's, parsed and as fastjson text.")
L.append("4. `Golden` re-generates the 4.9.3 encodings in `interop/golden/` byte for byte; Rocklet's codecs are"
         " checked against those files by `cargo test`.")
L.append("5. One name server (Java's, then Rocklet's) with a Java broker and a Rocklet broker; a Java and a Rust"
         " producer send in a paced loop while one broker gets SIGTERM (the Rocklet broker under the Java name"
         " server, the Java broker under Rocklet's); both brokers took messages before the stop, every send after"
         " it succeeded on the other broker, at most 3 failures.")
L.append("6. `BenchProducer`, the 4.9.3 `example/benchmark/Producer` workload (64 threads, 128-byte bodies,"
         " keys, 4 tags, topic BenchmarkTest with its 1024 queues; the rocketmq-example 4.9.3 jar is not on Maven"
         " Central) for a few seconds against `rocklet serve`, and against the Java broker as the reference;"
         " zero send and response failures. Throughput is reported in the cells' detail, not asserted.")
L.append("7. `crosscheck.py servers`: the same client's corpus read back from Rocklet and from the Java broker"
         " (matched by mode and index) has the same tags, keys, properties, body, sysFlag and reconsumeTimes.")
L.append("8. `TransactionMQProducer` (Java: `Transactions`, the real 4.9.3 class; Rust: `interop_driver tx`) against"
         " brokers run with transactionCheckInterval=1000 and transactionTimeOut=1000: a committed transaction is"
         " visible exactly once, a rolled back one never, UNKNOW ones are resolved by the broker's check-back"
         " (CHECK_TRANSACTION_STATE) to commit and to rollback, the check carries the real topic and body, decided"
         " transactions are not checked. Java also sends one with a delay level (4.9.3 clears it); Rocklet's Rust"
         " client refuses that, so the Rust cells do not try it.")
L.append("9. `Delay` (the 4.9.3 producer and push consumer) against the same brokers with messageDelayLevel"
         " `1s 1s 2s ...`: a level-1 message is stored on its topic at least 1 s after it was born, with DELAY,"
         " REAL_TOPIC, REAL_QID, keys, tags and msgId as sent; a message answered RECONSUME_LATER comes back"
         " through %RETRY% after level 3 (2 s) with reconsumeTimes 1 and DELAY=3. The Rust client's delay level"
         " is covered by `cargo test` (`tests/producer.rs`) against Rocklet.")
L.append("10. `Orderly`: 4 orders x 5 steps sent by a queue selector; two 4.9.3 push consumers with"
         " MessageListenerOrderly (which consume only queues the broker locked for them with LOCK_BATCH_MQ) join"
         " one after the other, so queues change hands; every step is consumed, each consumer sees each order's"
         " steps in send order, and both consumers consumed.")
L.append("11. The 4.9.3 producer sends its corpus to `rocklet broker` with 16 KiB commit-log files (3 files); the"
         " broker is SIGKILLed 2 s later and restarted on the same store. Recovery must take the bounded path"
         " (dispatching resumes after the first file, keys of older files indexed in the background), then the"
         " Java litepull consumer reads every message back identical and the `Admin` checks (query by key, view by"
         " unique key and offset msgId) pass.")
L.append("12. `mqadmin.sh`: the real 4.9.3 `MQAdminStartup`, every subcommand that needs no DLedger or"
         " HA (`startMonitoring` runs forever), against the Java servers and against `rocklet serve` with a live"
         " Java producer and push consumer (the five ACL ones against a second pair with `aclEnable=true`, the"
         " `plain_acl.yml` each broker wrote back compared too); outputs normalised (times, addresses, ids, counts) and compared line"
         " by line. `console.sh`: `Console` drives `DefaultMQAdminExt` through the calls a web console makes,"
         " Java servers vs Rocklet, results compared the same way. The pass is Rocklet's side; the Java side is"
         " the reference.")
L.append("13. `RequestReply` (4.9.3 requester and responder: sync, async, to a queue, with a selector) and the Rust"
         " `request` family (`interop_driver request`) against a Java responder; every reply body and"
         " correlation id checked.")
L.append("14. `codes.py`: every RequestCode of 4.9.3 that Java's broker or name server answers is answered by"
         " Rocklet or explained in docs/differences.md; the table is `interop/REQUEST_CODES.md`.")
L.append("15. `store_compat.sh`: one store directory opened in turn by the Java broker and by `rocklet broker`"
         " after SIGTERM and SIGKILL, both ways and back; every message once with its body, delay offsets, queries by"
         " key through the other broker's index files, unique keys, offset msgIds, topic and group config, consumer"
         " offsets as committed; a second broker on a store in use is refused either way.")
L.append("16. `consume.sh`: the real 4.9.3 consumers and tools against the Java broker and Rocklet, outputs"
         " compared line by line: 30 SQL92 selectors (push and lite pull), a bad selector, property filtering off,"
         " 11 tag subscriptions, RECONSUME_LATER until the DLQ, CONSUME_FROM_FIRST / LAST / TIMESTAMP for new groups"
         " (in memory and 'in disk'), and the Rust producer's message trace read by `mqadmin QueryMsgTraceById`"
         " (Rust client column; the Java producer's and consumer's traces are the `mqadmin/QueryMsgTraceById` cell)."
         " `broadcast.sh`: two BROADCASTING push consumers of one group; mqadmin consumerProgress / consumerConnection /"
         " consumerStatus and the DefaultMQAdminExt calls compared, offsets kept on the clients only.")
L.append("17. The Rust `DefaultLitePullConsumer` (`interop_driver consume --lite`: assign every queue, seek to its"
         " min offset, poll) reads the Java producer's corpus back; every message identical (`compare.py`).")
L.append("18. `push.sh`: the Rust `DefaultMQPushConsumer` (`interop_driver push-member`) with Java 4.9.3 members in"
         " one group: the queue split (AllocateMessageQueueAveragely) and a take-over without loss, orderly across"
         " a rebalance, RECONSUME_LATER until `%DLQ%group`, BROADCASTING with the local offsets file over a restart,"
         " and `mqadmin resetOffsetByTime` while it runs.")
L.append("")
L.append("## Cells")
L.append("")
L.append("| cell | result | time (s) | detail |")
L.append("| --- | --- | --- | --- |")
for c in order:
    r = res[c]
    d = r["detail"].replace("|", "\\|")
    d = re.sub(r"/work/main/interop/|/[^ ]*/interop/", "", d)
    L.append(f"| `{c}` | {r['result']} | {r['seconds']} | {d} |")
L.append("")
with open(out_path, "w", encoding="utf-8") as f:
    f.write("\n".join(L))
print(f"update-readme.sh: wrote {out_path}")
PY
