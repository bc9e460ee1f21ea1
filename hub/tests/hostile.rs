//! The hub served on 127.0.0.1 against hostile clients (issue 14): silent, trickling and idle sockets, slow
//! bodies, more connections than it allows, too many streams, junk pushes, bad enrollments, unknown fields, and
//! the security headers. Every loop is bounded; the only timed assertion is the `/healthz` bound the issue sets
//! (its p99 is printed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustls::pki_types::pem::PemObject;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azukari_core::clock::SystemClock;
use azukari_core::crypto::{FileKeyVault, KdfParams, WrappedKey};
use azukari_core::demo::seed;
use azukari_core::model::DeviceId;
use azukari_core::store::Store;
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::{PullRequest, PushRequest};
use azukari_core::sync::{HubTransport, PendingEnrollment, Route, TransportError, sync};
use azukari_core::testing::TEST_PASSPHRASE;
use azukari_hub::client::HubClient;
use azukari_hub::limits::ServerLimits;
use azukari_hub::server::{RunningServer, bind_with_limits, make_self_signed_cert};
use azukari_hub::service::{Hub, InitOptions, TOKEN_MINUTES};
use azukari_hub::storage::SqliteStorage;
use tempfile::TempDir;

/// A seeded hub served on loopback with `limits`.
struct Served {
    server: RunningServer,
    _runtime: tokio::runtime::Runtime,
    dir: TempDir,
    fingerprint: Option<String>,
    checkpoint_key: String,
}

fn hub_dir(dir: &Path) -> PathBuf {
    dir.join("hub")
}

fn limits(header_secs: u64) -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_secs(header_secs),
        body_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    }
}

fn serve(limits: ServerLimits, https: bool) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = hub_dir(dir.path());
    std::fs::create_dir_all(&hub_dir).unwrap();
    let storage = SqliteStorage::open(&hub_dir.join("hub.sqlite")).unwrap();
    let mut hub = Hub::init(
        &hub_dir,
        Box::new(storage),
        InitOptions {
            facility_name: "テスト施設",
            recovery_passphrase: TEST_PASSPHRASE,
            kdf: KdfParams::insecure_for_tests(),
            key_name: "hub.test",
        },
        Arc::new(SystemClock),
    )
    .unwrap();
    seed(hub.store().unwrap(), 1).unwrap();
    hub.publish_own().unwrap();
    let checkpoint_key = hub.log().verifier_key().to_string();
    let tls = https.then(|| {
        make_self_signed_cert(&hub_dir, &["localhost".into(), "127.0.0.1".into()]).unwrap()
    });
    let fingerprint = tls.as_ref().map(|files| files.fingerprint().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(bind_with_limits(
            hub,
            "127.0.0.1:0".parse().unwrap(),
            tls,
            limits,
        ))
        .unwrap();
    Served {
        server,
        _runtime: runtime,
        dir,
        fingerprint,
        checkpoint_key,
    }
}

impl Served {
    fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    fn client(&self) -> HubClient {
        HubClient::new(&self.server.url(), self.fingerprint.as_deref()).unwrap()
    }

    fn alarms(&self) -> usize {
        self.server
            .with_hub(|hub| {
                let facility = hub.log().facility();
                hub.log().storage().alarms(facility).unwrap().len()
            })
            .unwrap()
    }

    fn token(&self, label: &str) -> String {
        self.server
            .with_hub(|hub| hub.offer_enrollment(label, TOKEN_MINUTES))
            .unwrap()
            .unwrap()
            .token
    }

