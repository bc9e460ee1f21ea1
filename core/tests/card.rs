//! The card reader against the software card: what it reads, what it keeps (only keyed hashes and dates), what it
//! never sends (VERIFY, anything to the 券面事項入力補助AP), each misbehaviour's typed error, and matching on return.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::card::protocol::{self, JPKI_AP};
use azukari_core::card::software::{CardCommand, Misbehaviour, SoftwareCard, SoftwareCardSpec};
use azukari_core::card::{
    CardError, CardIdentity, CardMatch, CardReading, CardTransceiver, TransceiveError,
    match_identity, read_card, register_card,
};
use azukari_core::crypto::HashDomain;
use azukari_core::i18n::{Locale, catalog};
use azukari_core::model::{CardAuth, Item, ItemId, ItemKind, LockerId};
use azukari_core::store::Store;
use azukari_core::testing::TestStore;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The AID of the 券面事項入力補助AP, which holds the 12-digit My Number: never to be selected.
const CARD_INFO_INPUT_SUPPORT_AP: [u8; 10] =
    [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];

const SERIAL: &str = "AB1234567890123";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn spec() -> SoftwareCardSpec {
    SoftwareCardSpec::new(SERIAL, date(2034, 5, 16), date(2029, 5, 16))
}

fn card() -> SoftwareCard {
    SoftwareCard::new(spec()).unwrap()
}

fn store() -> (TempDir, TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let t = TestStore::create(dir.path(), "card").unwrap();
    (dir, t)
}

/// A transceiver that writes down every APDU on its way to the card.
struct Recorder<'a> {
    card: &'a mut dyn CardTransceiver,
    sent: Vec<Vec<u8>>,
}

impl CardTransceiver for Recorder<'_> {
    fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransceiveError> {
        self.sent.push(apdu.to_vec());
        self.card.transceive(apdu)
    }
}

fn read_recorded(card: &mut dyn CardTransceiver) -> (Result<CardReading, CardError>, Vec<Vec<u8>>) {
    let mut recorder = Recorder {
        card,
        sent: Vec::new(),
    };
    let result = read_card(&mut recorder);
    (result, recorder.sent)
}

/// No VERIFY, nothing to the 券面事項入力補助AP, short APDUs only, READ BINARY offsets below 0x8000.
fn assert_only_allowed_commands(sent: &[Vec<u8>]) {
    for apdu in sent {
        assert!(apdu.len() >= 4, "a command has a header: {apdu:02X?}");
        assert_ne!(apdu[1], 0x20, "VERIFY was sent: {apdu:02X?}");
        assert!(
            !apdu
                .windows(CARD_INFO_INPUT_SUPPORT_AP.len())
                .any(|w| w == CARD_INFO_INPUT_SUPPORT_AP),
            "the 券面事項入力補助AP was named: {apdu:02X?}"
        );
        assert!(
            matches!(apdu[1], 0xA4 | 0xB0 | 0xB2),
            "only SELECT, READ BINARY and READ RECORD: {apdu:02X?}"
        );
        if apdu[1] == 0xB0 {
            assert_eq!(apdu.len(), 5, "READ BINARY is a short case 2 APDU");
            assert_eq!(apdu[2] & 0x80, 0, "the offset is below 0x8000");
            assert_ne!(apdu[4], 0);
        }
        if apdu[1] == 0xA4 {
            assert_eq!(usize::from(apdu[4]) + 5, apdu.len(), "SELECT has no Le");
        }
    }
}

