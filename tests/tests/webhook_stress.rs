//! End-to-end, under load and abuse: clients that trickle bytes (slow-loris), the
//! connection limit, a certificate rotation while requests keep coming, and SIGTERM
//! while requests are in flight. Each test drives the built binary over real TLS on
//! loopback and is bounded in time.

use flink_autoscale_e2e::fixture;
use flink_autoscale_e2e::webhook::pki::Pki;
use flink_autoscale_e2e::webhook::{WebhookProcess, client_trusting};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `--dev --offline` webhook with `extra` flags, once ready, and its CA.
async fn dev_webhook(dir: &Path, extra: &[&str]) -> (WebhookProcess, Vec<u8>) {
    let webhook = WebhookProcess::dev(dir.join("dev-ca.pem"))
        .args(extra)
        .start();
    // A client used only for the readiness check, dropped (with its connection)
    // before the test begins.
    let probe = webhook.client();
    webhook.wait_ready(&probe).await;
    let ca = webhook.ca_pem();
    (webhook, ca)
}

fn review_body() -> Vec<u8> {
    std::fs::read(fixture("admission/flinkdeployment-create.json")).expect("fixture")
}

const REVIEW_UID: &str = "705ab4f5-6393-11e8-b7cc-42010a800002";

/// POSTs the fixture review; Ok when the answer is a 200 AdmissionReview for it.
async fn post_review(client: &reqwest::Client, url: &str) -> Result<(), String> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(review_body())
        .send()
        .await
        .map_err(|e| format!("send: {e:?}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("body of a {status} answer: {e:?}"))?;
    if status != 200 || !text.contains(REVIEW_UID) {
        return Err(format!("{status}: {text}"));
    }
    Ok(())
}

fn rustls_client(ca: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A blocking TLS connection with the handshake done.
fn tls_connect(port: u16, config: &Arc<rustls::ClientConfig>) -> TlsStream {
    let connection =
        rustls::ClientConnection::new(config.clone(), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .expect("the TLS handshake completes");
    }
    tls
}

/// Sends `GET /healthz` on a keep-alive connection and reads the answer.
fn healthz_on(tls: &mut TlsStream) {
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    tls.flush().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(b"\r\n\r\nok") {
        let n = tls.read(&mut buf).expect("the answer arrives");
        assert!(n > 0, "closed before answering");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(b"HTTP/1.1 200"));
}

/// How a slow client's connection ended.
#[derive(Debug)]
enum SlowEnd {
    /// The server closed it this long after the client connected.
    ClosedAfter(Duration),
    /// Still open when the client gave up.
    StillOpen,
}

/// What a slow-loris client does with its connection.
#[derive(Debug, Clone, Copy)]
enum Slowness {
    /// TCP only, nothing sent.
    Silent,
    /// TCP, then the start of a TLS ClientHello one byte at a time.
    TrickledHandshake,
    /// A finished TLS handshake, then request headers one byte at a time.
    TrickledHeaders,
}

/// Runs a slow client in a thread for at most `give_up`, sending a byte every
/// `interval` where it sends anything.
fn slow_client(
    port: u16,
    config: Arc<rustls::ClientConfig>,
    slowness: Slowness,
    interval: Duration,
    give_up: Duration,
) -> std::thread::JoinHandle<SlowEnd> {
    std::thread::spawn(move || {
        let started = Instant::now();
        let closed = || SlowEnd::ClosedAfter(started.elapsed());
        match slowness {
            Slowness::Silent => {
                let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
                socket.set_read_timeout(Some(give_up)).unwrap();
                match socket.read(&mut [0u8; 64]) {
                    Err(e) if is_timeout(&e) => SlowEnd::StillOpen,
                    _ => closed(),
                }
            }
            Slowness::TrickledHandshake => {
                let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
                socket.set_read_timeout(Some(interval)).unwrap();
                // A TLS handshake record header announcing 512 bytes, then a
                // ClientHello that never finishes.
                let hello = [
                    0x16u8, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
                ];
                for byte in hello.iter().chain(std::iter::repeat(&0u8)) {
                    if started.elapsed() > give_up {
                        return SlowEnd::StillOpen;
                    }
                    if socket.write_all(&[*byte]).is_err() {
                        return closed();
                    }
                    match socket.read(&mut [0u8; 64]) {
                        Err(e) if is_timeout(&e) => {}
                        _ => return closed(),
                    }
                }
                SlowEnd::StillOpen
            }
            Slowness::TrickledHeaders => {
                let mut tls = tls_connect(port, &config);
                tls.sock.set_read_timeout(Some(interval)).unwrap();
                let head = b"POST /validate HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
                for byte in head.iter().chain(std::iter::repeat(&b'a')) {
                    if started.elapsed() > give_up {
                        return SlowEnd::StillOpen;
                    }
                    if tls.write_all(&[*byte]).and_then(|()| tls.flush()).is_err() {
                        return closed();
                    }
                    match tls.read(&mut [0u8; 256]) {
                        Err(e) if is_timeout(&e) => {}
                        _ => return closed(),
                    }
                }
                SlowEnd::StillOpen
            }
        }
    })
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Slow-loris: clients that connect and then send nothing, or trickle a handshake
/// or request headers a byte at a time. Below the connection limit a normal client
/// is served at once beside them; with every slot taken by them, it is served as
/// soon as the header-read timeout has closed them, and every one of them is closed
/// within that timeout (plus scheduling slack) however steadily it trickles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_clients_neither_starve_others_nor_keep_their_slots() {
    let dir = tempfile::tempdir().unwrap();
    let timeout = Duration::from_secs(1);
    let (webhook, ca) = dev_webhook(
        dir.path(),
        &["--max-connections", "8", "--header-read-timeout", "1s"],
    )
    .await;
    let config = rustls_client(&ca);
    let port = webhook.port();
    let interval = Duration::from_millis(100);
    // Far longer than the timeout: without it they would hold their slots this long.
    let give_up = Duration::from_secs(20);
    let slack = Duration::from_secs(4);

    // Below the limit: six slow clients of three kinds, and a normal client beside
    // them.
    let slow: Vec<_> = [
        Slowness::Silent,
        Slowness::Silent,
        Slowness::TrickledHandshake,
        Slowness::TrickledHandshake,
        Slowness::TrickledHeaders,
        Slowness::TrickledHeaders,
    ]
    .into_iter()
    .map(|s| (s, slow_client(port, config.clone(), s, interval, give_up)))
    .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = client_trusting(&[&ca]).build().unwrap();
    for _ in 0..10 {
        let sent = Instant::now();
        post_review(&client, &webhook.url("/validate"))
            .await
            .expect("a normal client is served beside slow ones");
        assert!(
            sent.elapsed() < timeout,
            "a review took {:?} beside slow clients",
            sent.elapsed()
        );
    }
    drop(client);
    for (slowness, handle) in slow {
        match handle.join().unwrap() {
            SlowEnd::ClosedAfter(after) => assert!(
                after <= timeout + slack,
                "{slowness:?} was closed only after {after:?}"
            ),
            SlowEnd::StillOpen => panic!("{slowness:?} was never closed"),
        }
    }

    // Every slot taken by clients trickling headers: a new client waits for the
    // timeout to free one, then is served.
    let slow: Vec<_> = (0..8)
        .map(|_| {
            slow_client(
                port,
                config.clone(),
                Slowness::TrickledHeaders,
                interval,
                give_up,
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fresh = client_trusting(&[&ca]).build().unwrap();
    let sent = Instant::now();
    post_review(&fresh, &webhook.url("/validate"))
        .await
        .expect("served once a slow client's slot is freed");
    assert!(
        sent.elapsed() <= timeout + slack,
        "a review waited {:?} behind slow clients",
        sent.elapsed()
    );
    for handle in slow {
        match handle.join().unwrap() {
            SlowEnd::ClosedAfter(after) => {
                assert!(after <= timeout + slack, "closed after {after:?}")
            }
            SlowEnd::StillOpen => panic!("a header-trickling client was never closed"),
        }
    }
    assert!(
        webhook.stderr().contains("connection limit reached"),
        "{}",
        webhook.stderr()
    );
    assert!(
        !webhook.stderr().contains("panicked"),
        "{}",
        webhook.stderr()
    );
}

/// At the limit a new connection is not refused nor left waiting behind idle ones:
/// the connection idle the longest is closed for it. Only while every connection
/// has a request in flight does it wait (in the listen backlog), until one of them
/// has answered and gone idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_limit_the_idlest_connection_makes_room() {
    let dir = tempfile::tempdir().unwrap();
    // Long header and idle timeouts: only the limit closes connections here.
    let (webhook, ca) = dev_webhook(
        dir.path(),
        &[
            "--max-connections",
            "2",
            "--header-read-timeout",
            "60s",
            "--idle-timeout",
            "60s",
        ],
    )
    .await;
    let config = rustls_client(&ca);
    // The readiness probe's connection has been dropped; let the server see it close.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Two idle keep-alive connections hold both slots; a newcomer is served at once
    // and the one idle the longest is closed for it.
    let mut first = tls_connect(webhook.port(), &config);
    healthz_on(&mut first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut second = tls_connect(webhook.port(), &config);
    healthz_on(&mut second);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let client = client_trusting(&[&ca]).build().unwrap();
    let sent = Instant::now();
    post_review(&client, &webhook.url("/validate"))
        .await
        .expect("a newcomer is served at the limit");
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
    assert!(
        webhook.stderr().contains("connection limit reached"),
        "{}",
        webhook.stderr()
    );
    assert!(is_closed(&mut first), "the idlest connection was kept");
    drop(client);

    // Both slots busy (a request in flight on each, its body still coming): the
    // newcomer waits, and is served once one of them has answered and gone idle.
    drop(second);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let body = review_body();
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut busy: Vec<TlsStream> = (0..2)
        .map(|_| {
            let mut tls = tls_connect(webhook.port(), &config);
            tls.write_all(head.as_bytes()).unwrap();
            tls.write_all(&body[..10]).unwrap();
            tls.flush().unwrap();
            tls
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = client_trusting(&[&ca]).build().unwrap();
    let url = webhook.url("/validate");
    let waiting = tokio::spawn(async move { post_review(&client, &url).await });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served while two requests were in flight"
    );
    let mut done = busy.remove(0);
    done.write_all(&body[10..]).unwrap();
    done.flush().unwrap();
    let mut answer = [0u8; 12];
    done.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once a connection went idle")
        .unwrap()
        .expect("the waiting review is answered");
}

/// Whether the server has closed the connection (a request on it gets no answer).
fn is_closed(tls: &mut TlsStream) -> bool {
    let _ = tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let _ = tls.flush();
    let mut buf = [0u8; 64];
    !matches!(tls.read(&mut buf), Ok(n) if n > 0)
}

/// Idle HTTP/2 connections (handshake, preface and settings, then nothing) at the
/// limit: every newcomer is still served promptly, and idle ones are closed after
/// the idle timeout. Bounded: a few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_http2_connections_lock_no_client_out() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, ca) = dev_webhook(
        dir.path(),
        &["--max-connections", "16", "--idle-timeout", "3s"],
    )
    .await;
    let mut h2 = rustls_client(&ca).as_ref().clone();
    h2.alpn_protocols = vec![b"h2".to_vec()];
    let h2 = Arc::new(h2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every slot taken by an idle HTTP/2 connection.
    let mut idle: Vec<TlsStream> = (0..16)
        .map(|_| {
            let mut tls = tls_connect(webhook.port(), &h2);
            assert_eq!(tls.conn.alpn_protocol(), Some(b"h2".as_slice()));
            tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
            // An empty SETTINGS frame.
            tls.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
            tls.flush().unwrap();
            tls
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Newcomers on fresh connections, one after another: each is served.
    for i in 0..10 {
        let client = client_trusting(&[&ca]).build().unwrap();
        let sent = Instant::now();
        tokio::time::timeout(
            Duration::from_secs(5),
            post_review(&client, &webhook.url("/validate")),
        )
        .await
        .unwrap_or_else(|_| panic!("newcomer {i} timed out behind idle HTTP/2 connections"))
        .unwrap_or_else(|e| panic!("newcomer {i}: {e}"));
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "newcomer {i}: {:?}",
            sent.elapsed()
        );
    }
    // And the idle ones are closed after the idle timeout, shed or not.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for (i, tls) in idle.iter_mut().enumerate() {
        tls.sock
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let mut closed = false;
        for _ in 0..20 {
            match tls.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(_) => continue, // the server's SETTINGS and acks
                Err(e) if is_timeout(&e) => break,
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        assert!(
            closed,
            "idle HTTP/2 connection {i} still open after the idle timeout"
        );
    }
}

fn pki(ca_name: &str) -> Pki {
    Pki::new(ca_name)
}

fn der(cert_pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .unwrap()
        .to_vec()
}

/// A rotation while four clients keep sending reviews on keep-alive connections and
/// a fifth opens a new connection for every request: not one request fails, and
/// once a new connection has seen the new certificate, no later one sees the old.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_under_load_fails_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let first = pki("first CA");
    let second = pki("second CA");
    first.write_secret_volume(dir.path(), 1);
    let cert: PathBuf = dir.path().join("tls.crt");
    let key: PathBuf = dir.path().join("tls.key");
    let webhook = WebhookProcess::with_certs(&cert, &key)
        .args(["--cert-reload-interval", "100 ms"])
        .start();
    let cas: [&[u8]; 2] = [first.ca_pem.as_bytes(), second.ca_pem.as_bytes()];
    let client = client_trusting(&cas).build().unwrap();
    webhook.wait_ready(&client).await;
    let (first_der, second_der) = (der(&first.cert_pem), der(&second.cert_pem));

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let answered = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (client, url, stop, failures, answered) = (
            client.clone(),
            webhook.url("/validate"),
            stop.clone(),
            failures.clone(),
            answered.clone(),
        );
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match post_review(&client, &url).await {
                    Ok(()) => answered.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        failures.lock().unwrap().push(format!("keep-alive: {e}"));
                        0
                    }
                };
            }
        }));
    }
    // New connections, each reporting which certificate it was shown.
    let seen = Arc::new(Mutex::new(Vec::<(Instant, bool)>::new()));
    let prober = {
        let (url, stop, failures, seen, cas) = (
            webhook.url("/healthz"),
            stop.clone(),
            failures.clone(),
            seen.clone(),
            (first.ca_pem.clone(), second.ca_pem.clone()),
        );
        let (first_der, second_der) = (first_der.clone(), second_der.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let fresh = client_trusting(&[cas.0.as_bytes(), cas.1.as_bytes()])
                    .tls_info(true)
                    .pool_max_idle_per_host(0)
                    .build()
                    .unwrap();
                match fresh.get(&url).send().await {
                    Ok(r) if r.status() == 200 => {
                        let cert = r
                            .extensions()
                            .get::<reqwest::tls::TlsInfo>()
                            .and_then(|i| i.peer_certificate())
                            .map(<[u8]>::to_vec);
                        let is_new = match cert {
                            Some(c) if c == second_der => true,
                            Some(c) if c == first_der => false,
                            other => {
                                failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("unexpected certificate {other:?}"));
                                continue;
                            }
                        };
                        seen.lock().unwrap().push((Instant::now(), is_new));
                    }
                    Ok(r) => failures
                        .lock()
                        .unwrap()
                        .push(format!("new connection: {}", r.status())),
                    Err(e) => failures
                        .lock()
                        .unwrap()
                        .push(format!("new connection: {e:?}")),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = answered.load(Ordering::Relaxed);
    second.write_secret_volume(dir.path(), 2);
    let rotated = Instant::now();
    let deadline = rotated + Duration::from_secs(15);
    while !seen.lock().unwrap().iter().any(|(_, new)| *new) {
        assert!(
            Instant::now() < deadline,
            "no new connection saw the rotated certificate within 15 s\nstderr:\n{}",
            webhook.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    prober.await.unwrap();

    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "failed requests: {failures:?}");
    let seen = seen.lock().unwrap().clone();
    let first_new = seen
        .iter()
        .position(|(_, new)| *new)
        .expect("the new certificate was seen");
    assert!(
        seen[..first_new]
            .iter()
            .all(|(at, _)| *at <= rotated + Duration::from_secs(15)),
        "{seen:?}"
    );
    assert!(
        seen[first_new..].iter().all(|(_, new)| *new),
        "a new connection saw the old certificate after the new one: {seen:?}"
    );
    assert!(first_new > 0, "no connection saw the first certificate");
    let after = answered.load(Ordering::Relaxed);
    assert!(
        after > before + 10,
        "keep-alive clients stalled across the rotation ({before} -> {after})"
    );
    assert!(
        webhook.stderr().contains("serving certificate reloaded"),
        "{}",
        webhook.stderr()
    );
}

/// SIGTERM under load: eight requests are half sent (so the server is certainly
/// reading them) while four clients keep sending. Every one of the eight is answered
/// 200 after the signal; the clients get either whole 200 answers or, once the
/// listener is closed, connection errors, never another status or a cut answer; the
/// process exits 0 well within the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_fails_no_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (mut webhook, ca) = dev_webhook(dir.path(), &[]).await;
    let config = rustls_client(&ca);
    let body = std::fs::read(fixture("admission/flinkdeployment-delete.json")).unwrap();
    let half = body.len() / 2;

    let mut in_flight = Vec::new();
    for _ in 0..8 {
        let mut tls = tls_connect(webhook.port(), &config);
        write!(
            tls,
            "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        tls.write_all(&body[..half]).unwrap();
        tls.flush().unwrap();
        in_flight.push(tls);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let signalled = Arc::new(Mutex::new(None::<Instant>));
    let client = client_trusting(&[&ca]).build().unwrap();
    let mut load = Vec::new();
    for _ in 0..4 {
        let (client, url, stop, signalled) = (
            client.clone(),
            webhook.url("/validate"),
            stop.clone(),
            signalled.clone(),
        );
        load.push(tokio::spawn(async move {
            let (mut ok, mut refused) = (0u32, 0u32);
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let outcome = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(review_body())
                    .send()
                    .await;
                match outcome {
                    Ok(response) => {
                        let status = response.status();
                        let text = response.text().await;
                        match text {
                            Ok(text) if status == 200 && text.contains(REVIEW_UID) => ok += 1,
                            other => return Err(format!("{status}: {other:?}")),
                        }
                    }
                    Err(e) => {
                        // Only once the signal was sent, and only as a failed
                        // connection or a request the server never read.
                        let after_signal = signalled
                            .lock()
                            .unwrap()
                            .is_some_and(|t| sent >= t - Duration::from_millis(50));
                        if !after_signal {
                            return Err(format!("before SIGTERM: {e:?}"));
                        }
                        refused += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            Ok((ok, refused))
        }));
    }

    tokio::time::sleep(Duration::from_millis(500)).await;
    *signalled.lock().unwrap() = Some(Instant::now());
    webhook.terminate();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !webhook.stderr().contains("shutting down") {
        assert!(
            Instant::now() < deadline,
            "no shutdown logged:\n{}",
            webhook.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(webhook.is_running(), "exited with requests in flight");

    // The eight half-sent requests: finished now, each answered 200.
    let finishing: Vec<_> = in_flight
        .into_iter()
        .map(|mut tls| {
            let rest = body[half..].to_vec();
            std::thread::spawn(move || {
                tls.write_all(&rest).unwrap();
                tls.flush().unwrap();
                let mut response = Vec::new();
                let _ = tls.read_to_end(&mut response);
                String::from_utf8_lossy(&response).into_owned()
            })
        })
        .collect();
    for handle in finishing {
        let response = handle.join().unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response.contains("a1b2c3d4-0000-4000-8000-000000000002"),
            "{response}"
        );
    }

    let status = webhook.wait_exit(Duration::from_secs(10)).await;
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for task in load {
        let (ok, _) = task
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("a client saw a failure: {e}"));
        answered += ok;
    }
    assert!(answered > 0, "the load clients got no answer at all");
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}\nstderr:\n{}",
        webhook.stderr()
    );
    assert!(
        !webhook.stderr().contains("panicked"),
        "{}",
        webhook.stderr()
    );
}
