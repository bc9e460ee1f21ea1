//! A software My Number card for tests (feature `test-support`): it answers the APDU protocol of DOMAIN.md like
//! a strict physical card, with a 利用者証明用電子証明書 generated for the test (rcgen), a chosen card serial and
//! expiry, and misbehaviours on demand. Never compiled into the apps.
//!
//! It holds no My Number and answers no VERIFY: what the reader must never ask for is simply not there.

use super::protocol::{
    AUTH_CERTIFICATE_EF, COMMON_CARD_AP, JPKI_AP, PHYSICAL_CARD_TOKEN, SW_END_OF_FILE,
    SW_FILE_NOT_FOUND, SW_OK, SW_SECURITY_STATUS, TOKEN_INFO_EF, TOKEN_INFO_LEN,
};
use super::{CardTransceiver, TransceiveError};
use chrono::{Datelike, Days, NaiveDate};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SerialNumber,
};

/// Status word: wrong length (an extended or ill-formed APDU).
const SW_WRONG_LENGTH: u16 = 0x6700;
/// Status word: no EF selected.
const SW_NO_CURRENT_EF: u16 = 0x6986;
/// Status word: offset outside the EF.
const SW_WRONG_OFFSET: u16 = 0x6B00;
/// Status word: instruction not supported.
const SW_INS_NOT_SUPPORTED: u16 = 0x6D00;
/// Status word: class not supported.
const SW_CLA_NOT_SUPPORTED: u16 = 0x6E00;
/// Status word: wrong P1-P2.
const SW_WRONG_P1P2: u16 = 0x6A86;

/// What the software card holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftwareCardSpec {
    /// The card serial (15 ASCII letters or digits).
    pub card_serial: String,
    /// The municipality code (5 digits).
    pub municipality: String,
    /// カードの有効期限.
    pub card_expires_on: NaiveDate,
    /// The certificate's notAfter date (23:59:59 JST on that day).
    pub certificate_expires_on: NaiveDate,
}

impl SoftwareCardSpec {
    /// A card with this serial and these dates, issued by Chiyoda (13101).
    pub fn new(
        card_serial: &str,
        card_expires_on: NaiveDate,
        certificate_expires_on: NaiveDate,
    ) -> Self {
        SoftwareCardSpec {
            card_serial: card_serial.to_string(),
            municipality: "13101".to_string(),
            card_expires_on,
            certificate_expires_on,
        }
    }
}

/// One of the commands the reader sends, to aim a misbehaviour at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardCommand {
    /// SELECT of the JPKI application.
    SelectJpki,
    /// SELECT of the token information EF.
    SelectTokenInfo,
    /// READ BINARY of the token information.
    ReadTokenInfo,
    /// SELECT of the authentication certificate EF.
    SelectCertificate,
    /// READ BINARY of (part of) the certificate.
    ReadCertificate,
    /// SELECT of the common card application.
    SelectCommonCard,
    /// READ RECORD 1 of the common card application.
    ReadRecord,
}

/// A way the software card misbehaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Answer `command` with this status word and no data.
    Status {
        /// The command.
        command: CardCommand,
        /// The status word.
        sw: u16,
    },
    /// Answer every READ BINARY of the certificate with at most this many bytes (legal: the reader carries on).
    ShortReads(usize),
    /// The certificate EF ends before the length its header announces.
    TruncatedCertificate,
    /// Answer the second READ BINARY of the certificate with more bytes than Le asked for.
    LongerThanAnnounced,
    /// The card leaves the field after answering this many APDUs.
    TagLostAfter(usize),
    /// The card stops answering after this many APDUs.
    TimeoutAfter(usize),
    /// Answer `command` with bytes that mean nothing, and `90 00`.
    Garbage(CardCommand),
    /// Answer `command` with a single byte: no status word.
    NoStatusWord(CardCommand),
    /// A certificate whose body is damaged (its header intact).
    CorruptCertificate,
    /// A record whose length tag announces fewer characters than it holds.
    LongRecord,
    /// This token label instead of a physical card's (e.g. `JPKIAPGPSETOKEN`, `JPKIAPIOSTOKEN`).
    TokenLabel(String),
}

