//! Golden bytes written by the real Apache RocketMQ 4.9.3 classes (`interop/golden/`, produced by
//! `interop/src/main/java/rocklet/interop/Golden.java` from the Maven Central jars): every file
//! is decoded by Rocklet's codecs, its fields checked against the Java-side description, and
//! re-encoded to the same bytes.

use bytes::BytesMut;
use rocklet_protocol::body::RegisterBrokerBody;
use rocklet_protocol::header::{SendMessageRequestHeaderV2, SendMessageResponseHeader};
use rocklet_protocol::message::{decode_batch, encode_batch_item, MessageExt, Properties};
use rocklet_protocol::msgid::{create_offset_msg_id, decode_offset_msg_id};
use rocklet_protocol::route::TopicRouteData;
use rocklet_protocol::{Decoded, LanguageCode, RemotingCommand, SerializeType};
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/golden")
}

fn hex(name: &str) -> Vec<u8> {
    let s = std::fs::read_to_string(dir().join(name)).unwrap();
    let s = s.trim();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn desc(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir().join(name)).unwrap()).unwrap()
}

fn frame(name: &str) -> (Vec<u8>, RemotingCommand) {
    let bytes = hex(name);
    let c = match RemotingCommand::decode(&bytes).unwrap() {
        Decoded::Frame(c, used) => {
            assert_eq!(used, bytes.len(), "{name}: whole frame used");
            c
        }
        Decoded::Incomplete => panic!("{name}: incomplete"),
    };
    // Connections decode with `decode_from` (the body shares the read buffer): same command.
    let mut buf = bytes::BytesMut::from(&bytes[..]);
    let taken = RemotingCommand::decode_from(&mut buf)
        .unwrap()
        .expect("a whole frame");
    assert!(buf.is_empty(), "{name}: decode_from left bytes");
    assert_eq!(taken, c, "{name}: decode_from differs from decode");
    (bytes, c)
}

fn check_ext(c: &RemotingCommand, d: &Value) {
    let ext = d["extFields"].as_object().unwrap();
    assert_eq!(c.ext_fields.len(), ext.len());
    for (k, v) in ext {
        assert_eq!(c.ext_fields.get(k), v.as_str(), "extFields[{k}]");
    }
}

#[test]
fn send_request_frames_json_and_rocketmq() {
    for (name, ser) in [
        ("remoting_send_request_json", SerializeType::Json),
        ("remoting_send_request_rocketmq", SerializeType::RocketMq),
    ] {
        let (bytes, c) = frame(&format!("{name}.hex"));
        let d = desc(&format!("{name}.json"));
        assert_eq!(c.serialize_type, ser);
        assert_eq!(c.code, 310);
        assert_eq!(c.language, LanguageCode::JAVA);
        assert_eq!(c.version, 399);
        assert_eq!(c.opaque, d["opaque"].as_i64().unwrap() as i32);
        assert!(!c.is_response());
        check_ext(&c, &d);
        let h: SendMessageRequestHeaderV2 = c.header().unwrap();
        assert_eq!(h.b, "TopicTest");
        assert_eq!(h.c, "TBW102");
        let props = Properties::decode(h.i.as_deref().unwrap());
        assert_eq!(props.get("TAGS"), Some("TagA"));
        assert_eq!(props.get("user_a"), Some("héllo 世界 ✓"));
        assert_eq!(
            c.encode_to_bytes().as_ref(),
            bytes.as_slice(),
            "{name}: re-encoded bytes differ"
        );
    }
}

#[test]
fn send_response_frames_json_and_rocketmq() {
    for (name, ser) in [
        ("remoting_send_response_json", SerializeType::Json),
        ("remoting_send_response_rocketmq", SerializeType::RocketMq),
    ] {
        let (bytes, c) = frame(&format!("{name}.hex"));
        let d = desc(&format!("{name}.json"));
        assert_eq!(c.serialize_type, ser);
        assert!(c.is_response());
        assert_eq!(c.code, d["code"].as_i64().unwrap() as i32);
        check_ext(&c, &d);
        let h: SendMessageResponseHeader = c.header().unwrap();
        assert_eq!(h.msg_id, d["extFields"]["msgId"].as_str().unwrap());
        assert_eq!(h.msg_region.as_deref(), Some("DefaultRegion"));
        assert_eq!(
            c.encode_to_bytes().as_ref(),
            bytes.as_slice(),
            "{name}: re-encoded bytes differ"
        );
    }
}

