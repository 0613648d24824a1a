#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ with seeds built from the golden files written by the real
# RocketMQ 4.9.3 classes (interop/golden/*.hex|txt) and a few small hand-written samples of the
# on-disk files. Idempotent; the corpora are not committed (fuzz/.gitignore).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
golden="$here/../interop/golden"
corpus="$here/corpus"

hex2bin() { # stdin hex text -> stdout bytes
    if command -v xxd >/dev/null; then xxd -r -p
    elif command -v python3 >/dev/null; then python3 -c 'import sys;sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))'
    else perl -ne 'chomp; print pack("H*", $_)'
    fi
}
g() { hex2bin < "$golden/$1.hex"; }
# seed TARGET NAME [SELECTOR_BYTE]  (content on stdin, prefixed with the selector byte if given)
seed() {
    mkdir -p "$corpus/$1"
    { if [ $# -ge 3 ]; then printf "\\x$(printf %02x "$3")"; fi; cat; } > "$corpus/$1/$2"
}

frames="remoting_send_request_json remoting_send_request_rocketmq remoting_send_response_json remoting_send_response_rocketmq"

# frame: each golden frame, and two frames back to back (the stream decoder's loop).
for f in $frames; do g "$f" | seed frame "$f"; done
{ g remoting_send_request_json; g remoting_send_response_rocketmq; } | seed frame two_frames

# header: the first byte picks one of the header types (taken modulo their count); the rest is
# a frame without its length word, or key=value lines.
for sel in $(seq 0 59); do
    for f in $frames; do g "$f" | tail -c +5 | seed header "${f}_$sel" "$sel"; done
    printf 'topic=TopicTest\nconsumerGroup=g\nqueueId=1\nqueueOffset=5\nmaxMsgNums=32\nsysFlag=2\ncommitOffset=0\nsuspendTimeoutMillis=15000\nsubVersion=1\nbrokerName=broker-a\nbrokerAddr=127.0.0.1:10911\nclusterName=DefaultCluster\nbrokerId=0\noffset=7\ntimestamp=1700000000000\nkey=k\nmaxNum=32\nbeginTimestamp=0\nendTimestamp=9\nproducerGroup=pg\ncommitLogOffset=100\ntranStateTableOffset=1\ncommitOrRollback=8\nmsgId=7F00000100002A9F000000123456789A\nnamespace=N\nvalue=V\ngroup=g\nclientId=c1\nisOrder=false\n' \
        | seed header "kv_$sel" "$sel"
done

# body: the first byte picks the body type (see fuzz_targets/body.rs for the order).
body() { seed body "$1" "$2"; }
echo '{"clientID":"127.0.0.1@123","consumerDataSet":[{"groupName":"g","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,"subscriptionDataSet":[{"topic":"T","subString":"*","subVersion":5,"classFilterMode":false,"tagsSet":["a"],"codeSet":[97],"expressionType":"TAG"}]}],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"},{"groupName":"pg"}]}' | body heartbeat 0
echo '{"clientId":"c1","consumerGroup":"g","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},{"brokerName":"broker-a","queueId":1,"topic":"T"}]}' | body lock_batch_request 1
echo '{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}]}' | body lock_batch_response 2
echo '{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"g","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}' | body subscription_group 3
echo '{"counter":5,"timestamp":1700000000789}' | body data_version 4
echo '{"dataVersion":{"counter":5,"timestamp":1700000000789},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}' | body topic_wrapper 5
echo '{"brokerAddr":"127.0.0.1:10911","topicList":["A","B"]}' | body topic_list 6
echo '{"consumerIdList":["c1","c2"]}' | body consumer_ids 7
echo '{"table":{"k":"v","a":"b"}}' | body kv_table 8
echo '{"connectionSet":[{"clientAddr":"127.0.0.1:5","clientId":"c1","language":"JAVA","version":399}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"T":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"T"}}}' | body consumer_connection 9
echo '{"connectionSet":[{"clientAddr":"127.0.0.1:5","clientId":"c1","language":"JAVA","version":399}]}' | body producer_connection 10
echo '{"groupList":["g1","g2"]}' | body group_list 11
echo '{"statsDay":{"avgpm":1.5,"avgps":0.25,"sum":3},"statsHour":{"avgpm":0,"avgps":0,"sum":0},"statsMinute":{"avgpm":0,"avgps":0,"sum":0}}' | body broker_stats 12
echo '{"consumeTimeSpanSet":[{"consumeTimeStamp":1,"delayTime":2,"maxTimeStamp":3,"messageQueue":{"brokerName":"b","queueId":0,"topic":"T"},"minTimeStamp":0}]}' | body time_span 13
echo '{"filterData":"","isFilterDataTypeTag":"true","maxQueueIndex":3,"minQueueIndex":0,"queueData":[{"bitMap":"","extendDataJson":"","msg":"","physicOffset":0,"physicSize":100,"tagsCode":0}],"subscriptionData":null}' | body consume_queue 14
echo '{"classFilterMode":false,"codeSet":[1],"expressionType":"TAG","subString":"a||b","subVersion":1,"tagsSet":["a","b"],"topic":"T"}' | body subscription_data 15
cat "$golden/topic_route_data.txt" | body topic_route 16
echo '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"C"}},"clusterAddrTable":{"C":["broker-a"]}}' | body cluster_info 17
echo '{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"brokerOffset":5,"consumerOffset":3,"lastTimestamp":0}},"consumeTps":0.0}' | body mq_map 18
echo '{"subscriptionData":{"classFilterMode":false,"expressionType":"SQL92","subString":"a>1","topic":"T"}}' | body check_client 19

# register_broker: even selector = fastjson text, odd = compressed.
cat "$golden/register_broker_body_json.txt" | seed register_broker json 0
g register_broker_body_compressed | seed register_broker compressed 1

# batch, record: the golden bodies and records (and two records back to back, a pull body).
g batch_body | seed batch golden
g message_record_ipv4 | seed record ipv4
g message_record_ipv6 | seed record ipv6
{ g message_record_ipv4; g message_record_ipv6; } | seed record pull_body

# properties: 0 message properties, 1 .properties body, 2 broker config file, 3 ids and compact
# topic configs.
g message_properties | seed properties message 0
printf '# comment\nbrokerName=broker-a\nflushDiskType : SYNC_FLUSH\nmaxMessageSize 4194304\nnamesrvAddr=127.0.0.1:9876;127.0.0.2:9876\nkey\\\n  continued=\\u0041\\t\n' | seed properties text 1
printf 'brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\ndeleteWhen=04\nfileReservedTime=48\nbrokerRole=ASYNC_MASTER\nflushDiskType=ASYNC_FLUSH\nlistenPort=10911\nstorePathRootDir=/tmp/store\nautoCreateTopicEnable=true\n' | seed properties broker_conf 2
head -1 "$golden/message_ids.txt" | tr -d '\n' | seed properties msgid_v4 3
tail -1 "$golden/message_ids.txt" | tr -d '\n' | seed properties msgid_v6 3
printf 'TopicTest 4 4 6 SINGLE_TAG' | seed properties compact_topic 3

# checkpoint: a 44-byte checkpoint (clean marker "ROCK") followed by consume-queue entries.
printf '\x00\x00\x01\x8b\xcf\xe5\x68\x00\x00\x00\x01\x8b\xcf\xe5\x68\x00\x00\x00\x01\x8b\xcf\xe5\x68\x00\x00\x00\x00\x00\x00\x10\x00\x00ROCK\x00\x00\x00\x00\x00\x00\x10\x00' | seed checkpoint clean
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\xa0\x00\x00\x00\x00\x00\x00\x00\x61' | seed checkpoint cq_entries

# config_files: 0 topics.json, 1 consumerOffset.json, 2 delayOffset.json,
# 3 subscriptionGroup.json, 4 kvConfig.json, 5 broker properties.
echo '{"dataVersion":{"counter":5,"timestamp":1700000000789},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}' | seed config_files topics 0
echo '{"offsetTable":{"TopicTest@g":{0:12,1:7,2:0,3:5},"%RETRY%g@g":{0:0}}}' | seed config_files consumer_offset 1
echo '{"offsetTable":{1:5,3:0,12:7}}' | seed config_files delay_offset 2
echo '{"dataVersion":{"counter":1,"timestamp":2},"subscriptionGroupTable":{"g":{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"g","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}}' | seed config_files subscription_group 3
echo '{"configTable":{"ORDER_TOPIC_CONFIG":{"T1":"broker-a:4"},"N":{"K":"V"}}}' | seed config_files kv_config 4
printf 'brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\ndeleteWhen=04\nfileReservedTime=48\nbrokerRole=ASYNC_MASTER\nflushDiskType=ASYNC_FLUSH\n' | seed config_files broker_conf 5

# sql92: selector expressions (text, no selector byte).
n=0
for e in "a > 5 AND b IN ('x', 'hello')" "c BETWEEN 2.0 AND 3.0 OR NOT (d = TRUE)" \
    "a IS NOT NULL AND x IS NULL" "s = 'it''s' AND u <> 'héllo ✓'" "a NOT BETWEEN -1 AND 1e3" \
    "b NOT IN ('a', 'b') OR a >= 3000000000" "/* c */ a = 5 -- line\n" "NOT (a < c) AND (b = 'x' OR TRUE)"; do
    n=$((n + 1))
    printf '%b' "$e" | seed sql92 "expr_$n"
done

for d in "$corpus"/*/; do echo "seeded $(basename "$d"): $(ls "$d" | wc -l) files"; done
