//! What is kept of a card: keyed hashes and dates, and how a tapped card compares with the registered one.

use super::CardReading;
use crate::crypto::HashDomain;
use crate::model::Item;
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A card as the facility remembers it: keyed hashes (HMAC under the facility's key) of its serial and of its
/// certificate's fingerprint, and its two expiry dates. Without the facility's key the hashes tell nothing; the
/// whole identity is sealed on the item under the resident's key besides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardIdentity {
    /// Keyed hash of the card serial (from the common card AP).
    pub serial_hash: [u8; 32],
    /// Keyed hash of the SHA-256 fingerprint of the 利用者証明用電子証明書 (its DER).
    pub certificate_hash: [u8; 32],
    /// カードの有効期限.
    pub card_expires_on: NaiveDate,
    /// 利用者証明用電子証明書の有効期限.
    pub certificate_expires_on: NaiveDate,
}

impl CardIdentity {
    /// Hash a reading with the store's keys. The reading is consumed: its serial and certificate are zeroized
    /// when this returns.
    pub fn from_reading(store: &Store, reading: CardReading) -> CardIdentity {
        let fingerprint: [u8; 32] = Sha256::digest(reading.certificate.as_slice()).into();
        CardIdentity {
            serial_hash: store.keyed_hash(HashDomain::CardSerial, reading.card_serial.as_bytes()),
            certificate_hash: store.keyed_hash(HashDomain::CertificateFingerprint, &fingerprint),
            card_expires_on: reading.card_expires_on(),
            certificate_expires_on: reading.certificate_expires_on(),
        }
    }
}

/// How a tapped card compares with the card registered for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardMatch {
    /// The same card with the same certificate.
    Same,
    /// The same card (same serial) with a new certificate: renewed at the city office. The item's dates follow.
    Renewed,
    /// Another card.
    Different,
}

/// Compare the card read now with the one registered (keyed hashes compared in constant time).
pub fn match_identity(stored: &CardIdentity, read: &CardIdentity) -> CardMatch {
    let same_serial: bool = stored.serial_hash.ct_eq(&read.serial_hash).into();
    let same_certificate: bool = stored.certificate_hash.ct_eq(&read.certificate_hash).into();
    match (same_serial, same_certificate) {
        (true, true) => CardMatch::Same,
        (true, false) => CardMatch::Renewed,
        (false, _) => CardMatch::Different,
    }
}

/// Register a card read from a tapped card on `item` (a new item, or one being updated): its identity sealed
/// under the resident's key and its expiry dates. The reading is consumed and zeroized. Record the item with
/// [`crate::ledger::EventBody::ItemRegistered`] or [`crate::ledger::EventBody::ItemUpdated`] afterwards.
pub fn register_card(
    store: &mut Store,
    item: &mut Item,
    reading: CardReading,
) -> Result<CardIdentity, StoreError> {
    let identity = CardIdentity::from_reading(store, reading);
    store.set_card_identity(item, &identity)?;
    Ok(identity)
}