/// Why the software card could not be made.
#[derive(Debug, thiserror::Error)]
#[error("could not make the test certificate: {0}")]
pub struct SoftwareCardError(String);

impl From<rcgen::Error> for SoftwareCardError {
    fn from(error: rcgen::Error) -> Self {
        SoftwareCardError(error.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Application {
    Jpki,
    CommonCard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    TokenInfo,
    Certificate,
}

/// A software My Number card answering APDUs.
pub struct SoftwareCard {
    spec: SoftwareCardSpec,
    certificate: Vec<u8>,
    misbehaviours: Vec<Misbehaviour>,
    application: Option<Application>,
    file: Option<File>,
    certificate_reads: usize,
    sent: Vec<Vec<u8>>,
}

impl SoftwareCard {
    /// A well-behaved card holding `spec`, with a fresh certificate expiring on `spec.certificate_expires_on`.
    pub fn new(spec: SoftwareCardSpec) -> Result<SoftwareCard, SoftwareCardError> {
        let certificate = make_certificate(spec.certificate_expires_on)?;
        Ok(SoftwareCard {
            spec,
            certificate,
            misbehaviours: Vec::new(),
            application: None,
            file: None,
            certificate_reads: 0,
            sent: Vec::new(),
        })
    }

    /// The same card with a misbehaviour added.
    pub fn misbehaving(mut self, misbehaviour: Misbehaviour) -> SoftwareCard {
        self.misbehave(misbehaviour);
        self
    }

    /// Add a misbehaviour.
    pub fn misbehave(&mut self, misbehaviour: Misbehaviour) {
        self.misbehaviours.push(misbehaviour);
    }

    /// Behave again.
    pub fn behave(&mut self) {
        self.misbehaviours.clear();
    }

    /// Renew the certificate (same card, same serial): a new key and certificate expiring on `expires_on`.
    pub fn renew_certificate(&mut self, expires_on: NaiveDate) -> Result<(), SoftwareCardError> {
        self.certificate = make_certificate(expires_on)?;
        self.spec.certificate_expires_on = expires_on;
        Ok(())
    }

    /// What the card holds.
    pub fn spec(&self) -> &SoftwareCardSpec {
        &self.spec
    }

    /// The certificate's DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    /// Every APDU sent to the card, in order.
    pub fn sent(&self) -> &[Vec<u8>] {
        &self.sent
    }

    fn has(&self, wanted: impl Fn(&Misbehaviour) -> bool) -> bool {
        self.misbehaviours.iter().any(wanted)
    }

    /// The record 1 of the common card AP.
    fn record(&self) -> Vec<u8> {
        let mut record = vec![0x01, 0x1C];
        record.extend_from_slice(self.spec.card_serial.as_bytes());
        record.extend_from_slice(self.spec.municipality.as_bytes());
        record.extend_from_slice(
            self.spec
                .card_expires_on
                .format("%Y%m%d")
                .to_string()
                .as_bytes(),
        );
        if self.has(|m| *m == Misbehaviour::LongRecord) {
            record.extend_from_slice(b"0000");
        }
        record
    }

    fn token_info(&self) -> Vec<u8> {
        let label = self
            .misbehaviours
            .iter()
            .find_map(|m| match m {
                Misbehaviour::TokenLabel(label) => Some(label.as_str()),
                _ => None,
            })
            .unwrap_or(PHYSICAL_CARD_TOKEN);
        let mut info = label.as_bytes().to_vec();
        info.resize(usize::from(TOKEN_INFO_LEN), b' ');
        info
    }

    fn certificate_file(&self) -> Vec<u8> {
        let mut file = self.certificate.clone();
        if self.has(|m| *m == Misbehaviour::TruncatedCertificate) {
            file.truncate(file.len() / 2);
        }
        if self.has(|m| *m == Misbehaviour::CorruptCertificate) {
            for byte in file.iter_mut().skip(8).take(24) {
                *byte ^= 0x5A;
            }
        }
        file
    }

    /// Which of the reader's commands `apdu` is, if any.
    fn command(&self, apdu: &[u8]) -> Option<CardCommand> {
        match apdu {
            [0x00, 0xA4, 0x04, 0x0C, 0x0A, aid @ ..] if aid == JPKI_AP => {
                Some(CardCommand::SelectJpki)
            }
            [0x00, 0xA4, 0x04, 0x0C, 0x0A, aid @ ..] if aid == COMMON_CARD_AP => {
                Some(CardCommand::SelectCommonCard)
            }
            [0x00, 0xA4, 0x02, 0x0C, 0x02, a, b] if [*a, *b] == TOKEN_INFO_EF => {
                Some(CardCommand::SelectTokenInfo)
            }
            [0x00, 0xA4, 0x02, 0x0C, 0x02, a, b] if [*a, *b] == AUTH_CERTIFICATE_EF => {
                Some(CardCommand::SelectCertificate)
            }
            [0x00, 0xB0, ..] => match self.file {
                Some(File::TokenInfo) => Some(CardCommand::ReadTokenInfo),
                Some(File::Certificate) => Some(CardCommand::ReadCertificate),
                None => None,
            },
            [0x00, 0xB2, ..] => Some(CardCommand::ReadRecord),
            _ => None,
        }
    }

    /// The card's honest answer to `apdu`.
    fn answer(&mut self, apdu: &[u8]) -> Vec<u8> {
        let status = |sw: u16| sw.to_be_bytes().to_vec();
        let [cla, ins, p1, p2, body @ ..] = apdu else {
            return status(SW_WRONG_LENGTH);
        };
        if *cla != 0x00 {
            return status(SW_CLA_NOT_SUPPORTED);
        }
        match ins {
            0xA4 => {
                // Short case 3 only: Lc, then exactly Lc bytes, no Le.
                let [lc, data @ ..] = body else {
                    return status(SW_WRONG_LENGTH);
                };
                if *lc == 0 || usize::from(*lc) != data.len() {
                    return status(SW_WRONG_LENGTH);
                }
                match (p1, p2) {
                    (0x04, 0x0C) => {
                        self.file = None;
                        self.application = if data == JPKI_AP {
                            Some(Application::Jpki)
                        } else if data == COMMON_CARD_AP {
                            Some(Application::CommonCard)
                        } else {
                            return status(SW_FILE_NOT_FOUND);
                        };
                        status(SW_OK)
                    }
                    (0x02, 0x0C) => {
                        self.file = match (self.application, data) {
                            (Some(Application::Jpki), ef) if ef == TOKEN_INFO_EF => {
                                Some(File::TokenInfo)
                            }
                            (Some(Application::Jpki), ef) if ef == AUTH_CERTIFICATE_EF => {
                                Some(File::Certificate)
                            }
                            _ => return status(SW_FILE_NOT_FOUND),
                        };
                        status(SW_OK)
                    }
                    _ => status(SW_WRONG_P1P2),
                }
            }
            0xB0 => {
                // Short case 2 only: exactly one Le byte; bit 8 of P1 clear (an offset, not a short EF id).
                let [le] = body else {
                    return status(SW_WRONG_LENGTH);
                };
                if p1 & 0x80 != 0 {
                    return status(SW_WRONG_P1P2);
                }
                let contents = match self.file {
                    Some(File::TokenInfo) => self.token_info(),
                    Some(File::Certificate) => self.certificate_file(),
                    None => return status(SW_NO_CURRENT_EF),
                };
                let offset = usize::from(u16::from_be_bytes([*p1, *p2]));
                if offset > contents.len() {
                    return status(SW_WRONG_OFFSET);
                }
                let mut le = if *le == 0 { 256 } else { usize::from(*le) };
                if self.file == Some(File::Certificate) {
                    self.certificate_reads += 1;
                    for m in &self.misbehaviours {
                        if let Misbehaviour::ShortReads(max) = m {
                            le = le.min((*max).max(1));
                        }
                    }
                    if self.certificate_reads == 2
                        && self.has(|m| *m == Misbehaviour::LongerThanAnnounced)
                    {
                        le += 16;
                    }
                }
                let end = (offset + le).min(contents.len());
                let mut answer = contents[offset..end].to_vec();
                if self.certificate_reads == 2
                    && self.file == Some(File::Certificate)
                    && self.has(|m| *m == Misbehaviour::LongerThanAnnounced)
                {
                    // Pad beyond the end of the file, if need be, so the answer is really too long.
                    answer.resize(le, 0);
                }
                let sw = if answer.len() < le {
                    SW_END_OF_FILE
                } else {
                    SW_OK
                };
                answer.extend_from_slice(&status(sw));
                answer
            }
            0xB2 => {
                let [le] = body else {
                    return status(SW_WRONG_LENGTH);
                };
                if self.application != Some(Application::CommonCard) {
                    return status(SW_NO_CURRENT_EF);
                }
                if (*p1, *p2, *le) != (0x01, 0x0C, 0x00) {
                    return status(SW_FILE_NOT_FOUND);
                }
                let mut answer = self.record();
                answer.extend_from_slice(&status(SW_OK));
                answer
            }
            // VERIFY, and anything that would need a PIN: refused. The reader must never send it anyway.
            0x20 | 0x2A | 0x88 => status(SW_SECURITY_STATUS),
            _ => status(SW_INS_NOT_SUPPORTED),
        }
    }
}

impl CardTransceiver for SoftwareCard {
    fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransceiveError> {
        let answered = self.sent.len();
        self.sent.push(apdu.to_vec());
        for m in &self.misbehaviours {
            match m {
                Misbehaviour::TagLostAfter(n) if answered >= *n => {
                    return Err(TransceiveError::TagLost);
                }
                Misbehaviour::TimeoutAfter(n) if answered >= *n => {
                    return Err(TransceiveError::Timeout);
                }
                _ => {}
            }
        }
        let command = self.command(apdu);
        let mut answer = self.answer(apdu);
        for m in &self.misbehaviours {
            match m {
                Misbehaviour::Status { command: c, sw } if Some(*c) == command => {
                    answer = sw.to_be_bytes().to_vec();
                }
                Misbehaviour::Garbage(c) if Some(*c) == command => {
                    answer = vec![0x13, 0x37, 0xC0, 0xFF, 0xEE, 0x42, 0x00, 0x90, 0x00];
                }
                Misbehaviour::NoStatusWord(c) if Some(*c) == command => {
                    answer = vec![0x90];
                }
                _ => {}
            }
        }
        Ok(answer)
    }
}

/// A 利用者証明用電子証明書 look-alike: an opaque subject, issued by a test "JPKI" CA, notAfter 23:59:59 JST on
/// `expires_on` (14:59:59Z), notBefore five years earlier. ECDSA P-256 rather than RSA-2048 (rcgen with ring
/// cannot make RSA keys); the reader never looks at the key.
fn make_certificate(expires_on: NaiveDate) -> Result<Vec<u8>, SoftwareCardError> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name.push(DnType::CountryName, "JP");
    ca.distinguished_name.push(DnType::OrganizationName, "JPKI");
    ca.distinguished_name.push(
        DnType::OrganizationalUnitName,
        "JPKI for user authentication",
    );
    ca.distinguished_name.push(
        DnType::CommonName,
        "Japan Agency for Local Authority Information Systems (test)",
    );
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CountryName, "JP");
    let mut opaque = [0u8; 12];
    crate::crypto::fill_random(&mut opaque).map_err(|e| SoftwareCardError(e.to_string()))?;
    let opaque: String = opaque.iter().map(|b| format!("{b:02X}")).collect();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{opaque}A"));
    let mut serial = [0u8; 8];
    crate::crypto::fill_random(&mut serial).map_err(|e| SoftwareCardError(e.to_string()))?;
    serial[0] = (serial[0] & 0x7F) | 0x01;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    let not_before = expires_on
        .checked_sub_days(Days::new(5 * 365))
        .unwrap_or(expires_on);
    params.not_before = rcgen::date_time_ymd(
        not_before.year(),
        not_before.month() as u8,
        not_before.day() as u8,
    );
    // 23:59:59 in Tokyo is 14:59:59 UTC of the same day.
    params.not_after = rcgen::date_time_ymd(
        expires_on.year(),
        expires_on.month() as u8,
        expires_on.day() as u8,
    ) + std::time::Duration::from_secs(14 * 3600 + 59 * 60 + 59);
    let certificate = params.signed_by(&key, &issuer)?;
    Ok(certificate.der().to_vec())
}