#[test]
fn a_card_is_read_for_its_dates_with_exactly_the_commands_of_the_domain() {
    let mut card = card();
    let (reading, sent) = read_recorded(&mut card);
    let reading = reading.unwrap();
    assert_eq!(reading.card_expires_on(), date(2034, 5, 16));
    assert_eq!(reading.certificate_expires_on(), date(2029, 5, 16));

    let hex = |apdu: &Vec<u8>| {
        apdu.iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        hex(&sent[0]),
        "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"
    );
    assert_eq!(hex(&sent[1]), "00 A4 02 0C 02 00 06");
    assert_eq!(hex(&sent[2]), "00 B0 00 00 20");
    assert_eq!(hex(&sent[3]), "00 A4 02 0C 02 00 0A");
    assert_eq!(hex(&sent[4]), "00 B0 00 00 07");
    let n = sent.len();
    assert_eq!(
        hex(&sent[n - 2]),
        "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 01 00"
    );
    assert_eq!(hex(&sent[n - 1]), "00 B2 01 0C 00");
    // The rest of the certificate, in order, in chunks of at most 255 bytes.
    let mut offset = 7;
    for apdu in &sent[5..n - 2] {
        assert_eq!(&apdu[..2], &[0x00, 0xB0]);
        assert_eq!(usize::from(u16::from_be_bytes([apdu[2], apdu[3]])), offset);
        offset += usize::from(apdu[4]);
    }
    assert_eq!(offset, card.certificate_der().len());
    assert_only_allowed_commands(&sent);
}

#[test]
fn reading_never_sends_verify_nor_touches_the_card_info_input_support_application() {
    // Not on a good card, and not on any misbehaving one either.
    let mut cards = vec![card()];
    for misbehaviour in misbehaviours() {
        cards.push(card().misbehaving(misbehaviour.0));
    }
    for card in &mut cards {
        let (_, sent) = read_recorded(card);
        assert!(!sent.is_empty());
        assert_only_allowed_commands(&sent);
        assert_eq!(card.sent(), sent.as_slice());
    }
}

#[test]
fn the_certificate_expiry_is_the_tokyo_date_of_its_not_after() {
    let card = card();
    let (_, certificate) = x509_parser::parse_x509_certificate(card.certificate_der()).unwrap();
    let not_after = certificate.validity().not_after.timestamp();
    // 2029-05-16 23:59:59 JST is 14:59:59Z the same day.
    let expected = date(2029, 5, 16)
        .and_hms_opt(14, 59, 59)
        .unwrap()
        .and_utc()
        .timestamp();
    assert_eq!(not_after, expected);
    assert_eq!(
        protocol::parse_certificate(card.certificate_der())
            .unwrap()
            .expires_on,
        date(2029, 5, 16)
    );
    // Long enough to need several READ BINARY chunks after its header.
    assert!(
        card.certificate_der().len() > 7 + 255,
        "{}",
        card.certificate_der().len()
    );
}

#[test]
fn a_reading_keeps_only_keyed_hashes_and_never_prints_the_serial() {
    let (_dir, t) = store();
    let mut card = card();
    let reading = read_card(&mut card).unwrap();
    let printed = format!("{reading:?}");
    assert!(!printed.contains(SERIAL), "{printed}");
    assert!(printed.contains("2029-05-16"));

    let identity = CardIdentity::from_reading(&t.store, reading);
    assert_eq!(
        identity.serial_hash,
        t.store
            .keyed_hash(HashDomain::CardSerial, SERIAL.as_bytes())
    );
    let fingerprint: [u8; 32] = Sha256::digest(card.certificate_der()).into();
    assert_eq!(
        identity.certificate_hash,
        t.store
            .keyed_hash(HashDomain::CertificateFingerprint, &fingerprint)
    );
    assert_eq!(identity.card_expires_on, date(2034, 5, 16));
    assert_eq!(identity.certificate_expires_on, date(2029, 5, 16));

    // Another facility's key gives other hashes for the same card.
    let (_other_dir, other) = store();
    let elsewhere = CardIdentity::from_reading(&other.store, read_card(&mut card).unwrap());
    assert_ne!(elsewhere.serial_hash, identity.serial_hash);
    assert_ne!(elsewhere.certificate_hash, identity.certificate_hash);
}

fn card_item(store: &mut Store) -> Item {
    let resident = store
        .new_resident("佐藤 ハナ", "サトウ ハナ", "201", date(2026, 4, 1))
        .unwrap();
    Item {
        id: ItemId::random(),
        resident: resident.id,
        kind: ItemKind::MynaCard {
            auth: CardAuth::FaceOnly,
        },
        home_locker: LockerId::random(),
        card_expires_on: None,
        certificate_expires_on: None,
        document_expires_on: None,
        card_identity: None,
    }
}

