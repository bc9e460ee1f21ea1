//! The bytes of the conversation with the card: the few command APDUs we ever send, and pure parsers for the
//! card's answers. Nothing here talks to a card; [`super::read_card`] does, and every parser here is a plain
//! function of bytes, so it can be tested and fuzzed without a reader.
//!
//! Only short APDUs (ISO/IEC 7816-4 cases 2 and 3) are built: one-byte Lc and Le, offsets below `0x8000` in
//! P1-P2 (bit 8 of P1 set would mean "short EF identifier" instead of an offset).

use super::CardError;
use chrono::{DateTime, NaiveDate, Utc};
use zeroize::Zeroizing;

/// AID of the JPKI application (公的個人認証AP).
pub const JPKI_AP: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

/// AID of the common card application (共通データ要素AP): card serial, municipality, card expiry.
pub const COMMON_CARD_AP: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];

/// EF of the JPKI application holding the token information (which kind of token this is).
pub const TOKEN_INFO_EF: [u8; 2] = [0x00, 0x06];

/// EF of the JPKI application holding the 利用者証明用電子証明書 (authentication certificate), readable without a PIN.
pub const AUTH_CERTIFICATE_EF: [u8; 2] = [0x00, 0x0A];

/// How many bytes of token information are read.
pub const TOKEN_INFO_LEN: u8 = 0x20;

/// How many bytes of the certificate are read first: the DER header and a little more.
pub const CERTIFICATE_HEADER_LEN: u8 = 7;

/// The largest chunk asked for in one READ BINARY (a short Le).
pub const MAX_CHUNK: u8 = 0xFF;

/// The smallest certificate length accepted: a `30 82 LL LL` header announces at least 256 bytes of content.
pub const MIN_CERTIFICATE_LEN: usize = 4 + 0x100;

/// The largest certificate length accepted. A real 利用者証明用電子証明書 is about 1,600 bytes; anything beyond this
/// is not a certificate we would read, and refusing it early bounds what a hostile tag can make us allocate.
pub const MAX_CERTIFICATE_LEN: usize = 0x2000;

/// Token label of a physical My Number card.
pub const PHYSICAL_CARD_TOKEN: &str = "JPKIAPICCTOKEN2";

/// Token labels of the phone-based 電子証明書 (Android, iPhone): they need a PIN, so they are not supported.
pub const PHONE_TOKENS: [&str; 2] = ["JPKIAPGPSETOKEN", "JPKIAPIOSTOKEN"];

/// Status word: success.
pub const SW_OK: u16 = 0x9000;
/// Status word: end of file reached before Le bytes (the data that exists is returned).
pub const SW_END_OF_FILE: u16 = 0x6282;
/// Status word: file or application not found.
pub const SW_FILE_NOT_FOUND: u16 = 0x6A82;
/// Status word: security status not satisfied (the file needs a PIN).
pub const SW_SECURITY_STATUS: u16 = 0x6982;

/// The length of the common card AP's record 1: tag `01`, length `1C`, 28 ASCII characters.
pub const COMMON_RECORD_LEN: usize = 2 + 0x1C;

/// `SELECT` of an application by AID, no answer data (P2 = `0C`).
pub fn select_application(aid: &[u8; 10]) -> Vec<u8> {
    let mut apdu = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    apdu.extend_from_slice(aid);
    apdu
}

/// `SELECT` of an elementary file of the current application by its id, no answer data.
pub fn select_file(ef: [u8; 2]) -> Vec<u8> {
    vec![0x00, 0xA4, 0x02, 0x0C, 0x02, ef[0], ef[1]]
}

/// `READ BINARY` of `le` bytes (1..=255) at `offset` (below `0x8000`) of the current EF. `None` if either is
/// out of range for a short APDU.
pub fn read_binary(offset: usize, le: u8) -> Option<Vec<u8>> {
    if offset >= 0x8000 || le == 0 {
        return None;
    }
    let [p1, p2] = (offset as u16).to_be_bytes();
    Some(vec![0x00, 0xB0, p1, p2, le])
}

/// `READ RECORD` of record 1 of the common card AP's file (short EF 1, P2 = `0C`), Le = `00`.
pub fn read_record_1() -> Vec<u8> {
    vec![0x00, 0xB2, 0x01, 0x0C, 0x00]
}

