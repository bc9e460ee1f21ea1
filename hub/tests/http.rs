//! The hub over real HTTP and HTTPS on 127.0.0.1: enrollment, sync, refusals, certificate pinning, the long poll,
//! the event stream, a tampered log, and `hub/openapi.yaml` against what the server really speaks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azukari_core::clock::SystemClock;
use azukari_core::crypto::{FileKeyVault, KdfParams};
use azukari_core::crypto::{Signer, SoftwareSigner};
use azukari_core::demo::{DemoFacility, seed};
use azukari_core::ledger::EventBody;
use azukari_core::model::{DeviceId, Locker, LockerId, LockerKind};
use azukari_core::store::Store;
use azukari_core::sync::auth::{DEVICE_HEADER, SIGNATURE_HEADER, TIME_HEADER, request_body};
use azukari_core::sync::protocol::{PullRequest, PushOutcome, PushRequest, WireEvent};
use azukari_core::sync::{
    HubTransport, PendingEnrollment, RequestAuth, Route, TransportError, sync,
};
use azukari_core::testing::TEST_PASSPHRASE;
use azukari_hub::client::{ClientError, HubClient};
use azukari_hub::server::{
    ErrorBody, Health, RunningServer, ServerError, SizeEvent, TlsFiles, bind, cert_sha256,
    make_self_signed_cert, routes,
};
use azukari_hub::service::{EnrollmentOffer, Hub, InitOptions, TOKEN_MINUTES};
use azukari_hub::storage::SqliteStorage;
use serde_json::Value;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------------------------
// A hub served on loopback, and its devices
// ---------------------------------------------------------------------------------------------------------------

/// A seeded facility hub served on 127.0.0.1 (port 0), over HTTPS with a self-signed certificate or plain HTTP.
struct TestHub {
    server: RunningServer,
    /// Dropped after the server's handle and before the directory: it stops the server.
    _runtime: tokio::runtime::Runtime,
    dir: TempDir,
    demo: DemoFacility,
    fingerprint: Option<String>,
    checkpoint_key: String,
}

fn hub_dir(dir: &Path) -> PathBuf {
    dir.join("hub")
}

/// Create a hub in `dir` and seed its facility (staff, lockers, two residents and a day of handovers).
fn init_hub(dir: &Path) -> (Hub, DemoFacility) {
    let hub_dir = hub_dir(dir);
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
    let demo = seed(hub.store().unwrap(), 2).unwrap();
    hub.publish_own().unwrap();
    (hub, demo)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

impl TestHub {
    fn start(https: bool) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        let (mut hub, demo) = init_hub(dir.path());
        let checkpoint_key = hub.log().verifier_key().to_string();
        let tls = https.then(|| {
            make_self_signed_cert(
                &hub_dir(dir.path()),
                &["localhost".to_string(), "127.0.0.1".to_string()],
            )
            .unwrap()
        });
        let fingerprint = tls.as_ref().map(|files| files.fingerprint().unwrap());
        let runtime = runtime();
        let server = runtime.block_on(bind(hub, loopback(), tls)).unwrap();
        TestHub {
            server,
            _runtime: runtime,
            dir,
            demo,
            fingerprint,
            checkpoint_key,
        }
    }

    fn client(&self) -> HubClient {
        HubClient::new(&self.server.url(), self.fingerprint.as_deref()).unwrap()
    }

    fn size(&self) -> u64 {
        self.server.with_hub(|hub| hub.log().tree().len()).unwrap()
    }

    fn enrolled_devices(&self) -> usize {
        self.server
            .with_hub(|hub| {
                let facility = hub.log().facility();
                hub.log().storage().devices(facility).unwrap().len()
            })
            .unwrap()
    }

    fn offer(&self, label: &str, minutes: i64) -> EnrollmentOffer {
        self.server
            .with_hub(|hub| hub.offer_enrollment(label, minutes))
            .unwrap()
            .unwrap()
    }

    /// Enroll a device named `name` through `client` with a fresh token, create its store, and sync it once.
    fn enroll_device(&self, client: &HubClient, name: &str) -> Store {
        let offer = self.offer(name, TOKEN_MINUTES);
        let pending = PendingEnrollment::new().unwrap();
        let response = client.enroll(&pending.request(&offer.token)).unwrap();
        assert_eq!(response.label, name);
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
        sync(&mut store, client, 0).unwrap();
        assert!(
            store.is_registered(),
            "the device took in its own registration"
        );
        assert_eq!(
            store.head().length,
            self.size(),
            "the device holds the whole log"
        );
        store
    }

    fn get(&self, path: &str) -> reqwest::blocking::Response {
        raw_client(self)
            .get(format!("{}{path}", self.server.url()))
            .send()
            .unwrap()
    }

    fn post(&self, path: &str, content_type: &str, body: &str) -> reqwest::blocking::Response {
        raw_client(self)
            .post(format!("{}{path}", self.server.url()))
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .unwrap()
    }
}