#[test]
fn stored_message_records() {
    for name in ["message_record_ipv4", "message_record_ipv6"] {
        let bytes = hex(&format!("{name}.hex"));
        let d = desc(&format!("{name}.json"));
        let (m, used) = MessageExt::decode(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(m.store_size as i64, d["totalSize"].as_i64().unwrap());
        assert_eq!(m.queue_id as i64, d["queueId"].as_i64().unwrap());
        assert_eq!(m.queue_offset, d["queueOffset"].as_i64().unwrap());
        assert_eq!(m.commit_log_offset, d["physicalOffset"].as_i64().unwrap());
        assert_eq!(m.sys_flag as i64, d["sysFlag"].as_i64().unwrap());
        assert_eq!(m.born_timestamp, d["bornTimestamp"].as_i64().unwrap());
        assert_eq!(m.body_crc as i64, d["bodyCRC"].as_i64().unwrap());
        let mut out = BytesMut::new();
        m.encode(&mut out).unwrap();
        assert_eq!(
            out.as_ref(),
            bytes.as_slice(),
            "{name}: re-encoded bytes differ"
        );
    }
}

#[test]
fn properties_string() {
    let bytes = hex("message_properties.hex");
    let d = desc("message_properties.json");
    let p = Properties::decode(std::str::from_utf8(&bytes).unwrap());
    for (k, v) in d["orderedEntries"].as_object().unwrap() {
        assert_eq!(p.get(k), v.as_str(), "{k}");
    }
    assert_eq!(
        p.encode().as_bytes(),
        bytes.as_slice(),
        "no trailing \\u0002, as the 4.9.3 jar writes"
    );
}

#[test]
fn offset_message_ids() {
    let d = desc("message_ids.json");
    for case in d["ids"].as_array().unwrap() {
        let ip: std::net::IpAddr = case["ip"].as_str().unwrap().parse().unwrap();
        let addr = std::net::SocketAddr::new(ip, case["port"].as_u64().unwrap() as u16);
        let offset = case["offset"].as_i64().unwrap();
        let id = case["msgId"].as_str().unwrap();
        assert_eq!(create_offset_msg_id(addr, offset), id);
        assert_eq!(decode_offset_msg_id(id), Some((addr, offset)));
    }
}

#[test]
fn batch_body() {
    let bytes = hex("batch_body.hex");
    let items = decode_batch(&bytes).unwrap();
    let d = desc("batch_body.json");
    assert_eq!(items.len(), d["messages"].as_array().unwrap().len());
    let mut out = BytesMut::new();
    for it in &items {
        encode_batch_item(&mut out, it.flag, &it.body, &it.properties.encode());
    }
    assert_eq!(out.as_ref(), bytes.as_slice(), "re-encoded batch differs");
}

#[test]
fn topic_route_data_with_unquoted_broker_ids() {
    let bytes = hex("topic_route_data.hex");
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(
        text.contains("\"brokerAddrs\":{0:"),
        "fastjson writes integer keys unquoted"
    );
    let r = TopicRouteData::from_json(&bytes).unwrap();
    assert_eq!(r.broker_datas.len(), 1);
    assert!(r.broker_datas[0].master_addr().is_some());
    assert_eq!(r.to_fastjson(), bytes, "re-encoded route differs");
}

#[test]
fn register_broker_body_json_and_compressed() {
    let json = hex("register_broker_body_json.hex");
    let zipped = hex("register_broker_body_compressed.hex");
    let a = RegisterBrokerBody::decode(&json, false).unwrap();
    let b = RegisterBrokerBody::decode(&zipped, true).unwrap();
    let d = desc("register_broker_body.json");
    let n = d["topicConfigs"]
        .as_array()
        .map(|v| v.len())
        .or_else(|| d["topicConfigs"].as_object().map(|o| o.len()))
        .unwrap();
    assert_eq!(a.topic_config_serialize_wrapper.topic_config_table.len(), n);
    assert_eq!(
        a.topic_config_serialize_wrapper.data_version.counter,
        d["dataVersionCounter"].as_i64().unwrap()
    );
    // The compressed form carries name, queue counts, perm and filter type (not sysFlag/order).
    assert_eq!(
        a.topic_config_serialize_wrapper.data_version,
        b.topic_config_serialize_wrapper.data_version
    );
    for (name, tc) in &a.topic_config_serialize_wrapper.topic_config_table {
        let tb = &b.topic_config_serialize_wrapper.topic_config_table[name];
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (tb.read_queue_nums, tb.write_queue_nums, tb.perm)
        );
    }
    // Our JSON encoding reads back to the same body.
    assert_eq!(
        RegisterBrokerBody::decode(&a.encode(false), false).unwrap(),
        a
    );
    // And our compressed encoding carries what Java's does.
    assert_eq!(
        RegisterBrokerBody::decode(&a.encode(true), true).unwrap(),
        b
    );
}
