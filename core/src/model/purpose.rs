//! Why an item leaves its locker.

use crate::crypto::Sealed;
use serde::{Deserialize, Serialize};

/// A procedure at the city office (市区町村窓口).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MunicipalProcedure {
    /// 電子証明書・カードの更新.
    Renewal,
    /// 顔認証マイナンバーカードへの切替.
    FaceAuthSwitch,
    /// 再交付.
    Reissue,
}

/// The purpose of a checkout (持ち出し目的).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// 受診: a visit to a clinic or hospital.
    MedicalVisit,
    /// 救急搬送: emergency transport.
    EmergencyTransport,
    /// 市区町村の手続き.
    MunicipalProcedure(MunicipalProcedure),
    /// 本人へ返却: giving the item back to the resident.
    ReturnToResident,
    /// 家族へ引渡し.
    HandToFamily,
    /// 退所.
    Discharge,
    /// 監査: taken out for an audit.
    Audit,
    /// その他, with a free text sealed under the resident's key (it may name people).
    Other {
        /// The staff member's explanation, sealed.
        note: Sealed,
    },
}
