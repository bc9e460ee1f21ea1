//! A card's identity sealed on its item: the keyed hashes and dates of [`CardIdentity`], sealed as the item's
//! [`Field::CardIdentity`] under the resident's key, so erasing the resident's key also forgets their card.
//!
//! The sealed text is `v1 <serial hash hex> <certificate hash hex> <card expiry> <certificate expiry>`.

use super::{Field, Store, StoreError};
use crate::card::CardIdentity;
use crate::crypto::{KeyOwner, Sealed};
use crate::model::{Item, ItemId, ResidentId};
use chrono::NaiveDate;

const FORMAT: &str = "v1";

impl Store {
    /// Seal `identity` as the card identity of the item `item` of `resident`.
    pub fn seal_card_identity(
        &mut self,
        resident: ResidentId,
        item: ItemId,
        identity: &CardIdentity,
    ) -> Result<Sealed, StoreError> {
        self.seal_field(
            Field::CardIdentity,
            KeyOwner::Resident(resident),
            item.as_bytes(),
            &encode(identity),
        )
    }

    /// The card identity registered on `item`, opened; `None` when no card was ever read for it.
    pub fn open_card_identity(&self, item: &Item) -> Result<Option<CardIdentity>, StoreError> {
        let Some(sealed) = &item.card_identity else {
            return Ok(None);
        };
        let text = self.open_field(Field::CardIdentity, item.id.as_bytes(), sealed)?;
        decode(&text)
            .map(Some)
            .ok_or(StoreError::BadMeta("card identity"))
    }

    /// Put `identity` on `item`: sealed, with the item's card and certificate expiry dates set from it.
    pub fn set_card_identity(
        &mut self,
        item: &mut Item,
        identity: &CardIdentity,
    ) -> Result<(), StoreError> {
        item.card_identity = Some(self.seal_card_identity(item.resident, item.id, identity)?);
        item.card_expires_on = Some(identity.card_expires_on);
        item.certificate_expires_on = Some(identity.certificate_expires_on);
        Ok(())
    }
}

fn encode(identity: &CardIdentity) -> String {
    format!(
        "{FORMAT} {} {} {} {}",
        hex(&identity.serial_hash),
        hex(&identity.certificate_hash),
        identity.card_expires_on.format("%Y-%m-%d"),
        identity.certificate_expires_on.format("%Y-%m-%d"),
    )
}

fn decode(text: &str) -> Option<CardIdentity> {
    let mut parts = text.split(' ');
    if parts.next()? != FORMAT {
        return None;
    }
    let serial_hash = unhex(parts.next()?)?;
    let certificate_hash = unhex(parts.next()?)?;
    let card_expires_on = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    let certificate_expires_on = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(CardIdentity {
        serial_hash,
        certificate_hash,
        card_expires_on,
        certificate_expires_on,
    })
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_identity_survives_its_text_form() {
        let identity = CardIdentity {
            serial_hash: [7; 32],
            certificate_hash: [0xA5; 32],
            card_expires_on: NaiveDate::from_ymd_opt(2034, 5, 16).unwrap(),
            certificate_expires_on: NaiveDate::from_ymd_opt(2029, 5, 16).unwrap(),
        };
        assert_eq!(decode(&encode(&identity)), Some(identity));
        assert_eq!(decode("v2 00 00 2034-05-16 2029-05-16"), None);
        assert_eq!(decode(""), None);
    }
}
