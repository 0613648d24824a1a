use super::*;
use rocklet_protocol::acl::{sign_request, SessionCredentials};

const YML: &str = r#"
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB

  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    admin: true
"#;

fn p(s: &str) -> AddrPattern {
    AddrPattern::parse(Some(s)).unwrap()
}

#[test]
fn address_patterns() {
    assert_eq!(AddrPattern::parse(None).unwrap(), AddrPattern::Blank);
    assert_eq!(AddrPattern::parse(Some("  ")).unwrap(), AddrPattern::Blank);
    assert!(!AddrPattern::Blank.matches("127.0.0.1"));
    assert!(p("*").matches("1.2.3.4"));
    assert!(p("*.*.*.*").matches("1.2.3.4"));
    assert!(p("192.168.1.*").matches("192.168.1.77"));
    assert!(!p("192.168.1.*").matches("192.168.2.77"));
    assert!(p("192.168.1-5.*").matches("192.168.3.1"));
    assert!(!p("192.168.1-5.*").matches("192.168.6.1"));
    assert!(p("192.168.1.10-20").matches("192.168.1.15"));
    assert!(!p("192.168.1.10-20").matches("192.168.1.21"));
    assert!(p("10.*.*.*").matches("10.200.1.1"));
    assert!(p("192.168.1.{1,2,3}").matches("192.168.1.2"));
    assert!(!p("192.168.1.{1,2,3}").matches("192.168.1.4"));
    assert!(p("127.0.0.1,10.0.0.1").matches("10.0.0.1"));
    assert!(p("127.0.0.1").matches("127.0.0.1"));
    assert!(!p("127.0.0.1").matches("127.0.0.2"));
    assert!(p("::1").matches("0:0:0:0:0:0:0:1"));
    assert!(AddrPattern::parse(Some("abc")).is_err());
    assert!(AddrPattern::parse(Some("192.*")).is_err());
    assert!(AddrPattern::parse(Some("192.168.1.5-1")).is_err());
    assert!(AddrPattern::parse(Some("192.168.{1,2}")).is_err());
    assert!(AddrPattern::parse(Some("1.2.3.{4,x}")).is_err());
}

#[test]
fn yml_parsed_as_java() {
    let acl = PlainAcl::parse(YML, "plain_acl.yml").unwrap();
    assert_eq!(acl.global_white.len(), 2);
    let a = &acl.accounts["RocketMQ"];
    assert_eq!(a.secret_key, "12345678");
    assert_eq!(a.white, AddrPattern::Blank);
    assert!(!a.admin);
    assert_eq!(a.default_topic_perm, DENY);
    assert_eq!(a.default_group_perm, SUB);
    let perms = a.perms.as_ref().unwrap();
    assert_eq!(perms["topicA"], DENY);
    assert_eq!(perms["topicB"], PUB | SUB);
    assert_eq!(perms["%RETRY%groupC"], SUB);
    let b = &acl.accounts["rocketmq2"];
    assert!(b.admin);
    assert!(b.perms.is_none());
    assert_eq!(b.default_topic_perm, DENY);
    assert!(PlainAcl::parse("", "f")
        .unwrap_err()
        .contains("file is not data"));
    assert!(PlainAcl::parse(
        "accounts:\n  - accessKey: short\n    secretKey: 12345678\n",
        "f"
    )
    .unwrap_err()
    .contains("length should longer than 6"));
    assert!(PlainAcl::parse(
        "accounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    topicPerms:\n      - a==\n",
        "f"
    )
    .unwrap_err()
    .contains("Parse resource permission failed for topic:a=="));
}

fn send(topic: &str, creds: Option<(&str, &str)>) -> RemotingCommand {
    let mut cmd = RemotingCommand::request_bare(RequestCode::SEND_MESSAGE_V2);
    cmd.ext_fields.insert("a", "PG");
    cmd.ext_fields.insert("b", topic);
    cmd.body = Some(bytes::Bytes::from_static(b"x"));
    if let Some((ak, sk)) = creds {
        sign_request(&mut cmd, &SessionCredentials::new(ak, sk));
    }
    cmd
}