/// Split a response APDU into data and status word.
pub fn split_status(response: &[u8]) -> Result<(&[u8], u16), CardError> {
    match response {
        [data @ .., sw1, sw2] => Ok((data, u16::from_be_bytes([*sw1, *sw2]))),
        _ => Err(CardError::Malformed),
    }
}

/// The error a status word other than success means.
pub fn status_error(sw: u16) -> CardError {
    match sw {
        SW_FILE_NOT_FOUND => CardError::FileNotFound,
        SW_SECURITY_STATUS => CardError::SecurityStatusNotSatisfied,
        other => CardError::UnexpectedStatus { sw: other },
    }
}

/// Check the token information: a physical card, not a phone token and not some other JPKI token (e.g. the old
/// 住基カード's `JPKIAPICCTOKEN`, or bytes that name no token at all).
pub fn check_token(info: &[u8]) -> Result<(), CardError> {
    if info.len() > usize::from(TOKEN_INFO_LEN) {
        return Err(CardError::ResponseTooLong);
    }
    let end = info
        .iter()
        .rposition(|b| *b != b' ' && *b != 0)
        .map_or(0, |i| i + 1);
    let label = &info[..end];
    if label == PHYSICAL_CARD_TOKEN.as_bytes() {
        Ok(())
    } else if PHONE_TOKENS.iter().any(|t| label == t.as_bytes()) {
        Err(CardError::PhoneTokenNeedsPin)
    } else {
        Err(CardError::NotMyNumberCard)
    }
}

/// The total length of the certificate announced by its first bytes (`30 82 LL LL …`: 4 + `LLLL`), checked to
/// be a length a real card could hold.
pub fn certificate_length(header: &[u8]) -> Result<usize, CardError> {
    match header {
        [0x30, 0x82, high, low, ..] => {
            let total = 4 + usize::from(u16::from_be_bytes([*high, *low]));
            if (MIN_CERTIFICATE_LEN..=MAX_CERTIFICATE_LEN).contains(&total) {
                Ok(total)
            } else {
                Err(CardError::BadCertificate)
            }
        }
        [0x30, 0x82, ..] | [0x30] | [] => Err(CardError::Truncated),
        _ => Err(CardError::BadCertificate),
    }
}

/// What the certificate tells us: when it expires. Its serial is checked to be there, and not kept: the
/// certificate's fingerprint identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateFacts {
    /// notAfter as a date in Asia/Tokyo (23:59:59 JST, i.e. 14:59:59Z, is still that day).
    pub expires_on: NaiveDate,
}

/// Parse the DER of the authentication certificate. Its signature is deliberately not verified (see the module
/// documentation of [`crate::card`]).
pub fn parse_certificate(der: &[u8]) -> Result<CertificateFacts, CardError> {
    let (rest, certificate) =
        x509_parser::parse_x509_certificate(der).map_err(|_| CardError::BadCertificate)?;
    if !rest.is_empty() || certificate.raw_serial().is_empty() {
        return Err(CardError::BadCertificate);
    }
    let not_after = certificate.validity().not_after.timestamp();
    let expires_on = DateTime::<Utc>::from_timestamp(not_after, 0)
        .ok_or(CardError::BadCertificate)?
        .with_timezone(&crate::clock::tokyo())
        .date_naive();
    Ok(CertificateFacts { expires_on })
}

/// Record 1 of the common card AP: the card serial (kept only until it is hashed) and the card's expiry.
pub struct CommonRecord {
    /// The card serial number (15 characters).
    pub card_serial: Zeroizing<String>,
    /// カードの有効期限.
    pub card_expires_on: NaiveDate,
}

