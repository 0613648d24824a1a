//! TLS over TCP (issue 17): the three `tls.server.mode`s on the name server and the broker,
//! test mode and a CA with client certificates, and bad input (a handshake cut halfway,
//! garbage after the handshake byte) that must not stop the listener.

use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::{DefaultMQProducer, MQAdmin, Message, ProducerConfig};
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::client::ClientOptions;
use rocklet_remoting::tls::{generate_pki, ClientAuth, ClientTls, PkiFiles, TlsMode, TlsSettings};
use rocklet_remoting::RemotingClient;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn cluster(tls: TlsSettings) -> EmbeddedCluster {
    EmbeddedCluster::start_with(EmbeddedOptions {
        tls,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// One GET_BROKER_CLUSTER_INFO to `addr`, over TLS with `tls` or plain with `None`.
async fn cluster_info(addr: &str, tls: Option<&TlsSettings>) -> Result<i32, String> {
    let client = RemotingClient::new(ClientOptions {
        tls: tls.map(ClientTls::from_settings),
        ..Default::default()
    });
    let r = client
        .invoke(
            addr,
            RemotingCommand::request_bare(RequestCode::GET_BROKER_CLUSTER_INFO),
            Duration::from_secs(5),
        )
        .await;
    client.shutdown();
    r.map(|r| r.code).map_err(|e| e.to_string())
}

fn tls_client() -> TlsSettings {
    TlsSettings {
        enable: true,
        ..Default::default()
    }
}

/// Sends through a producer with `client` settings (TLS when `client.enable`) and reads the
/// message back by its offset msgId; the body it got.
async fn send_and_view(ns: &str, client: &TlsSettings, body: &str) -> Result<String, String> {
    let mut cfg = ProducerConfig::new(format!("tls_pg_{}", body.len())).with_namesrv(ns);
    cfg.client.use_tls = client.enable;
    cfg.client.tls = client.clone();
    cfg.client.instance_name = format!("tls_{body}");
    cfg.send_msg_timeout = Duration::from_secs(5);
    let p = DefaultMQProducer::new(cfg);
    p.start().await.map_err(|e| e.to_string())?;
    let r = p
        .send(Message::new("TlsTopic", body.as_bytes().to_vec()))
        .await
        .map_err(|e| e.to_string());
    let out = match r {
        Ok(r) => {
            let admin: MQAdmin = p.admin().map_err(|e| e.to_string())?;
            let m = admin
                .view_message(&r.offset_msg_id)
                .await
                .map_err(|e| e.to_string())?;
            Ok(String::from_utf8_lossy(&m.body().map_err(|e| e.to_string())?).into_owned())
        }
        Err(e) => Err(e),
    };
    p.shutdown().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforcing_serves_tls_clients_and_closes_plain_ones() {
    let c = cluster(TlsSettings {
        server_mode: TlsMode::Enforcing,
        // The broker registers with the name server over TLS.
        enable: true,
        ..Default::default()
    })
    .await;
    let ns = c.namesrv_addr();
    let broker = c.broker_addrs()[0].clone();
    assert_eq!(
        send_and_view(&ns, &tls_client(), "over-tls").await.unwrap(),
        "over-tls"
    );
    for addr in [&ns, &broker] {
        // An answer (the broker's is REQUEST_CODE_NOT_SUPPORTED): the connection works.
        assert!(
            cluster_info(addr, Some(&tls_client())).await.is_ok(),
            "{addr}"
        );
        let e = cluster_info(addr, None).await.unwrap_err();
        assert!(e.contains("closed"), "{addr}: {e}");
    }
    // Still serving TLS after the refusals.
    assert_eq!(
        send_and_view(&ns, &tls_client(), "again").await.unwrap(),
        "again"
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissive_serves_plain_and_tls_on_one_port() {
    // Java's default mode, with test mode's self-signed certificate.
    let c = cluster(TlsSettings::default()).await;
    let ns = c.namesrv_addr();
    assert_eq!(
        send_and_view(&ns, &tls_client(), "tls-one").await.unwrap(),
        "tls-one"
    );
    assert_eq!(
        send_and_view(&ns, &TlsSettings::default(), "plain-one")
            .await
            .unwrap(),
        "plain-one"
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_closes_a_tls_handshake() {
    let c = cluster(TlsSettings {
        server_mode: TlsMode::Disabled,
        ..Default::default()
    })
    .await;
    let ns = c.namesrv_addr();
    let e = cluster_info(&ns, Some(&tls_client())).await.unwrap_err();
    assert!(e.contains("TLS handshake failed"), "{e}");
    assert_eq!(cluster_info(&ns, None).await, Ok(0));
    c.shutdown().await;
}

fn ca_server(pki: &PkiFiles, need: ClientAuth) -> TlsSettings {
    TlsSettings {
        server_mode: TlsMode::Enforcing,
        test_mode_enable: false,
        server_cert_path: Some(pki.server_cert.clone()),
        server_key_path: Some(pki.server_key.clone()),
        server_need_client_auth: need,
        server_auth_client: true,
        server_trust_cert_path: Some(pki.ca_cert.clone()),
        // The broker's own client: its certificate, the server checked against the CA.
        enable: true,
        client_cert_path: Some(pki.client_cert.clone()),
        client_key_path: Some(pki.client_key.clone()),
        client_auth_server: true,
        client_trust_cert_path: Some(pki.ca_cert.clone()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_and_server_checks_against_a_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = generate_pki(&dir.path().join("a"), &["127.0.0.1".into()]).unwrap();
    let other = generate_pki(&dir.path().join("b"), &["127.0.0.1".into()]).unwrap();
    let server = ca_server(&pki, ClientAuth::Require);
    let c = cluster(server.clone()).await;
    let ns = c.namesrv_addr();
    // A client with a certificate the CA signed, checking the server against that CA.
    let good = TlsSettings {
        server_mode: TlsMode::Permissive,
        ..server.clone()
    };
    assert_eq!(send_and_view(&ns, &good, "mutual").await.unwrap(), "mutual");
    // No client certificate: the server requires one.
    let no_cert = TlsSettings {
        client_cert_path: None,
        client_key_path: None,
        ..good.clone()
    };
    assert!(cluster_info(&ns, Some(&no_cert)).await.is_err());
    // A certificate from another CA.
    let foreign_cert = TlsSettings {
        client_cert_path: Some(other.client_cert.clone()),
        client_key_path: Some(other.client_key.clone()),
        ..good.clone()
    };
    assert!(cluster_info(&ns, Some(&foreign_cert)).await.is_err());
    // The client trusts another CA only: the server's chain is refused.
    let wrong_trust = TlsSettings {
        client_trust_cert_path: Some(other.ca_cert.clone()),
        ..good.clone()
    };
    let e = cluster_info(&ns, Some(&wrong_trust)).await.unwrap_err();
    assert!(e.contains("TLS handshake failed"), "{e}");
    // authServer=false (Java's default) accepts that server anyway.
    let lax = TlsSettings {
        client_auth_server: false,
        ..wrong_trust
    };
    assert_eq!(cluster_info(&ns, Some(&lax)).await, Ok(0));
    c.shutdown().await;

    // Optional client auth: a client without a certificate is served too.
    let c = cluster(ca_server(&pki, ClientAuth::Optional)).await;
    assert_eq!(cluster_info(&c.namesrv_addr(), Some(&no_cert)).await, Ok(0));
    c.shutdown().await;
}

/// Reads until the server closes; false if it is still open after `within`.
async fn closed_within(s: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let t = Instant::now();
    while t.elapsed() < within {
        match tokio::time::timeout(within, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_or_garbage_handshakes_do_not_stop_the_listener() {
    let c = cluster(TlsSettings {
        server_mode: TlsMode::Enforcing,
        enable: true,
        ..Default::default()
    })
    .await;
    let ns = c.namesrv_addr();
    // A ClientHello cut halfway: a record header announcing 512 bytes, 40 of them sent, and
    // the connection held open.
    let mut cut = tokio::net::TcpStream::connect(&ns).await.unwrap();
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    hello.extend(std::iter::repeat_n(0x42, 29));
    cut.write_all(&hello).await.unwrap();
    // The handshake byte then garbage: a bad record, the connection closed at once.
    let mut garbage = tokio::net::TcpStream::connect(&ns).await.unwrap();
    let mut g = vec![0x16];
    g.extend((0..2000u32).map(|i| (i * 7919 % 251) as u8));
    garbage.write_all(&g).await.unwrap();
    // A huge plain frame header on an enforcing port: closed too.
    let mut plain = tokio::net::TcpStream::connect(&ns).await.unwrap();
    plain
        .write_all(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1])
        .await
        .unwrap();
    assert!(closed_within(&mut garbage, Duration::from_secs(3)).await);
    assert!(closed_within(&mut plain, Duration::from_secs(3)).await);
    // While the cut handshake waits, other clients are served.
    let t = Instant::now();
    assert_eq!(cluster_info(&ns, Some(&tls_client())).await, Ok(0));
    assert!(t.elapsed() < Duration::from_secs(3));
    assert_eq!(
        send_and_view(&ns, &tls_client(), "served").await.unwrap(),
        "served"
    );
    // The cut handshake ends at the handshake timeout (10 s, Netty's), not never.
    assert!(
        closed_within(&mut cut, Duration::from_secs(15)).await,
        "cut handshake kept open"
    );
    c.shutdown().await;
}
