//! The `rocklet` binary end to end: `serve`, then `send` and every `admin` subcommand against it.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rocklet");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rocklet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn serve_send_and_admin() {
    let dir = tempfile::tempdir().unwrap();
    let (np, bp) = (free_port(), free_port());
    let _srv = Server(
        Command::new(BIN)
            .args([
                "serve",
                "--namesrv-port",
                &np.to_string(),
                "--broker-port",
                &bp.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--store",
                dir.path().to_str().unwrap(),
                "-p",
                "mapedFileSizeCommitLog=4194304",
                "-p",
                "maxMessageSize=1048576",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ns = format!("127.0.0.1:{np}");
    wait_registered(&ns, bp);
    let o = run(&[
        "send",
        "-n",
        &ns,
        "-t",
        "CliTopic",
        "-b",
        "hello cli",
        "--tags",
        "T1",
        "-k",
        "key1 key2",
        "-c",
        "3",
    ]);
    let s = stdout(&o);
    assert_eq!(s.matches("sendStatus=SEND_OK").count(), 3, "{s}");
    let offset_id = s
        .split("offsetMsgId=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();

    let s = stdout(&run(&["admin", "-n", &ns, "cluster-list"]));
    assert!(
        s.contains("DefaultCluster") && s.contains(&format!("127.0.0.1:{bp}")),
        "{s}"
    );

    let s = stdout(&run(&[
        "admin",
        "-n",
        &ns,
        "update-topic",
        "-t",
        "MadeByCli",
        "-c",
        "DefaultCluster",
        "-r",
        "3",
        "-w",
        "3",
    ]));
    assert!(s.contains("success"), "{s}");
    let s = stdout(&run(&[
        "admin",
        "-n",
        &ns,
        "topic-route",
        "-t",
        "MadeByCli",
    ]));
    assert!(s.contains("\"writeQueueNums\": 3"), "{s}");

    let s = stdout(&run(&["admin", "-n", &ns, "offsets", "-t", "CliTopic"]));
    let total: i64 = s
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(3)?.parse::<i64>().ok())
        .sum();
    assert_eq!(total, 3, "{s}");

    let s = stdout(&run(&[
        "admin",
        "-n",
        &ns,
        "query-msg-by-key",
        "-t",
        "CliTopic",
        "-k",
        "key2",
    ]));
    assert_eq!(s.lines().count(), 4, "{s}");

    let s = stdout(&run(&[
        "admin",
        "-n",
        &ns,
        "query-msg-by-id",
        "-i",
        &offset_id,
    ]));
    assert!(
        s.contains("Body:              hello cli") && s.contains("Tags:              T1"),
        "{s}"
    );

    // The management subcommands, with mqadmin's tables.
    let admin = |args: &[&str]| {
        let mut v = vec!["admin", "-n", ns.as_str()];
        v.extend_from_slice(args);
        stdout(&run(&v))
    };
    let s = admin(&["broker-status"]);
    assert!(s.contains("msgPutTotalTodayNow             : 3"), "{s}");
    assert!(
        s.contains("brokerVersionDesc               : V4_9_3"),
        "{s}"
    );
    let s = admin(&["topic-status", "-t", "CliTopic"]);
    assert!(s.starts_with("#Broker Name"), "{s}");
    let maxes: i64 = s
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(3)?.parse::<i64>().ok())
        .sum();
    assert_eq!(maxes, 3, "{s}");
    let s = admin(&["get-broker-config"]);
    assert!(
        s.contains("brokerClusterName                                 =  DefaultCluster"),
        "{s}"
    );
    admin(&["update-broker-config", "-k", "fileReservedTime", "-v", "24"]);
    assert!(admin(&["get-broker-config"])
        .contains("fileReservedTime                                  =  24"));
    assert!(admin(&["update-sub-group", "-g", "cli_group", "-r", "3"]).contains("success"));
    assert!(admin(&["delete-sub-group", "-g", "cli_group"]).contains("success"));
    assert!(admin(&["update-kv-config", "-s", "NS1", "-k", "k", "-v", "v"]).contains("success"));
    assert!(admin(&["delete-kv-config", "-s", "NS1", "-k", "k"]).contains("success"));
    assert!(admin(&["get-namesrv-config"]).contains("listenPort"));
    let s = admin(&["consumer-progress", "-g", "nobody"]);
    assert!(s.contains("Diff Total: 0"), "{s}");
    // A group nobody runs: the broker's refusal, as a non-zero exit.
    let o = Command::new(BIN)
        .args(["admin", "-n", &ns, "consumer-connection", "-g", "nobody"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not online"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Errors are reported with a non-zero exit, not a panic.
    let o = Command::new(BIN)
        .args(["send", "-n", &ns, "-t", "bad topic", "-b", "x"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("illegal characters"));
}

fn serve(store: &std::path::Path) -> (Child, u16) {
    let (np, bp) = (free_port(), free_port());
    let child = Command::new(BIN)
        .args(["serve", "--namesrv-port", &np.to_string()])
        .args(["--broker-port", &bp.to_string(), "--bind", "127.0.0.1"])
        .args(["--store", store.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, bp)
}

fn wait_listening(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Java's `lock` and `abort` files across processes: a second broker on a store in use is
/// refused with Java's words; `abort` exists while a broker runs, stays after a SIGKILL and
/// goes with a clean SIGTERM stop.
#[test]
fn a_store_in_use_is_refused_and_abort_marks_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let abort = dir.path().join("abort");
    let (first, port) = serve(dir.path());
    let mut first = Server(first);
    assert!(wait_listening(port, &mut first.0), "first broker starts");
    assert!(abort.exists(), "abort while running");

    let (mut second, port2) = serve(dir.path());
    assert!(
        !wait_listening(port2, &mut second),
        "second broker must not serve"
    );
    let out = second.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Lock failed,MQ already started"), "{err}");

    drop(first); // SIGKILL: a crash
    assert!(abort.exists(), "abort stays after a crash");

    let (third, port3) = serve(dir.path());
    let mut third = Server(third);
    assert!(
        wait_listening(port3, &mut third.0),
        "the lock died with the process"
    );
    let pid = third.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while third.0.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!abort.exists(), "a clean stop removes abort");
}

/// `rocklet serve` on free 127.0.0.1 ports with a small store; the name server address.
fn serve_small(store: &std::path::Path) -> (Server, String) {
    let (np, bp) = (free_port(), free_port());
    let srv = Server(
        Command::new(BIN)
            .args(["serve", "--namesrv-port", &np.to_string()])
            .args(["--broker-port", &bp.to_string(), "--bind", "127.0.0.1"])
            .args(["--store", store.to_str().unwrap()])
            .args([
                "-p",
                "mapedFileSizeCommitLog=4194304",
                "-p",
                "maxMessageSize=1048576",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ns = format!("127.0.0.1:{np}");
    wait_registered(&ns, bp);
    (srv, ns)
}

/// Waits until the broker on `bp` is listed by the name server: its port opens before its
/// registration, and an admin call in between finds no cluster (seen under load).
fn wait_registered(ns: &str, bp: u16) {
    let start = Instant::now();
    let want = format!("127.0.0.1:{bp}");
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", bp)).is_ok() {
            let s = stdout(&run(&["admin", "-n", ns, "cluster-list"]));
            if s.contains(&want) {
                return;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the broker on {bp} did not register with {ns}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A topic of 4 queues with 3 `TagA` and 4 `TagB` messages.
fn topic_with_tags(ns: &str, topic: &str) {
    run(&[
        "admin",
        "-n",
        ns,
        "update-topic",
        "-t",
        topic,
        "-c",
        "DefaultCluster",
        "-r",
        "4",
        "-w",
        "4",
    ]);
    run(&[
        "send", "-n", ns, "-t", topic, "-b", "alpha", "--tags", "TagA", "-k", "ka", "-c", "3",
    ]);
    run(&[
        "send", "-n", ns, "-t", topic, "-b", "beta", "--tags", "TagB", "-c", "4",
    ]);
}

/// The output of a `rocklet consume`, killed after 60 s so a missing message fails the test
/// instead of hanging it.
fn finish(mut c: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while c.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = c.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    c.wait_with_output().unwrap()
}

fn consume(args: &[&str], offsets: &std::path::Path) -> Output {
    finish(
        Command::new(BIN)
            .arg("consume")
            .args(args)
            .env("RUST_LOG", "warn")
            .env("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR", offsets)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

fn lines(o: &Output) -> Vec<String> {
    stdout(o).lines().map(str::to_owned).collect()
}

#[test]
fn consume_prints_the_tagged_messages_and_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (_srv, ns) = serve_small(&dir.path().join("store"));
    let offsets = dir.path().join("offsets");
    topic_with_tags(&ns, "ConsumeCli");
    let base = ["-n", ns.as_str(), "-t", "ConsumeCli"];
    let args = |more: &[&'static str]| {
        let mut v: Vec<&str> = base.to_vec();
        v.extend_from_slice(more);
        v
    };

    let o = consume(
        &args(&[
            "-g", "cli_c1", "--tag", "TagA", "-c", "3", "--from", "first",
        ]),
        &offsets,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let l = lines(&o);
    assert_eq!(l.len(), 3, "{l:?}");
    for x in &l {
        assert!(
            x.contains(" tags=TagA keys=ka reconsumeTimes=0 body=alpha"),
            "{x}"
        );
    }
    assert!(
        err.contains("consumed 3 messages of ConsumeCli as cli_c1"),
        "{err}"
    );

    // Both tags, another group: all seven.
    let o = consume(
        &args(&[
            "-g",
            "cli_c2",
            "--tag",
            "TagA || TagB",
            "-c",
            "7",
            "--from",
            "first",
        ]),
        &offsets,
    );
    let l = lines(&o);
    assert_eq!(l.len(), 7, "{l:?}");
    assert_eq!(l.iter().filter(|x| x.ends_with("body=beta")).count(), 4);

    // The first group committed its offsets: only the new message comes.
    run(&[
        "send",
        "-n",
        &ns,
        "-t",
        "ConsumeCli",
        "-b",
        "late",
        "--tags",
        "TagA",
    ]);
    let o = consume(
        &args(&[
            "-g", "cli_c1", "--tag", "TagA", "-c", "1", "--from", "first",
        ]),
        &offsets,
    );
    let l = lines(&o);
    assert_eq!(l.len(), 1, "{l:?}");
    assert!(l[0].ends_with("body=late"), "{l:?}");

    // No such topic; SQL on a broker without enablePropertyFilter.
    let o = consume(
        &["-n", &ns, "-t", "NoSuchTopic", "-g", "cli_c3", "-c", "1"],
        &offsets,
    );
    assert!(!o.status.success());
    assert!(!o.stderr.is_empty());
    let o = consume(
        &args(&["-g", "cli_c4", "--sql", "a > 1", "-c", "1"]),
        &offsets,
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Check client in broker error"), "{err}");
}

#[test]
fn consume_broadcast_gives_every_consumer_every_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_srv, ns) = serve_small(&dir.path().join("store"));
    let offsets = dir.path().join("offsets");
    topic_with_tags(&ns, "ConsumeBcast");
    let spawn = || {
        Command::new(BIN)
            .args(["consume", "-n", &ns, "-t", "ConsumeBcast", "-g", "cli_bc"])
            .args(["--broadcast", "--from", "first", "-c", "7"])
            .env("RUST_LOG", "warn")
            .env("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR", &offsets)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for c in [a, b] {
        let o = finish(c);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut l = lines(&o);
        assert_eq!(l.len(), 7, "{l:?}");
        // Seven different (queue, offset) pairs.
        l.iter_mut()
            .for_each(|x| *x = x.split(" tags=").next().unwrap().to_owned());
        l.sort();
        l.dedup();
        assert_eq!(l.len(), 7, "{l:?}");
    }
}
