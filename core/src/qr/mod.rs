//! # Locker labels
//!
//! Every locker, safe and cabinet carries a printed QR label. A caregiver's first step is to scan it, so the
//! label decides which locker a handover is about; a label that lies — copied from another locker, altered,
//! printed by someone else, left on after it was replaced — would let the ledger say a card left a locker it was
//! never in. Labels are therefore *signed*, and checked on the phone with no network: a facility's phones often
//! sit in a basement office or a lift with no signal, and a scan must still work.
//!
//! **The payload** ([`LabelPayload`]) is compact and versioned: a version byte, the facility id, the locker id, a
//! serial number and an Ed25519 signature over a fixed context string and those bytes — 101 bytes, 135 characters
//! of base64url. It travels as a URL, `https://<hub host>/l/<payload>`, so the phone's own camera app opens
//! Azukari by deep link, and a code read by any other app leads to the hub's page rather than nowhere. The host
//! is not signed and not checked: the hub may move, the signature is what counts.
//!
//! **The key** ([`LabelSigner`]) is the facility's, not a device's. It is made the first time a label is issued
//! (`Store::label_signer`), its secret sealed in the store's `meta` under the facility's content key, and its
//! public key recorded in the ledger (`LabelKeyCreated`) in the same transaction. Every device learns the public
//! key from the ledger, so every device verifies; only devices that received the secret by enrollment issue.
//!
//! **Serial numbers** make replacing a label meaningful. Issuing records `LabelIssued { serial: previous + 1 }`;
//! a label with a lower serial is then *superseded*. A label can also be *revoked* explicitly (`LabelRevoked`),
//! e.g. when it was photographed or peeled off. Both are facts in the ledger, so every device refuses the old
//! label after its next sync.
//!
//! **Scanning** is two steps: [`LabelPayload::parse`] is pure (no state, bounded work, fuzzed) and sorts garbage,
//! truncated reads and unknown format versions from well-formed labels; [`LabelPayload::verify`] checks the
//! facility, the signature, the locker, revocation and supersession against the custody state. Each failure is
//! its own [`QrError`] with a localized message, and nothing is recorded on a failed scan.
//!
//! **Sheets** ([`sheet_svgs`], [`sheet_pdf`]) lay labels out on A4 label paper ([`SheetLayout`], 2 × 6 and 3 × 8
//! ready-made), each with its code, the locker's name, the facility's name and the serial number. The PDF embeds
//! a Japanese font found on the machine ([`LabelFont`]).

mod error;
mod key;
mod payload;
#[cfg(feature = "label-pdf")]
mod pdf;
mod sheet;

pub use error::{LabelError, LayoutProblem, QrError};
pub use key::{LabelSigner, label_signature_is_valid};
pub use payload::{
    LABEL_FORMAT_VERSION, LABEL_PAYLOAD_LEN, LABEL_SIGNATURE_CONTEXT, LABEL_URL_PATH, LabelPayload,
};
#[cfg(feature = "label-pdf")]
pub use pdf::{LABEL_FONT_ENV, LABEL_FONT_PATHS, LabelFont, sheet_pdf};
pub use sheet::{A4_HEIGHT_MM, A4_WIDTH_MM, QUIET_MODULES, SheetLabel, SheetLayout, sheet_svgs};

use crate::ledger::EventBody;
use crate::model::{LockerId, StaffId};
use crate::store::{Appended, Store};

/// Issue a new label for `locker`: sign it (creating the facility's label key on first use) and record
/// `LabelIssued` with the next serial number, which supersedes every earlier label of the locker. Flows call
/// this only after the rules allowed label printing.
pub fn issue_label(
    store: &mut Store,
    actor: Option<StaffId>,
    locker: LockerId,
) -> Result<LabelPayload, LabelError> {
    if !store.state().lockers.contains_key(&locker) {
        return Err(LabelError::UnknownLocker);
    }
    let serial = store
        .state()
        .labels
        .get(&locker)
        .map_or(0, |record| record.current)
        .checked_add(1)
        .ok_or(LabelError::SerialsExhausted)?;
    let signer = store.label_signer(actor)?;
    let payload = LabelPayload::sign(&signer, store.facility_id(), locker, serial);
    store.append(actor, EventBody::LabelIssued { locker, serial })?;
    Ok(payload)
}

/// Revoke label `serial` of `locker` (lost, damaged, copied): from then on a scan of it is refused everywhere
/// the ledger reaches.
pub fn revoke_label(
    store: &mut Store,
    actor: Option<StaffId>,
    locker: LockerId,
    serial: u32,
) -> Result<Appended, LabelError> {
    if !store.state().lockers.contains_key(&locker) {
        return Err(LabelError::UnknownLocker);
    }
    let current = store.state().labels.get(&locker).map_or(0, |r| r.current);
    if serial == 0 || serial > current {
        return Err(LabelError::NotIssued { serial });
    }
    Ok(store.append(actor, EventBody::LabelRevoked { locker, serial })?)
}

/// Issue a new label for each of `lockers`, in order, and return what to print on a sheet. The lockers and the
/// hub host are checked before anything is recorded.
pub fn issue_sheet(
    store: &mut Store,
    actor: Option<StaffId>,
    lockers: &[LockerId],
    hub_host: &str,
) -> Result<Vec<SheetLabel>, LabelError> {
    if !payload::is_host(hub_host) {
        return Err(LabelError::BadHubHost);
    }
    if lockers
        .iter()
        .any(|l| !store.state().lockers.contains_key(l))
    {
        return Err(LabelError::UnknownLocker);
    }
    let facility_name = store
        .state()
        .facility
        .as_ref()
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let mut labels = Vec::with_capacity(lockers.len());
    for locker in lockers {
        let payload = issue_label(store, actor, *locker)?;
        let locker_name = store
            .state()
            .lockers
            .get(locker)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        labels.push(SheetLabel {
            url: payload.url(hub_host),
            locker_name,
            facility_name: facility_name.clone(),
            serial: payload.serial,
        });
    }
    Ok(labels)
}
