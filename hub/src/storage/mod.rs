//! Where the hub keeps its log: one trait, [`HubStorage`], with SQLite ([`SqliteStorage`], one file, the default)
//! and PostgreSQL ([`PostgresStorage`], for an operator running many facilities on one hub) behind it.
//!
//! The storage holds bytes and numbers; it checks nothing about signatures or chains (that is the hub log's
//! job), but it does enforce what must never happen to a log even under a buggy caller: a global index, an event
//! id, or a (device, device sequence) pair can be stored only once per facility, and an append is all or nothing.
//! Every method is blocking; the server calls them off its async threads.

mod convert;
mod postgres;
mod sqlite;

pub use self::postgres::PostgresStorage;
pub use self::sqlite::SqliteStorage;

use azukari_core::model::{DeviceId, EventId, FacilityId};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A write would store a second event at an index, a second copy of an event id, or a second event for a
    /// device sequence number, or register a facility or device twice. Nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The facility is not known to this hub.
    #[error("unknown facility {0}")]
    UnknownFacility(FacilityId),
    /// Stored data could not be read back (damaged or written by something else).
    #[error("stored data is damaged: {0}")]
    Damaged(String),
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
}

/// A facility served by the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityRecord {
    /// The facility.
    pub facility: FacilityId,
    /// Its public name.
    pub name: String,
    /// The ledger's trust anchor, postcard-encoded (`azukari_core::ledger::TrustAnchor`).
    pub trust_anchor: Vec<u8>,
    /// When the hub started serving it (Unix milliseconds).
    pub created_at: i64,
}

/// A device allowed to push events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolledDevice {
    /// The device.
    pub device: DeviceId,
    /// Its public signing key (`azukari_core::crypto::DevicePublicKey` bytes).
    pub public_key: Vec<u8>,
    /// A label such as "2F タブレット".
    pub label: String,
    /// When it enrolled (Unix milliseconds).
    pub enrolled_at: i64,
}

/// One event in the hub's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its global index in the facility's log, from 0 (also its leaf index in the Merkle tree).
    pub index: u64,
    /// The event's id.
    pub event_id: EventId,
    /// The device that recorded it.
    pub device: DeviceId,
    /// Its sequence number on that device, from 1.
    pub device_seq: u64,
    /// The event hash (the Merkle leaf's data).
    pub hash: [u8; 32],
    /// The signed bytes (`SignedEvent::bytes`).
    pub bytes: Vec<u8>,
    /// The signature (`SignedEvent::signature`).
    pub signature: Vec<u8>,
    /// When the hub received it (Unix milliseconds).
    pub received_at: i64,
}

impl StoredEvent {
    /// A signed event as the log stores it at `index`, received at `received_at` (Unix milliseconds); `None` if it
    /// cannot be decoded.
    pub fn from_signed(
        index: u64,
        signed: &azukari_core::ledger::SignedEvent,
        received_at: i64,
    ) -> Option<StoredEvent> {
        let envelope = signed.decode().ok()?;
        Some(StoredEvent {
            index,
            event_id: envelope.event_id,
            device: envelope.device,
            device_seq: envelope.device_seq,
            hash: signed.hash().0,
            bytes: signed.bytes.clone(),
            signature: signed.signature.0.clone(),
            received_at,
        })
    }

    /// The signed event as devices exchange it.
    pub fn to_signed(&self) -> azukari_core::ledger::SignedEvent {
        azukari_core::ledger::SignedEvent {
            bytes: self.bytes.clone(),
            signature: azukari_core::crypto::DeviceSignature(self.signature.clone()),
        }
    }
}

/// The newest stored event of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceTip {
    /// The device.
    pub device: DeviceId,
    /// Its highest stored sequence number.
    pub last_seq: u64,
    /// The hash of that event.
    pub last_hash: [u8; 32],
}

/// A signed checkpoint (C2SP signed-note text) for a tree size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size it commits to.
    pub size: u64,
    /// The signed note, as served.
    pub note: Vec<u8>,
}

/// A one-time enrollment token, kept only as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentToken {
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// The label the enrolling device will get.
    pub label: String,
    /// When it stops working (Unix milliseconds).
    pub expires_at: i64,
}

/// What a token's stored row (label, expiry, when used) means at `now`, without using it.
pub(crate) fn token_use(found: Option<(String, i64, Option<i64>)>, now: i64) -> TokenUse {
    match found {
        None => TokenUse::Unknown,
        Some((_, _, Some(_))) => TokenUse::AlreadyUsed,
        Some((_, expires_at, None)) if expires_at <= now => TokenUse::Expired,
        Some((label, _, None)) => TokenUse::Accepted { label },
    }
}

/// What consuming a token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenUse {
    /// The token was valid and is now used up; here is its label.
    Accepted {
        /// The label it was issued with.
        label: String,
    },
    /// No such token.
    Unknown,
    /// It expired before it was used.
    Expired,
    /// It was used before.
    AlreadyUsed,
}

/// A content key wrapped by the facility's data key, as one device shared it (opaque to the hub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedKey {
    /// The key's id (unique per facility).
    pub key_id: uuid::Uuid,
    /// The postcard-encoded `azukari_core::crypto::WrappedKey`; empty once erased (the key keeps its place in the
    /// list, so devices' positions in it stay valid).
    pub wrapped: Vec<u8>,
}

/// Something the hub noticed that an auditor must see (a fork, a refused event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// When (Unix milliseconds).
    pub at: i64,
    /// A short machine-readable kind, e.g. `fork`.
    pub kind: String,
    /// What happened, without personal data.
    pub detail: String,
}

