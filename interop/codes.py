#!/usr/bin/env python3
"""The request-code coverage table: every RequestCode of 4.9.3, who answers it in Java
(request-codes-4.9.3.tsv, read from the 4.9.3 sources and checked against the running jars),
who answers it in Rocklet (`rocklet admin handled-codes`), and the cells that exercise it.

    interop/codes.py ROCKLET_BIN [--out interop/REQUEST_CODES.md] [--differences docs/differences.md]

Exits 1 when a code Java's broker or name server answers is neither answered by Rocklet nor
named in docs/differences.md (with the reason there), or when Rocklet answers a code on a
server where Java does not and no cell or test covers it. Prints `PASS codes/coverage` or
`FAIL codes/coverage: ...`.
"""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Cells (interop/run.sh, mqadmin.sh, console.sh) and Rust tests (test:<file>) that send each
# code, or make the Java tool send it.
TESTED_BY = {
    "SEND_MESSAGE": "test:broker_tcp",
    "PULL_MESSAGE": "java-rocklet/consume-litepull, java-rocklet/consume-push",
    "QUERY_MESSAGE": "mqadmin/queryMsgByKey, console/queryMessage.key",
    "QUERY_CONSUMER_OFFSET": "java-rocklet/consume-push",
    "UPDATE_CONSUMER_OFFSET": "java-rocklet/consume-push, console/resetOffsetByTimestampOld.offline",
    "UPDATE_AND_CREATE_TOPIC": "mqadmin/updateTopic, console/createAndUpdateTopicConfig",
    "GET_ALL_TOPIC_CONFIG": "mqadmin/exportMetadata",
    "UPDATE_BROKER_CONFIG": "mqadmin/updateBrokerConfig, console/updateBrokerConfig",
    "GET_BROKER_CONFIG": "mqadmin/getBrokerConfig, console/getBrokerConfig",
    "UPDATE_AND_CREATE_ACL_CONFIG": "mqadmin/updateAclConfig, test:acl_admin",
    "DELETE_ACL_CONFIG": "mqadmin/deleteAccessConfig, test:acl_admin",
    "GET_BROKER_CLUSTER_ACL_INFO": "mqadmin/clusterAclConfigVersion, test:acl_admin",
    "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG": "mqadmin/updateGlobalWhiteAddr, test:acl_admin",
    "GET_BROKER_CLUSTER_ACL_CONFIG": "mqadmin/getAccessConfigSubCommand, test:acl_admin",
    "GET_BROKER_RUNTIME_INFO": "mqadmin/brokerStatus, mqadmin/clusterList, console/fetchBrokerRuntimeStats",
    "SEARCH_OFFSET_BY_TIMESTAMP": "console/searchOffset, mqadmin/resetOffsetByTime",
    "GET_MAX_OFFSET": "console/searchOffset, mqadmin/topicStatus",
    "GET_MIN_OFFSET": "console/searchOffset",
    "GET_EARLIEST_MSG_STORETIME": "console/searchOffset",
    "VIEW_MESSAGE_BY_ID": "mqadmin/queryMsgById, console/viewMessage.offsetMsgId",
    "HEART_BEAT": "java-rocklet/consume-push, mqadmin/consumerConnection",
    "UNREGISTER_CLIENT": "java-rocklet/consume-push, test:broker_tcp",
    "CONSUMER_SEND_MSG_BACK": "test:broker_tcp, test:admin_tcp",
    "END_TRANSACTION": "transactions/java-client-rocklet, transactions/rust-client-rocklet",
    "GET_CONSUMER_LIST_BY_GROUP": "java-rocklet/consume-push",
    "CHECK_TRANSACTION_STATE": "transactions/java-client-rocklet",
    "NOTIFY_CONSUMER_IDS_CHANGED": "orderly/java-client-rocklet, test:broker_tcp",
    "LOCK_BATCH_MQ": "orderly/java-client-rocklet",
    "UNLOCK_BATCH_MQ": "orderly/java-client-rocklet",
    "GET_ALL_CONSUMER_OFFSET": "test:admin_tcp",
    "GET_ALL_DELAY_OFFSET": "test:admin_tcp",
    "CHECK_CLIENT_CONFIG": "test:admin_tcp",
    "PUT_KV_CONFIG": "mqadmin/updateKvConfig, console/createAndUpdateKvConfig",
    "GET_KV_CONFIG": "mqadmin/updateOrderConf, console/getKVConfig",
    "DELETE_KV_CONFIG": "mqadmin/deleteKvConfig, console/deleteKvConfig",
    "REGISTER_BROKER": "mixed/rocklet-namesrv/java-client, java-rocklet/namesrv-wire",
    "UNREGISTER_BROKER": "mixed/rocklet-namesrv/java-client",
    "GET_ROUTEINFO_BY_TOPIC": "java-rocklet/produce, mqadmin/topicRoute",
    "GET_BROKER_CLUSTER_INFO": "mqadmin/clusterList, console/examineBrokerClusterInfo",
    "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP": "mqadmin/updateSubGroup, console/createAndUpdateSubscriptionGroupConfig",
    "GET_ALL_SUBSCRIPTIONGROUP_CONFIG": "mqadmin/getConsumerConfig, console/examineSubscriptionGroupConfig",
    "GET_TOPIC_STATS_INFO": "mqadmin/topicStatus, console/examineTopicStats",
    "GET_CONSUMER_CONNECTION_LIST": "mqadmin/consumerConnection, console/examineConsumerConnectionInfo",
    "GET_PRODUCER_CONNECTION_LIST": "mqadmin/producerConnection, console/examineProducerConnectionInfo",
    "WIPE_WRITE_PERM_OF_BROKER": "mqadmin/wipeWritePerm, console/wipeWritePermOfBroker",
    "GET_ALL_TOPIC_LIST_FROM_NAMESERVER": "mqadmin/topicList, console/fetchAllTopicList",
    "DELETE_SUBSCRIPTIONGROUP": "mqadmin/deleteSubGroup, console/deleteSubscriptionGroup",
    "GET_CONSUME_STATS": "mqadmin/consumerProgress, console/examineConsumeStats",
    "DELETE_TOPIC_IN_BROKER": "mqadmin/deleteTopic, console/deleteTopicInBroker",
    "DELETE_TOPIC_IN_NAMESRV": "mqadmin/deleteTopic, console/deleteTopicInNameServer",
    "GET_KVLIST_BY_NAMESPACE": "console/getKVListByNamespace",
    "RESET_CONSUMER_CLIENT_OFFSET": "console/resetOffsetByTimestamp.online, test:admin_tcp",
    "GET_CONSUMER_STATUS_FROM_CLIENT": "mqadmin/consumerStatus",
    "INVOKE_BROKER_TO_RESET_OFFSET": "mqadmin/resetOffsetByTime, console/resetOffsetByTimestamp.online",
    "INVOKE_BROKER_TO_GET_CONSUMER_STATUS": "mqadmin/consumerStatus",
    "QUERY_TOPIC_CONSUME_BY_WHO": "mqadmin/topicList, console/queryTopicConsumeByWho",
    "GET_TOPICS_BY_CLUSTER": "console/fetchTopicsByCluster, test:namesrv_tcp",
    "QUERY_CONSUME_TIME_SPAN": "test:admin_tcp",
    "GET_SYSTEM_TOPIC_LIST_FROM_NS": "test:namesrv_admin_tcp",
    "GET_SYSTEM_TOPIC_LIST_FROM_BROKER": "test:admin_tcp",
    "CLEAN_EXPIRED_CONSUMEQUEUE": "mqadmin/cleanExpiredCQ",
    "GET_CONSUMER_RUNNING_INFO": "mqadmin/consumerStatus, console/getConsumerRunningInfo",
    "CONSUME_MESSAGE_DIRECTLY": "mqadmin/queryMsgById, console/consumeMessageDirectly",
    "SEND_MESSAGE_V2": "java-rocklet/produce",
    "GET_UNIT_TOPIC_LIST": "test:namesrv_admin_tcp",
    "GET_HAS_UNIT_SUB_TOPIC_LIST": "test:namesrv_admin_tcp",
    "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST": "test:namesrv_admin_tcp",
    "CLONE_GROUP_OFFSET": "mqadmin/cloneGroupOffset",
    "VIEW_BROKER_STATS_DATA": "mqadmin/statsAll, console/viewBrokerStatsData.TOPIC_PUT_NUMS",
    "CLEAN_UNUSED_TOPIC": "mqadmin/cleanUnusedTopic",
    "GET_BROKER_CONSUME_STATS": "mqadmin/brokerConsumeStats, console/fetchConsumeStatsInBroker",
    "UPDATE_NAMESRV_CONFIG": "mqadmin/updateNamesrvConfig, console/updateNameServerConfig",
    "GET_NAMESRV_CONFIG": "mqadmin/getNamesrvConfig, console/getNameServerConfig",
    "SEND_BATCH_MESSAGE": "java-rocklet/produce",
    "QUERY_CONSUME_QUEUE": "mqadmin/queryCq",
    "QUERY_DATA_VERSION": "mixed/rocklet-namesrv/java-client",
    "RESUME_CHECK_HALF_MESSAGE": "test:admin_tcp",
    "SEND_REPLY_MESSAGE": "test:admin_tcp",
    "SEND_REPLY_MESSAGE_V2": "reqreply/java-rocklet, reqreply/rust-rocklet",
    "PUSH_REPLY_MESSAGE_TO_CLIENT": "reqreply/java-rocklet, reqreply/rust-rocklet",
    "ADD_WRITE_PERM_OF_BROKER": "mqadmin/addWritePerm, console/addWritePermOfBroker",
    "GET_TOPIC_CONFIG": "console/examineTopicConfig, test:admin_tcp",
}


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    rocklet = args[0]
    out = HERE / "REQUEST_CODES.md"
    diffs = HERE.parent / "docs" / "differences.md"
    if "--out" in args:
        out = Path(args[args.index("--out") + 1])
    if "--differences" in args:
        diffs = Path(args[args.index("--differences") + 1])
    java = []
    for line in (HERE / "request-codes-4.9.3.tsv").read_text().splitlines()[1:]:
        name, value, who, proc = line.split("\t")
        java.append((name, int(value), who, proc))
    handled = {}
    text = subprocess.run([rocklet, "admin", "handled-codes"], capture_output=True, text=True,
                          check=True).stdout
    for line in text.splitlines():
        server, value, name = line.split("\t")
        handled.setdefault(int(value), []).append(server)
    differences = diffs.read_text()
    rows, problems = [], []
    names = {v: n for n, v, _, _ in java}
    for value in sorted(set(handled) - set(names)):
        java.append(("GET_TOPIC_CONFIG" if value == 351 else f"code {value}", value, "none (5.x)", "-"))
    for name, value, who, proc in sorted(java, key=lambda r: r[1]):
        ours = ", ".join(sorted(handled.get(value, []))) or "-"
        tested = TESTED_BY.get(name, "")
        java_serves = who in ("broker", "namesrv", "both")
        if java_serves and ours == "-":
            if name not in differences and f"({value})" not in differences:
                problems.append(f"{name} ({value}) is answered by Java's {who} but not by Rocklet, "
                                "and docs/differences.md does not say why")
            tested = "not answered: see docs/differences.md"
        elif ours != "-" and not tested:
            problems.append(f"{name} ({value}) is answered by Rocklet but no cell or test is listed")
        rows.append(f"| {value} | `{name}` | {who} | {ours} | {tested or '-'} |")
    out.write_text(
        "# Request codes: Java 4.9.3 and Rocklet\n\n"
        "Generated by `interop/codes.py` (from `request-codes-4.9.3.tsv` and `rocklet admin "
        "handled-codes`; run by `interop/run.sh`). *Java 4.9.3* says which server answers the code "
        "(`client`: sent by the broker to clients); *Rocklet* which of Rocklet's servers answers it; "
        "*exercised by* names the interop cells (`group/cell`) and Rust TCP tests "
        "(`test:<file>`) that send it. Codes Java answers and Rocklet does not are explained in "
        "[docs/differences.md](../docs/differences.md).\n\n"
        "| code | name | Java 4.9.3 | Rocklet | exercised by |\n| ---: | --- | --- | --- | --- |\n"
        + "\n".join(rows) + "\n")
    if problems:
        print("FAIL codes/coverage: " + "; ".join(problems))
        return 1
    n_java = sum(1 for _, _, w, _ in java if w in ("broker", "namesrv", "both"))
    n_ours = sum(1 for n, v, w, _ in java if w in ("broker", "namesrv", "both") and v in handled)
    print(f"PASS codes/coverage - {n_ours}/{n_java} codes Java's servers answer are answered by "
          f"Rocklet, the rest explained in docs/differences.md; table in {out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
