//! Residents, the items the facility holds for them, and the lockers that hold the items.

use super::{ItemId, LockerId, ResidentId};
use crate::crypto::Sealed;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A resident (入所者). Only the random id is plain; name, kana and room are sealed under the resident's key, so
/// erasing that key after the retention period leaves nothing readable while the ledger still verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    /// Random id.
    pub id: ResidentId,
    /// 氏名, sealed.
    pub name: Sealed,
    /// フリガナ, sealed.
    pub kana: Sealed,
    /// 居室, sealed.
    pub room: Sealed,
    /// 入所日.
    pub admitted_on: NaiveDate,
    /// 退所日, once discharged.
    pub discharged_on: Option<NaiveDate>,
}

/// How a My Number card authenticates at a clinic's reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CardAuth {
    /// 顔認証マイナンバーカード: face authentication only, no PIN, no signing certificate.
    FaceOnly,
    /// A card with a PIN (暗証番号), which may be kept in a separate sealed envelope.
    Pin,
}

/// What an item is. The vocabulary of DOMAIN.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemKind {
    /// マイナ保険証: My Number card registered as health-insurance card.
    MynaCard {
        /// Face-auth only or with a PIN.
        auth: CardAuth,
    },
    /// 暗証番号封筒: a sealed, numbered tamper-evident envelope holding a PIN, kept apart from the card.
    PinEnvelope {
        /// The number printed on the envelope, sealed under the resident's key.
        envelope_number: Sealed,
    },
    /// 資格確認書.
    EligibilityCertificate,
    /// 資格情報のお知らせ (never valid alone).
    EligibilityNotice,
    /// 介護保険被保険者証 / 負担割合証.
    CareInsuranceCard,
    /// 健康保険証 (old paper card): historical only since 2025-12-01.
    LegacyInsuranceCard,
}

/// The category of an item, without its data: what an agreement's scope and the rules speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ItemCategory {
    /// マイナ保険証.
    MynaCard,
    /// 暗証番号封筒.
    PinEnvelope,
    /// 資格確認書.
    EligibilityCertificate,
    /// 資格情報のお知らせ.
    EligibilityNotice,
    /// 介護保険被保険者証.
    CareInsuranceCard,
    /// 健康保険証 (historical).
    LegacyInsuranceCard,
}

impl ItemKind {
    /// The category of this kind.
    pub fn category(&self) -> ItemCategory {
        match self {
            ItemKind::MynaCard { .. } => ItemCategory::MynaCard,
            ItemKind::PinEnvelope { .. } => ItemCategory::PinEnvelope,
            ItemKind::EligibilityCertificate => ItemCategory::EligibilityCertificate,
            ItemKind::EligibilityNotice => ItemCategory::EligibilityNotice,
            ItemKind::CareInsuranceCard => ItemCategory::CareInsuranceCard,
            ItemKind::LegacyInsuranceCard => ItemCategory::LegacyInsuranceCard,
        }
    }
}

/// An item held in custody for a resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Random id.
    pub id: ItemId,
    /// Whose item it is.
    pub resident: ResidentId,
    /// What it is.
    pub kind: ItemKind,
    /// The locker it belongs in.
    pub home_locker: LockerId,
    /// カードの有効期限 (10th birthday after issue), when known.
    pub card_expires_on: Option<NaiveDate>,
    /// 利用者証明用電子証明書の有効期限 (5th birthday after issue), when known.
    pub certificate_expires_on: Option<NaiveDate>,
    /// Expiry printed on a document (資格確認書, 介護保険証), when it has one.
    pub document_expires_on: Option<NaiveDate>,
    /// Keyed hash of the card's identity (card serial, certificate fingerprint), sealed; set once a card is read.
    pub card_identity: Option<Sealed>,
}

/// What a locker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LockerKind {
    /// 保険証ロッカー: holds cards and certificates.
    CardLocker,
    /// 暗証番号金庫: holds PIN envelopes, apart from the cards.
    PinSafe,
    /// 書類キャビネット: holds paper documents.
    DocumentCabinet,
}

/// A locker, safe or cabinet, labelled with a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locker {
    /// Random id.
    pub id: LockerId,
    /// What it is.
    pub kind: LockerKind,
    /// Its name as printed on the label, e.g. "保険証ロッカー A" (not personal data).
    pub name: String,
    /// Where it stands, e.g. "2F 事務室".
    pub place: String,
}
