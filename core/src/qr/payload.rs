//! The label payload: its bytes, its text form, parsing and offline verification.

use super::QrError;
use super::key::{LabelSigner, label_signature_is_valid};
use crate::custody::CustodyState;
use crate::model::{FacilityId, LockerId};
use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use uuid::Uuid;

/// The payload format version this build writes and reads.
pub const LABEL_FORMAT_VERSION: u8 = 1;

/// What every label signature covers before the payload bytes, so a label signature can never be mistaken for a
/// signature of anything else.
pub const LABEL_SIGNATURE_CONTEXT: &[u8] = b"azukari/label/v1";

/// The path of label URLs on the hub: `https://<hub host>/l/<payload>`.
pub const LABEL_URL_PATH: &str = "/l/";

/// Version, facility id, locker id and serial: the signed part.
const SIGNED_LEN: usize = 1 + 16 + 16 + 4;
/// The whole version-1 payload: the signed part and the Ed25519 signature.
pub const LABEL_PAYLOAD_LEN: usize = SIGNED_LEN + 64;
/// Longer texts are refused before decoding, so a hostile code costs no more work than a real one.
const MAX_ENCODED_LEN: usize = 1024;

/// base64url without padding; decoding accepts stray bits in the last symbol (a truncated text ends anywhere).
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A locker label: which facility, which locker, which label of that locker, and the facility's signature.
///
/// Bytes: version (1) ‖ facility id (16) ‖ locker id (16) ‖ serial (u32, big-endian) ‖ Ed25519 signature (64)
/// over [`LABEL_SIGNATURE_CONTEXT`] ‖ the 37 bytes before it. Text: those 101 bytes in base64url without padding
/// (135 characters), in the URL `https://<hub host>/l/<payload>` so a phone's camera opens the app by deep link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPayload {
    /// The facility whose label it is.
    pub facility: FacilityId,
    /// The locker it is stuck on.
    pub locker: LockerId,
    /// Which label of the locker (1 for the first; each new label supersedes the earlier ones).
    pub serial: u32,
    signature: [u8; 64],
}

impl LabelPayload {
    /// Sign a label for `locker` with the facility's label key.
    pub fn sign(
        signer: &LabelSigner,
        facility: FacilityId,
        locker: LockerId,
        serial: u32,
    ) -> LabelPayload {
        let mut payload = LabelPayload {
            facility,
            locker,
            serial,
            signature: [0; 64],
        };
        payload.signature = signer.sign(&payload.signed_message());
        payload
    }

    /// The Ed25519 signature.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// The payload's bytes (see the type's documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.signed_part().to_vec();
        bytes.extend_from_slice(&self.signature);
        bytes
    }

    /// The payload as base64url text without padding.
    pub fn encode(&self) -> String {
        BASE64URL.encode(self.to_bytes())
    }

    /// The label's URL on the hub `host` (e.g. `azukari.example.jp`), as printed in the QR code.
    pub fn url(&self, host: &str) -> String {
        format!("https://{host}{LABEL_URL_PATH}{}", self.encode())
    }

    /// Parse what a camera read. Pure: needs no state, never panics, and does work bounded by a small constant
    /// whatever the input. Checks the form only; [`LabelPayload::verify`] checks the signature and the ledger.
    pub fn parse(text: &str) -> Result<LabelPayload, QrError> {
        let text = text.trim();
        let rest = text.strip_prefix("https://").ok_or(QrError::NotALabel)?;
        let (host, encoded) = rest.split_once(LABEL_URL_PATH).ok_or(QrError::NotALabel)?;
        if !is_host(host) {
            return Err(QrError::NotALabel);
        }
        let encoded = encoded.strip_suffix('/').unwrap_or(encoded);
        if encoded.len() > MAX_ENCODED_LEN
            || !encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(QrError::NotALabel);
        }
        // A text cut after the first sextet of a byte holds no whole byte more: drop that last symbol.
        let whole = if encoded.len() % 4 == 1 {
            &encoded[..encoded.len() - 1]
        } else {
            encoded
        };
        let bytes = BASE64URL.decode(whole).map_err(|_| QrError::NotALabel)?;
        let Some(&version) = bytes.first() else {
            return Err(QrError::Truncated);
        };
        if version != LABEL_FORMAT_VERSION {
            return Err(QrError::UnsupportedVersion(version));
        }
        if bytes.len() < LABEL_PAYLOAD_LEN {
            return Err(QrError::Truncated);
        }
        if bytes.len() > LABEL_PAYLOAD_LEN {
            return Err(QrError::NotALabel);
        }
        let id = |range: std::ops::Range<usize>| -> Result<Uuid, QrError> {
            Uuid::from_slice(&bytes[range]).map_err(|_| QrError::NotALabel)
        };
        let serial: [u8; 4] = bytes[33..37].try_into().map_err(|_| QrError::NotALabel)?;
        let signature: [u8; 64] = bytes[SIGNED_LEN..]
            .try_into()
            .map_err(|_| QrError::NotALabel)?;
        Ok(LabelPayload {
            facility: FacilityId(id(1..17)?),
            locker: LockerId(id(17..33)?),
            serial: u32::from_be_bytes(serial),
            signature,
        })
    }

    /// Verify the label offline against what this device's ledger says, and name its locker. In order: the
    /// facility, the signature against the facility's label key, the locker, then revocation and supersession. A
    /// label newer than any this device has seen issued is accepted: its signature proves the facility issued it,
    /// and the issue reaches this device at the next sync.
    pub fn verify(&self, state: &CustodyState) -> Result<LockerId, QrError> {
        if state.facility.as_ref().map(|f| f.id) != Some(self.facility) {
            return Err(QrError::OtherFacility);
        }
        let key = state.label_key.as_ref().ok_or(QrError::NoLabelKey)?;
        if !label_signature_is_valid(key, &self.signed_message(), &self.signature) {
            return Err(QrError::Tampered);
        }
        if !state.lockers.contains_key(&self.locker) {
            return Err(QrError::UnknownLocker);
        }
        if let Some(record) = state.labels.get(&self.locker) {
            if record.revoked.contains(&self.serial) {
                return Err(QrError::Revoked {
                    serial: self.serial,
                });
            }
            if self.serial < record.current {
                return Err(QrError::Superseded {
                    serial: self.serial,
                    current: record.current,
                });
            }
        }
        Ok(self.locker)
    }

    fn signed_part(&self) -> [u8; SIGNED_LEN] {
        let mut bytes = [0u8; SIGNED_LEN];
        bytes[0] = LABEL_FORMAT_VERSION;
        bytes[1..17].copy_from_slice(self.facility.as_bytes());
        bytes[17..33].copy_from_slice(self.locker.as_bytes());
        bytes[33..37].copy_from_slice(&self.serial.to_be_bytes());
        bytes
    }

    fn signed_message(&self) -> Vec<u8> {
        let mut message = LABEL_SIGNATURE_CONTEXT.to_vec();
        message.extend_from_slice(&self.signed_part());
        message
    }
}

