//! The browser pages' evidence without a browser: passkey-signed decisions in the ledger are checked by the
//! auditor's offline `verify` (one edited byte, a replayed nonce or an assertion moved to another request fails
//! it), and the one-time links of the web store open once, before they expire. The pages themselves run in
//! Chromium: `scripts/browser-test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use azukari_core::clock::SystemClock;
use azukari_core::crypto::KdfParams;
use azukari_core::demo::{DemoFacility, seed};
use azukari_core::flows::approval::{ApprovalInbox, ApprovalIntent};
use azukari_core::ledger::EventBody;
use azukari_core::ledger::passkey::{
    DecisionKind, DecisionSubject, PasskeyAssertion, PasskeyKey, PasskeyOwner, decision_challenge,
    text_sha256,
};
use azukari_core::model::{Purpose, RequestId};
use azukari_core::testing::TEST_PASSPHRASE;
use azukari_hub::bundle::{BundleError, make_bundle, verify_bundle};
use azukari_hub::service::{Hub, InitOptions};
use azukari_hub::storage::SqliteStorage;
use azukari_hub::web::store::{LinkKind, LinkRefusal, WebStore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const ORIGIN: &str = "http://localhost:8443";

fn init_hub(dir: &Path) -> (Hub, DemoFacility) {
    let storage = SqliteStorage::open(&dir.join("hub.sqlite")).unwrap();
    let mut hub = Hub::init(
        dir,
        Box::new(storage),
        InitOptions {
            facility_name: "テスト施設",
            recovery_passphrase: TEST_PASSPHRASE,
            kdf: KdfParams::insecure_for_tests(),
            key_name: "localhost",
        },
        Arc::new(SystemClock),
    )
    .unwrap();
    let demo = seed(hub.store().unwrap(), 2).unwrap();
    hub.publish_own().unwrap();
    (hub, demo)
}

/// A software passkey: what Chromium's virtual authenticator does, in Rust.
struct SoftPasskey {
    pair: EcdsaKeyPair,
    credential_id: Vec<u8>,
}

impl SoftPasskey {
    fn new() -> SoftPasskey {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        SoftPasskey {
            pair,
            credential_id: vec![7; 16],
        }
    }

    fn key(&self) -> PasskeyKey {
        PasskeyKey {
            credential_id: self.credential_id.clone(),
            public_key: self.pair.public_key().as_ref().to_vec(),
            rp_id: "localhost".into(),
            origin: ORIGIN.into(),
        }
    }

    fn assert(&self, challenge: &[u8]) -> PasskeyAssertion {
        let mut data = Sha256::digest(b"localhost").to_vec();
        data.push(0x05); // user present, user verified
        data.extend_from_slice(&[0, 0, 0, 0]);
        let client = format!(
            r#"{{"type":"webauthn.get","challenge":"{}","origin":"{ORIGIN}","crossOrigin":false}}"#,
            URL_SAFE_NO_PAD.encode(challenge)
        );
        let mut message = data.clone();
        message.extend_from_slice(&Sha256::digest(client.as_bytes()));
        let signature = self
            .pair
            .sign(&ring::rand::SystemRandom::new(), &message)
            .unwrap();
        PasskeyAssertion {
            credential_id: self.credential_id.clone(),
            authenticator_data: data,
            client_data_json: client.into_bytes(),
            signature: signature.as_ref().to_vec(),
        }
    }
}

/// A pending request by a caregiver, recorded on the hub.
fn request(hub: &mut Hub, demo: &DemoFacility, n: u128) -> RequestId {
    let request = RequestId(uuid::Uuid::from_u128(0xabc0 + n));
    let now = hub.store().unwrap().now();
    hub.store()
        .unwrap()
        .append(
            Some(demo.caregivers[0]),
            EventBody::CheckoutRequested {
                request,
                item: demo.cards[n as usize % demo.cards.len()],
                purpose: Purpose::MedicalVisit,
                due_at: azukari_core::clock::Timestamp(now.0 + 3_600_000),
            },
        )
        .unwrap();
    hub.publish_own().unwrap();
    request
}

/// The supervisor approves `request` through the approval flow, then records the passkey evidence the browser
/// pages record: `assertion` signs `challenge_for`'s challenge (normally the request itself).
fn approve_signed(
    hub: &mut Hub,
    demo: &DemoFacility,
    passkey: &SoftPasskey,
    request: RequestId,
    challenge_for: RequestId,
    nonce: [u8; 32],
    edit: impl FnOnce(&mut PasskeyAssertion),
) {
    let request_hash = hub.store().unwrap().state().requests[&request].hash;
    let other_hash = hub.store().unwrap().state().requests[&challenge_for].hash;
    let session = hub.session().unwrap();
    session.sign_in(demo.supervisor).unwrap();
    let before = session.store().events().unwrap().len();
    ApprovalInbox::new()
        .handle(session, ApprovalIntent::Approve { request })
        .unwrap();
    let decided = session.store().events().unwrap()[before].hash();
    let text = "次の持出申請を承認します\n佐藤 ハナ様のマイナ保険証";
    let signed_subject = DecisionSubject::Request {
        request: challenge_for,
        request_hash: other_hash,
    };
    let challenge = decision_challenge(
        DecisionKind::Approve,
        &text_sha256(text),
        &signed_subject,
        &nonce,
    );
    let mut assertion = passkey.assert(&challenge);
    edit(&mut assertion);
    session
        .record(EventBody::PasskeySigned {
            decision: DecisionKind::Approve,
            subject: DecisionSubject::Request {
                request,
                request_hash,
            },
            decided: Some(decided),
            text_sha256: text_sha256(text),
            nonce,
            assertion,
        })
        .unwrap();
    session.sign_out();
    hub.publish_own().unwrap();
}

fn registered(dir: &TempDir) -> (Hub, DemoFacility, SoftPasskey) {
    let (mut hub, demo) = init_hub(dir.path());
    let passkey = SoftPasskey::new();
    hub.store()
        .unwrap()
        .append(
            Some(demo.supervisor),
            EventBody::PasskeyRegistered {
                owner: PasskeyOwner::Staff(demo.supervisor),
                key: passkey.key(),
            },
        )
        .unwrap();
    hub.publish_own().unwrap();
    (hub, demo, passkey)
}

fn verify(hub: &mut Hub) -> Result<azukari_hub::bundle::BundleReport, BundleError> {
    let bundle = make_bundle(hub.log()).unwrap();
    verify_bundle(&bundle, None, None)
}

#[test]
fn verify_checks_every_passkey_signed_approval() {
    let dir = TempDir::new().unwrap();
    let (mut hub, demo, passkey) = registered(&dir);
    let a = request(&mut hub, &demo, 1);
    approve_signed(&mut hub, &demo, &passkey, a, a, [1; 32], |_| {});
    let report = verify(&mut hub).unwrap();
    assert_eq!(report.passkeys, 1);
    assert_eq!(report.signed_decisions, 1);
}

#[test]
fn one_edited_byte_of_an_assertion_fails_verify_even_when_the_event_is_re_signed() {
    // Each byte of the assertion in turn: the device signs the event as it is, so only the passkey check can
    // catch the edit.
    for field in 0..3 {
        let dir = TempDir::new().unwrap();
        let (mut hub, demo, passkey) = registered(&dir);
        let a = request(&mut hub, &demo, 1);
        approve_signed(&mut hub, &demo, &passkey, a, a, [1; 32], |assertion| {
            let bytes = match field {
                0 => &mut assertion.authenticator_data,
                1 => &mut assertion.client_data_json,
                _ => &mut assertion.signature,
            };
            let at = bytes.len() / 2;
            bytes[at] ^= 0x01;
        });
        match verify(&mut hub) {
            Err(BundleError::Passkey(_)) => {}
            other => panic!("field {field}: {other:?}"),
        }
    }
}

#[test]
fn one_edited_byte_in_the_bundle_fails_verify() {
    let dir = TempDir::new().unwrap();
    let (mut hub, demo, passkey) = registered(&dir);
    let a = request(&mut hub, &demo, 1);
    approve_signed(&mut hub, &demo, &passkey, a, a, [1; 32], |_| {});
    let mut bundle = make_bundle(hub.log()).unwrap();
    let last = bundle.events.len() - 1;
    let at = bundle.events[last].bytes.len() - 40; // inside the assertion's signature
    bundle.events[last].bytes[at] ^= 0x01;
    assert!(verify_bundle(&bundle, None, None).is_err());
}

#[test]
fn an_assertion_for_another_request_or_a_replayed_nonce_fails_verify() {
    let dir = TempDir::new().unwrap();
    let (mut hub, demo, passkey) = registered(&dir);
    let a = request(&mut hub, &demo, 1);
    let b = request(&mut hub, &demo, 2);
    // B's approval carries a signature made for A.
    approve_signed(&mut hub, &demo, &passkey, b, a, [2; 32], |_| {});
    assert!(matches!(verify(&mut hub), Err(BundleError::Passkey(_))));

    let dir = TempDir::new().unwrap();
    let (mut hub, demo, passkey) = registered(&dir);
    let a = request(&mut hub, &demo, 1);
    let b = request(&mut hub, &demo, 2);
    approve_signed(&mut hub, &demo, &passkey, a, a, [3; 32], |_| {});
    approve_signed(&mut hub, &demo, &passkey, b, b, [3; 32], |_| {});
    let error = verify(&mut hub).unwrap_err().to_string();
    assert!(error.contains("replays"), "{error}");
}

#[test]
fn links_open_once_and_only_before_they_expire() {
    let dir = TempDir::new().unwrap();
    let store = WebStore::open_in(dir.path()).unwrap();
    let staff = azukari_core::model::StaffId(uuid::Uuid::from_u128(5));
    let now = 1_800_000_000_000;
    let token = store.issue_link(LinkKind::Staff(staff), now, 30).unwrap();
    assert!(token.len() >= 43, "256 random bits");
    assert_eq!(
        store.use_link("forged", now).unwrap(),
        Err(LinkRefusal::Unknown)
    );
    assert_eq!(
        store.use_link(&token, now + 30 * 60_000).unwrap(),
        Err(LinkRefusal::Expired)
    );
    assert_eq!(
        store.use_link(&token, now + 1).unwrap(),
        Ok(LinkKind::Staff(staff))
    );
    assert_eq!(
        store.use_link(&token, now + 2).unwrap(),
        Err(LinkRefusal::Used)
    );
    // Only the token's hash is kept.
    let file = std::fs::read(dir.path().join("web.sqlite")).unwrap();
    assert!(
        !file
            .windows(token.len())
            .any(|window| window == token.as_bytes())
    );
}

/// Every screen of the core's app, as a supervisor reaches it, drawn through the one page template: each enabled
/// button is a form posting its serialized event, each field an input with a label, and posting a drawn form
/// gives the app exactly the events the view offered.
#[test]
fn every_app_screen_draws_through_the_one_template_and_its_forms_post_back_the_views_events() {
    use askama::Template;
    use azukari_core::app::view::ScreenKind;
    use azukari_core::app::{App, AppEvent};
    use azukari_core::crypto::FileKeyVault;
    use azukari_core::store::{CreateOptions, Store};
    use azukari_hub::web::app_view::{draw, events_from_form};
    use azukari_hub::web::page::{Link, Page, PageTemplate};

    let dir = TempDir::new().unwrap();
    let path = dir.path().join("console.azukari");
    let vault = Arc::new(FileKeyVault::new(dir.path().join("console.key")));
    let clock = Arc::new(SystemClock);
    let mut store = Store::create(
        &path,
        CreateOptions {
            facility_name: "テスト施設",
            recovery_passphrase: TEST_PASSPHRASE,
            kdf: KdfParams::insecure_for_tests(),
            vault: vault.as_ref(),
        },
        clock.clone(),
    )
    .unwrap();
    let demo = seed(&mut store, 2).unwrap();
    let mut app = App::over(store, path, vault, clock).unwrap();
    app.dispatch(AppEvent::SignIn {
        staff: demo.supervisor.0.to_string(),
    })
    .unwrap();

    let frame = |view_lang: &'static str| Page {
        lang: view_lang,
        title: String::new(),
        app_name: "あずかり".into(),
        signed_in: None,
        nav_label: "メニュー".into(),
        nav: Vec::new(),
        notices: Vec::new(),
        sections: Vec::new(),
        csrf: "csrf-token".into(),
        live: None,
        download: None,
        language_switch: Link {
            label: "English".into(),
            href: "/lang/en?back=/console/app".into(),
            current: false,
        },
        other_lang: "en",
        sign_out: Some("サインアウト".into()),
        webauthn_missing: String::new(),
        skip_link: "本文へ移動".into(),
        passkey_wait: String::new(),
        passkey_failed: String::new(),
    };
    let mut drawn = 0;
    for screen in ScreenKind::ALL {
        let Ok(view) = app.dispatch(AppEvent::Open { screen }) else {
            continue;
        };
        if view.screen != screen {
            continue;
        }
        let mut page = frame("ja");
        draw(&view, &mut page, "/console/app");
        let html = unescape(&PageTemplate { page: &page }.render().unwrap());
        assert!(html.contains(&format!("<h1>{}</h1>", view.title)));
        for button in view.buttons().into_iter().filter(|b| b.enabled) {
            let event = serde_json::to_string(&button.event).unwrap();
            assert!(
                html.contains(&event),
                "{screen:?}: the event of {} is posted",
                button.label
            );
        }
        for field in view.fields() {
            assert!(html.contains(&field.label), "{screen:?}");
        }
        drawn += 1;
        app.dispatch(AppEvent::Back).ok();
    }
    assert!(drawn >= 8, "screens drawn: {drawn}");

    // A posted section form: its fields' edits first, then the button.
    let mut form = std::collections::HashMap::new();
    form.insert("field:DenyReason".to_string(), "体調確認のため".to_string());
    form.insert(
        "event".to_string(),
        serde_json::to_string(&AppEvent::Open {
            screen: ScreenKind::Approvals,
        })
        .unwrap(),
    );
    let events = events_from_form(&form).unwrap();
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0], AppEvent::Edit { .. }));
    form.insert("field:NoSuchField".to_string(), String::new());
    assert!(events_from_form(&form).is_err());
}

/// The text of escaped HTML (askama writes `&#34;` and friends).
fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}
