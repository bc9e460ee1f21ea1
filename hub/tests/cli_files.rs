//! The `azukari-hub` command line and the files it writes (issue 14): exports created owner-only and never over a
//! file (nor ever over the hub's own), one hub per directory, `init` all or nothing, bounded `verify` reads and
//! the messages it gives, bounded token lifetimes, and the JSON logs of `serve`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use azukari_core::clock::SystemClock;
use azukari_core::crypto::{FileKeyVault, KdfParams};
use azukari_core::demo::seed;
use azukari_core::sync::PendingEnrollment;
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::PullRequest;
use azukari_core::sync::{HubTransport, Route};
use azukari_core::testing::TEST_PASSPHRASE;
use azukari_hub::files::lock_hub_dir;
use azukari_hub::service::{Hub, InitOptions, TOKEN_MINUTES};
use azukari_hub::storage::SqliteStorage;

fn hub_binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_azukari-hub"))
}

fn run(args: &[&str]) -> Output {
    hub_binary().args(args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A seeded hub directory made with the fast test KDF.
fn hub_dir(root: &Path) -> PathBuf {
    let dir = root.join("hub");
    std::fs::create_dir_all(&dir).unwrap();
    let storage = SqliteStorage::open(&dir.join("hub.sqlite")).unwrap();
    let mut hub = Hub::init(
        &dir,
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
    dir
}

fn path_text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_export_is_owner_only_and_never_replaces_a_file_unless_asked() {
    let root = tempfile::tempdir().unwrap();
    let dir = hub_dir(root.path());
    let csv = root.path().join("kanribo.csv");
    let output = run(&["export", "--dir", path_text(&dir), "--csv", path_text(&csv)]);
    assert!(output.status.success(), "{}", text(&output));
    #[cfg(unix)]
    assert_eq!(
        mode(&csv),
        0o600,
        "the 管理簿 is readable by its owner only"
    );

    // An existing file is never replaced without --replace.
    std::fs::write(&csv, "someone else's file").unwrap();
    let output = run(&["export", "--dir", path_text(&dir), "--csv", path_text(&csv)]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("already exists"),
        "{}",
        text(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "someone else's file"
    );

    // With --replace it is replaced, still owner-only.
    let output = run(&[
        "export",
        "--dir",
        path_text(&dir),
        "--csv",
        path_text(&csv),
        "--replace",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    assert_ne!(
        std::fs::read_to_string(&csv).unwrap(),
        "someone else's file"
    );
    #[cfg(unix)]
    assert_eq!(mode(&csv), 0o600);
}

#[test]
fn an_export_never_replaces_the_hubs_own_files() {
    let root = tempfile::tempdir().unwrap();
    let dir = hub_dir(root.path());
    let vault = dir.join("vault.key");
    let before = std::fs::read(&vault).unwrap();
    for kind in ["--csv", "--bundle"] {
        let output = run(&[
            "export",
            "--dir",
            path_text(&dir),
            kind,
            path_text(&vault),
            "--replace",
        ]);
        assert!(!output.status.success());
        assert!(
            text(&output).contains("one of the hub's own files"),
            "{}",
            text(&output)
        );
    }
    assert_eq!(std::fs::read(&vault).unwrap(), before);
}

#[test]
fn a_second_serve_on_the_same_directory_exits_with_a_clear_message() {
    let root = tempfile::tempdir().unwrap();
    let dir = hub_dir(root.path());
    let _first = lock_hub_dir(&dir).unwrap();
    let output = run(&["serve", "--dir", path_text(&dir), "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("another hub is already serving"),
        "{}",
        text(&output)
    );
    assert!(text(&output).contains("既に別のハブが使用中"));
}

#[test]
fn init_is_all_or_nothing() {
    let root = tempfile::tempdir().unwrap();
    // A directory left from an earlier hub, missing only its store: refused, and nothing in it is touched.
    let old = root.path().join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("vault.key"), "an earlier hub's vault").unwrap();
    let output = run(&["init", "--dir", path_text(&old), "--name", "施設"]);
    assert!(!output.status.success());
    assert!(text(&output).contains("not empty"), "{}", text(&output));
    let names: Vec<_> = std::fs::read_dir(&old).unwrap().collect();
    assert_eq!(names.len(), 1);

    // A new directory gets a whole hub, and no staging folder is left beside it.
    let new = root.path().join("new");
    let output = run(&["init", "--dir", path_text(&new), "--name", "施設"]);
    assert!(output.status.success(), "{}", text(&output));
    for file in [
        "hub.sqlite",
        "facility.azukari",
        "vault.key",
        "checkpoint.key",
        "tls",
    ] {
        assert!(new.join(file).exists(), "{file}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name.to_string_lossy().contains(".init-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn verify_reads_boundedly_names_the_bad_event_and_tells_an_unrelated_checkpoint() {
    let root = tempfile::tempdir().unwrap();
    let dir = hub_dir(root.path());
    #[cfg(unix)]
    {
        let output = run(&["verify", "/dev/zero"]);
        assert!(!output.status.success());
        assert!(
            text(&output).contains("not a regular file"),
            "{}",
            text(&output)
        );
    }
    let bundle = root.path().join("proof.json");
    let output = run(&[
        "export",
        "--dir",
        path_text(&dir),
        "--bundle",
        path_text(&bundle),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let key = dir.join("checkpoint.pub");
    let output = run(&["verify", path_text(&bundle), "--key", path_text(&key)]);
    assert!(output.status.success(), "{}", text(&output));

    // One byte of event 3's signed bytes changed: the message names event #3.
    let mut proof: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let original = proof.clone();
    let bytes = proof["events"][3]["bytes"].as_str().unwrap().to_string();
    let mut raw = base64_decode(&bytes);
    let last = raw.len() - 1;
    raw[last] ^= 1;
    proof["events"][3]["bytes"] = serde_json::Value::String(base64_encode(&raw));
    let tampered = root.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&proof).unwrap()).unwrap();
    let output = run(&["verify", path_text(&tampered), "--key", path_text(&key)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("#3"), "{}", text(&output));

    // A checkpoint from another hub is not "history rewritten": it is unrelated.
    let other_root = tempfile::tempdir().unwrap();
    let other = hub_dir(other_root.path());
    let other_bundle = other_root.path().join("other.json");
    let output = run(&[
        "export",
        "--dir",
        path_text(&other),
        "--bundle",
        path_text(&other_bundle),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let other_proof: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&other_bundle).unwrap()).unwrap();
    let since = root.path().join("since.txt");
    std::fs::write(&since, other_proof["checkpoint"].as_str().unwrap()).unwrap();
    let output = run(&[
        "verify",
        path_text(&bundle),
        "--key",
        path_text(&key),
        "--since",
        path_text(&since),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let said = text(&output);
    assert!(said.contains("not from this hub's log"), "{said}");
    assert!(!said.contains("書き換え"), "{said}");
    // This hub's own checkpoint is consistent.
    std::fs::write(&since, original["checkpoint"].as_str().unwrap()).unwrap();
    let output = run(&[
        "verify",
        path_text(&bundle),
        "--key",
        path_text(&key),
        "--since",
        path_text(&since),
    ]);
    assert!(output.status.success(), "{}", text(&output));
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn an_enrollment_qr_cannot_live_forever() {
    let root = tempfile::tempdir().unwrap();
    let dir = hub_dir(root.path());
    for minutes in ["0", "-5", "10081", "999999999999"] {
        let output = run(&[
            "enroll",
            "--dir",
            path_text(&dir),
            "--label",
            "端末",
            "--url",
            "http://127.0.0.1:8443",
            "--minutes",
            minutes,
        ]);
        assert!(!output.status.success(), "{minutes}");
    }
    let output = run(&[
        "enroll",
        "--dir",
        path_text(&dir),
        "--label",
        "端末",
        "--url",
        "http://127.0.0.1:8443",
        "--minutes",
        "60",
    ]);
    assert!(output.status.success(), "{}", text(&output));
}

/// `serve` logs JSON lines: a debug line per request, a refusal with its code, a failed signature with the
/// device, and no personal data (the facility's residents and staff names never appear).
#[test]
fn serve_logs_refusals_and_failed_signatures_as_json() {
    let root = tempfile::tempdir().unwrap();
    let dir = hub_dir(root.path());
    // A device enrolled before the hub is served.
    let (device, store_dir) = {
        let mut hub = Hub::open(
            &dir,
            Box::new(SqliteStorage::open(&dir.join("hub.sqlite")).unwrap()),
            Arc::new(SystemClock),
        )
        .unwrap();
        let offer = hub.offer_enrollment("端末", TOKEN_MINUTES).unwrap();
        let pending = PendingEnrollment::new().unwrap();
        let response = hub.enroll(&pending.request(&offer.token)).unwrap();
        let store_dir = root.path().join("device");
        std::fs::create_dir_all(&store_dir).unwrap();
        let store = pending
            .finish(
                &response,
                None,
                &store_dir.join("device.azukari"),
                &FileKeyVault::new(store_dir.join("device.key")),
                Arc::new(SystemClock),
            )
            .unwrap();
        (store, store_dir)
    };
    let _ = store_dir;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut child = hub_binary()
        .args(["serve", "--dir", path_text(&dir), "--listen", &listen])
        .env("AZUKARI_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://{listen}");
    let client = azukari_hub::client::HubClient::new(&url, None).unwrap();
    let up = (0..100).any(|_| {
        if std::net::TcpStream::connect(&listen).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
        false
    });
    assert!(up, "the hub came up");
    // A pull whose signature covers another body: a failed signature.
    let request = PullRequest {
        from: 0,
        limit: 1,
        known_size: 0,
        keys_from: 0,
        prove: Vec::new(),
        wait_ms: 0,
    };
    let other = PullRequest {
        from: 1,
        ..request.clone()
    };
    let auth = device
        .authorize_request(Route::Pull, &request_body(&other).unwrap())
        .unwrap();
    assert!(client.pull(&request, &auth).is_err());
    let mut stream = std::net::TcpStream::connect(&listen).unwrap();
    stream
        .write_all(b"GET /nothing HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    child.kill().unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines: Vec<serde_json::Value> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect();
    child.wait().unwrap();
    let has = |event: &str, check: &dyn Fn(&serde_json::Value) -> bool| {
        lines
            .iter()
            .any(|line| line["fields"]["event"] == event && check(&line["fields"]))
    };
    assert!(
        has("bad_signature", &|fields| fields["device"]
            == device.device_id().to_string()),
        "{lines:#?}"
    );
    assert!(has("refused", &|fields| fields["code"] == "unauthenticated"));
    assert!(has("refused", &|fields| fields["code"] == "not_found"));
    assert!(has("request", &|fields| fields["path"] == "/nothing"
        && fields["status"] == 404));
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("テスト施設"), "no facility or personal names");
}