/// When a device last reached the hub, as the devices page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSeen {
    /// The device.
    pub device: DeviceId,
    /// When the hub last took a signed request from it (the hub's Unix milliseconds).
    pub at: i64,
    /// The device's clock minus the hub's at that request, in milliseconds (positive: the device is ahead).
    pub clock_offset_ms: i64,
    /// The log size it has pulled up to (everything below it is on the device); 0 before its first pull.
    pub pulled_to: u64,
}

/// What one push adds to a facility's log, stored in one transaction: the accepted events, the checkpoint signed
/// for the grown tree, and the keys and alarms that came with the push.
#[derive(Debug, Clone, Copy)]
pub struct LogAppend<'a> {
    /// The events, continuing the log exactly (as for [`HubStorage::append_events`]).
    pub events: &'a [StoredEvent],
    /// The checkpoint for the tree that ends with them (as for [`HubStorage::put_checkpoint`]).
    pub checkpoint: &'a StoredCheckpoint,
    /// Shared content keys (as for [`HubStorage::put_keys`]).
    pub keys: &'a [SharedKey],
    /// Alarms raised while checking the push (as for [`HubStorage::put_alarm`]).
    pub alarms: &'a [Alarm],
    /// Shared keys to erase (their residents' data erased by an event of this push): their bytes are wiped.
    pub erased_keys: &'a [uuid::Uuid],
}

/// The hub's storage. Every method is blocking and atomic.
pub trait HubStorage: Send {
    /// Start serving a facility. [`StorageError::Conflict`] if it is already served.
    fn create_facility(&mut self, record: &FacilityRecord) -> Result<(), StorageError>;
    /// Every facility served, oldest first.
    fn facilities(&mut self) -> Result<Vec<FacilityRecord>, StorageError>;
    /// One facility.
    fn facility(&mut self, facility: FacilityId) -> Result<FacilityRecord, StorageError>;

    /// Register a device. [`StorageError::Conflict`] if it is already registered.
    fn add_device(
        &mut self,
        facility: FacilityId,
        device: &EnrolledDevice,
    ) -> Result<(), StorageError>;
    /// Every registered device, in enrollment order.
    fn devices(&mut self, facility: FacilityId) -> Result<Vec<EnrolledDevice>, StorageError>;

    /// Append events; their indices must continue the log exactly (the first is [`HubStorage::event_count`]).
    /// All or nothing: a conflict or a hole writes none of them.
    fn append_events(
        &mut self,
        facility: FacilityId,
        events: &[StoredEvent],
    ) -> Result<(), StorageError>;
    /// Store a push's events, checkpoint, keys and alarms all or nothing: after a crash either all of it is
    /// there or none, so the stored tree always matches its latest checkpoint.
    fn append(&mut self, facility: FacilityId, append: &LogAppend<'_>) -> Result<(), StorageError>;
    /// How many events the facility's log holds.
    fn event_count(&mut self, facility: FacilityId) -> Result<u64, StorageError>;
    /// Up to `limit` events with index ≥ `from`, in index order.
    fn events_from(
        &mut self,
        facility: FacilityId,
        from: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StorageError>;
    /// The event with this id, if stored.
    fn event_by_id(
        &mut self,
        facility: FacilityId,
        event_id: EventId,
    ) -> Result<Option<StoredEvent>, StorageError>;
    /// The stored events among these ids, in index order (one query for a whole pushed batch).
    fn events_by_ids(
        &mut self,
        facility: FacilityId,
        event_ids: &[EventId],
    ) -> Result<Vec<StoredEvent>, StorageError>;
    /// The newest stored event of every device that has one.
    fn device_tips(&mut self, facility: FacilityId) -> Result<Vec<DeviceTip>, StorageError>;

    /// Keep a signed checkpoint (replacing none: one per size; storing the same size again is a conflict unless
    /// the note is identical).
    fn put_checkpoint(
        &mut self,
        facility: FacilityId,
        checkpoint: &StoredCheckpoint,
    ) -> Result<(), StorageError>;
    /// The checkpoint with the largest size, if any.
    fn latest_checkpoint(
        &mut self,
        facility: FacilityId,
    ) -> Result<Option<StoredCheckpoint>, StorageError>;

    /// Keep a new enrollment token.
    fn put_token(
        &mut self,
        facility: FacilityId,
        token: &EnrollmentToken,
    ) -> Result<(), StorageError>;
    /// Use a token up at `now` (Unix milliseconds), atomically: of two concurrent uses exactly one is accepted.
    fn use_token(
        &mut self,
        facility: FacilityId,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<TokenUse, StorageError>;
    /// What [`HubStorage::use_token`] would find at `now`, without using the token up (`Accepted` for a token that
    /// is still valid): enrollment checks the token before anything that could tell a stranger about devices.
    fn token_state(
        &mut self,
        facility: FacilityId,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<TokenUse, StorageError>;

    /// Keep shared content keys; a key id already stored is left as it is (idempotent).
    fn put_keys(&mut self, facility: FacilityId, keys: &[SharedKey]) -> Result<(), StorageError>;
    /// Every shared content key, in the order first stored; an erased key keeps its place with empty `wrapped`.
    fn keys(&mut self, facility: FacilityId) -> Result<Vec<SharedKey>, StorageError>;

    /// Record an alarm.
    fn put_alarm(&mut self, facility: FacilityId, alarm: &Alarm) -> Result<(), StorageError>;
    /// Every alarm, oldest first.
    fn alarms(&mut self, facility: FacilityId) -> Result<Vec<Alarm>, StorageError>;

    /// Keep when a device was last seen (replacing what was kept for it).
    fn put_device_seen(
        &mut self,
        facility: FacilityId,
        seen: &DeviceSeen,
    ) -> Result<(), StorageError>;
    /// When each device was last seen, as kept.
    fn devices_seen(&mut self, facility: FacilityId) -> Result<Vec<DeviceSeen>, StorageError>;
}