/// Parse record 1 of the common card AP: `01 1C` then 28 ASCII characters: card serial (15, letters or digits),
/// municipality code (5 digits, not kept) and card expiry `YYYYMMDD`.
pub fn parse_common_record(record: &[u8]) -> Result<CommonRecord, CardError> {
    if record.len() > COMMON_RECORD_LEN {
        return Err(CardError::ResponseTooLong);
    }
    let [0x01, 0x1C, body @ ..] = record else {
        return Err(if record.len() < 2 {
            CardError::Truncated
        } else {
            CardError::Malformed
        });
    };
    if body.len() < 0x1C {
        return Err(CardError::Truncated);
    }
    let (serial, rest) = body.split_at(15);
    let (municipality, expiry) = rest.split_at(5);
    if !serial.iter().all(u8::is_ascii_alphanumeric)
        || !municipality.iter().all(u8::is_ascii_digit)
        || !expiry.iter().all(u8::is_ascii_digit)
    {
        return Err(CardError::Malformed);
    }
    let expiry = std::str::from_utf8(expiry).map_err(|_| CardError::Malformed)?;
    let card_expires_on =
        NaiveDate::parse_from_str(expiry, "%Y%m%d").map_err(|_| CardError::Malformed)?;
    let card_serial = Zeroizing::new(
        std::str::from_utf8(serial)
            .map_err(|_| CardError::Malformed)?
            .to_string(),
    );
    Ok(CommonRecord {
        card_serial,
        card_expires_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_bytes_of_the_domain_description() {
        assert_eq!(
            select_application(&JPKI_AP),
            [
                0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
                0x01
            ]
        );
        assert_eq!(
            select_file(TOKEN_INFO_EF),
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06]
        );
        assert_eq!(
            read_binary(0, TOKEN_INFO_LEN).unwrap(),
            [0x00, 0xB0, 0x00, 0x00, 0x20]
        );
        assert_eq!(
            read_binary(0x0107, 0xFF).unwrap(),
            [0x00, 0xB0, 0x01, 0x07, 0xFF]
        );
        assert_eq!(read_binary(0x8000, 1), None);
        assert_eq!(read_record_1(), [0x00, 0xB2, 0x01, 0x0C, 0x00]);
    }

    #[test]
    fn token_labels_are_told_apart() {
        assert!(check_token(b"JPKIAPICCTOKEN2                 ").is_ok());
        assert!(matches!(
            check_token(b"JPKIAPGPSETOKEN                 "),
            Err(CardError::PhoneTokenNeedsPin)
        ));
        assert!(matches!(
            check_token(b"JPKIAPIOSTOKEN\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            Err(CardError::PhoneTokenNeedsPin)
        ));
        assert!(matches!(
            check_token(b"JPKIAPICCTOKEN                  "),
            Err(CardError::NotMyNumberCard)
        ));
        assert!(matches!(
            check_token(b"JPKI"),
            Err(CardError::NotMyNumberCard)
        ));
        assert!(matches!(
            check_token(&[b' '; 33]),
            Err(CardError::ResponseTooLong)
        ));
    }

    #[test]
    fn certificate_lengths_outside_what_a_card_holds_are_refused() {
        assert_eq!(
            certificate_length(&[0x30, 0x82, 0x06, 0x21, 0x30, 0x82, 0x05]).unwrap(),
            1573
        );
        assert!(matches!(
            certificate_length(&[0x30, 0x82, 0xFF, 0xFF, 0, 0, 0]),
            Err(CardError::BadCertificate)
        ));
        assert!(matches!(
            certificate_length(&[0x30, 0x82, 0x00, 0x10, 0, 0, 0]),
            Err(CardError::BadCertificate)
        ));
        assert!(matches!(
            certificate_length(&[0x30, 0x81, 0x80, 0, 0, 0, 0]),
            Err(CardError::BadCertificate)
        ));
        assert!(matches!(
            certificate_length(&[0x30, 0x82]),
            Err(CardError::Truncated)
        ));
    }

    #[test]
    fn the_common_record_gives_serial_and_card_expiry() {
        let record = b"\x01\x1CAB123456789012313101"
            .iter()
            .chain(b"20340516")
            .copied()
            .collect::<Vec<_>>();
        let parsed = parse_common_record(&record).unwrap();
        assert_eq!(parsed.card_serial.as_str(), "AB1234567890123");
        assert_eq!(
            parsed.card_expires_on,
            NaiveDate::from_ymd_opt(2034, 5, 16).unwrap()
        );
        assert!(matches!(
            parse_common_record(&record[..20]),
            Err(CardError::Truncated)
        ));
        let mut longer = record.clone();
        longer.push(b'0');
        assert!(matches!(
            parse_common_record(&longer),
            Err(CardError::ResponseTooLong)
        ));
        let mut bad_date = record.clone();
        bad_date[COMMON_RECORD_LEN - 4..].copy_from_slice(b"1332");
        assert!(matches!(
            parse_common_record(&bad_date),
            Err(CardError::Malformed)
        ));
        assert!(matches!(split_status(&[0x90]), Err(CardError::Malformed)));
    }
}