/// Whether `host` can be the host (and port) of a label URL: letters, digits, dots, hyphens, a colon and
/// brackets for a port or an IPv6 address; nothing that would start a path, query or user part.
pub(crate) fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label() -> LabelPayload {
        let signer = LabelSigner::make_random().unwrap();
        LabelPayload::sign(&signer, FacilityId::random(), LockerId::random(), 7)
    }

    #[test]
    fn a_label_survives_its_url_and_has_the_documented_shape() {
        let label = label();
        let url = label.url("hub.example.jp");
        assert!(url.starts_with("https://hub.example.jp/l/"));
        assert_eq!(label.encode().len(), 135);
        let bytes = label.to_bytes();
        assert_eq!(bytes.len(), LABEL_PAYLOAD_LEN);
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..17], label.facility.as_bytes());
        assert_eq!(&bytes[17..33], label.locker.as_bytes());
        assert_eq!(&bytes[33..37], &[0, 0, 0, 7]);
        assert_eq!(LabelPayload::parse(&url), Ok(label.clone()));
        assert_eq!(LabelPayload::parse(&format!(" {url}/\n")), Ok(label));
    }

    #[test]
    fn every_cut_of_a_label_is_truncated_and_nothing_panics() {
        let url = label().url("hub.example.jp");
        let start = url.find("/l/").unwrap() + 3;
        for end in start..url.len() {
            assert_eq!(
                LabelPayload::parse(&url[..end]),
                Err(QrError::Truncated),
                "cut at {end}"
            );
        }
    }

    #[test]
    fn texts_that_are_not_labels_are_refused_as_such() {
        for text in [
            "",
            "hello",
            "https://",
            "https://hub.example.jp/",
            "https:///l/AQ",
            "http://hub.example.jp/l/AQ",
            "https://hub.example.jp/x/l/AQ",
            "https://hub.example.jp/l/AQ?x=1",
            "https://hub.example.jp/l/あ",
        ] {
            assert_eq!(LabelPayload::parse(text), Err(QrError::NotALabel), "{text}");
        }
        let too_long = format!("{}A", label().url("h"));
        assert_eq!(LabelPayload::parse(&too_long), Err(QrError::NotALabel));
        let huge = format!("https://h/l/{}", "A".repeat(100_000));
        assert_eq!(LabelPayload::parse(&huge), Err(QrError::NotALabel));
    }

    #[test]
    fn a_label_of_another_format_version_is_named_as_such() {
        let mut bytes = label().to_bytes();
        bytes[0] = 2;
        let text = format!("https://h/l/{}", BASE64URL.encode(&bytes));
        assert_eq!(
            LabelPayload::parse(&text),
            Err(QrError::UnsupportedVersion(2))
        );
    }
}
