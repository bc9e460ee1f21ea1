//! [`HubStorage`] in one SQLite file: WAL, `synchronous = FULL`, foreign keys on, and the events table made
//! append-only by triggers, as the device store does with its own ledger.
//!
//! Ids are stored as hyphenated UUID text, hashes and signed bytes as blobs, numbers as SQLite integers (signed
//! 64-bit: a `u64` above `i64::MAX` is refused as a [`StorageError::Conflict`], and nothing is written).

use super::convert::{check_continues, parse_uuid, to_hash, to_i64, to_u64};
use std::path::Path;
use std::time::Duration;

use azukari_core::model::{DeviceId, EventId, FacilityId};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::{
    Alarm, DeviceSeen, DeviceTip, EnrolledDevice, EnrollmentToken, FacilityRecord, HubStorage,
    LogAppend, SharedKey, StorageError, StoredCheckpoint, StoredEvent, TokenUse,
};

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

/// How long a write waits for another connection's write to finish before failing with "database is busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The whole schema. Every table carries `facility_id`, so one file can serve many facilities.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS facilities (
    seq          INTEGER PRIMARY KEY,
    facility_id  TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    trust_anchor BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS devices (
    seq         INTEGER PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    device_id   TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    label       TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    UNIQUE (facility_id, device_id)
);

-- The log. `log_index` is the Merkle leaf index: consecutive from 0 in each facility.
CREATE TABLE IF NOT EXISTS events (
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    log_index   INTEGER NOT NULL CHECK (log_index >= 0),
    event_id    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_seq  INTEGER NOT NULL CHECK (device_seq >= 1),
    hash        BLOB NOT NULL CHECK (length(hash) = 32),
    bytes       BLOB NOT NULL,
    signature   BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (facility_id, log_index),
    UNIQUE (facility_id, event_id),
    UNIQUE (facility_id, device_id, device_seq)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS events_are_append_only_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the hub log is append-only: events cannot be changed');
END;

CREATE TRIGGER IF NOT EXISTS events_are_append_only_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the hub log is append-only: events cannot be deleted');
END;

CREATE TABLE IF NOT EXISTS checkpoints (
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    size        INTEGER NOT NULL CHECK (size >= 0),
    note        BLOB NOT NULL,
    PRIMARY KEY (facility_id, size)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS tokens (
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    token_hash  BLOB NOT NULL CHECK (length(token_hash) = 32),
    label       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    PRIMARY KEY (facility_id, token_hash)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS shared_keys (
    seq         INTEGER PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    key_id      TEXT NOT NULL,
    wrapped     BLOB NOT NULL,
    UNIQUE (facility_id, key_id)
);

CREATE TABLE IF NOT EXISTS alarms (
    seq         INTEGER PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarms_by_time ON alarms (facility_id, at, seq);
"#;

/// What schema version 2 adds: when each device last reached the hub (the console's devices page).
const SCHEMA_2: &str = r#"
CREATE TABLE IF NOT EXISTS devices_seen (
    facility_id     TEXT NOT NULL REFERENCES facilities (facility_id),
    device_id       TEXT NOT NULL,
    at              INTEGER NOT NULL,
    clock_offset_ms INTEGER NOT NULL,
    pulled_to       INTEGER NOT NULL CHECK (pulled_to >= 0),
    PRIMARY KEY (facility_id, device_id)
) WITHOUT ROWID;
"#;

/// The columns of `events`, in the order [`event_from_row`] reads them.
const EVENT_COLUMNS: &str =
    "log_index, event_id, device_id, device_seq, hash, bytes, signature, received_at";

/// The hub's storage in a SQLite database.
pub struct SqliteStorage {
    conn: Connection,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.conn.path())
            .finish()
    }
}

impl SqliteStorage {
    /// Open the database at `path`, creating the file and the schema if they are missing.
    ///
    /// [`StorageError::Damaged`] if the file holds a schema newer than this code knows.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Damaged(format!(
                "SQLite kept journal mode {mode} instead of wal"
            )));
        }
        Self::with_connection(conn)
    }

    /// A database in memory, gone when dropped (for tests and trials).
    pub fn open_in_memory() -> Result<Self, StorageError> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(mut conn: Connection) -> Result<Self, StorageError> {
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.execute_batch(SCHEMA_2)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            1 => {
                tx.execute_batch(SCHEMA_2)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            newer => {
                return Err(StorageError::Damaged(format!(
                    "the database has schema version {newer}; this hub knows only up to {SCHEMA_VERSION}"
                )));
            }
        }
        tx.commit()?;
        Ok(SqliteStorage { conn })
    }

    /// A transaction that takes the write lock at once, so a read followed by a write never fails half-way
    /// with "database is busy".
    fn write(&mut self) -> Result<Transaction<'_>, StorageError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