    /// Enroll a device over HTTP and sync it once.
    fn device(&self, name: &str) -> Store {
        let client = self.client();
        let pending = PendingEnrollment::new().unwrap();
        let response = client.enroll(&pending.request(&self.token(name))).unwrap();
        let devices = self.dir.path().join("devices");
        std::fs::create_dir_all(&devices).unwrap();
        let vault = FileKeyVault::new(devices.join(format!("{name}.key")));
        let mut store = pending
            .finish(
                &response,
                Some(&self.checkpoint_key),
                &devices.join(format!("{name}.azukari")),
                &vault,
                Arc::new(SystemClock),
            )
            .unwrap();
        sync(&mut store, &client, 0).unwrap();
        store
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    // A safety bound only: every test expects the server to act well before it.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Whether the server closed the connection (end of stream or reset) before the read timeout.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// A whole HTTP/1.1 exchange on a new connection: the status line and the headers+body as text.
fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = connect(addr);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn healthz(addr: SocketAddr) -> String {
    exchange(
        addr,
        "GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n",
    )
}

fn post_json(addr: SocketAddr, path: &str, body: &str) -> String {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: hub\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn silent_and_trickling_sockets_are_closed_by_the_header_timeout() {
    let hub = serve(limits(1), false);
    let addr = hub.addr();
    let mut silent: Vec<TcpStream> = (0..3).map(|_| connect(addr)).collect();
    // Trickling: one header line every 200 ms, for at most 20 s.
    let tricklers: Vec<_> = (0..5)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = connect(addr);
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n")
                    .unwrap();
                for line in 0..100 {
                    std::thread::sleep(Duration::from_millis(200));
                    if stream
                        .write_all(format!("X-Slow-{line}: 1\r\n").as_bytes())
                        .is_err()
                    {
                        return Some(line);
                    }
                }
                None
            })
        })
        .collect();
    for stream in &mut silent {
        assert!(
            closed_by_server(stream),
            "a silent socket was closed by the hub"
        );
    }
    for trickler in tricklers {
        assert!(
            trickler.join().unwrap().is_some(),
            "a socket sending one header line at a time was closed before its 100 lines"
        );
    }
    assert!(healthz(addr).starts_with("HTTP/1.1 200"));
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let hub = serve(limits(1), false);
    let mut stream = connect(hub.addr());
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 4096];
    let read = stream.read(&mut answer).unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    assert!(
        closed_by_server(&mut stream),
        "the kept-alive connection was closed once idle"
    );
}

#[test]
fn a_body_that_trickles_in_is_answered_with_408() {
    let hub = serve(limits(5), false);
    let mut stream = connect(hub.addr());
    stream
        .write_all(
            b"POST /v1/enroll HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(200));
            if writer.write_all(b" ").is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
    trickle.join().unwrap();
}

#[test]
fn healthz_stays_fast_while_a_thousand_slow_sockets_are_open() {
    // Headers get a minute here, so every slow socket stays open while /healthz is measured.
    let hub = serve(limits(60), false);
    let addr = hub.addr();
    let slow: Vec<TcpStream> = (0..1_000)
        .map(|_| {
            let mut stream = connect(addr);
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: 1\r\n")
                .unwrap();
            stream
        })
        .collect();
    let mut times: Vec<Duration> = (0..300)
        .map(|_| {
            let start = Instant::now();
            let answer = healthz(addr);
            let took = start.elapsed();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            took
        })
        .collect();
    times.sort();
    let p50 = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    println!(
        "healthz with {} slow sockets open: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        slow.len(),
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0
    );
    assert!(p99 < Duration::from_millis(50), "healthz p99 {p99:?}");
    drop(slow);
}

#[test]
fn connections_over_the_cap_are_closed_and_the_hub_recovers() {
    let hub = serve(
        ServerLimits {
            max_connections: 16,
            ..limits(1)
        },
        false,
    );
    let addr = hub.addr();
    let mut idle: Vec<TcpStream> = (0..40).map(|_| connect(addr)).collect();
    for stream in &mut idle {
        assert!(closed_by_server(stream), "every idle socket was closed");
    }
    // Once the idle ones are gone, /healthz answers again (a bounded number of tries).
    let answered = (0..40).any(|_| {
        if healthz(addr).starts_with("HTTP/1.1 200") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
        false
    });
    assert!(answered);
}

#[test]
fn streams_and_long_polls_have_their_own_cap() {
    let hub = serve(
        ServerLimits {
            max_waiting: 2,
            ..limits(10)
        },
        false,
    );
    let addr = hub.addr();
    let client = hub.client();
    let device = hub.device("待機する端末");
    let open_stream = || {
        let mut stream = connect(addr);
        stream
            .write_all(b"GET /v1/events/stream HTTP/1.1\r\nHost: hub\r\n\r\n")
            .unwrap();
        let mut first = [0u8; 512];
        let read = stream.read(&mut first).unwrap();
        (stream, String::from_utf8_lossy(&first[..read]).into_owned())
    };
    let (first, answer) = open_stream();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_second, answer) = open_stream();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_, answer) = open_stream();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"code\":\"busy\""), "{answer}");
    assert!(healthz(addr).starts_with("HTTP/1.1 200"));

    // A long poll over the cap is answered at once instead of waiting 20 s.
    let size = hub.server.with_hub(|hub| hub.log().tree().len()).unwrap();
    let request = PullRequest {
        from: size,
        limit: 10,
        known_size: 0,
        keys_from: u64::MAX,
        prove: Vec::new(),
        wait_ms: 20_000,
    };
    let auth = device
        .authorize_request(Route::Pull, &request_body(&request).unwrap())
        .unwrap();
    let start = Instant::now();
    let response = client.pull(&request, &auth).unwrap();
    assert!(response.events.is_empty());
    assert!(start.elapsed() < Duration::from_secs(15));

    // A closed stream frees its place.
    drop(first);
    let reopened = (0..40).any(|_| {
        let (_, answer) = open_stream();
        if answer.starts_with("HTTP/1.1 200") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
        false
    });
    assert!(reopened);
}

