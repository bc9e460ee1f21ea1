//! Locker labels: issued and signed by the store, printed on A4 sheets that an independent decoder (resvg to
//! rasterise, rqrr to decode) reads back into labels that verify, embedded in a PDF with a Japanese font, and
//! refused with their own localized error — writing nothing — when they should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::custody::CustodyState;
use azukari_core::demo::{self, DemoFacility};
use azukari_core::flows::handover::{HandoverFlow, HandoverIntent, HandoverStep};
use azukari_core::flows::{FlowError, NoticeKind, Session};
use azukari_core::i18n::Locale;
use azukari_core::ledger::EventBody;
use azukari_core::model::{Locker, LockerId, LockerKind};
use azukari_core::qr::{
    self, LabelError, LabelFont, LabelPayload, QrError, SheetLayout, sheet_pdf, sheet_svgs,
};
use azukari_core::store::{OpenOptions, Store};
use azukari_core::testing::TestStore;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::path::Path;
use tempfile::TempDir;

const HUB: &str = "azukari.example.jp";

struct Facility {
    dir: TempDir,
    t: TestStore,
    f: DemoFacility,
}

fn facility(name: &str) -> Facility {
    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), name).unwrap();
    let f = demo::seed(&mut t.store, 2).unwrap();
    Facility { dir, t, f }
}

impl Facility {
    /// Register lockers until the facility has `total`; one has a name far too long for a label.
    fn lockers(&mut self, total: usize) -> Vec<LockerId> {
        let existing = self.t.store.state().lockers.len();
        for i in existing..total {
            let name = if i == existing {
                "2階東側ナースステーション奥の鍵付き書類キャビネット（第3段・左側の引き出し）"
                    .to_string()
            } else {
                format!("保険証ロッカー {}", i + 1)
            };
            register_locker(&mut self.t.store, self.f.admin, &name);
        }
        self.t.store.state().lockers.keys().copied().collect()
    }

    fn state(&self) -> &CustodyState {
        self.t.store.state()
    }
}

fn register_locker(store: &mut Store, admin: azukari_core::model::StaffId, name: &str) -> LockerId {
    let locker = Locker {
        id: LockerId::random(),
        kind: LockerKind::CardLocker,
        name: name.to_string(),
        place: "事務室".to_string(),
    };
    let id = locker.id;
    store
        .append(Some(admin), EventBody::LockerRegistered { locker })
        .unwrap();
    id
}

/// The sheet rasterised at `dpi`, as grey levels, with its width and height in pixels.
fn rasterise(svg: &str, dpi: f32) -> (Vec<u8>, usize, usize) {
    use resvg::{tiny_skia, usvg};
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap();
    let scale = dpi / 96.0;
    let width = (tree.size().width() * scale).ceil() as u32;
    let height = (tree.size().height() * scale).ceil() as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height).unwrap();
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let grey = pixmap
        .pixels()
        .iter()
        .map(|p| {
            let c = p.demultiply();
            let luma =
                (299 * u32::from(c.red()) + 587 * u32::from(c.green()) + 114 * u32::from(c.blue()))
                    / 1000;
            // Transparent is paper.
            (luma * u32::from(c.alpha()) / 255 + (255 - u32::from(c.alpha()))) as u8
        })
        .collect();
    (grey, width as usize, height as usize)
}

/// Every QR code rqrr finds inside one label cell of a rasterised sheet.
fn decode_cell(
    (grey, width, height): &(Vec<u8>, usize, usize),
    dpi: f32,
    (left, top, cell_width, cell_height): (f32, f32, f32, f32),
) -> Vec<String> {
    let px = |mm: f32| (mm * dpi / 25.4).round() as usize;
    let (x0, y0) = (px(left), px(top));
    let w = px(cell_width).min(width - x0);
    let h = px(cell_height).min(height - y0);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey[(y0 + y) * width + x0 + x]);
    image
        .detect_grids()
        .iter()
        // A grid that does not decode counts as not read at this resolution.
        .filter_map(|grid| grid.decode().ok().map(|(_, content)| content))
        .collect()
}