/// Insert events that must continue the log exactly; a collision is a [`StorageError::Conflict`] (the caller's
/// transaction, dropped, writes none of them).
fn insert_events(
    tx: &Transaction<'_>,
    facility: FacilityId,
    events: &[StoredEvent],
) -> Result<(), StorageError> {
    let facility_text = facility.to_string();
    check_continues(count_events(tx, &facility_text)?, events)?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO events (facility_id, log_index, event_id, device_id, device_seq, hash, bytes,
                             signature, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for event in events {
        let inserted = insert.execute(params![
            facility_text,
            to_i64(event.index, "event index")?,
            event.event_id.to_string(),
            event.device.to_string(),
            to_i64(event.device_seq, "device sequence number")?,
            &event.hash[..],
            event.bytes,
            event.signature,
            event.received_at,
        ]);
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StorageError::Conflict(format!(
                    "event {} (index {}, device {} sequence {}) collides with one stored before or earlier in \
                     the batch ({}); nothing was appended",
                    event.event_id,
                    event.index,
                    event.device,
                    event.device_seq,
                    detail(&e)
                )));
            }
            other => other?,
        };
    }
    Ok(())
}

/// Insert a checkpoint; the same note again is fine, another note for a stored size is a conflict.
fn insert_checkpoint(
    tx: &Transaction<'_>,
    facility: FacilityId,
    checkpoint: &StoredCheckpoint,
) -> Result<(), StorageError> {
    let facility_text = facility.to_string();
    let size = to_i64(checkpoint.size, "checkpoint size")?;
    let stored: Option<Vec<u8>> = tx
        .query_row(
            "SELECT note FROM checkpoints WHERE facility_id = ?1 AND size = ?2",
            params![facility_text, size],
            |row| row.get(0),
        )
        .optional()?;
    match stored {
        Some(note) if note == checkpoint.note => Ok(()),
        Some(_) => Err(StorageError::Conflict(format!(
            "a different checkpoint for size {} is already stored",
            checkpoint.size
        ))),
        None => {
            tx.execute(
                "INSERT INTO checkpoints (facility_id, size, note) VALUES (?1, ?2, ?3)",
                params![facility_text, size, checkpoint.note],
            )?;
            Ok(())
        }
    }
}

/// Insert shared keys, leaving a key id already stored as it is.
fn insert_keys(
    tx: &Transaction<'_>,
    facility: FacilityId,
    keys: &[SharedKey],
) -> Result<(), StorageError> {
    let facility_text = facility.to_string();
    let mut insert = tx.prepare_cached(
        "INSERT INTO shared_keys (facility_id, key_id, wrapped) VALUES (?1, ?2, ?3)
         ON CONFLICT (facility_id, key_id) DO NOTHING",
    )?;
    for key in keys {
        insert.execute(params![
            facility_text,
            key.key_id.hyphenated().to_string(),
            key.wrapped
        ])?;
    }
    Ok(())
}

/// Insert an alarm.
fn insert_alarm(
    tx: &Transaction<'_>,
    facility: FacilityId,
    alarm: &Alarm,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO alarms (facility_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        params![facility.to_string(), alarm.at, alarm.kind, alarm.detail],
    )?;
    Ok(())
}

/// [`StorageError::UnknownFacility`] unless the facility is served.
fn require_facility(conn: &Connection, facility: FacilityId) -> Result<(), StorageError> {
    let known = conn
        .query_row(
            "SELECT 1 FROM facilities WHERE facility_id = ?1",
            [facility.to_string()],
            |_| Ok(()),
        )
        .optional()?;
    known.ok_or(StorageError::UnknownFacility(facility))
}

/// Whether SQLite refused a write because of a UNIQUE or PRIMARY KEY constraint.
fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error().map(|e| e.extended_code),
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    )
}

/// SQLite's own message for an error (it names the columns of a violated constraint).
fn detail(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}