#[test]
fn registering_a_card_stores_its_sealed_identity_and_dates_on_the_item() {
    let (_dir, mut t) = store();
    let mut item = card_item(&mut t.store);
    assert_eq!(t.store.open_card_identity(&item).unwrap(), None);
    let reading = read_card(&mut card()).unwrap();
    let identity = register_card(&mut t.store, &mut item, reading).unwrap();
    assert_eq!(item.card_expires_on, Some(date(2034, 5, 16)));
    assert_eq!(item.certificate_expires_on, Some(date(2029, 5, 16)));
    assert_eq!(
        t.store.open_card_identity(&item).unwrap(),
        Some(identity.clone())
    );
    // Sealed: neither the serial nor the hashes appear in the item's encoding.
    let encoded = format!("{:?}", item.card_identity.as_ref().unwrap());
    assert!(!encoded.contains(SERIAL));
    let serial_hex: String = identity
        .serial_hash
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!encoded.contains(&serial_hex));
    // Sealed for this item only: on another item's row it does not open.
    let mut other = card_item(&mut t.store);
    other.card_identity = item.card_identity.clone();
    assert!(t.store.open_card_identity(&other).is_err());
}

#[test]
fn the_same_card_matches_a_renewed_certificate_matches_and_another_card_does_not() {
    let (_dir, t) = store();
    let mut card = card();
    let identity =
        |card: &mut SoftwareCard| CardIdentity::from_reading(&t.store, read_card(card).unwrap());
    let registered = identity(&mut card);
    assert_eq!(
        match_identity(&registered, &identity(&mut card)),
        CardMatch::Same
    );

    card.renew_certificate(date(2034, 5, 16)).unwrap();
    let renewed = identity(&mut card);
    assert_eq!(renewed.certificate_expires_on, date(2034, 5, 16));
    assert_eq!(match_identity(&registered, &renewed), CardMatch::Renewed);

    // Another resident's card, with the very same dates.
    let mut other = SoftwareCard::new(SoftwareCardSpec::new(
        "CD9876543210987",
        date(2034, 5, 16),
        date(2029, 5, 16),
    ))
    .unwrap();
    assert_eq!(
        match_identity(&registered, &identity(&mut other)),
        CardMatch::Different
    );
}

fn misbehaviours() -> Vec<(Misbehaviour, CardError)> {
    use CardCommand::*;
    vec![
        (
            Misbehaviour::Status {
                command: SelectJpki,
                sw: 0x6A82,
            },
            CardError::NotMyNumberCard,
        ),
        (
            Misbehaviour::TokenLabel("JPKIAPGPSETOKEN".into()),
            CardError::PhoneTokenNeedsPin,
        ),
        (
            Misbehaviour::TokenLabel("JPKIAPIOSTOKEN".into()),
            CardError::PhoneTokenNeedsPin,
        ),
        (
            Misbehaviour::TokenLabel("JPKIAPICCTOKEN".into()),
            CardError::NotMyNumberCard,
        ),
        (
            Misbehaviour::Status {
                command: SelectCertificate,
                sw: 0x6A82,
            },
            CardError::FileNotFound,
        ),
        (
            Misbehaviour::Status {
                command: ReadCertificate,
                sw: 0x6982,
            },
            CardError::SecurityStatusNotSatisfied,
        ),
        (
            Misbehaviour::Status {
                command: SelectCommonCard,
                sw: 0x6A82,
            },
            CardError::FileNotFound,
        ),
        (
            Misbehaviour::Status {
                command: ReadRecord,
                sw: 0x6F00,
            },
            CardError::UnexpectedStatus { sw: 0x6F00 },
        ),
        // Lost in the middle of the certificate (APDUs 1–5 select and read the header, 6 reads the first chunk).
        (Misbehaviour::TagLostAfter(6), CardError::TagLost),
        (Misbehaviour::TimeoutAfter(2), CardError::Timeout),
        (
            Misbehaviour::LongerThanAnnounced,
            CardError::ResponseTooLong,
        ),
        (Misbehaviour::LongRecord, CardError::ResponseTooLong),
        (Misbehaviour::TruncatedCertificate, CardError::Truncated),
        (Misbehaviour::CorruptCertificate, CardError::BadCertificate),
        (
            Misbehaviour::Garbage(ReadCertificate),
            CardError::BadCertificate,
        ),
        (Misbehaviour::Garbage(ReadRecord), CardError::Malformed),
        (
            Misbehaviour::Garbage(ReadTokenInfo),
            CardError::NotMyNumberCard,
        ),
        (Misbehaviour::NoStatusWord(SelectJpki), CardError::Malformed),
    ]
}