fn every_label_on_every_sheet_reads_back(layout: SheetLayout, lockers: usize) {
    let mut w = facility("sheet");
    let ids = w.lockers(lockers);
    let labels = qr::issue_sheet(&mut w.t.store, Some(w.f.admin), &ids, HUB).unwrap();
    assert_eq!(labels.len(), lockers);
    let sheets = sheet_svgs(&labels, &layout).unwrap();
    assert_eq!(sheets.len(), lockers.div_ceil(layout.per_sheet()));
    // rqrr, like a phone camera, occasionally misses a finder pattern at one resolution: a label counts as read
    // when it decodes at 300 dpi or, failing that, at 450 or 600 dpi (a phone simply takes the next frame).
    const DPIS: [f32; 3] = [300.0, 450.0, 600.0];
    let mut read = 0;
    for (page, svg) in sheets.iter().enumerate() {
        let rasters: Vec<_> = DPIS
            .iter()
            .map(|dpi| (*dpi, std::cell::OnceCell::new()))
            .collect();
        for slot in 0..layout.per_sheet() {
            let index = page * layout.per_sheet() + slot;
            let mut found = Vec::new();
            for (dpi, raster) in &rasters {
                found = decode_cell(
                    raster.get_or_init(|| rasterise(svg, *dpi)),
                    *dpi,
                    layout.cell(slot),
                );
                if found.len() == 1 || labels.get(index).is_none() {
                    break;
                }
            }
            let Some(label) = labels.get(index) else {
                assert!(found.is_empty(), "an empty cell has no code");
                continue;
            };
            assert_eq!(
                found.len(),
                1,
                "label {index} has exactly one readable code"
            );
            assert_eq!(found[0], label.url);
            let payload = LabelPayload::parse(&found[0]).unwrap();
            assert_eq!(payload.verify(w.state()), Ok(ids[index]));
            assert_eq!(payload.serial, 1);
            read += 1;
        }
    }
    assert_eq!(read, lockers);
}

#[test]
fn every_qr_on_a_two_by_six_sheet_decodes_to_a_label_that_verifies() {
    every_label_on_every_sheet_reads_back(SheetLayout::a4_2x6(), 14);
}

#[test]
fn every_qr_on_a_three_by_eight_sheet_decodes_to_a_label_that_verifies() {
    every_label_on_every_sheet_reads_back(SheetLayout::a4_3x8(), 24);
}

#[test]
fn a_custom_layout_is_honoured_and_an_impossible_one_refused_in_both_languages() {
    let mut w = facility("custom");
    let ids = w.lockers(5);
    let labels = qr::issue_sheet(&mut w.t.store, None, &ids, HUB).unwrap();
    let layout = SheetLayout {
        columns: 2,
        rows: 4,
        margin_top: 15.0,
        margin_bottom: 15.0,
        margin_left: 10.0,
        margin_right: 10.0,
        column_gap: 5.0,
        row_gap: 3.0,
        padding: 3.0,
    };
    let svg = &sheet_svgs(&labels, &layout).unwrap()[0];
    let raster = rasterise(svg, 300.0);
    for (slot, label) in labels.iter().enumerate() {
        assert_eq!(
            decode_cell(&raster, 300.0, layout.cell(slot)),
            vec![label.url.clone()]
        );
    }
    let tiny = SheetLayout {
        rows: 12,
        ..SheetLayout::a4_3x8()
    };
    let error = sheet_svgs(&labels, &tiny).unwrap_err();
    assert!(matches!(error, LabelError::BadLayout(_)));
    assert!(error.message(Locale::Ja).contains("小さすぎ"));
    assert!(error.message(Locale::En).contains("too small"));
}

