#!/usr/bin/env python3
"""Raw RocketMQ remoting probe (stdlib only; JSON header serialization, like the Java client).

  probe.py wait-broker ADDR [--timeout-sec 30]
      poll GET_BROKER_CLUSTER_INFO (106) + GET_ROUTEINFO_BY_TOPIC(TBW102) (105) until the name
      server knows a master broker and the auto-create topic route; exit 0 when ready.
  probe.py namesrv-wire ADDR TOPIC OUTDIR
      record the raw name-server answers for TOPIC, TBW102 and a missing topic plus the
      cluster info into OUTDIR (header JSON text + body bytes), check them, exit 0 on PASS.
"""
import json
import os
import re
import socket
import struct
import sys
import time

GET_ROUTEINFO_BY_TOPIC, GET_BROKER_CLUSTER_INFO = 105, 106
SUCCESS, TOPIC_NOT_EXIST = 0, 17
_opaque = [1000]


def call(addr, code, ext=None, body=b"", timeout=5.0):
    host, port = addr.rsplit(":", 1)
    _opaque[0] += 1
    hdr = {"code": code, "extFields": ext or {}, "flag": 0, "language": "JAVA",
           "opaque": _opaque[0], "serializeTypeCurrentRPC": "JSON", "version": 399}
    h = json.dumps(hdr, separators=(",", ":")).encode()
    frame = struct.pack(">ii", 4 + len(h) + len(body), len(h)) + h + body
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(frame)
        raw = b""
        need = 4
        while len(raw) < need:
            chunk = s.recv(65536)
            if not chunk:
                raise IOError(f"connection closed after {len(raw)} bytes")
            raw += chunk
            if len(raw) >= 4:
                need = 4 + struct.unpack(">i", raw[:4])[0]
    total, mark = struct.unpack(">ii", raw[:8])
    stype, hlen = (mark >> 24) & 0xFF, mark & 0xFFFFFF
    if stype != 0:
        raise ValueError(f"response header serialize type {stype}, expected 0 (JSON)")
    htext = raw[8:8 + hlen].decode("utf-8")
    return json.loads(htext), htext, raw[8 + hlen:4 + total], raw[:4 + total]


def lenient(body):
    """fastjson writes integer map keys unquoted ({0:"addr"}); quote them for Python's json."""
    text = body.decode("utf-8")
    return json.loads(re.sub(r'([{,])(-?\d+):', r'\1"\2":', text))


def wait_broker(addr, timeout):
    deadline = time.time() + timeout
    last = "no answer"
    for _ in range(int(timeout * 4) + 1):
        if time.time() > deadline:
            break
        try:
            h, _, body, _ = call(addr, GET_BROKER_CLUSTER_INFO, timeout=2)
            if h.get("code") == SUCCESS and body:
                ci = lenient(body)
                masters = [bd for bd in (ci.get("brokerAddrTable") or {}).values()
                           if "0" in (bd.get("brokerAddrs") or {})]
                if masters:
                    h2, _, b2, _ = call(addr, GET_ROUTEINFO_BY_TOPIC, {"topic": "TBW102"}, timeout=2)
                    if h2.get("code") == SUCCESS:
                        print(f"PASS wait-broker: {len(masters)} master(s) registered at {addr}")
                        return 0
                    last = f"TBW102 route code {h2.get('code')} remark {h2.get('remark')}"
                else:
                    last = "cluster info has no master broker"
            else:
                last = f"cluster info code {h.get('code')} remark {h.get('remark')}"
        except (OSError, ValueError) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.25)
    print(f"FAIL wait-broker: not ready after {timeout}s: {last}")
    return 1


def namesrv_wire(addr, topic, outdir):
    os.makedirs(outdir, exist_ok=True)
    problems, report = [], {}
    cases = [("route-topic", GET_ROUTEINFO_BY_TOPIC, {"topic": topic}),
             ("route-TBW102", GET_ROUTEINFO_BY_TOPIC, {"topic": "TBW102"}),
             ("route-missing", GET_ROUTEINFO_BY_TOPIC, {"topic": "RockletNoSuchTopic_" + str(int(time.time()))}),
             ("cluster-info", GET_BROKER_CLUSTER_INFO, None)]
    for name, code, ext in cases:
        try:
            h, htext, body, raw = call(addr, code, ext)
        except (OSError, ValueError) as e:
            problems.append(f"{name}: {type(e).__name__}: {e}")
            continue
        with open(os.path.join(outdir, name + ".header.json"), "w", encoding="utf-8") as f:
            f.write(htext + "\n")
        with open(os.path.join(outdir, name + ".body"), "wb") as f:
            f.write(body)
        with open(os.path.join(outdir, name + ".frame.hex"), "w") as f:
            f.write(raw.hex() + "\n")
        entry = {"code": h.get("code"), "flag": h.get("flag"), "remark": h.get("remark"),
                 "opaqueEchoed": h.get("opaque") == _opaque[0], "bodyBytes": len(body),
                 "unquotedIntKeys": bool(re.search(rb'[{,]-?\d+:', body))}
        report[name] = entry
        if not entry["opaqueEchoed"]:
            problems.append(f"{name}: opaque not echoed ({h.get('opaque')} != {_opaque[0]})")
        if (h.get("flag", 0) & 1) != 1:
            problems.append(f"{name}: response flag {h.get('flag')} lacks the response bit")
        want = TOPIC_NOT_EXIST if name == "route-missing" else SUCCESS
        if h.get("code") != want:
            problems.append(f"{name}: code {h.get('code')} (remark {h.get('remark')!r}), expected {want}")
            continue
        if want == SUCCESS:
            try:
                d = lenient(body)
            except ValueError as e:
                problems.append(f"{name}: body is not (fastjson-)JSON: {e}")
                continue
            if name.startswith("route"):
                if not d.get("brokerDatas") or not d.get("queueDatas"):
                    problems.append(f"{name}: empty brokerDatas/queueDatas")
                elif not all("0" in (bd.get("brokerAddrs") or {}) for bd in d["brokerDatas"]):
                    problems.append(f"{name}: a brokerData has no master (key 0) address")
            entry["decoded"] = d
    with open(os.path.join(outdir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
    for name, e in report.items():
        print(f"  {name}: code={e['code']} flag={e['flag']} body={e['bodyBytes']}B "
              f"unquotedIntKeys={e['unquotedIntKeys']} remark={e['remark']!r}")
    for p in problems:
        print("  " + p)
    print(("FAIL namesrv-wire: " + "; ".join(problems)) if problems else "PASS namesrv-wire")
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "wait-broker":
        t = float(argv[argv.index("--timeout-sec") + 1]) if "--timeout-sec" in argv else 30.0
        return wait_broker(argv[2], t)
    if len(argv) == 5 and argv[1] == "namesrv-wire":
        return namesrv_wire(argv[2], argv[3], argv[4])
    print(__doc__.strip())
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