#[test]
fn every_misbehaviour_gives_its_own_typed_error() {
    for (misbehaviour, expected) in misbehaviours() {
        let mut card = card().misbehaving(misbehaviour.clone());
        let error = read_card(&mut card).expect_err(&format!("{misbehaviour:?} must fail"));
        assert_eq!(error, expected, "{misbehaviour:?}");
        if let Misbehaviour::TagLostAfter(_) = misbehaviour {
            // Really mid-read: the lost command reads the certificate past its header.
            let lost = card.sent().last().unwrap();
            assert_eq!(&lost[..2], &[0x00, 0xB0]);
            assert!(u16::from_be_bytes([lost[2], lost[3]]) > 7);
        }
        assert_eq!(
            error.is_retryable(),
            matches!(error, CardError::TagLost | CardError::Timeout),
            "{misbehaviour:?}"
        );
    }
}

#[test]
fn short_reads_are_followed_to_the_end_of_the_certificate() {
    let (_dir, t) = store();
    let mut good = card();
    let expected = CardIdentity::from_reading(&t.store, read_card(&mut good).unwrap());
    good.misbehave(Misbehaviour::ShortReads(17));
    let reading = read_card(&mut good).unwrap();
    assert_eq!(CardIdentity::from_reading(&t.store, reading), expected);
    // A card that answers one byte at a time would take too many commands: refused, not followed forever.
    good.behave();
    good.misbehave(Misbehaviour::ShortReads(1));
    assert_eq!(read_card(&mut good).unwrap_err(), CardError::Truncated);
}

#[test]
fn every_card_error_is_worded_in_both_languages() {
    let mut errors: Vec<CardError> = misbehaviours().into_iter().map(|(_, e)| e).collect();
    errors.push(CardError::Io("NFC off".into()));
    errors.push(CardError::from(TransceiveError::Io("NFC off".into())));
    for error in errors {
        let ja = error.message(Locale::Ja);
        let en = error.message(Locale::En);
        assert!(
            !ja.starts_with("card-") && !en.starts_with("card-"),
            "{ja} / {en}"
        );
        assert_ne!(ja, en);
    }
    assert!(
        CardError::UnexpectedStatus { sw: 0x6F00 }
            .message(Locale::Ja)
            .contains("6F 00")
    );
    assert!(CardError::TagLost.message(Locale::Ja).contains("もう一度"));
    assert!(catalog(Locale::En).has("card-mismatch"));
}

#[test]
fn the_software_card_refuses_verify_and_unknown_applications() {
    let mut card = card();
    // VERIFY with a PIN would be refused by the card; the reader never sends it (see above).
    assert_eq!(
        card.transceive(&[0x00, 0x20, 0x00, 0x81, 0x04, b'1', b'2', b'3', b'4'])
            .unwrap(),
        vec![0x69, 0x82]
    );
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select.extend_from_slice(&CARD_INFO_INPUT_SUPPORT_AP);
    assert_eq!(card.transceive(&select).unwrap(), vec![0x6A, 0x82]);
    // Extended-length READ BINARY: wrong length.
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select.extend_from_slice(&JPKI_AP);
    assert_eq!(card.transceive(&select).unwrap(), vec![0x90, 0x00]);
    card.transceive(&protocol::select_file(protocol::AUTH_CERTIFICATE_EF))
        .unwrap();
    assert_eq!(
        card.transceive(&[0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00])
            .unwrap(),
        vec![0x67, 0x00]
    );
}