#[test]
fn the_pdf_embeds_the_japanese_font_and_has_one_page_per_sheet() {
    let font = LabelFont::find()
        .unwrap_or_else(|e| panic!("{} (scripts/test installs it)", e.message(Locale::En)));
    let mut w = facility("pdf");
    let ids = w.lockers(30);
    let labels = qr::issue_sheet(&mut w.t.store, Some(w.f.admin), &ids, HUB).unwrap();
    for (layout, pages) in [(SheetLayout::a4_2x6(), 3), (SheetLayout::a4_3x8(), 2)] {
        let pdf = sheet_pdf(&labels, &layout, &font).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(count_pages(&pdf), pages);
        let name = font.name().as_bytes();
        assert!(!name.is_empty());
        let embedded = pdf
            .windows(name.len() + 1)
            .any(|w| w[0] == b'+' && &w[1..] == name);
        assert!(embedded, "{} is embedded as a subset", font.name());
        assert!(
            find(&pdf, b"/FontFile").is_some(),
            "the font program is in the file"
        );
        assert!(
            pdf.len() < 400_000,
            "the font is subset, not embedded whole ({} bytes)",
            pdf.len()
        );
    }
    assert!(matches!(
        sheet_pdf(&[], &SheetLayout::a4_2x6(), &font),
        Err(LabelError::NoLabels)
    ));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Page objects: `/Type /Page` (with or without the space) not followed by `s`.
fn count_pages(pdf: &[u8]) -> usize {
    [b"/Type/Page".as_slice(), b"/Type /Page".as_slice()]
        .iter()
        .map(|pattern| {
            pdf.windows(pattern.len() + 1)
                .filter(|w| &w[..pattern.len()] == *pattern && w[pattern.len()] != b's')
                .count()
        })
        .sum()
}

#[test]
fn a_missing_font_is_reported_with_the_debian_package_to_install() {
    let error = LabelFont::find_among(&[Path::new("/nonexistent/ipaexg.ttf")]).unwrap_err();
    assert!(matches!(error, LabelError::FontMissing));
    for locale in [Locale::Ja, Locale::En] {
        assert!(error.message(locale).contains("fonts-ipaexfont-gothic"));
        assert!(error.message(locale).contains("fonts-noto-cjk"));
    }
    assert!(error.message(Locale::Ja).contains("日本語フォント"));
    let not_a_font = LabelFont::from_file(Path::new(env!("CARGO_MANIFEST_PATH"))).unwrap_err();
    assert!(matches!(not_a_font, LabelError::FontUnreadable(_)));
}

#[test]
fn the_label_key_is_made_once_sealed_and_kept_across_reopening() {
    let mut w = facility("key");
    let locker = w.f.card_lockers[0];
    assert_eq!(w.state().label_key, None);
    let first = qr::issue_label(&mut w.t.store, Some(w.f.admin), locker).unwrap();
    let second = qr::issue_label(&mut w.t.store, Some(w.f.admin), locker).unwrap();
    assert_eq!((first.serial, second.serial), (1, 2));
    let key_events =
        w.t.store
            .events()
            .unwrap()
            .iter()
            .filter(|e| matches!(e.decode().unwrap().body, EventBody::LabelKeyCreated { .. }))
            .count();
    assert_eq!(key_events, 1);
    let signer = w.t.store.label_signer(None).unwrap();
    assert_eq!(w.state().label_key, Some(signer.public_key()));
    let seed = signer.secret_bytes()[16..48].to_vec();

    let Facility { dir, t, f } = w;
    let mut t = t.reopen(OpenOptions::default()).unwrap();
    assert_eq!(
        t.store.label_signer(None).unwrap().public_key(),
        signer.public_key()
    );
    let third = qr::issue_label(&mut t.store, Some(f.admin), locker).unwrap();
    assert_eq!(third.serial, 3);
    assert_eq!(third.verify(t.store.state()), Ok(locker));
    drop(t);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(find(&bytes, &seed).is_none(), "the secret is sealed");
    }
}

#[test]
fn a_device_without_the_facilitys_label_key_refuses_to_issue_but_still_verifies() {
    let mut w = facility("elsewhere");
    let locker = w.f.card_lockers[0];
    let label = qr::issue_label(&mut w.t.store, None, locker).unwrap();
    // As on a device that learnt the public key from the ledger but was never given the secret.
    let path = w.t.path.clone();
    let t = w.t.reopen(OpenOptions::default()).unwrap();
    t.store.close().unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM meta WHERE name = 'label_signing_key'", [])
        .unwrap();
    let mut t = TestStore {
        store: Store::open(
            &path,
            azukari_core::store::Unlock::Vault(&t.vault),
            OpenOptions::default(),
            t.clock.clone(),
        )
        .unwrap(),
        ..t
    };
    let head = t.store.head();
    let error = qr::issue_label(&mut t.store, None, locker).unwrap_err();
    assert!(matches!(
        error,
        LabelError::Store(azukari_core::store::StoreError::LabelKeyElsewhere)
    ));
    assert!(error.message(Locale::Ja).contains("別の端末"));
    assert!(error.message(Locale::En).contains("another device"));
    assert_eq!(t.store.head(), head, "nothing was written");
    assert_eq!(label.verify(t.store.state()), Ok(locker));
}

