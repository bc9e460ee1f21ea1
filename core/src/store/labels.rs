//! The facility's locker-label signing key, kept in `meta`: its PKCS#8 secret sealed under the facility's content
//! key at ("meta", "label_key", facility id), written in the same transaction as the ledger event that publishes
//! its public key. See [`crate::qr`] for why labels are signed.

use super::meta::Meta;
use super::{Store, StoreError};
use crate::crypto::{Aad, KeyOwner, Sealed};
use crate::ledger::EventBody;
use crate::model::StaffId;
use crate::qr::LabelSigner;

/// The `meta` entry holding the sealed label-signing key.
pub(super) const LABEL_SIGNING_KEY: &str = "label_signing_key";

impl Store {
    /// The facility's label signer. The first call on the facility's first issuing device makes the key, seals it
    /// into `meta` and records `LabelKeyCreated` with its public key, in one transaction; later calls open it.
    /// [`StoreError::LabelKeyElsewhere`] when the ledger names a label key this store does not hold (made on
    /// another device and not enrolled here).
    pub fn label_signer(&mut self, actor: Option<StaffId>) -> Result<LabelSigner, StoreError> {
        let facility = self.facility;
        let aad = Aad::new("meta", "label_key", facility.as_bytes());
        let published = self.state().label_key.clone();
        if let Some(blob) = Meta::get_optional(&self.conn, LABEL_SIGNING_KEY)? {
            let sealed: Sealed =
                postcard::from_bytes(&blob).map_err(|_| StoreError::BadMeta(LABEL_SIGNING_KEY))?;
            let signer = LabelSigner::from_pkcs8(&self.ring.open(&sealed, &aad)?)?;
            return match published {
                Some(key) if key != signer.public_key() => Err(StoreError::LabelKeyElsewhere),
                _ => Ok(signer),
            };
        }
        if published.is_some() {
            return Err(StoreError::LabelKeyElsewhere);
        }
        let signer = LabelSigner::make_random()?;
        let sealed = self
            .ring
            .seal(KeyOwner::Facility, &aad, &signer.secret_bytes())?;
        let body = EventBody::LabelKeyCreated {
            public_key: signer.public_key(),
        };
        self.append_with(actor, body, |tx| {
            Meta::put_value(tx, LABEL_SIGNING_KEY, &sealed)
        })?;
        Ok(signer)
    }
}