#[test]
fn validate_refusals() {
    let acl = PlainAcl::parse(YML, "plain_acl.yml").unwrap();
    let ip = "127.0.0.1";
    let ok = Some(("RocketMQ", "12345678"));
    assert_eq!(acl.validate(&send("topicB", ok), ip), Ok(()));
    let e = acl.validate(&send("topicC", ok), ip).unwrap_err();
    assert_eq!(e.message, "No default permission for topic:topicC");
    let e = acl.validate(&send("other", ok), ip).unwrap_err();
    assert_eq!(e.message, "No default permission for topic:other");
    assert!(e
        .remark()
        .ends_with("PlainPermissionManager.checkPerm(PlainPermissionManager.java:578)"));
    let e = acl
        .validate(&send("topicB", Some(("RocketMQ", "wrong-secret"))), ip)
        .unwrap_err();
    assert_eq!(e.message, "Check signature failed for accessKey=RocketMQ");
    let e = acl
        .validate(&send("topicB", Some(("nobody12", "12345678"))), ip)
        .unwrap_err();
    assert_eq!(e.message, "No acl config for nobody12");
    let e = acl.validate(&send("topicB", None), ip).unwrap_err();
    assert_eq!(
        e.remark(),
        "org.apache.rocketmq.acl.common.AclException: No accessKey is configured, \
         org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:636)"
    );
    // Global white list and the account's white address skip every check.
    assert_eq!(acl.validate(&send("topicA", None), "10.10.103.4"), Ok(()));
    assert_eq!(
        acl.validate(
            &send("topicA", Some(("rocketmq2", "bad-secret"))),
            "192.168.1.9"
        ),
        Ok(())
    );
    // Admin codes.
    let mut admin = RemotingCommand::request_bare(RequestCode::UPDATE_AND_CREATE_TOPIC);
    admin.ext_fields.insert("topic", "topicB");
    sign_request(&mut admin, &SessionCredentials::new("RocketMQ", "12345678"));
    assert_eq!(
        acl.validate(&admin, ip).unwrap_err().message,
        "Need admin permission for request code=17, but accessKey=RocketMQ is not"
    );
    let mut admin2 = RemotingCommand::request_bare(RequestCode::UPDATE_AND_CREATE_TOPIC);
    admin2.ext_fields.insert("topic", "x");
    sign_request(
        &mut admin2,
        &SessionCredentials::new("rocketmq2", "12345678"),
    );
    assert_eq!(acl.validate(&admin2, ip), Ok(()));
    // Pull: topic and the group's retry topic.
    let mut pull = RemotingCommand::request_bare(RequestCode::PULL_MESSAGE);
    pull.ext_fields.insert("topic", "topicC");
    pull.ext_fields.insert("consumerGroup", "groupA");
    sign_request(&mut pull, &SessionCredentials::new("RocketMQ", "12345678"));
    assert_eq!(
        acl.validate(&pull, ip).unwrap_err().message,
        "No default permission for group:groupA"
    );
    // Garbage never panics.
    let mut g = RemotingCommand::request_bare(RequestCode::HEART_BEAT);
    g.ext_fields.insert("AccessKey", "RocketMQ");
    g.body = Some(bytes::Bytes::from_static(b"\xff\x00{"));
    assert!(acl.validate(&g, ip).is_err());
    // A header missing its fields is not refused for it (Java's decode only logs).
    let mut u = RemotingCommand::request_bare(RequestCode::UPDATE_CONSUMER_OFFSET);
    u.ext_fields.insert("consumerGroup", "groupB");
    sign_request(&mut u, &SessionCredentials::new("RocketMQ", "12345678"));
    assert_eq!(acl.validate(&u, ip), Ok(()));
}

#[test]
fn java_hash_order() {
    assert_eq!(java_hash("hello"), 99162322);
    assert_eq!(java_hash(""), 0);
}

#[test]
fn garbage_is_refused_not_panicked() {
    let acl = PlainAcl::parse(YML, "plain_acl.yml").unwrap();
    let big = "x".repeat(1 << 20);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("AccessKey", "RocketMQ"), ("Signature", "!!!not base64!!!")],
        vec![("AccessKey", "RocketMQ"), ("Signature", &big), ("b", &big)],
        vec![("AccessKey", "ключ\u{0}"), ("Signature", "")],
        vec![("AccessKey", ""), ("b", "topicB")],
        vec![("b", "topicB")],
    ];
    for fields in cases {
        for code in [10, 11, 34, 35, 36, 38, 310, 17, 9999] {
            let mut cmd = RemotingCommand::request_bare(code);
            for (k, v) in &fields {
                cmd.ext_fields.insert(k, v);
            }
            cmd.body = Some(bytes::Bytes::from_static(b"\xff\xfe{\"consumerDataSet\":7"));
            assert!(acl.validate(&cmd, "127.0.0.1").is_err());
            assert!(acl.validate(&cmd, "not an ip").is_err());
        }
    }
    for p in [
        "{",
        "}",
        "1.2.3.}",
        "1.2.3.{}",
        "::{1}",
        "1-",
        "-1",
        "*-*",
        "1.2.3.4-",
        "ä.ö.ü.{ß}",
    ] {
        let _ = AddrPattern::parse(Some(p)).map(|a| a.matches("1.2.3.4"));
    }
}

