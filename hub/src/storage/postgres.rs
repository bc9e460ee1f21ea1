//! [`HubStorage`] in a PostgreSQL database, over the blocking `postgres` client: the same tables and rules as the
//! SQLite storage (ids as hyphenated UUID text, hashes and bytes as `BYTEA`, numbers as `BIGINT`), with the
//! events table made append-only by a PL/pgSQL trigger. Needs PostgreSQL 14 or newer (`CREATE OR REPLACE
//! TRIGGER`).
//!
//! Every write runs in one transaction at PostgreSQL's default isolation (read committed); the unique
//! constraints, not the checks before them, are what keep two hubs writing the same facility from storing an
//! index, an event id or a device sequence number twice: the loser of such a race gets
//! [`StorageError::Conflict`].

use super::convert::{check_continues, parse_uuid, to_hash, to_i64, to_u64};
use ::postgres::error::SqlState;
use ::postgres::{Client, GenericClient, NoTls, Row, Transaction};
use azukari_core::model::{DeviceId, EventId, FacilityId};

use super::{
    Alarm, DeviceSeen, DeviceTip, EnrolledDevice, EnrollmentToken, FacilityRecord, HubStorage,
    LogAppend, SharedKey, StorageError, StoredCheckpoint, StoredEvent, TokenUse,
};

/// The schema version this code writes (table `hub_schema`).
const SCHEMA_VERSION: i32 = 2;

/// Taken (per transaction) while the schema is created, so two hubs starting at once do not race on DDL.
const SCHEMA_LOCK: i64 = 0x417a_756b_6172_6901; // "Azukari" + 1

/// The whole schema, safe to run again. Every table carries `facility_id`, so one database serves many facilities.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS facilities (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    facility_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    trust_anchor BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    CONSTRAINT facilities_served_once UNIQUE (facility_id)
);

CREATE TABLE IF NOT EXISTS devices (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    device_id   TEXT NOT NULL,
    public_key  BYTEA NOT NULL,
    label       TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    CONSTRAINT devices_registered_once UNIQUE (facility_id, device_id)
);

-- The log. `log_index` is the Merkle leaf index: consecutive from 0 in each facility.
CREATE TABLE IF NOT EXISTS events (
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    log_index   BIGINT NOT NULL CHECK (log_index >= 0),
    event_id    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_seq  BIGINT NOT NULL CHECK (device_seq >= 1),
    hash        BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    bytes       BYTEA NOT NULL,
    signature   BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    CONSTRAINT events_one_per_index PRIMARY KEY (facility_id, log_index),
    CONSTRAINT events_one_copy_per_event_id UNIQUE (facility_id, event_id),
    CONSTRAINT events_one_per_device_seq UNIQUE (facility_id, device_id, device_seq)
);

CREATE OR REPLACE FUNCTION hub_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the hub log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$;

CREATE OR REPLACE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION hub_log_is_append_only();

CREATE OR REPLACE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION hub_log_is_append_only();

CREATE TABLE IF NOT EXISTS checkpoints (
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    size        BIGINT NOT NULL CHECK (size >= 0),
    note        BYTEA NOT NULL,
    CONSTRAINT checkpoints_one_per_size PRIMARY KEY (facility_id, size)
);

CREATE TABLE IF NOT EXISTS tokens (
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    token_hash  BYTEA NOT NULL CHECK (octet_length(token_hash) = 32),
    label       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    CONSTRAINT tokens_stored_once PRIMARY KEY (facility_id, token_hash)
);

CREATE TABLE IF NOT EXISTS shared_keys (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    key_id      TEXT NOT NULL,
    wrapped     BYTEA NOT NULL,
    CONSTRAINT shared_keys_stored_once UNIQUE (facility_id, key_id)
);

CREATE TABLE IF NOT EXISTS alarms (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (facility_id),
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarms_by_time ON alarms (facility_id, at, seq);

CREATE TABLE IF NOT EXISTS devices_seen (
    facility_id     TEXT NOT NULL REFERENCES facilities (facility_id),
    device_id       TEXT NOT NULL,
    at              BIGINT NOT NULL,
    clock_offset_ms BIGINT NOT NULL,
    pulled_to       BIGINT NOT NULL CHECK (pulled_to >= 0),
    PRIMARY KEY (facility_id, device_id)
);
"#;

/// The columns of `events`, in the order [`event_from_row`] reads them.
const EVENT_COLUMNS: &str =
    "log_index, event_id, device_id, device_seq, hash, bytes, signature, received_at";

/// The hub's storage in a PostgreSQL database (one connection).
pub struct PostgresStorage {
    client: Client,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage").finish_non_exhaustive()
    }
}

