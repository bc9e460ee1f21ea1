//! The conversation with the card: exactly the commands of DOMAIN.md, in order, and nothing else.

use super::protocol::{
    self, AUTH_CERTIFICATE_EF, CERTIFICATE_HEADER_LEN, COMMON_CARD_AP, JPKI_AP, MAX_CHUNK,
    SW_END_OF_FILE, SW_OK, TOKEN_INFO_EF, TOKEN_INFO_LEN,
};
use super::{CardError, CardTransceiver};
use chrono::NaiveDate;
use zeroize::Zeroizing;

/// At most this many READ BINARY commands for the certificate: enough for a card that answers in short pieces,
/// few enough that a hostile tag cannot keep the phone busy.
const MAX_CERTIFICATE_READS: usize = 128;

/// What was read from a card, in memory only, for as long as it takes to hash it.
///
/// It holds the card serial and the certificate in clear, so it is never stored, never printed (its `Debug`
/// shows only the dates), zeroized when dropped, and consumed by [`super::CardIdentity::from_reading`].
pub struct CardReading {
    pub(super) card_serial: Zeroizing<String>,
    pub(super) certificate: Zeroizing<Vec<u8>>,
    card_expires_on: NaiveDate,
    certificate_expires_on: NaiveDate,
}

impl CardReading {
    /// カードの有効期限 (10th birthday after issue), from the common card AP.
    pub fn card_expires_on(&self) -> NaiveDate {
        self.card_expires_on
    }

    /// 利用者証明用電子証明書の有効期限 (5th birthday after issue): the certificate's notAfter, in Asia/Tokyo.
    pub fn certificate_expires_on(&self) -> NaiveDate {
        self.certificate_expires_on
    }
}

impl std::fmt::Debug for CardReading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardReading")
            .field("card_serial", &"<redacted>")
            .field("certificate", &"<redacted>")
            .field("card_expires_on", &self.card_expires_on)
            .field("certificate_expires_on", &self.certificate_expires_on)
            .finish()
    }
}

/// Read a tapped card: select the JPKI application, check that the token is a physical card, read the
/// authentication certificate in short READ BINARY chunks and parse its notAfter, then select the common card
/// application and read record 1 for the card serial and expiry.
///
/// No PIN is ever sent (no VERIFY), and the 券面事項入力補助AP, which holds the 12-digit My Number, is never
/// selected: the My Number is never read.
pub fn read_card(card: &mut dyn CardTransceiver) -> Result<CardReading, CardError> {
    let mut channel = Channel { card };

    // 公的個人認証AP: a card without it is not a My Number card.
    let (_, sw) = channel.exchange(&protocol::select_application(&JPKI_AP))?;
    if sw != SW_OK {
        return Err(CardError::NotMyNumberCard);
    }

    channel.select(TOKEN_INFO_EF)?;
    let token = channel.read_binary(0, TOKEN_INFO_LEN)?;
    protocol::check_token(&token)?;

    channel.select(AUTH_CERTIFICATE_EF)?;
    let certificate = channel.read_certificate()?;
    let facts = protocol::parse_certificate(&certificate)?;

    let (_, sw) = channel.exchange(&protocol::select_application(&COMMON_CARD_AP))?;
    if sw != SW_OK {
        return Err(protocol::status_error(sw));
    }
    let (record, sw) = channel.exchange(&protocol::read_record_1())?;
    if sw != SW_OK {
        return Err(protocol::status_error(sw));
    }
    let record = protocol::parse_common_record(&record)?;

    Ok(CardReading {
        card_serial: record.card_serial,
        certificate,
        card_expires_on: record.card_expires_on,
        certificate_expires_on: facts.expires_on,
    })
}

/// The card, as seen by the reader: every answer is zeroized once looked at.
struct Channel<'a> {
    card: &'a mut dyn CardTransceiver,
}

impl Channel<'_> {
    /// Send one command; its answer's data (zeroized on drop) and status word.
    fn exchange(&mut self, apdu: &[u8]) -> Result<(Zeroizing<Vec<u8>>, u16), CardError> {
        let response = Zeroizing::new(self.card.transceive(apdu)?);
        let (data, sw) = protocol::split_status(&response)?;
        Ok((Zeroizing::new(data.to_vec()), sw))
    }

    /// Select an EF of the current application.
    fn select(&mut self, ef: [u8; 2]) -> Result<(), CardError> {
        let (_, sw) = self.exchange(&protocol::select_file(ef))?;
        if sw != SW_OK {
            return Err(protocol::status_error(sw));
        }
        Ok(())
    }

    /// Read up to `le` bytes at `offset` of the current EF. A card may answer with fewer bytes; never more.
    fn read_binary(&mut self, offset: usize, le: u8) -> Result<Zeroizing<Vec<u8>>, CardError> {
        let apdu = protocol::read_binary(offset, le).ok_or(CardError::BadCertificate)?;
        let (data, sw) = self.exchange(&apdu)?;
        if sw != SW_OK && sw != SW_END_OF_FILE {
            return Err(protocol::status_error(sw));
        }
        if data.len() > usize::from(le) {
            return Err(CardError::ResponseTooLong);
        }
        Ok(data)
    }

    /// Read the certificate of the current EF: its header first, then the announced rest in short chunks.
    fn read_certificate(&mut self) -> Result<Zeroizing<Vec<u8>>, CardError> {
        let header = self.read_binary(0, CERTIFICATE_HEADER_LEN)?;
        let total = protocol::certificate_length(&header)?;
        let mut der = Zeroizing::new(Vec::with_capacity(total));
        der.extend_from_slice(&header);
        let mut reads = 1;
        while der.len() < total {
            if reads >= MAX_CERTIFICATE_READS {
                return Err(CardError::Truncated);
            }
            let wanted = (total - der.len()).min(usize::from(MAX_CHUNK));
            // `wanted` is between 1 and 255 here.
            let le = u8::try_from(wanted).map_err(|_| CardError::BadCertificate)?;
            let chunk = self.read_binary(der.len(), le)?;
            reads += 1;
            if chunk.is_empty() {
                return Err(CardError::Truncated);
            }
            der.extend_from_slice(&chunk);
        }
        Ok(der)
    }
}
