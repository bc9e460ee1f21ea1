//! The only errors the app throws: the device cannot go on (the store is locked, damaged or full, the disk
//! failed). Everything a person did wrong, or a rule refused, is a notice in the next view instead.

use crate::flows::FlowError;
use crate::i18n::{Arg, Locale, catalog};
use crate::store::StoreError;
use crate::sync::{SyncError, TransportError};

/// Why the app cannot go on. Every variant words itself in the chosen language ([`AppError::message`]).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store is locked: unlock it first.
    #[error("the store is locked; unlock it first")]
    Locked,
    /// The store failed in a way the person cannot fix from this screen (damaged, full, read-only, busy).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The saved app state cannot be read (from another device, or damaged): start without it.
    #[error("the saved app state cannot be read")]
    SavedState,
}

impl AppError {
    /// The error in words, in `locale`, saying what to do.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            AppError::Locked => catalog(locale).text("app-error-locked"),
            AppError::Store(error) => store_message(error, locale),
            AppError::SavedState => catalog(locale).text("app-error-saved-state"),
        }
    }
}

/// Whether a flow's refusal is really an infrastructure failure the app must throw.
pub(crate) fn infrastructure(error: FlowError) -> Result<FlowError, AppError> {
    match error {
        FlowError::Store(store) if is_infrastructure(&store) => Err(AppError::Store(store)),
        other => Ok(other),
    }
}

/// Whether a store error stops the device (rather than refusing one request).
pub(crate) fn is_infrastructure(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Corrupt { .. }
            | StoreError::TooNew { .. }
            | StoreError::ReadOnly
            | StoreError::DiskFull
            | StoreError::Busy
            | StoreError::BadMeta(_)
            | StoreError::Damaged { .. }
            | StoreError::Sqlite(_)
            | StoreError::Io(_)
    )
}

/// A store error in `locale`, saying what to do.
pub fn store_message(error: &StoreError, locale: Locale) -> String {
    let catalog = catalog(locale);
    if let StoreError::Damaged { log_index, .. } = error {
        return catalog.format(
            "app-store-damaged",
            &[(
                "index",
                Arg::from(i64::try_from(*log_index).unwrap_or(i64::MAX)),
            )],
        );
    }
    let id = match error {
        StoreError::Damaged { .. } => "app-store-ledger",
        StoreError::NotFound(_) => "app-store-not-found",
        StoreError::AlreadyExists(_) => "app-store-already-exists",
        StoreError::Corrupt { .. } => "app-store-corrupt",
        StoreError::TooNew { .. } => "app-store-too-new",
        StoreError::ReadOnly => "app-store-read-only",
        StoreError::DiskFull => "app-store-disk-full",
        StoreError::Busy => "app-store-busy",
        StoreError::BadMeta(_) => "app-store-bad-meta",
        StoreError::Ledger(_) => "app-store-ledger",
        StoreError::Crypto(_) => "app-store-crypto",
        StoreError::LabelKeyElsewhere => "app-store-label-key-elsewhere",
        StoreError::NotRegistered => "app-store-not-registered",
        StoreError::DeviceAlreadyRegistered => "app-store-device-registered",
        StoreError::Sqlite(_) | StoreError::Io(_) => "app-store-io",
    };
    catalog.text(id)
}

/// A sync error in `locale`, saying what to do. The hub's refusal code is read from the error's field.
pub fn sync_message(error: &SyncError, locale: Locale) -> String {
    let catalog = catalog(locale);
    match error {
        SyncError::Transport(TransportError::Unreachable(_)) => {
            catalog.text("app-sync-unreachable")
        }
        SyncError::Transport(TransportError::Refused { status, .. }) => catalog.format(
            "app-sync-refused",
            &[("status", Arg::from(i64::from(*status)))],
        ),
        SyncError::Store(store) => store_message(store, locale),
        SyncError::NotEnrolled => catalog.text("app-sync-not-enrolled"),
        SyncError::Refused { code, .. } => catalog.format(
            "app-sync-event-refused",
            &[("code", Arg::from(code.as_str()))],
        ),
        other if other.is_alarm() => catalog.text("app-sync-alarm"),
        _ => catalog.text("app-sync-failed"),
    }
}