impl PostgresStorage {
    /// Connect with a libpq-style URL (`host=/run/postgresql user=hub dbname=azukari` or
    /// `postgresql://hub@localhost/azukari`) and create the schema in the default schema (`public`) if missing.
    ///
    /// No TLS: connect over a Unix socket or the loopback interface, or through a TLS tunnel.
    pub fn connect(url: &str) -> Result<Self, StorageError> {
        let client = Client::connect(url, NoTls)?;
        Self::with_client(client)
    }

    /// Connect like [`PostgresStorage::connect`], but keep every table in the PostgreSQL schema `schema`
    /// (created if missing), so several hubs, or tests, can share one database without seeing each other.
    pub fn connect_schema(url: &str, schema: &str) -> Result<Self, StorageError> {
        let mut client = Client::connect(url, NoTls)?;
        let schema = quote_identifier(schema);
        client.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
        ))?;
        Self::with_client(client)
    }

    fn with_client(mut client: Client) -> Result<Self, StorageError> {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER PRIMARY KEY)")?;
        let version: Option<i32> = tx
            .query_one("SELECT MAX(version) FROM hub_schema", &[])?
            .try_get(0)?;
        if let Some(newer) = version.filter(|v| *v > SCHEMA_VERSION) {
            return Err(StorageError::Damaged(format!(
                "the database has schema version {newer}; this hub knows only up to {SCHEMA_VERSION}"
            )));
        }
        tx.batch_execute(SCHEMA)?;
        tx.execute(
            "INSERT INTO hub_schema (version) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&SCHEMA_VERSION],
        )?;
        tx.commit()?;
        Ok(PostgresStorage { client })
    }
}