/// The raw columns of one `events` row, converted after the query so conversion errors keep their own variant.
struct EventRow {
    index: i64,
    event_id: String,
    device: String,
    device_seq: i64,
    hash: Vec<u8>,
    bytes: Vec<u8>,
    signature: Vec<u8>,
    received_at: i64,
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        index: row.get(0)?,
        event_id: row.get(1)?,
        device: row.get(2)?,
        device_seq: row.get(3)?,
        hash: row.get(4)?,
        bytes: row.get(5)?,
        signature: row.get(6)?,
        received_at: row.get(7)?,
    })
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = StorageError;

    fn try_from(row: EventRow) -> Result<Self, StorageError> {
        Ok(StoredEvent {
            index: to_u64(row.index, "event index")?,
            event_id: EventId(parse_uuid(&row.event_id, "event id")?),
            device: DeviceId(parse_uuid(&row.device, "device id")?),
            device_seq: to_u64(row.device_seq, "device sequence number")?,
            hash: to_hash(row.hash, "event hash")?,
            bytes: row.bytes,
            signature: row.signature,
            received_at: row.received_at,
        })
    }
}

/// The number of events of a facility: one past the highest index, since indices are consecutive from 0.
fn count_events(conn: &Connection, facility: &str) -> Result<u64, StorageError> {
    let next: i64 = conn.query_row(
        "SELECT COALESCE(MAX(log_index) + 1, 0) FROM events WHERE facility_id = ?1",
        [facility],
        |row| row.get(0),
    )?;
    to_u64(next, "event count")
}