#[test]
fn manager_reloads_on_content_change_and_keeps_old_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain_acl.yml");
    std::fs::write(&path, YML).unwrap();
    let m = AclManager::load(path.clone()).unwrap();
    let ok = send("topicC", Some(("RocketMQ", "12345678")));
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(m.check(&ok, ip).is_err());
    // Same length, same second: still seen.
    std::fs::write(&path, YML.replace("topicC=SUB", "topicC=PUB")).unwrap();
    m.reload_if_changed();
    assert_eq!(m.check(&ok, ip), Ok(()));
    // A broken file leaves the accounts in force.
    std::fs::write(&path, "accounts:\n  - accessKey: x\n").unwrap();
    m.reload_if_changed();
    assert_eq!(m.check(&ok, ip), Ok(()));
    // Removed: no accounts.
    std::fs::remove_file(&path).unwrap();
    m.reload_if_changed();
    assert!(m.check(&ok, ip).is_err());
}

/// Java's `RemoteAddressStrategyTest` (4.9.3), its IPv6 cases as golden data.
#[test]
fn ipv6_patterns_as_javas_tests() {
    // netaddressStrategyFactoryTest: which strategy each pattern gives.
    assert_eq!(p("*:*:*:*:*:*:*:*"), AddrPattern::Any);
    assert!(matches!(
        p("1050:0000:0000:0000:0005:0600:300c:326b"),
        AddrPattern::One(_)
    ));
    assert!(matches!(
        p("1050::0005:0600:300c:3261,1050::0005:0600:300c:3262,1050::0005:0600:300c:3263"),
        AddrPattern::Multiple(_)
    ));
    assert!(matches!(
        p("1050::0005:0600:300c:3261:{1,2,3}"),
        AddrPattern::Multiple(_)
    ));
    for r in [
        "1050::0005:0600:300c:3261:1-200",
        "1050:0005:0600:300c:3261:*",
        "1050::0005:0600:300c:3261:1-20:*",
    ] {
        assert!(matches!(p(r), AddrPattern::Range6 { .. }), "{r}");
    }
    // verifyTest
    assert!(AddrPattern::parse(Some("::1ggg")).is_err());
    // oneNetaddressStrategyTest
    let one = p("::1");
    assert!(!one.matches(""));
    assert!(!one.matches("::2"));
    assert!(one.matches("::1"));
    assert!(one.matches("0000:0000:0000:0000:0000:0000:0000:0001"));
    // multipleNetaddressStrategyTest
    for m in [
        "1050::0005:0600:300c:1,1050::0005:0600:300c:2,1050::0005:0600:300c:3",
        "1050::0005:0600:300c:{1,2,3}",
    ] {
        let m = p(m);
        for (last, ok) in [
            ("1", true),
            ("2", true),
            ("3", true),
            ("4", false),
            ("0", false),
        ] {
            assert_eq!(
                m.matches(&format!("1050:0000:0000:0000:0005:0600:300c:{last}")),
                ok,
                "{last}"
            );
        }
    }
    // multipleNetaddressStrategyExceptionTest
    assert!(AddrPattern::parse(Some("::1,2,3}")).is_err());
    // rangeNetaddressStrategyTest: every group value from -10 to 65636 (Java's
    // Integer.toHexString, so negatives are 8 hex digits), in range or not.
    let sweep = |pat: &str, head: &str, start: i64, end: i64, inside: bool| {
        let r = p(pat);
        for i in -10i64..65536 + 100 {
            let hex = format!("{:x}", i as i32);
            let want = inside && i >= start && i <= end;
            assert_eq!(
                r.matches(&format!("{head}{hex}")),
                want,
                "{pat} {head}{hex}"
            );
        }
    };
    sweep(
        "1050::0005:0600:300c:1-200",
        "1050::0005:0600:300c:",
        0x1,
        0x200,
        true,
    );
    sweep(
        "1050::0005:0600:300c:*",
        "1050::0005:0600:300c:",
        0,
        0xffff,
        true,
    );
    sweep(
        "1050::0005:0600:3001:*",
        "1050::0005:0600:300c:",
        0,
        0xffff,
        false,
    );
    sweep(
        "1050::0005:0600:300c:1-200:*",
        "1050::0005:0600:300c:1:",
        0,
        0xffff,
        true,
    );
    sweep(
        "1050::0005:0600:300c:1-200:*",
        "1050::0005:0600:300c:201:",
        0,
        0xffff,
        false,
    );
    // AclUtils.IPv6AddressCheck: `*` only last, `-` only in the last range group.
    for bad in [
        "1050::*:1",
        "1050::1-2:3",
        "1050::1-2:3:*",
        "1050::5-1",
        "1050::1-10000",
        "1050::-1",
        "1050::0-0",
        "::1-x",
    ] {
        assert!(AddrPattern::parse(Some(bad)).is_err(), "{bad}");
    }
    // An IPv4 address never matches an IPv6 range, nor the reverse.
    assert!(!p("1050::0005:0600:300c:*").matches("10.0.0.1"));
    assert!(!p("10.0.0.*").matches("::1"));
    // Java finds no range after the first group: a null head, a NullPointerException on the
    // first match; Rocklet refuses it at load.
    assert!(AddrPattern::parse(Some("::*")).is_err());
    assert!(p("0:0:0:0:0:0:0:*").matches("::1"));
    assert!(!p("0:0:0:0:0:0:1:*").matches("::1"));
    assert!(p("0:0:0:0:0:0:0:0-ff").matches("0:0:0:0:0:0:0:1"));
}