/// A plain reqwest client for requests the `HubClient` does not make (plain-HTTP hubs only).
fn raw_client(hub: &TestHub) -> reqwest::blocking::Client {
    assert!(
        hub.fingerprint.is_none(),
        "raw requests are for the plain-HTTP hub"
    );
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Record something on a device: a new locker, registered by the facility's administrator.
fn record_locker(store: &mut Store, demo: &DemoFacility, name: &str) {
    let locker = Locker {
        id: LockerId::random(),
        kind: LockerKind::CardLocker,
        name: name.into(),
        place: "3F".into(),
    };
    store
        .append(Some(demo.admin), EventBody::LockerRegistered { locker })
        .unwrap();
}

/// The device's signature on `request` for `route`, now.
fn signed(store: &Store, route: Route, request: &impl serde::Serialize) -> RequestAuth {
    store
        .authorize_request(route, &request_body(request).unwrap())
        .unwrap()
}

/// A signature on `request` by a device that never enrolled anywhere.
fn stranger_auth(route: Route, request: &impl serde::Serialize) -> RequestAuth {
    let signer = SoftwareSigner::make_random().unwrap();
    RequestAuth::sign(
        route,
        &request_body(request).unwrap(),
        DeviceId::random(),
        &signer,
        azukari_core::clock::Clock::now(&SystemClock),
    )
    .unwrap()
}

fn refused_status(result: Result<impl std::fmt::Debug, TransportError>) -> (u16, String) {
    match result {
        Err(TransportError::Refused { status, message }) => (status, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn assert_error_body(response: reqwest::blocking::Response, status: u16, code: &str) {
    assert_eq!(response.status().as_u16(), status);
    let body: ErrorBody = response.json_body();
    assert_eq!(body.code, code);
    assert!(!body.message.is_empty());
}

/// POST only the head of a request announcing a JSON body of `length` bytes, and read the hub's answer: its status
/// and its body.
fn head_only_post(hub: &TestHub, path: &str, length: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let url = hub.server.url();
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{{"
    )
    .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // Read until the answer's body is complete (the hub may keep the connection open for the body it refused).
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) => panic!("no answer: {e}"),
        }
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(usize::MAX);
            if body.len() >= length {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    (status, body.to_string())
}

/// `json()` needs reqwest's `json` feature; the hub does not use it, so parse by hand.
trait JsonBody {
    fn json_body<T: serde::de::DeserializeOwned>(self) -> T;
}

impl JsonBody for reqwest::blocking::Response {
    fn json_body<T: serde::de::DeserializeOwned>(self) -> T {
        let text = self.text().unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Enrollment and sync
// ---------------------------------------------------------------------------------------------------------------

/// Enroll, sync, and every way a token is refused, over one protocol.
fn enroll_sync_and_refusals(hub: &TestHub) {
    let client = hub.client();
    let mut tablet = hub.enroll_device(&client, "2F タブレット");

    // The device records something and pushes it; the hub's log and the device agree.
    record_locker(&mut tablet, &hub.demo, "保険証ロッカー C");
    let report = sync(&mut tablet, &client, 0).unwrap();
    assert_eq!(report.pushed, 1);
    assert_eq!(tablet.head().length, hub.size());
    assert_eq!(tablet.events().unwrap().len() as u64, hub.size());

    // The hub's own store is not written on the push's path; it catches up by itself once the log is quiet.
    let lag = || hub.server.with_hub(|hub| hub.store_lag()).unwrap().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while lag() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the hub's store never caught up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let hub_events = hub
        .server
        .with_hub(|hub| hub.store().unwrap().events().unwrap())
        .unwrap();
    assert_eq!(hub_events, tablet.events().unwrap());

    // The same token a second time: refused, and nothing changes.
    let offer = hub.offer("1F 事務室", TOKEN_MINUTES);
    let first = PendingEnrollment::new().unwrap();
    client.enroll(&first.request(&offer.token)).unwrap();
    let size = hub.size();
    let devices = hub.enrolled_devices();
    let again = PendingEnrollment::new().unwrap();
    let (status, message) = refused_status(client.enroll(&again.request(&offer.token)));
    assert_eq!(status, 403);
    assert!(message.starts_with("used_token: "), "{message}");
    assert!(
        message.contains("使用済み"),
        "the message is also in Japanese: {message}"
    );
    assert_eq!(hub.size(), size);
    assert_eq!(hub.enrolled_devices(), devices);

    // A forged token, and an expired one: refused, nothing changes.
    let forged = PendingEnrollment::new().unwrap();
    let (status, message) =
        refused_status(client.enroll(&forged.request("not-a-token-from-this-hub")));
    assert_eq!(status, 403);
    assert!(message.starts_with("unknown_token: "), "{message}");
    let expired = hub.offer("期限切れ", -1);
    let (status, message) = refused_status(client.enroll(&forged.request(&expired.token)));
    assert_eq!(status, 403);
    assert!(message.starts_with("expired_token: "), "{message}");
    assert_eq!(hub.size(), size);
    assert_eq!(hub.enrolled_devices(), devices);

    // A device that never enrolled cannot push, even nothing.
    let stranger = PushRequest {
        device: DeviceId::random(),
        events: Vec::new(),
        keys: Vec::new(),
    };
    let (status, message) =
        refused_status(client.push(&stranger, &stranger_auth(Route::Push, &stranger)));
    assert_eq!(status, 403);
    assert!(message.starts_with("unknown_device: "), "{message}");

    // Push and pull need the signature of an enrolled device, over exactly that request, by its clock.
    let pull = pull_from(0, 0);
    if hub.fingerprint.is_none() {
        // Raw requests (the plain-HTTP hub only): no signature headers at all.
        let unsigned = hub.post(
            "/v1/pull",
            "application/json",
            &serde_json::to_string(&pull).unwrap(),
        );
        assert_error_body(unsigned, 401, "unauthenticated");
    }
    let (status, message) = refused_status(client.pull(&pull, &stranger_auth(Route::Pull, &pull)));
    assert_eq!(
        (status, message.starts_with("unknown_device: ")),
        (403, true),
        "{message}"
    );
    let mut forged = signed(&tablet, Route::Pull, &pull);
    forged.signature = SoftwareSigner::make_random()
        .unwrap()
        .sign(b"something else")
        .unwrap()
        .0;
    let (status, message) = refused_status(client.pull(&pull, &forged));
    assert_eq!(
        (status, message.starts_with("unauthenticated: ")),
        (401, true),
        "{message}"
    );
    let for_push = signed(&tablet, Route::Push, &pull);
    assert_eq!(refused_status(client.pull(&pull, &for_push)).0, 401);
    let other = pull_from(1, 0);
    assert_eq!(
        refused_status(client.pull(&other, &signed(&tablet, Route::Pull, &pull))).0,
        401,
        "a signature covers its own body only"
    );
    let signer = SoftwareSigner::make_random().unwrap();
    let skewed = RequestAuth::sign(
        Route::Pull,
        &request_body(&pull).unwrap(),
        tablet.device_id(),
        &signer,
        tablet.now().plus_minutes(-60),
    )
    .unwrap();
    assert_eq!(refused_status(client.pull(&pull, &skewed)).0, 401);
    let late = RequestAuth {
        at: tablet.now().plus_minutes(-60).0,
        ..signed(&tablet, Route::Pull, &pull)
    };
    assert_eq!(
        refused_status(client.pull(&pull, &late)).0,
        401,
        "the time is signed too"
    );
    if hub.fingerprint.is_none() {
        // Raw requests (the plain-HTTP hub only): a signature of another time is refused.
        let raw_late = raw_client(hub)
            .post(format!("{}/v1/pull", hub.server.url()))
            .header("content-type", "application/json")
            .header(DEVICE_HEADER, tablet.device_id().to_string())
            .header(TIME_HEADER, late.at.to_string())
            .header(
                SIGNATURE_HEADER,
                base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    tablet
                        .authorize_request(Route::Pull, &request_body(&pull).unwrap())
                        .unwrap()
                        .signature,
                ),
            )
            .body(request_body(&pull).unwrap())
            .send()
            .unwrap();
        assert_error_body(raw_late, 401, "unauthenticated");
    }
    // A push signed by one enrolled device in another's name.
    let posing = PushRequest {
        device: hub
            .server
            .with_hub(|h| h.store().unwrap().device_id())
            .unwrap(),
        events: Vec::new(),
        keys: Vec::new(),
    };
    let (status, message) =
        refused_status(client.push(&posing, &signed(&tablet, Route::Push, &posing)));
    assert_eq!(
        (status, message.starts_with("not_own_request: ")),
        (403, true),
        "{message}"
    );

    // The checkpoint route serves the note the device verified.
    let note = client.checkpoint().unwrap();
    assert!(note.contains(&format!("\n{}\n", hub.size())), "{note}");
}

#[test]
fn enroll_and_sync_over_plain_http_on_loopback() {
    let hub = TestHub::start(false);
    assert!(hub.server.url().starts_with("http://127.0.0.1:"));
    enroll_sync_and_refusals(&hub);
}

#[test]
fn enroll_and_sync_over_https_with_a_pinned_certificate() {
    let hub = TestHub::start(true);
    assert!(hub.server.url().starts_with("https://127.0.0.1:"));
    enroll_sync_and_refusals(&hub);

    // The fingerprint is that of the certificate file, with or without separators, in either case.
    let files = TlsFiles::in_hub_dir(&hub_dir(hub.dir.path()));
    let pem = std::fs::read_to_string(&files.cert).unwrap();
    let fingerprint = hub.fingerprint.clone().unwrap();
    assert_eq!(cert_sha256(&pem).unwrap(), fingerprint);
    let spaced: Vec<String> = fingerprint
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8(pair.to_vec()).unwrap())
        .collect();
    let colons = HubClient::new(&hub.server.url(), Some(&spaced.join(":"))).unwrap();
    colons.checkpoint().unwrap();
    // The host name does not matter: the pin is the whole trust decision.
    let by_name = format!("https://localhost:{}", hub.server.local_addr().port());
    HubClient::new(&by_name, Some(&fingerprint))
        .unwrap()
        .checkpoint()
        .unwrap();

    // Another certificate's fingerprint: the client refuses to talk to the hub at all.
    let wrong = HubClient::new(&hub.server.url(), Some(&"ab".repeat(32))).unwrap();
    let size = hub.size();
    let pull = pull_from(0, 0);
    match wrong.pull(&pull, &stranger_auth(Route::Pull, &pull)) {
        Err(TransportError::Unreachable(message)) => {
            assert!(message.contains("not the one pinned"), "{message}")
        }
        other => panic!("expected the pin to fail, got {other:?}"),
    }
    let stranger = PendingEnrollment::new().unwrap();
    let offer = hub.offer("偽のハブ経由", TOKEN_MINUTES);
    assert!(matches!(
        wrong.enroll(&stranger.request(&offer.token)),
        Err(TransportError::Unreachable(_))
    ));
    assert_eq!(hub.size(), size, "nothing reached the hub");
    // The token was never presented, so it still works through the right client.
    hub.client()
        .enroll(&stranger.request(&offer.token))
        .unwrap();

    // Plain HTTP to the HTTPS port gets no answer it could take.
    let plain = HubClient::new(&format!("http://{}", hub.server.local_addr()), None).unwrap();
    assert!(
        plain
            .pull(&pull, &stranger_auth(Route::Pull, &pull))
            .is_err()
    );
}

#[test]
fn clients_refuse_unsafe_addresses() {
    let fingerprint = "ab".repeat(32);
    assert!(matches!(
        HubClient::new("http://192.168.1.10:8443", None),
        Err(ClientError::PlainHttp(_))
    ));
    assert!(matches!(
        HubClient::new("http://hub.local:8443", Some(&fingerprint)),
        Err(ClientError::PlainHttp(_))
    ));
    assert!(matches!(
        HubClient::new("https://192.168.1.10:8443", None),
        Err(ClientError::MissingFingerprint)
    ));
    assert!(matches!(
        HubClient::new("https://192.168.1.10:8443", Some("abcd")),
        Err(ClientError::BadFingerprint(_))
    ));
    assert!(matches!(
        HubClient::new("ftp://192.168.1.10", Some(&fingerprint)),
        Err(ClientError::BadUrl(_))
    ));
    assert!(matches!(
        HubClient::new("hub", None),
        Err(ClientError::BadUrl(_))
    ));
    for loopback in ["http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1"] {
        HubClient::new(loopback, None).unwrap();
    }
    // Nothing listens on port 1: unreachable, not refused.
    let nowhere = HubClient::new("http://127.0.0.1:1", None).unwrap();
    let pull = pull_from(0, 0);
    assert!(matches!(
        nowhere.pull(&pull, &stranger_auth(Route::Pull, &pull)),
        Err(TransportError::Unreachable(_))
    ));
}

#[test]
fn the_server_requires_tls_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = init_hub(dir.path());
    let runtime = runtime();
    let error = runtime
        .block_on(bind(hub, "0.0.0.0:0".parse().unwrap(), None))
        .unwrap_err();
    assert!(matches!(error, ServerError::TlsRequired { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("HTTPS is required") && message.contains("HTTPS が必要"),
        "{message}"
    );

    // A certificate is made once and never replaced: devices pinned it.
    let files = make_self_signed_cert(&hub_dir(dir.path()), &["hub.local".to_string()]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let fingerprint = files.fingerprint().unwrap();
    assert!(matches!(
        make_self_signed_cert(&hub_dir(dir.path()), &["hub.local".to_string()]),
        Err(ServerError::CertificateExists(_))
    ));
    assert_eq!(files.fingerprint().unwrap(), fingerprint);
}

// ---------------------------------------------------------------------------------------------------------------
// Long poll and event stream
// ---------------------------------------------------------------------------------------------------------------

fn pull_from(from: u64, wait_ms: u64) -> PullRequest {
    PullRequest {
        from,
        limit: 100,
        known_size: 0,
        keys_from: u64::MAX,
        prove: Vec::new(),
        wait_ms,
    }
}

#[test]
fn a_waiting_pull_answers_as_soon_as_another_device_pushes() {
    let hub = TestHub::start(true);
    let client = hub.client();
    let mut supervisor = hub.enroll_device(&client, "主任のタブレット");
    let mut handler = hub.enroll_device(&client, "1F タブレット");
    sync(&mut supervisor, &client, 0).unwrap();
    let size = hub.size();

    // Nothing new: a pull that asks to wait 20 s while another device pushes within a second.
    let waited = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let start = Instant::now();
            let report = sync(&mut supervisor, &client, 20_000).unwrap();
            (report, start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(500));
        record_locker(&mut handler, &hub.demo, "承認待ちのロッカー");
        sync(&mut handler, &client, 0).unwrap();
        waiting.join().unwrap()
    });
    let (report, elapsed) = waited;
    assert_eq!(
        report.pulled, 1,
        "the supervisor's device took in the new event"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "the pull answered when the push arrived, not after its 20 s wait ({elapsed:?})"
    );
    assert_eq!(supervisor.head().length, size + 1);

    // With nothing happening the pull waits, then answers with nothing new.
    let start = Instant::now();
    let idle = pull_from(hub.size(), 1_000);
    let response = client
        .pull(&idle, &signed(&supervisor, Route::Pull, &idle))
        .unwrap();
    assert!(response.events.is_empty());
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );

    // A device ahead of the hub (a rolled-back hub) is answered at once, so it can raise its alarm.
    let start = Instant::now();
    let ahead = pull_from(hub.size() + 5, 20_000);
    client
        .pull(&ahead, &signed(&supervisor, Route::Pull, &ahead))
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn the_event_stream_announces_every_growth() {
    let hub = TestHub::start(false);
    let response = hub.get("/v1/events/stream");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut lines = BufReader::new(response).lines();
    let mut next_size = || loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(data) = line.strip_prefix("data:") {
            return serde_json::from_str::<SizeEvent>(data.trim()).unwrap().size;
        }
    };
    assert_eq!(next_size(), hub.size(), "the current size first");

    let client = hub.client();
    let mut device = hub.enroll_device(&client, "3F タブレット");
    let enrolled = hub.size();
    assert_eq!(next_size(), enrolled, "the registration grew the log");
    record_locker(&mut device, &hub.demo, "新しいロッカー");
    sync(&mut device, &client, 0).unwrap();
    assert_eq!(next_size(), enrolled + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn malformed_requests_get_an_error_body() {
    let hub = TestHub::start(false);
    assert_error_body(
        hub.post("/v1/push", "application/json", "{not json"),
        400,
        "bad_json",
    );
    assert_error_body(
        hub.post("/v1/pull", "application/json", "{\"from\": 0}"),
        400,
        "bad_json",
    );
    assert_error_body(
        hub.post("/v1/enroll", "text/plain", "{}"),
        415,
        "bad_content_type",
    );
    // A body announced too large is refused from its headers: the hub answers before reading it (sent with a
    // client that writes the whole body, the answer can race the upload and reset the connection).
    let (status, body) = head_only_post(&hub, "/v1/enroll", 9 * 1024 * 1024);
    assert_eq!(status, 413, "{body}");
    let body: ErrorBody = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body.code, "too_large");
    assert!(!body.message.is_empty());
    assert_error_body(hub.get("/v1/nothing-here"), 404, "not_found");

    // Well-formed JSON with a malformed exchange key, and a device id enrolled twice.
    let client = hub.client();
    let pending = PendingEnrollment::new().unwrap();
    let mut request = pending.request(&hub.offer("鍵が壊れた端末", TOKEN_MINUTES).token);
    request.exchange_key = vec![1, 2, 3];
    let (status, message) = refused_status(client.enroll(&request));
    assert_eq!(status, 400);
    assert!(message.starts_with("bad_request: "), "{message}");
    let twice = PendingEnrollment::new().unwrap();
    client
        .enroll(&twice.request(&hub.offer("一度目", TOKEN_MINUTES).token))
        .unwrap();
    let (status, message) =
        refused_status(client.enroll(&twice.request(&hub.offer("二度目", TOKEN_MINUTES).token)));
    assert_eq!(status, 409);
    assert!(message.starts_with("already_enrolled: "), "{message}");

    let health: Health = hub.get("/healthz").json_body();
    assert_eq!(health.status, "ok");
    assert_eq!(health.size, hub.size());
    let checkpoint = hub.get("/v1/checkpoint");
    assert!(
        checkpoint.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
}

#[test]
fn a_tampered_log_is_served_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mut hub, _) = init_hub(dir.path());
    let offer = hub
        .offer_enrollment("後から来た端末", TOKEN_MINUTES)
        .unwrap();
    // A device enrolled before the tampering.
    let reader = PendingEnrollment::new().unwrap();
    let reader_offer = hub.offer_enrollment("監査用端末", TOKEN_MINUTES).unwrap();
    let response = hub.enroll(&reader.request(&reader_offer.token)).unwrap();
    let reader = reader
        .finish(
            &response,
            None,
            &dir.path().join("reader.azukari"),
            &FileKeyVault::new(dir.path().join("reader.key")),
            Arc::new(SystemClock),
        )
        .unwrap();
    drop(hub);
    // Someone removes the signed checkpoints: the stored events no longer match a signed tree.
    let database = hub_dir(dir.path()).join("hub.sqlite");
    rusqlite::Connection::open(&database)
        .unwrap()
        .execute("DELETE FROM checkpoints", [])
        .unwrap();
    let storage = SqliteStorage::open(&database).unwrap();
    let hub = Hub::open(
        &hub_dir(dir.path()),
        Box::new(storage),
        Arc::new(SystemClock),
    )
    .unwrap();
    let runtime = runtime();
    let server = runtime.block_on(bind(hub, loopback(), None)).unwrap();

    let health: Health = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/healthz", server.url()))
        .send()
        .unwrap()
        .json_body();
    assert_eq!(health.status, "read_only");
    let client = HubClient::new(&server.url(), None).unwrap();
    let pending = PendingEnrollment::new().unwrap();
    let (status, message) = refused_status(client.enroll(&pending.request(&offer.token)));
    assert_eq!(status, 409);
    assert!(message.starts_with("tampered: "), "{message}");
    // The log can still be read, so devices and auditors can see what happened.
    let pull = pull_from(0, 0);
    client
        .pull(&pull, &signed(&reader, Route::Pull, &pull))
        .unwrap();
    server.shutdown();
    runtime.block_on(server.stopped()).unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------------------------

fn openapi() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.yaml");
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Whether `value` is what `schema` describes: the part of JSON Schema the document uses (`$ref`, `oneOf`,
/// `const`, `enum`, `type`, `properties`, `required`, `additionalProperties: false`, `items`).
fn conforms(spec: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("{at}: unresolvable $ref {reference}"))?;
        let target = &spec["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: no schema {name}"));
        }
        return conforms(spec, target, value, at);
    }
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let errors: Vec<String> = branches
            .iter()
            .filter_map(|branch| conforms(spec, branch, value, at).err())
            .collect();
        return if errors.len() < branches.len() {
            Ok(())
        } else {
            Err(format!(
                "{at}: matches no branch of oneOf: {}",
                errors.join("; ")
            ))
        };
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        return Err(format!("{at}: {value} is not {constant}"));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let object = value
                .as_object()
                .ok_or_else(|| format!("{at}: {value} is not an object"))?;
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap();
                if !object.contains_key(name) {
                    return Err(format!("{at}: the required field {name} is missing"));
                }
            }
            for (name, field) in object {
                match properties.get(name) {
                    Some(field_schema) => {
                        conforms(spec, field_schema, field, &format!("{at}.{name}"))?
                    }
                    None if schema["additionalProperties"] == Value::Bool(false) => {
                        return Err(format!("{at}: the field {name} is not documented"));
                    }
                    None => {}
                }
            }
            Ok(())
        }
        Some("array") => {
            let items = value
                .as_array()
                .ok_or_else(|| format!("{at}: {value} is not an array"))?;
            for (i, item) in items.iter().enumerate() {
                conforms(spec, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Some("string") if !value.is_string() => Err(format!("{at}: {value} is not a string")),
        Some("integer") if !(value.is_u64() || value.is_i64()) => {
            Err(format!("{at}: {value} is not an integer"))
        }
        _ => Ok(()),
    }
}

fn assert_conforms(spec: &Value, schema_name: &str, value: &impl serde::Serialize) {
    let value = serde_json::to_value(value).unwrap();
    let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{schema_name}") });
    if let Err(problem) = conforms(spec, &schema, &value, schema_name) {
        panic!("{problem}\nin {value}");
    }
}

#[test]
fn the_openapi_document_lists_every_route() {
    let spec = openapi();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    let routes = routes();
    for (method, path) in &routes {
        assert!(
            paths
                .get(*path)
                .and_then(|item| item.get(*method))
                .is_some(),
            "{} {path} is served but not documented in openapi.yaml",
            method.to_uppercase()
        );
    }
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(
                routes.contains(&(method.as_str(), path.as_str())),
                "{} {path} is documented but not served",
                method.to_uppercase()
            );
        }
    }

    // Every route answers on a live server with its documented method (a JSON error for an empty body).
    let hub = TestHub::start(false);
    for (method, path) in &routes {
        let response = match *method {
            "get" => hub.get(path),
            "post" => hub.post(path, "application/json", "{}"),
            other => panic!("no request for {other}"),
        };
        let status = response.status().as_u16();
        assert!(status == 200 || status == 400, "{method} {path}: {status}");
    }
}