// ---------------------------------------------------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------------------------------------------------

/// A wrapped key that opens with no facility's data key.
fn junk_key() -> WrappedKey {
    let id = uuid::Uuid::new_v4();
    serde_json::from_value(serde_json::json!({
        "id": id,
        "owner": "Facility",
        "generation": 1,
        "wrapped": {"key_id": id, "nonce": vec![0u8; 12], "ciphertext": vec![7u8; 48]},
        "uses": 0
    }))
    .unwrap()
}

fn push_keys(hub: &Served, device: &Store, keys: usize) -> Result<(), TransportError> {
    let request = PushRequest {
        device: device.device_id(),
        events: Vec::new(),
        keys: (0..keys).map(|_| junk_key()).collect(),
    };
    let auth = device
        .authorize_request(Route::Push, &request_body(&request).unwrap())
        .unwrap();
    hub.client().push(&request, &auth).map(|_| ())
}

#[test]
fn junk_key_pushes_are_refused_without_writing_alarms() {
    let hub = serve(limits(10), false);
    let device = hub.device("乱暴な端末");
    let mut other = hub.device("普通の端末");
    let alarms = hub.alarms();
    for keys in [20_000, 300] {
        match push_keys(&hub, &device, keys) {
            Err(TransportError::Refused { status, message }) => {
                assert_eq!(status, 413, "{message}");
                assert!(message.starts_with("too_large"), "{message}");
            }
            // Over the body limit the hub may close the connection while the client is still sending.
            Err(TransportError::Unreachable(_)) if keys == 20_000 => {}
            other => panic!("a push of {keys} junk keys was not refused: {other:?}"),
        }
    }
    assert_eq!(hub.alarms(), alarms, "no alarm was written");

    // Junk within the limits is left out with one alarm, however often it comes.
    for _ in 0..5 {
        push_keys(&hub, &device, 10).unwrap();
    }
    assert_eq!(hub.alarms(), alarms + 1, "one alarm for the repeated junk");
    sync(&mut other, &hub.client(), 0).unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// Enrollment
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_bad_enrollment_leaves_the_token_usable_and_tells_strangers_nothing() {
    let hub = serve(limits(10), false);
    let client = hub.client();
    let token = hub.token("新しい端末");
    let pending = PendingEnrollment::new().unwrap();
    let good = pending.request(&token);
    let bad_keys: [Vec<u8>; 3] = [b"garbage".to_vec(), Vec::new(), vec![4; 65]];
    for key in bad_keys {
        let mut request = good.clone();
        request.public_key = key;
        match client.enroll(&request) {
            Err(TransportError::Refused { status, message }) => {
                assert_eq!(status, 400, "{message}");
                assert!(message.starts_with("bad_request"), "{message}");
            }
            other => panic!("a bad key was accepted: {other:?}"),
        }
    }
    let mut nil = good.clone();
    nil.device = DeviceId(uuid::Uuid::nil());
    assert!(matches!(
        client.enroll(&nil),
        Err(TransportError::Refused { status: 400, .. })
    ));
    // A 6 MB key does not even reach the hub: 413, or the connection closed while the client was still sending
    // (the hub answers as soon as the declared length is over its limit).
    let mut huge = good.clone();
    huge.public_key = vec![4; 6 * 1024 * 1024];
    match client.enroll(&huge) {
        Err(TransportError::Refused { status, .. }) => assert_eq!(status, 413),
        Err(TransportError::Unreachable(_)) => {}
        other => panic!("a 6 MB key was not refused: {other:?}"),
    }
    // The token still works.
    client.enroll(&good).unwrap();

    // A forged token with an enrolled device id is refused as forged, not as "already enrolled".
    let mut forged = PendingEnrollment::new().unwrap().request("forged-token");
    forged.device = good.device;
    match client.enroll(&forged) {
        Err(TransportError::Refused { status, message }) => {
            assert_eq!(status, 403, "{message}");
            assert!(message.starts_with("unknown_token"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_json_fields_are_refused() {
    let hub = serve(limits(10), false);
    let pending = PendingEnrollment::new().unwrap();
    let mut body = serde_json::to_value(pending.request(&hub.token("余計な項目"))).unwrap();
    body["admin"] = serde_json::Value::Bool(true);
    let answer = post_json(hub.addr(), "/v1/enroll", &body.to_string());
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"code\":\"bad_json\""), "{answer}");
}

// ---------------------------------------------------------------------------------------------------------------
// Security headers
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn every_answer_says_nosniff_and_https_answers_say_hsts() {
    let plain = serve(limits(10), false);
    let answer = healthz(plain.addr()).to_ascii_lowercase();
    assert!(
        answer.contains("x-content-type-options: nosniff"),
        "{answer}"
    );
    assert!(!answer.contains("strict-transport-security"), "{answer}");
    let answer = exchange(
        plain.addr(),
        "GET /nothing HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n",
    )
    .to_ascii_lowercase();
    assert!(
        answer.contains("x-content-type-options: nosniff"),
        "{answer}"
    );

    let secure = serve(limits(10), true);
    let cert = std::fs::read(hub_dir(secure.dir.path()).join("tls").join("cert.pem")).unwrap();
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&cert).unwrap())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/healthz", secure.server.url()))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

// ---------------------------------------------------------------------------------------------------------------
// A tampered ledger
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_tampered_hub_ledger_raises_an_alarm_when_the_hub_starts() {
    let dir = tempfile::tempdir().unwrap();
    let hub_dir = hub_dir(dir.path());
    std::fs::create_dir_all(&hub_dir).unwrap();
    {
        let storage = SqliteStorage::open(&hub_dir.join("hub.sqlite")).unwrap();
        let mut hub = Hub::init(
            &hub_dir,
            Box::new(storage),
            InitOptions {
                facility_name: "テスト施設",
                recovery_passphrase: TEST_PASSPHRASE,
                kdf: KdfParams::insecure_for_tests(),
                key_name: "hub.test",
            },
            Arc::new(SystemClock),
        )
        .unwrap();
        seed(hub.store().unwrap(), 1).unwrap();
        hub.publish_own().unwrap();
    }
    // One byte of the hub's own copy of event 2 changed, under SQLite, with the append-only triggers dropped.
    let conn = rusqlite::Connection::open(hub_dir.join("facility.azukari")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_are_append_only_no_update;
         UPDATE events SET signature = CAST(substr(signature, 1, length(signature) - 1) ||
             (CASE WHEN substr(signature, -1) = x'00' THEN x'01' ELSE x'00' END) AS BLOB) WHERE log_index = 2;",
    )
    .unwrap();
    drop(conn);
    let hub = Hub::open(
        &hub_dir,
        Box::new(SqliteStorage::open(&hub_dir.join("hub.sqlite")).unwrap()),
        Arc::new(SystemClock),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(bind_with_limits(
            hub,
            "127.0.0.1:0".parse().unwrap(),
            None,
            limits(10),
        ))
        .unwrap();
    let alarmed = (0..100).any(|_| {
        let kinds: Vec<String> = server
            .with_hub(|hub| {
                let facility = hub.log().facility();
                hub.log()
                    .storage()
                    .alarms(facility)
                    .unwrap()
                    .into_iter()
                    .map(|alarm| alarm.kind)
                    .collect()
            })
            .unwrap();
        if kinds.iter().any(|kind| kind == "ledger_damaged") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
        false
    });
    assert!(alarmed, "the background verification raised an alarm");
    assert!(healthz(server.local_addr()).starts_with("HTTP/1.1 200"));
}

#[test]
fn over_https_a_silent_socket_and_a_silent_session_after_the_handshake_are_closed() {
    let hub = serve(
        ServerLimits {
            handshake_timeout: Duration::from_secs(1),
            ..limits(1)
        },
        true,
    );
    let addr = hub.addr();
    // No handshake at all.
    let mut silent = connect(addr);
    assert!(
        closed_by_server(&mut silent),
        "closed by the handshake timeout"
    );

    // A full TLS handshake, then nothing.
    let cert = std::fs::read(hub_dir(hub.dir.path()).join("tls").join("cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&cert) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut session = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut socket = connect(addr);
    while session.is_handshaking() {
        session.complete_io(&mut socket).unwrap();
    }
    let mut tls = rustls::Stream::new(&mut session, &mut socket);
    let mut buffer = [0u8; 64];
    let closed = match tls.read(&mut buffer) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => !matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    assert!(closed, "closed by the header timeout after the handshake");
}