#[test]
fn issuing_and_revoking_refuse_unknown_lockers_serials_and_hosts() {
    let mut w = facility("refuse");
    let locker = w.f.card_lockers[0];
    let head = w.t.store.head();
    assert!(matches!(
        qr::issue_label(&mut w.t.store, None, LockerId::random()),
        Err(LabelError::UnknownLocker)
    ));
    assert!(matches!(
        qr::issue_sheet(&mut w.t.store, None, &[locker], "hub/evil"),
        Err(LabelError::BadHubHost)
    ));
    assert!(matches!(
        qr::issue_sheet(&mut w.t.store, None, &[locker, LockerId::random()], HUB),
        Err(LabelError::UnknownLocker)
    ));
    assert!(matches!(
        qr::revoke_label(&mut w.t.store, None, locker, 1),
        Err(LabelError::NotIssued { serial: 1 })
    ));
    assert_eq!(w.t.store.head(), head, "nothing was written");
    qr::issue_label(&mut w.t.store, None, locker).unwrap();
    assert!(matches!(
        qr::revoke_label(&mut w.t.store, None, locker, 2),
        Err(LabelError::NotIssued { serial: 2 })
    ));
    for error in [
        LabelError::UnknownLocker,
        LabelError::NotIssued { serial: 2 },
    ] {
        assert_ne!(error.message(Locale::Ja), error.message(Locale::En));
        assert!(!error.message(Locale::Ja).starts_with("qr-"));
    }
    qr::revoke_label(&mut w.t.store, None, locker, 1).unwrap();
    assert!(w.state().labels[&locker].revoked.contains(&1));
}