/// Java's `AclUtilsTest` (4.9.3): `expandIP` and `v6ipProcess` (the head of a range).
#[test]
fn ipv6_expansion_as_javas_tests() {
    for (a, n, want) in [
        ("::", 8, "0000:0000:0000:0000:0000:0000:0000:0000"),
        ("::1", 8, "0000:0000:0000:0000:0000:0000:0000:0001"),
        ("3::", 8, "0003:0000:0000:0000:0000:0000:0000:0000"),
        ("2::2", 8, "0002:0000:0000:0000:0000:0000:0000:0002"),
        ("4::aac4:92", 8, "0004:0000:0000:0000:0000:0000:AAC4:0092"),
        (
            "ab23:56:901a::cc6:765:bb:9011",
            8,
            "AB23:0056:901A:0000:0CC6:0765:00BB:9011",
        ),
        (
            "ab23:56:901a:1:cc6:765:bb:9011",
            8,
            "AB23:0056:901A:0001:0CC6:0765:00BB:9011",
        ),
        ("5::7:6", 6, "0005:0000:0000:0000:0007:0006"),
    ] {
        assert_eq!(expand_ip_n(a, n), want, "{a}");
    }
    for (pat, head) in [
        ("5::7:6:1-200:*", "0005:0000:0000:0000:0007:0006"),
        ("5::7:6:1-200", "0005:0000:0000:0000:0000:0007:0006"),
        ("5::7:6:*", "0005:0000:0000:0000:0000:0007:0006"),
        ("5:7:6:*", "0005:0007:0006"),
    ] {
        match p(pat) {
            AddrPattern::Range6 { head: h, index, .. } => {
                assert_eq!(h, head, "{pat}");
                assert_eq!(index, head.split(':').count());
            }
            other => panic!("{pat}: {other:?}"),
        }
    }
}