#[test]
fn the_openapi_schemas_match_the_messages() {
    let spec = openapi();
    let hub = TestHub::start(false);
    let client = hub.client();

    // Enrollment.
    let offer = hub.offer("仕様確認用", TOKEN_MINUTES);
    let pending = PendingEnrollment::new().unwrap();
    let request = pending.request(&offer.token);
    assert_conforms(&spec, "EnrollRequest", &request);
    let response = client.enroll(&request).unwrap();
    assert_conforms(&spec, "EnrollResponse", &response);
    let devices = hub.dir.path().join("devices");
    std::fs::create_dir_all(&devices).unwrap();
    let mut store = pending
        .finish(
            &response,
            Some(&hub.checkpoint_key),
            &devices.join("spec.azukari"),
            &FileKeyVault::new(devices.join("spec.key")),
            Arc::new(SystemClock),
        )
        .unwrap();
    sync(&mut store, &client, 0).unwrap();

    // A pull with keys (of the facility and of residents), events and both kinds of proof.
    let pull = PullRequest {
        from: 0,
        limit: 5,
        known_size: 3,
        keys_from: 0,
        prove: vec![0, 1],
        wait_ms: 0,
    };
    assert_conforms(&spec, "PullRequest", &pull);
    let pulled = client
        .pull(&pull, &signed(&store, Route::Pull, &pull))
        .unwrap();
    assert!(
        !pulled.keys.is_empty() && !pulled.consistency.is_empty() && pulled.inclusions.len() == 2
    );
    assert_conforms(&spec, "PullResponse", &pulled);

    // A push appended, then repeated (duplicate), and a push of an event that is not the device's own (refused).
    record_locker(&mut store, &hub.demo, "仕様確認用ロッカー");
    let own: Vec<WireEvent> = store
        .own_events_after(0)
        .unwrap()
        .iter()
        .map(WireEvent::from)
        .collect();
    let push = PushRequest {
        device: store.device_id(),
        events: own,
        keys: store.local_keys().unwrap(),
    };
    assert_conforms(&spec, "PushRequest", &push);
    for expected in ["appended", "duplicate"] {
        let pushed = client
            .push(&push, &signed(&store, Route::Push, &push))
            .unwrap();
        assert_conforms(&spec, "PushResponse", &pushed);
        let outcome = serde_json::to_value(&pushed.outcomes[0]).unwrap();
        assert_eq!(outcome["outcome"], expected);
    }
    let foreign = PushRequest {
        device: store.device_id(),
        events: vec![WireEvent::from(
            &hub.server
                .with_hub(|hub| hub.store().unwrap().events().unwrap()[0].clone())
                .unwrap(),
        )],
        keys: Vec::new(),
    };
    let refused = client
        .push(&foreign, &signed(&store, Route::Push, &foreign))
        .unwrap();
    assert!(matches!(refused.outcomes[0], PushOutcome::Refused { .. }));
    assert_conforms(&spec, "PushResponse", &refused);

    // The small answers.
    assert_conforms(&spec, "Health", &hub.get("/healthz").json_body::<Value>());
    assert_conforms(
        &spec,
        "Error",
        &hub.post("/v1/push", "application/json", "[]")
            .json_body::<Value>(),
    );
    assert_conforms(&spec, "SizeEvent", &SizeEvent { size: 1 });
    // Every error code the server can send is listed.
    let codes = spec["components"]["schemas"]["Error"]["properties"]["code"]["enum"].clone();
    for code in [
        "unknown_token",
        "used_token",
        "expired_token",
        "unknown_device",
        "unauthenticated",
        "clock_skew",
        "not_own_request",
        "tampered",
        "timeout",
        "busy",
    ] {
        assert!(
            codes.as_array().unwrap().contains(&Value::from(code)),
            "{code}"
        );
    }
}