impl HubStorage for SqliteStorage {
    fn create_facility(&mut self, record: &FacilityRecord) -> Result<(), StorageError> {
        let tx = self.write()?;
        let inserted = tx.execute(
            "INSERT INTO facilities (facility_id, name, trust_anchor, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                record.facility.to_string(),
                record.name,
                record.trust_anchor,
                record.created_at
            ],
        );
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StorageError::Conflict(format!(
                    "facility {} is already served",
                    record.facility
                )));
            }
            other => other?,
        };
        tx.commit()?;
        Ok(())
    }

    fn facilities(&mut self) -> Result<Vec<FacilityRecord>, StorageError> {
        let mut stmt = self.conn.prepare(
            "SELECT facility_id, name, trust_anchor, created_at FROM facilities ORDER BY created_at, seq",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, name, trust_anchor, created_at)| {
                Ok(FacilityRecord {
                    facility: FacilityId(parse_uuid(&id, "facility id")?),
                    name,
                    trust_anchor,
                    created_at,
                })
            })
            .collect()
    }

    fn facility(&mut self, facility: FacilityId) -> Result<FacilityRecord, StorageError> {
        let row = self
            .conn
            .query_row(
                "SELECT name, trust_anchor, created_at FROM facilities WHERE facility_id = ?1",
                [facility.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let (name, trust_anchor, created_at) =
            row.ok_or(StorageError::UnknownFacility(facility))?;
        Ok(FacilityRecord {
            facility,
            name,
            trust_anchor,
            created_at,
        })
    }

    fn add_device(
        &mut self,
        facility: FacilityId,
        device: &EnrolledDevice,
    ) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        let inserted = tx.execute(
            "INSERT INTO devices (facility_id, device_id, public_key, label, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                facility.to_string(),
                device.device.to_string(),
                device.public_key,
                device.label,
                device.enrolled_at
            ],
        );
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StorageError::Conflict(format!(
                    "device {} is already registered in facility {facility}",
                    device.device
                )));
            }
            other => other?,
        };
        tx.commit()?;
        Ok(())
    }

    fn devices(&mut self, facility: FacilityId) -> Result<Vec<EnrolledDevice>, StorageError> {
        require_facility(&self.conn, facility)?;
        let mut stmt = self.conn.prepare(
            "SELECT device_id, public_key, label, enrolled_at FROM devices
             WHERE facility_id = ?1 ORDER BY enrolled_at, seq",
        )?;
        let rows = stmt
            .query_map([facility.to_string()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, public_key, label, enrolled_at)| {
                Ok(EnrolledDevice {
                    device: DeviceId(parse_uuid(&id, "device id")?),
                    public_key,
                    label,
                    enrolled_at,
                })
            })
            .collect()
    }

    fn append_events(
        &mut self,
        facility: FacilityId,
        events: &[StoredEvent],
    ) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        insert_events(&tx, facility, events)?;
        tx.commit()?;
        Ok(())
    }

    fn append(&mut self, facility: FacilityId, append: &LogAppend<'_>) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        insert_events(&tx, facility, append.events)?;
        insert_checkpoint(&tx, facility, append.checkpoint)?;
        insert_keys(&tx, facility, append.keys)?;
        for alarm in append.alarms {
            insert_alarm(&tx, facility, alarm)?;
        }
        let mut erase = tx.prepare_cached(
            "UPDATE shared_keys SET wrapped = x'' WHERE facility_id = ?1 AND key_id = ?2",
        )?;
        for key_id in append.erased_keys {
            erase.execute(params![
                facility.to_string(),
                key_id.hyphenated().to_string()
            ])?;
        }
        drop(erase);
        tx.commit()?;
        Ok(())
    }

    fn event_count(&mut self, facility: FacilityId) -> Result<u64, StorageError> {
        require_facility(&self.conn, facility)?;
        count_events(&self.conn, &facility.to_string())
    }

    fn events_from(
        &mut self,
        facility: FacilityId,
        from: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StorageError> {
        require_facility(&self.conn, facility)?;
        // Beyond i64::MAX there is nothing to read, and no limit can be larger than every log.
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE facility_id = ?1 AND log_index >= ?2 ORDER BY log_index LIMIT ?3"
        ))?;
        let rows = stmt
            .query_map(params![facility.to_string(), from, limit], event_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(StoredEvent::try_from).collect()
    }

    fn event_by_id(
        &mut self,
        facility: FacilityId,
        event_id: EventId,
    ) -> Result<Option<StoredEvent>, StorageError> {
        require_facility(&self.conn, facility)?;
        let row = self
            .conn
            .query_row(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE facility_id = ?1 AND event_id = ?2"
                ),
                params![facility.to_string(), event_id.to_string()],
                event_from_row,
            )
            .optional()?;
        row.map(StoredEvent::try_from).transpose()
    }

    fn events_by_ids(
        &mut self,
        facility: FacilityId,
        event_ids: &[EventId],
    ) -> Result<Vec<StoredEvent>, StorageError> {
        require_facility(&self.conn, facility)?;
        let ids: Vec<String> = event_ids.iter().map(|id| id.to_string()).collect();
        let ids = serde_json::to_string(&ids).map_err(|e| StorageError::Damaged(e.to_string()))?;
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE facility_id = ?1 AND event_id IN (SELECT value FROM json_each(?2))
             ORDER BY log_index"
        ))?;
        let rows = statement
            .query_map(params![facility.to_string(), ids], event_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(StoredEvent::try_from).collect()
    }

    fn device_tips(&mut self, facility: FacilityId) -> Result<Vec<DeviceTip>, StorageError> {
        require_facility(&self.conn, facility)?;
        let mut stmt = self.conn.prepare(
            "SELECT e.device_id, e.device_seq, e.hash
             FROM events AS e
             JOIN (SELECT device_id, MAX(device_seq) AS last_seq FROM events
                   WHERE facility_id = ?1 GROUP BY device_id) AS tip
               ON e.device_id = tip.device_id AND e.device_seq = tip.last_seq
             WHERE e.facility_id = ?1",
        )?;
        let rows = stmt
            .query_map([facility.to_string()], |row| {
                Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut tips = rows
            .into_iter()
            .map(|(device, last_seq, last_hash)| {
                Ok(DeviceTip {
                    device: DeviceId(parse_uuid(&device, "device id")?),
                    last_seq: to_u64(last_seq, "device sequence number")?,
                    last_hash: to_hash(last_hash, "event hash")?,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        tips.sort_by_key(|tip| tip.device);
        Ok(tips)
    }

    fn put_checkpoint(
        &mut self,
        facility: FacilityId,
        checkpoint: &StoredCheckpoint,
    ) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        insert_checkpoint(&tx, facility, checkpoint)?;
        tx.commit()?;
        Ok(())
    }

    fn latest_checkpoint(
        &mut self,
        facility: FacilityId,
    ) -> Result<Option<StoredCheckpoint>, StorageError> {
        require_facility(&self.conn, facility)?;
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT size, note FROM checkpoints WHERE facility_id = ?1 ORDER BY size DESC LIMIT 1",
                [facility.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(size, note)| {
            Ok(StoredCheckpoint {
                size: to_u64(size, "checkpoint size")?,
                note,
            })
        })
        .transpose()
    }

    fn put_token(
        &mut self,
        facility: FacilityId,
        token: &EnrollmentToken,
    ) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        let inserted = tx.execute(
            "INSERT INTO tokens (facility_id, token_hash, label, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                facility.to_string(),
                &token.token_hash[..],
                token.label,
                token.expires_at
            ],
        );
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StorageError::Conflict(
                    "an enrollment token with this hash is already stored".into(),
                ));
            }
            other => other?,
        };
        tx.commit()?;
        Ok(())
    }

    fn use_token(
        &mut self,
        facility: FacilityId,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<TokenUse, StorageError> {
        let facility_text = facility.to_string();
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        // One statement decides: of two concurrent uses only one finds `used_at` still empty.
        let accepted: Option<String> = tx
            .query_row(
                "UPDATE tokens SET used_at = ?3
                 WHERE facility_id = ?1 AND token_hash = ?2 AND used_at IS NULL AND expires_at > ?3
                 RETURNING label",
                params![facility_text, &token_hash[..], now],
                |row| row.get(0),
            )
            .optional()?;
        let outcome = match accepted {
            Some(label) => TokenUse::Accepted { label },
            None => {
                let found: Option<Option<i64>> = tx
                    .query_row(
                        "SELECT used_at FROM tokens WHERE facility_id = ?1 AND token_hash = ?2",
                        params![facility_text, &token_hash[..]],
                        |row| row.get(0),
                    )
                    .optional()?;
                match found {
                    None => TokenUse::Unknown,
                    Some(Some(_)) => TokenUse::AlreadyUsed,
                    Some(None) => TokenUse::Expired,
                }
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    fn token_state(
        &mut self,
        facility: FacilityId,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<TokenUse, StorageError> {
        let facility_text = facility.to_string();
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        let found: Option<(String, i64, Option<i64>)> = tx
            .query_row(
                "SELECT label, expires_at, used_at FROM tokens WHERE facility_id = ?1 AND token_hash = ?2",
                params![facility_text, &token_hash[..]],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        tx.commit()?;
        Ok(super::token_use(found, now))
    }

    fn put_keys(&mut self, facility: FacilityId, keys: &[SharedKey]) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        insert_keys(&tx, facility, keys)?;
        tx.commit()?;
        Ok(())
    }

    fn keys(&mut self, facility: FacilityId) -> Result<Vec<SharedKey>, StorageError> {
        require_facility(&self.conn, facility)?;
        let mut stmt = self.conn.prepare(
            "SELECT key_id, wrapped FROM shared_keys WHERE facility_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([facility.to_string()], |row| {
                Ok((row.get::<_, String>(0)?, row.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(key_id, wrapped)| {
                Ok(SharedKey {
                    key_id: parse_uuid(&key_id, "key id")?,
                    wrapped,
                })
            })
            .collect()
    }

    fn put_alarm(&mut self, facility: FacilityId, alarm: &Alarm) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        insert_alarm(&tx, facility, alarm)?;
        tx.commit()?;
        Ok(())
    }

    fn alarms(&mut self, facility: FacilityId) -> Result<Vec<Alarm>, StorageError> {
        require_facility(&self.conn, facility)?;
        let mut stmt = self.conn.prepare(
            "SELECT at, kind, detail FROM alarms WHERE facility_id = ?1 ORDER BY at, seq",
        )?;
        let alarms = stmt
            .query_map([facility.to_string()], |row| {
                Ok(Alarm {
                    at: row.get(0)?,
                    kind: row.get(1)?,
                    detail: row.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(alarms)
    }

    fn put_device_seen(
        &mut self,
        facility: FacilityId,
        seen: &DeviceSeen,
    ) -> Result<(), StorageError> {
        let tx = self.write()?;
        require_facility(&tx, facility)?;
        tx.execute(
            "INSERT INTO devices_seen (facility_id, device_id, at, clock_offset_ms, pulled_to)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (facility_id, device_id) DO UPDATE SET
                 at = excluded.at, clock_offset_ms = excluded.clock_offset_ms, pulled_to = excluded.pulled_to",
            params![
                facility.to_string(),
                seen.device.to_string(),
                seen.at,
                seen.clock_offset_ms,
                to_i64(seen.pulled_to, "pulled_to")?,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn devices_seen(&mut self, facility: FacilityId) -> Result<Vec<DeviceSeen>, StorageError> {
        require_facility(&self.conn, facility)?;
        let mut stmt = self.conn.prepare(
            "SELECT device_id, at, clock_offset_ms, pulled_to FROM devices_seen WHERE facility_id = ?1
             ORDER BY device_id",
        )?;
        let rows = stmt
            .query_map([facility.to_string()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(device, at, clock_offset_ms, pulled_to)| {
                Ok(DeviceSeen {
                    device: DeviceId(parse_uuid(&device, "device id")?),
                    at,
                    clock_offset_ms,
                    pulled_to: to_u64(pulled_to, "pulled_to")?,
                })
            })
            .collect()
    }
}
