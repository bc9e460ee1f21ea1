//! Where each kind of personal data is sealed, under whose key: the one place that fixes the associated data
//! (table, column, row id) of every sealed field, so sealing and opening can never disagree.

use super::{Store, StoreError};
use crate::crypto::{Aad, KeyOwner, Sealed};
use crate::model::{
    AgreementId, AgreementMethod, AgreementScope, CustodyAgreement, ItemId, Resident, ResidentId,
    Role, Shift, Signatory, Staff, StaffId,
};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use zeroize::Zeroizing;

/// A sealed personal field: its logical table and column. The row id is the id of the record it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// 氏名 of a resident (row: resident id; key: the resident's).
    ResidentName,
    /// フリガナ of a resident.
    ResidentKana,
    /// 居室 of a resident.
    ResidentRoom,
    /// Name of a member of staff (row: staff id; key: the facility's).
    StaffName,
    /// Number of a PIN envelope (row: item id; key: the resident's).
    EnvelopeNumber,
    /// Keyed hash of a card's identity (row: item id; key: the resident's).
    CardIdentity,
    /// Name of an agreement's signatory (row: agreement id; key: the resident's).
    SignatoryName,
    /// Relation of the signatory to the resident.
    SignatoryRelation,
    /// The exact agreement text.
    AgreementText,
    /// The free text of an "other" purpose (row: item id; key: the resident's).
    PurposeNote,
    /// An approver's reason for denying a request (row: request id; key: the facility's).
    DenialReason,
    /// A reference recorded with an incident step, e.g. the police 受理番号 (row: incident id; key: the
    /// facility's).
    IncidentReference,
    /// The app's screen and work under way, saved across process death (row: device id; key: the facility's).
    AppState,
}

impl Field {
    fn place(self) -> (&'static str, &'static str) {
        match self {
            Field::ResidentName => ("resident", "name"),
            Field::ResidentKana => ("resident", "kana"),
            Field::ResidentRoom => ("resident", "room"),
            Field::StaffName => ("staff", "name"),
            Field::EnvelopeNumber => ("item", "envelope_number"),
            Field::CardIdentity => ("item", "card_identity"),
            Field::SignatoryName => ("agreement", "signatory_name"),
            Field::SignatoryRelation => ("agreement", "relation"),
            Field::AgreementText => ("agreement", "text"),
            Field::PurposeNote => ("checkout", "purpose_note"),
            Field::IncidentReference => ("incident", "reference"),
            Field::DenialReason => ("approval", "denial_reason"),
            Field::AppState => ("app", "state"),
        }
    }
}

/// What a new agreement says, in plaintext, before sealing.
pub struct AgreementDraft<'a> {
    /// Whose items.
    pub resident: ResidentId,
    /// Who signs.
    pub signatory: Signatory,
    /// The signatory's name.
    pub signatory_name: &'a str,
    /// Relation to the resident (e.g. 本人, 長女, 成年後見人).
    pub relation: &'a str,
    /// What is covered.
    pub scope: AgreementScope,
    /// The exact text agreed.
    pub text: &'a str,
    /// How it was signed.
    pub method: AgreementMethod,
}

impl Store {
    /// Seal `text` as `field` of the record `row` under `owner`'s key.
    pub fn seal_field(
        &mut self,
        field: Field,
        owner: KeyOwner,
        row: &[u8; 16],
        text: &str,
    ) -> Result<Sealed, StoreError> {
        let (table, column) = field.place();
        self.seal(owner, &Aad::new(table, column, row), text.as_bytes())
    }

    /// Open `field` of the record `row`.
    pub fn open_field(
        &self,
        field: Field,
        row: &[u8; 16],
        sealed: &Sealed,
    ) -> Result<Zeroizing<String>, StoreError> {
        let (table, column) = field.place();
        self.open_text(sealed, &Aad::new(table, column, row))
    }

    /// A new resident record with name, kana and room sealed under the resident's own key.
    pub fn new_resident(
        &mut self,
        name: &str,
        kana: &str,
        room: &str,
        admitted_on: NaiveDate,
    ) -> Result<Resident, StoreError> {
        let id = ResidentId::random();
        let owner = KeyOwner::Resident(id);
        Ok(Resident {
            id,
            name: self.seal_field(Field::ResidentName, owner, id.as_bytes(), name)?,
            kana: self.seal_field(Field::ResidentKana, owner, id.as_bytes(), kana)?,
            room: self.seal_field(Field::ResidentRoom, owner, id.as_bytes(), room)?,
            admitted_on,
            discharged_on: None,
        })
    }

    /// A resident's name, opened.
    pub fn resident_name(&self, resident: &Resident) -> Result<Zeroizing<String>, StoreError> {
        self.open_field(Field::ResidentName, resident.id.as_bytes(), &resident.name)
    }

    /// A new staff record with the name sealed under the facility key.
    pub fn new_staff(
        &mut self,
        name: &str,
        roles: &[Role],
        shifts: &[Shift],
        trained_on: Option<NaiveDate>,
    ) -> Result<Staff, StoreError> {
        let id = StaffId::random();
        Ok(Staff {
            id,
            name: self.seal_field(Field::StaffName, KeyOwner::Facility, id.as_bytes(), name)?,
            roles: roles.iter().copied().collect::<BTreeSet<_>>(),
            shifts: shifts.iter().copied().collect::<BTreeSet<_>>(),
            trained_on,
            active: true,
        })
    }

    /// A member of staff's name, opened.
    pub fn staff_name(&self, staff: &Staff) -> Result<Zeroizing<String>, StoreError> {
        self.open_field(Field::StaffName, staff.id.as_bytes(), &staff.name)
    }

    /// The sealed number of a PIN envelope that will be the item `item` of `resident`.
    pub fn seal_envelope_number(
        &mut self,
        resident: ResidentId,
        item: ItemId,
        number: &str,
    ) -> Result<Sealed, StoreError> {
        self.seal_field(
            Field::EnvelopeNumber,
            KeyOwner::Resident(resident),
            item.as_bytes(),
            number,
        )
    }

    /// A new agreement record, its personal fields sealed under the resident's key and the text's SHA-256 kept.
    pub fn new_agreement(
        &mut self,
        draft: AgreementDraft<'_>,
        signed_at: crate::clock::Timestamp,
    ) -> Result<CustodyAgreement, StoreError> {
        let id = AgreementId::random();
        let owner = KeyOwner::Resident(draft.resident);
        Ok(CustodyAgreement {
            id,
            resident: draft.resident,
            signatory: draft.signatory,
            signatory_name: self.seal_field(
                Field::SignatoryName,
                owner,
                id.as_bytes(),
                draft.signatory_name,
            )?,
            relation: self.seal_field(
                Field::SignatoryRelation,
                owner,
                id.as_bytes(),
                draft.relation,
            )?,
            scope: draft.scope,
            text: self.seal_field(Field::AgreementText, owner, id.as_bytes(), draft.text)?,
            text_sha256: Sha256::digest(draft.text.as_bytes()).into(),
            method: draft.method,
            signed_at,
            revoked_at: None,
        })
    }
}