/// `<home>/conf/acl`: files merged as Java's `load()` merges them, the writes going to the
/// file that holds the account.
#[test]
fn acl_directory_merged_and_written_as_java() {
    let home = tempfile::tempdir().unwrap();
    let conf = home.path().join("conf");
    let dir = conf.join("acl");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let default = conf.join("plain_acl.yml");
    std::fs::write(
        &default,
        "globalWhiteRemoteAddresses:\n  - 10.1.1.1\naccounts:\n  - accessKey: shared01\n    secretKey: fromDefault\n    admin: true\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("a.yml"),
        "globalWhiteRemoteAddresses:\n  - 10.2.2.*\naccounts:\n  - accessKey: fileA001\n    secretKey: secretA01\n  - accessKey: shared01\n    secretKey: fromFileA\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sub/b.yaml"),
        "accounts:\n  - accessKey: fileB001\n    secretKey: secretB01\n    defaultTopicPerm: PUB\ndataVersion:\n  - counter: 7\n    timestamp: 1700000000000\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not yaml at all: [").unwrap();
    let m = AclManager::load_all(default.clone(), Some(dir.clone())).unwrap();
    {
        let cur = m.current.read();
        let order: Vec<_> = cur.files.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(
            order,
            vec![dir.join("a.yml"), dir.join("sub/b.yaml"), default.clone()]
        );
        // The directory comes first: its definition of a repeated key wins.
        assert_eq!(cur.accounts["shared01"].secret_key, "fromFileA");
        assert_eq!(cur.key_file["shared01"], dir.join("a.yml"));
        assert_eq!(cur.key_file["fileB001"], dir.join("sub/b.yaml"));
        assert_eq!(cur.global_white.len(), 2);
        assert!(cur.exists);
    }
    let (v, files) = m.versions();
    assert_eq!(v.counter, 0);
    assert_eq!(files.len(), 3);
    assert!(files
        .iter()
        .any(|(p, v)| p.ends_with("sub/b.yaml") && v.counter == 7));
    let ip: IpAddr = "10.2.2.9".parse().unwrap();
    assert_eq!(m.check(&send("anything", None), ip), Ok(()));

    // An existing account is rewritten in its own file; a new one goes to the default file.
    let u = AccountUpdate {
        access_key: Some("fileB001".into()),
        secret_key: Some("secretB02".into()),
        ..Default::default()
    };
    assert_eq!(m.update_account(&u), Ok(true));
    let b = std::fs::read_to_string(dir.join("sub/b.yaml")).unwrap();
    assert!(b.contains("secretKey: secretB02"), "{b}");
    assert!(b.contains("counter: 8"), "{b}");
    assert!(!std::fs::read_to_string(&default)
        .unwrap()
        .contains("fileB001"));
    let u = AccountUpdate {
        access_key: Some("brandNew01".into()),
        secret_key: Some("brandNew01".into()),
        ..Default::default()
    };
    assert_eq!(m.update_account(&u), Ok(true));
    assert!(std::fs::read_to_string(&default)
        .unwrap()
        .contains("brandNew01"));
    assert_eq!(m.current.read().key_file["brandNew01"], default);
    // Deleting the repeated key removes file a's definition: the default file's takes over.
    assert_eq!(m.delete_account("shared01"), Ok(true));
    assert!(!std::fs::read_to_string(dir.join("a.yml"))
        .unwrap()
        .contains("shared01"));
    assert_eq!(
        m.current.read().accounts["shared01"].secret_key,
        "fromDefault"
    );
    // The global white list written is the default file's.
    assert_eq!(m.update_global_white(&["10.3.3.3".into()]), Ok(true));
    assert!(std::fs::read_to_string(&default)
        .unwrap()
        .contains("10.3.3.3"));
    assert!(std::fs::read_to_string(dir.join("a.yml"))
        .unwrap()
        .contains("10.2.2.*"));
    let all = m.all_config().unwrap();
    assert_eq!(
        all.global_white_addrs.unwrap(),
        vec!["10.2.2.*".to_string(), "10.3.3.3".to_string()]
    );
    assert_eq!(all.plain_access_configs.unwrap().len(), 4);

    // A file added at run time is read; a broken one keeps the accounts in force; removed, its
    // accounts are gone.
    std::fs::write(
        dir.join("c.yml"),
        "accounts:\n  - accessKey: fileC001\n    secretKey: secretC01\n",
    )
    .unwrap();
    m.reload_if_changed();
    assert!(m.current.read().accounts.contains_key("fileC001"));
    std::fs::write(dir.join("c.yml"), "").unwrap();
    m.reload_if_changed();
    assert!(m.current.read().accounts.contains_key("fileC001"));
    std::fs::remove_file(dir.join("c.yml")).unwrap();
    m.reload_if_changed();
    assert!(!m.current.read().accounts.contains_key("fileC001"));
    // An empty file under conf/acl fails the start, and the error names it.
    std::fs::write(dir.join("empty.yml"), "").unwrap();
    let e = AclManager::load_all(default, Some(dir.clone()))
        .err()
        .unwrap();
    assert!(e.contains("empty.yml"), "{e}");
}