/// A bad scan through the handover flow: refused with `expected`, a Japanese notice, nothing written.
fn scan_is_refused(session: &mut Session, text: &str, expected: QrError) {
    let head = session.store().head();
    let mut flow = HandoverFlow::new();
    let error = flow
        .handle(
            session,
            HandoverIntent::ScanLabel {
                text: text.to_string(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(error, FlowError::Label(e) if e == expected),
        "{text}: {error:?}"
    );
    let view = flow.view(session);
    assert_eq!(view.step, HandoverStep::ScanLocker);
    let notice = view.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::Error);
    assert_eq!(notice.text, expected.message(Locale::Ja));
    assert_eq!(session.store().head(), head, "nothing was written");
}

fn messages_are_localized(error: QrError) {
    let ja = error.message(Locale::Ja);
    let en = error.message(Locale::En);
    assert!(!ja.starts_with("qr-") && !en.starts_with("qr-"), "{ja}");
    assert!(!ja.is_ascii(), "Japanese: {ja}");
    assert!(en.is_ascii() && en.len() > 20, "English: {en}");
}

fn with_byte(url: &str, index: usize, change: impl Fn(u8) -> u8) -> String {
    let (prefix, encoded) = url.split_at(url.find("/l/").unwrap() + 3);
    let mut bytes = URL_SAFE_NO_PAD.decode(encoded).unwrap();
    bytes[index] = change(bytes[index]);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[test]
fn each_bad_scan_has_its_own_error_in_japanese_and_english_and_writes_nothing() {
    let mut w = facility("scan");
    let mut other = facility("other");
    let admin = w.f.admin;
    let lockers = w.f.card_lockers.clone();
    let before_any_label = w.state().clone();
    let good = qr::issue_label(&mut w.t.store, Some(admin), lockers[0])
        .unwrap()
        .url(HUB);
    let before_new_locker = w.state().clone();
    let new_locker = register_locker(&mut w.t.store, admin, "保険証ロッカー 新");
    let unsynced = qr::issue_label(&mut w.t.store, Some(admin), new_locker)
        .unwrap()
        .url(HUB);
    let old = qr::issue_label(&mut w.t.store, Some(admin), lockers[1])
        .unwrap()
        .url(HUB);
    let current = qr::issue_label(&mut w.t.store, Some(admin), lockers[1])
        .unwrap()
        .url(HUB);
    let revoked = qr::issue_label(&mut w.t.store, Some(admin), w.f.cabinet).unwrap();
    qr::revoke_label(&mut w.t.store, Some(admin), w.f.cabinet, revoked.serial).unwrap();
    let revoked = revoked.url(HUB);
    let foreign_locker = other.f.card_lockers[0];
    let foreign = qr::issue_label(&mut other.t.store, None, foreign_locker)
        .unwrap()
        .url(HUB);

    let caregiver = w.f.handlers[0];
    let mut session = Session::new(w.t.store).unwrap();
    session.sign_in(caregiver).unwrap();

    // The good labels still open their lockers.
    for (url, locker) in [(&good, lockers[0]), (&current, lockers[1])] {
        let mut flow = HandoverFlow::new();
        flow.handle(
            &mut session,
            HandoverIntent::ScanLabel { text: url.clone() },
        )
        .unwrap();
        assert_eq!(flow.view(&session).step, HandoverStep::ChooseItem);
        assert_eq!(
            LabelPayload::parse(url)
                .unwrap()
                .verify(session.store().state()),
            Ok(locker)
        );
    }

    let cases: Vec<(String, QrError)> = vec![
        ("こんにちは".to_string(), QrError::NotALabel),
        (
            "https://www.example.com/menu".to_string(),
            QrError::NotALabel,
        ),
        (format!("{good}?utm=1"), QrError::NotALabel),
        (good[..good.len() - 40].to_string(), QrError::Truncated),
        (
            good[..good.find("/l/").unwrap() + 10].to_string(),
            QrError::Truncated,
        ),
        (with_byte(&good, 0, |_| 2), QrError::UnsupportedVersion(2)),
        (foreign.clone(), QrError::OtherFacility),
        // A flipped bit in the locker id, in the serial, in the signature.
        (with_byte(&good, 20, |b| b ^ 0x01), QrError::Tampered),
        (
            with_byte(&good, 36, |b| b.wrapping_add(1)),
            QrError::Tampered,
        ),
        (with_byte(&good, 80, |b| b ^ 0x80), QrError::Tampered),
        (revoked.clone(), QrError::Revoked { serial: 1 }),
        (
            old.clone(),
            QrError::Superseded {
                serial: 1,
                current: 2,
            },
        ),
    ];
    for (text, expected) in &cases {
        scan_is_refused(&mut session, text, *expected);
        messages_are_localized(*expected);
    }

    // A device that has not synced yet: it does not know the new locker, or any label key at all.
    let unsynced = LabelPayload::parse(&unsynced).unwrap();
    assert_eq!(
        unsynced.verify(&before_new_locker),
        Err(QrError::UnknownLocker)
    );
    assert_eq!(
        LabelPayload::parse(&good)
            .unwrap()
            .verify(&before_any_label),
        Err(QrError::NoLabelKey)
    );
    for error in [QrError::UnknownLocker, QrError::NoLabelKey] {
        messages_are_localized(error);
    }

    // Every case has its own message.
    let mut all: Vec<QrError> = cases.iter().map(|(_, e)| *e).collect();
    all.extend([QrError::UnknownLocker, QrError::NoLabelKey]);
    let texts: std::collections::BTreeSet<String> =
        all.iter().map(|e| e.message(Locale::Ja)).collect();
    assert_eq!(texts.len(), 9);

    // The other facility's own device accepts its label.
    assert_eq!(
        LabelPayload::parse(&foreign)
            .unwrap()
            .verify(other.t.store.state()),
        Ok(foreign_locker)
    );
}

#[test]
fn the_parser_never_panics_and_refuses_arbitrary_text() {
    use proptest::prelude::*;
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&".{0,300}", |text| {
            let _ = LabelPayload::parse(&text);
            Ok(())
        })
        .unwrap();
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..200), |bytes| {
            let text = format!("https://{HUB}/l/{}", URL_SAFE_NO_PAD.encode(&bytes));
            if let Ok(payload) = LabelPayload::parse(&text) {
                prop_assert_eq!(payload.to_bytes(), bytes);
            }
            Ok(())
        })
        .unwrap();
}