/// `name` as a quoted SQL identifier (any text is safe inside).
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Insert events that must continue the log exactly; a collision is a [`StorageError::Conflict`] (the caller's
/// transaction, dropped, writes none of them).
fn insert_events(
    tx: &mut Transaction<'_>,
    facility: FacilityId,
    events: &[StoredEvent],
) -> Result<(), StorageError> {
    let facility_text = facility.to_string();
    check_continues(count_events(tx, &facility_text)?, events)?;
    let insert = tx.prepare(
        "INSERT INTO events (facility_id, log_index, event_id, device_id, device_seq, hash, bytes,
                             signature, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )?;
    for event in events {
        let inserted = tx.execute(
            &insert,
            &[
                &facility_text,
                &to_i64(event.index, "event index")?,
                &event.event_id.to_string(),
                &event.device.to_string(),
                &to_i64(event.device_seq, "device sequence number")?,
                &&event.hash[..],
                &event.bytes,
                &event.signature,
                &event.received_at,
            ],
        );
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
    tx: &mut Transaction<'_>,
    facility: FacilityId,
    checkpoint: &StoredCheckpoint,
) -> Result<(), StorageError> {
    let facility_text = facility.to_string();
    let size = to_i64(checkpoint.size, "checkpoint size")?;
    let inserted = tx.execute(
        "INSERT INTO checkpoints (facility_id, size, note) VALUES ($1, $2, $3)
         ON CONFLICT (facility_id, size) DO NOTHING",
        &[&facility_text, &size, &checkpoint.note],
    )?;
    if inserted == 0 {
        let stored: Vec<u8> = tx
            .query_one(
                "SELECT note FROM checkpoints WHERE facility_id = $1 AND size = $2",
                &[&facility_text, &size],
            )?
            .try_get(0)?;
        if stored != checkpoint.note {
            return Err(StorageError::Conflict(format!(
                "a different checkpoint for size {} is already stored",
                checkpoint.size
            )));
        }
    }
    Ok(())
}

/// Insert shared keys, leaving a key id already stored as it is.
fn insert_keys(
    tx: &mut Transaction<'_>,
    facility: FacilityId,
    keys: &[SharedKey],
) -> Result<(), StorageError> {
    let facility_text = facility.to_string();
    let insert = tx.prepare(
        "INSERT INTO shared_keys (facility_id, key_id, wrapped) VALUES ($1, $2, $3)
         ON CONFLICT (facility_id, key_id) DO NOTHING",
    )?;
    for key in keys {
        tx.execute(
            &insert,
            &[
                &facility_text,
                &key.key_id.hyphenated().to_string(),
                &key.wrapped,
            ],
        )?;
    }
    Ok(())
}

/// Insert an alarm.
fn insert_alarm(
    tx: &mut Transaction<'_>,
    facility: FacilityId,
    alarm: &Alarm,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO alarms (facility_id, at, kind, detail) VALUES ($1, $2, $3, $4)",
        &[&facility.to_string(), &alarm.at, &alarm.kind, &alarm.detail],
    )?;
    Ok(())
}

/// [`StorageError::UnknownFacility`] unless the facility is served.
fn require_facility(
    client: &mut impl GenericClient,
    facility: FacilityId,
) -> Result<(), StorageError> {
    let known = client.query_opt(
        "SELECT 1 FROM facilities WHERE facility_id = $1",
        &[&facility.to_string()],
    )?;
    known
        .map(|_| ())
        .ok_or(StorageError::UnknownFacility(facility))
}

/// Whether PostgreSQL refused a write because of a unique or primary-key constraint.
fn is_unique_violation(error: &::postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// PostgreSQL's own words for an error: its message and, for a constraint, which key collided.
fn detail(error: &::postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => error.to_string(),
    }
}

fn event_from_row(row: &Row) -> Result<StoredEvent, StorageError> {
    Ok(StoredEvent {
        index: to_u64(row.try_get(0)?, "event index")?,
        event_id: EventId(parse_uuid(row.try_get(1)?, "event id")?),
        device: DeviceId(parse_uuid(row.try_get(2)?, "device id")?),
        device_seq: to_u64(row.try_get(3)?, "device sequence number")?,
        hash: to_hash(row.try_get(4)?, "event hash")?,
        bytes: row.try_get(5)?,
        signature: row.try_get(6)?,
        received_at: row.try_get(7)?,
    })
}

/// The number of events of a facility: one past the highest index, since indices are consecutive from 0
/// (an index lookup, where `count(*)` would scan the log).
fn count_events(client: &mut impl GenericClient, facility: &str) -> Result<u64, StorageError> {
    let next: i64 = client
        .query_one(
            "SELECT COALESCE(MAX(log_index) + 1, 0) FROM events WHERE facility_id = $1",
            &[&facility],
        )?
        .try_get(0)?;
    to_u64(next, "event count")
}

impl HubStorage for PostgresStorage {
    fn create_facility(&mut self, record: &FacilityRecord) -> Result<(), StorageError> {
        let inserted = self.client.execute(
            "INSERT INTO facilities (facility_id, name, trust_anchor, created_at) VALUES ($1, $2, $3, $4)",
            &[
                &record.facility.to_string(),
                &record.name,
                &record.trust_anchor,
                &record.created_at,
            ],
        );
        match inserted {
            Err(e) if is_unique_violation(&e) => Err(StorageError::Conflict(format!(
                "facility {} is already served",
                record.facility
            ))),
            other => other.map(|_| ()).map_err(StorageError::from),
        }
    }

    fn facilities(&mut self) -> Result<Vec<FacilityRecord>, StorageError> {
        let rows = self.client.query(
            "SELECT facility_id, name, trust_anchor, created_at FROM facilities ORDER BY created_at, seq",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                Ok(FacilityRecord {
                    facility: FacilityId(parse_uuid(row.try_get(0)?, "facility id")?),
                    name: row.try_get(1)?,
                    trust_anchor: row.try_get(2)?,
                    created_at: row.try_get(3)?,
                })
            })
            .collect()
    }

    fn facility(&mut self, facility: FacilityId) -> Result<FacilityRecord, StorageError> {
        let row = self
            .client
            .query_opt(
                "SELECT name, trust_anchor, created_at FROM facilities WHERE facility_id = $1",
                &[&facility.to_string()],
            )?
            .ok_or(StorageError::UnknownFacility(facility))?;
        Ok(FacilityRecord {
            facility,
            name: row.try_get(0)?,
            trust_anchor: row.try_get(1)?,
            created_at: row.try_get(2)?,
        })
    }

    fn add_device(
        &mut self,
        facility: FacilityId,
        device: &EnrolledDevice,
    ) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        let inserted = tx.execute(
            "INSERT INTO devices (facility_id, device_id, public_key, label, enrolled_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &facility.to_string(),
                &device.device.to_string(),
                &device.public_key,
                &device.label,
                &device.enrolled_at,
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
        require_facility(&mut self.client, facility)?;
        let rows = self.client.query(
            "SELECT device_id, public_key, label, enrolled_at FROM devices
             WHERE facility_id = $1 ORDER BY enrolled_at, seq",
            &[&facility.to_string()],
        )?;
        rows.iter()
            .map(|row| {
                Ok(EnrolledDevice {
                    device: DeviceId(parse_uuid(row.try_get(0)?, "device id")?),
                    public_key: row.try_get(1)?,
                    label: row.try_get(2)?,
                    enrolled_at: row.try_get(3)?,
                })
            })
            .collect()
    }

    fn append_events(
        &mut self,
        facility: FacilityId,
        events: &[StoredEvent],
    ) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        insert_events(&mut tx, facility, events)?;
        tx.commit()?;
        Ok(())
    }

    fn append(&mut self, facility: FacilityId, append: &LogAppend<'_>) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        insert_events(&mut tx, facility, append.events)?;
        insert_checkpoint(&mut tx, facility, append.checkpoint)?;
        insert_keys(&mut tx, facility, append.keys)?;
        for alarm in append.alarms {
            insert_alarm(&mut tx, facility, alarm)?;
        }
        if !append.erased_keys.is_empty() {
            let ids: Vec<String> = append
                .erased_keys
                .iter()
                .map(|id| id.hyphenated().to_string())
                .collect();
            tx.execute(
                "UPDATE shared_keys SET wrapped = ''::bytea WHERE facility_id = $1 AND key_id = ANY($2)",
                &[&facility.to_string(), &ids],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn event_count(&mut self, facility: FacilityId) -> Result<u64, StorageError> {
        require_facility(&mut self.client, facility)?;
        count_events(&mut self.client, &facility.to_string())
    }

    fn events_from(
        &mut self,
        facility: FacilityId,
        from: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StorageError> {
        require_facility(&mut self.client, facility)?;
        // Beyond i64::MAX there is nothing to read, and no limit can be larger than every log.
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.client.query(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events
                 WHERE facility_id = $1 AND log_index >= $2 ORDER BY log_index LIMIT $3"
            ),
            &[&facility.to_string(), &from, &limit],
        )?;
        rows.iter().map(event_from_row).collect()
    }

    fn event_by_id(
        &mut self,
        facility: FacilityId,
        event_id: EventId,
    ) -> Result<Option<StoredEvent>, StorageError> {
        require_facility(&mut self.client, facility)?;
        let row = self.client.query_opt(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE facility_id = $1 AND event_id = $2"),
            &[&facility.to_string(), &event_id.to_string()],
        )?;
        row.as_ref().map(event_from_row).transpose()
    }

    fn events_by_ids(
        &mut self,
        facility: FacilityId,
        event_ids: &[EventId],
    ) -> Result<Vec<StoredEvent>, StorageError> {
        require_facility(&mut self.client, facility)?;
        let ids: Vec<String> = event_ids.iter().map(|id| id.to_string()).collect();
        let rows = self.client.query(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE facility_id = $1 AND event_id = ANY($2)
                 ORDER BY log_index"
            ),
            &[&facility.to_string(), &ids],
        )?;
        rows.iter().map(event_from_row).collect()
    }

    fn device_tips(&mut self, facility: FacilityId) -> Result<Vec<DeviceTip>, StorageError> {
        require_facility(&mut self.client, facility)?;
        let rows = self.client.query(
            "SELECT DISTINCT ON (device_id) device_id, device_seq, hash FROM events
             WHERE facility_id = $1 ORDER BY device_id, device_seq DESC",
            &[&facility.to_string()],
        )?;
        let mut tips = rows
            .iter()
            .map(|row| {
                Ok(DeviceTip {
                    device: DeviceId(parse_uuid(row.try_get(0)?, "device id")?),
                    last_seq: to_u64(row.try_get(1)?, "device sequence number")?,
                    last_hash: to_hash(row.try_get(2)?, "event hash")?,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        // Sorted here, not by the database's collation, so both storages list tips in the same order.
        tips.sort_by_key(|tip| tip.device);
        Ok(tips)
    }

    fn put_checkpoint(
        &mut self,
        facility: FacilityId,
        checkpoint: &StoredCheckpoint,
    ) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        insert_checkpoint(&mut tx, facility, checkpoint)?;
        tx.commit()?;
        Ok(())
    }

    fn latest_checkpoint(
        &mut self,
        facility: FacilityId,
    ) -> Result<Option<StoredCheckpoint>, StorageError> {
        require_facility(&mut self.client, facility)?;
        let row = self.client.query_opt(
            "SELECT size, note FROM checkpoints WHERE facility_id = $1 ORDER BY size DESC LIMIT 1",
            &[&facility.to_string()],
        )?;
        row.map(|row| {
            Ok(StoredCheckpoint {
                size: to_u64(row.try_get(0)?, "checkpoint size")?,
                note: row.try_get(1)?,
            })
        })
        .transpose()
    }

    fn put_token(
        &mut self,
        facility: FacilityId,
        token: &EnrollmentToken,
    ) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        let inserted = tx.execute(
            "INSERT INTO tokens (facility_id, token_hash, label, expires_at) VALUES ($1, $2, $3, $4)",
            &[
                &facility.to_string(),
                &&token.token_hash[..],
                &token.label,
                &token.expires_at,
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
        let hash = &token_hash[..];
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        // One statement decides: of two concurrent uses, the second waits for the first's row lock, then finds
        // `used_at` set and updates nothing.
        let accepted = tx.query_opt(
            "UPDATE tokens SET used_at = $3
             WHERE facility_id = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > $3
             RETURNING label",
            &[&facility_text, &hash, &now],
        )?;
        let outcome = match accepted {
            Some(row) => TokenUse::Accepted {
                label: row.try_get(0)?,
            },
            None => {
                let found = tx.query_opt(
                    "SELECT used_at FROM tokens WHERE facility_id = $1 AND token_hash = $2",
                    &[&facility_text, &hash],
                )?;
                match found {
                    None => TokenUse::Unknown,
                    Some(row) => match row.try_get::<_, Option<i64>>(0)? {
                        Some(_) => TokenUse::AlreadyUsed,
                        None => TokenUse::Expired,
                    },
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
        let hash = &token_hash[..];
        require_facility(&mut self.client, facility)?;
        let found = self
            .client
            .query_opt(
                "SELECT label, expires_at, used_at FROM tokens WHERE facility_id = $1 AND token_hash = $2",
                &[&facility_text, &hash],
            )?
            .map(|row| -> Result<_, postgres::Error> {
                Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
            })
            .transpose()?;
        Ok(super::token_use(found, now))
    }

    fn put_keys(&mut self, facility: FacilityId, keys: &[SharedKey]) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        insert_keys(&mut tx, facility, keys)?;
        tx.commit()?;
        Ok(())
    }

    fn keys(&mut self, facility: FacilityId) -> Result<Vec<SharedKey>, StorageError> {
        require_facility(&mut self.client, facility)?;
        let rows = self.client.query(
            "SELECT key_id, wrapped FROM shared_keys WHERE facility_id = $1 ORDER BY seq",
            &[&facility.to_string()],
        )?;
        rows.iter()
            .map(|row| {
                Ok(SharedKey {
                    key_id: parse_uuid(row.try_get(0)?, "key id")?,
                    wrapped: row.try_get(1)?,
                })
            })
            .collect()
    }

    fn put_alarm(&mut self, facility: FacilityId, alarm: &Alarm) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        insert_alarm(&mut tx, facility, alarm)?;
        tx.commit()?;
        Ok(())
    }

    fn alarms(&mut self, facility: FacilityId) -> Result<Vec<Alarm>, StorageError> {
        require_facility(&mut self.client, facility)?;
        let rows = self.client.query(
            "SELECT at, kind, detail FROM alarms WHERE facility_id = $1 ORDER BY at, seq",
            &[&facility.to_string()],
        )?;
        rows.iter()
            .map(|row| {
                Ok(Alarm {
                    at: row.try_get(0)?,
                    kind: row.try_get(1)?,
                    detail: row.try_get(2)?,
                })
            })
            .collect()
    }

    fn put_device_seen(
        &mut self,
        facility: FacilityId,
        seen: &DeviceSeen,
    ) -> Result<(), StorageError> {
        let mut tx = self.client.transaction()?;
        require_facility(&mut tx, facility)?;
        tx.execute(
            "INSERT INTO devices_seen (facility_id, device_id, at, clock_offset_ms, pulled_to)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (facility_id, device_id) DO UPDATE SET
                 at = excluded.at, clock_offset_ms = excluded.clock_offset_ms, pulled_to = excluded.pulled_to",
            &[
                &facility.to_string(),
                &seen.device.to_string(),
                &seen.at,
                &seen.clock_offset_ms,
                &to_i64(seen.pulled_to, "pulled_to")?,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn devices_seen(&mut self, facility: FacilityId) -> Result<Vec<DeviceSeen>, StorageError> {
        require_facility(&mut self.client, facility)?;
        let rows = self.client.query(
            "SELECT device_id, at, clock_offset_ms, pulled_to FROM devices_seen WHERE facility_id = $1
             ORDER BY device_id",
            &[&facility.to_string()],
        )?;
        rows.iter()
            .map(|row| {
                Ok(DeviceSeen {
                    device: DeviceId(parse_uuid(row.try_get(0)?, "device id")?),
                    at: row.try_get(1)?,
                    clock_offset_ms: row.try_get(2)?,
                    pulled_to: to_u64(row.try_get(3)?, "pulled_to")?,
                })
            })
            .collect()
    }
}
