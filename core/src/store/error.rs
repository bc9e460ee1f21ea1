//! Store errors, each with a clear message saying what to do (English / Japanese). No personal data.

use crate::crypto::CryptoError;
use crate::ledger::LedgerError;
use std::path::PathBuf;

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No store at the path.
    #[error(
        "no Azukari store at {0}; create one first / 保管データが見つかりません。先に作成してください"
    )]
    NotFound(PathBuf),
    /// A store (or some other file) is already at the path.
    #[error(
        "a file already exists at {0}; choose another path / 既にファイルがあります。別の場所を指定してください"
    )]
    AlreadyExists(PathBuf),
    /// The database is corrupt or not a database. It was moved aside, not deleted.
    #[error(
        "the database is damaged and was moved aside to {quarantined_to:?}; restore from the hub or a backup / データベースが破損しているため隔離しました。ハブまたはバックアップから復元してください"
    )]
    Corrupt {
        /// Where the damaged files now are, if they were moved at this point.
        quarantined_to: Option<PathBuf>,
    },
    /// The database was written by a newer version of Azukari.
    #[error(
        "the database has schema version {found}, newer than this app supports ({supported}); update the app / 新しいバージョンのデータです。アプリを更新してください"
    )]
    TooNew {
        /// The database's schema version.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// The store is open read-only, or the file or disk is read-only.
    #[error("the store is read-only; nothing was written / 読み取り専用のため記録できませんでした")]
    ReadOnly,
    /// The disk is full.
    #[error(
        "the disk is full; nothing was written — free space and try again / 空き容量がないため記録できませんでした。空きを作って再試行してください"
    )]
    DiskFull,
    /// Another process holds the database.
    #[error(
        "the database is busy in another process; try again / データベースが使用中です。再試行してください"
    )]
    Busy,
    /// Missing or malformed store settings.
    #[error(
        "the store's settings are missing or malformed ({0}); restore from the hub or a backup / 設定データが不正です"
    )]
    BadMeta(&'static str),
    /// The local ledger does not match its authenticated head, or an event was refused.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A key or passphrase problem.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The ledger names a label-signing key this store does not hold: it was made on another device.
    #[error(
        "the facility's label key is on another device; enroll this device from the hub to print labels / ラベル署名鍵が別の端末にあります。ハブからこの端末を登録してから印刷してください"
    )]
    LabelKeyElsewhere,
    /// This device joined the facility but its own registration has not arrived from the hub yet.
    #[error(
        "this device is not registered in the facility's ledger yet; sync with the hub first / この端末はまだ台帳に登録されていません。先にハブと同期してください"
    )]
    NotRegistered,
    /// The device is already registered.
    #[error("the device is already registered / この端末は登録済みです")]
    DeviceAlreadyRegistered,
    /// The store's newest events failed the check at open: nothing new is recorded until an administrator
    /// acknowledges it (see `Store::damage`).
    #[error(
        "the ledger on this device is damaged at event #{log_index} ({problem}); nothing new is recorded until an administrator acknowledges it — restore the device from the hub / この端末の台帳の記録#{log_index}が損傷しています（{problem}）。管理者が確認するまで新しい記録はできません。ハブから復元してください"
    )]
    Damaged {
        /// The first damaged event's log_index (from 1).
        log_index: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// Some other database failure.
    #[error("database error: {0} / データベースエラー")]
    Sqlite(String),
    /// A file-system failure.
    #[error("file error: {0} / ファイルエラー")]
    Io(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match error.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt {
                quarantined_to: None,
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => StoreError::Sqlite(error.to_string()),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(error: std::io::Error) -> Self {
        StoreError::Io(error.kind().to_string())
    }
}
