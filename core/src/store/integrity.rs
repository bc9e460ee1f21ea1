//! The check a store runs every time it opens: the newest events (and the first) are recomputed from what is
//! stored — each event's hash from its bytes and signature, its signature against its device's registered key,
//! its link to its device's previous event — so a store whose rows were edited under SQLite (append-only triggers
//! dropped, one byte changed) is found at once, not at the next full verification.
//!
//! Why only the newest: they are what the next handover builds on and what a tamperer most wants to change, and
//! checking [`CHECKED_AT_OPEN`] events keeps opening fast on a phone with years of events. The whole ledger is
//! verified by [`super::Store::verify`] (on a schedule, in the background).
//!
//! A damaged store still opens, so the board and the console can show what is wrong, but it refuses new events
//! (its own and those from the hub) until an administrator acknowledges the damage
//! ([`super::Store::acknowledge_damage`]); the acknowledgement is kept, for exactly that damage.
//!
//! Event numbers in every message are the stored `log_index` (from 1), the number the auditor sees.

use super::StoreError;
use crate::crypto::DevicePublicKey;
use crate::ledger::{EventBody, EventHash, LedgerError, SignedEvent, TrustAnchor};
use crate::model::{DeviceId, FacilityId};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;

/// How many of the newest events are rechecked whenever a store opens (the first event is checked too).
pub const CHECKED_AT_OPEN: u64 = 64;

/// What the open-time check found wrong: the first damaged event, by its stored number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDamage {
    /// The damaged event's `log_index` (from 1).
    pub log_index: u64,
    /// What is wrong with it (its `index` is the same `log_index`).
    pub problem: LedgerError,
    /// Whether an administrator acknowledged it (then new events are accepted again).
    pub acknowledged: bool,
}

impl StoreDamage {
    /// What identifies this damage in the acknowledgement kept in the store.
    pub(super) fn fingerprint(&self) -> Vec<u8> {
        format!("{}:{}", self.log_index, self.problem).into_bytes()
    }

    /// The error that refuses new events while this damage is not acknowledged.
    pub(super) fn to_error(&self) -> StoreError {
        StoreError::Damaged {
            log_index: self.log_index,
            problem: self.problem.to_string(),
        }
    }
}

impl std::fmt::Display for StoreDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.acknowledged {
            write!(
                f,
                "the ledger on this device is damaged ({}); an administrator acknowledged it — restore the device from the hub / この端末の台帳が損傷しています（{}）。管理者確認済みです。ハブから復元してください",
                self.problem, self.problem
            )
        } else {
            write!(
                f,
                "the ledger on this device is damaged ({}); nothing new is recorded until an administrator acknowledges it — restore the device from the hub / この端末の台帳が損傷しています（{}）。管理者が確認するまで新しい記録はできません。ハブから復元してください",
                self.problem, self.problem
            )
        }
    }
}

/// Give an error about "event #i" the number `log_index` instead.
pub fn renumber(error: LedgerError, log_index: u64) -> LedgerError {
    let index = usize::try_from(log_index).unwrap_or(usize::MAX);
    match error {
        LedgerError::Malformed { .. } => LedgerError::Malformed { index },
        LedgerError::WrongFacility { .. } => LedgerError::WrongFacility { index },
        LedgerError::UnknownDevice { device, .. } => LedgerError::UnknownDevice { index, device },
        LedgerError::BadSignature { .. } => LedgerError::BadSignature { index },
        LedgerError::SequenceGap {
            device,
            expected,
            found,
            ..
        } => LedgerError::SequenceGap {
            index,
            device,
            expected,
            found,
        },
        LedgerError::OutOfOrder { .. } => LedgerError::OutOfOrder { index },
        LedgerError::BrokenChain { .. } => LedgerError::BrokenChain { index },
        LedgerError::Duplicate { .. } => LedgerError::Duplicate { index },
        LedgerError::HashMismatch { .. } => LedgerError::HashMismatch { index },
        other => other,
    }
}

/// Give an error from a check over the whole log (0-based positions) the stored numbers (from 1).
pub fn to_log_numbers(error: LedgerError) -> LedgerError {
    match position(&error) {
        Some(position) => renumber(error, position as u64 + 1),
        None => error,
    }
}

/// The event an error names (its index field), if it names one.
pub(super) fn position(error: &LedgerError) -> Option<usize> {
    match error {
        LedgerError::Malformed { index }
        | LedgerError::WrongFacility { index }
        | LedgerError::UnknownDevice { index, .. }
        | LedgerError::BadSignature { index }
        | LedgerError::SequenceGap { index, .. }
        | LedgerError::OutOfOrder { index }
        | LedgerError::BrokenChain { index }
        | LedgerError::Duplicate { index }
        | LedgerError::HashMismatch { index } => Some(*index),
        _ => None,
    }
}

/// One stored event row.
struct Row {
    log_index: u64,
    device: String,
    device_seq: u64,
    event: SignedEvent,
    hash: Vec<u8>,
}

/// Recheck the first event and the newest [`CHECKED_AT_OPEN`]; the first damaged one, if any (not yet marked
/// acknowledged).
pub(super) fn check_at_open(
    conn: &Connection,
    facility: FacilityId,
    anchor: &TrustAnchor,
) -> Result<Option<StoreDamage>, StoreError> {
    let rows = checked_rows(conn)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let keys = registered_keys(conn, anchor)?;
    for row in &rows {
        if let Err(problem) = check_row(conn, facility, &keys, row)? {
            return Ok(Some(StoreDamage {
                log_index: row.log_index,
                problem: renumber(problem, row.log_index),
                acknowledged: false,
            }));
        }
    }
    Ok(None)
}

fn checked_rows(conn: &Connection) -> Result<Vec<Row>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT log_index, device_id, device_seq, bytes, signature, hash FROM events
         WHERE log_index = 1 OR log_index > (SELECT COALESCE(MAX(log_index), 0) FROM events) - ?1
         ORDER BY log_index",
    )?;
    let rows = statement.query_map([CHECKED_AT_OPEN as i64], |row| {
        Ok(Row {
            log_index: row.get::<_, i64>(0)? as u64,
            device: row.get(1)?,
            device_seq: row.get::<_, i64>(2)? as u64,
            event: SignedEvent {
                bytes: row.get(3)?,
                signature: crate::crypto::DeviceSignature(row.get(4)?),
            },
            hash: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Every device key the stored ledger registers (registrations that do not decode are left out: if they are
/// among the checked events they are reported, and otherwise the full verification reports them). The founding
/// device's key is the trust anchor's.
fn registered_keys(
    conn: &Connection,
    anchor: &TrustAnchor,
) -> Result<HashMap<DeviceId, DevicePublicKey>, StoreError> {
    let mut keys = HashMap::new();
    let mut statement = conn.prepare(
        "SELECT bytes, signature FROM events WHERE kind = 'device_registered' ORDER BY log_index",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(SignedEvent {
            bytes: row.get(0)?,
            signature: crate::crypto::DeviceSignature(row.get(1)?),
        })
    })?;
    for row in rows {
        if let Ok(envelope) = row?.decode()
            && let EventBody::DeviceRegistered {
                device, public_key, ..
            } = envelope.body
        {
            keys.entry(device).or_insert(public_key);
        }
    }
    keys.insert(anchor.founding_device, anchor.founding_key.clone());
    Ok(keys)
}

/// Check one row: its stored hash, its decoding and columns, its facility, its signature, its chain link.
fn check_row(
    conn: &Connection,
    facility: FacilityId,
    keys: &HashMap<DeviceId, DevicePublicKey>,
    row: &Row,
) -> Result<Result<(), LedgerError>, StoreError> {
    let index = 0;
    let hash = row.event.hash();
    if hash.0.as_slice() != row.hash.as_slice() {
        return Ok(Err(LedgerError::HashMismatch { index }));
    }
    let Ok(envelope) = row.event.decode() else {
        return Ok(Err(LedgerError::Malformed { index }));
    };
    if envelope.device.to_string() != row.device || envelope.device_seq != row.device_seq {
        return Ok(Err(LedgerError::Malformed { index }));
    }
    if envelope.facility != facility {
        return Ok(Err(LedgerError::WrongFacility { index }));
    }
    let Some(key) = keys.get(&envelope.device) else {
        return Ok(Err(LedgerError::UnknownDevice {
            index,
            device: envelope.device,
        }));
    };
    if row.event.verify_signature(key).is_err() {
        return Ok(Err(LedgerError::BadSignature { index }));
    }
    let previous: Option<Vec<u8>> = if envelope.device_seq <= 1 {
        Some(EventHash::ZERO.0.to_vec())
    } else {
        conn.query_row(
            "SELECT hash FROM events WHERE device_id = ?1 AND device_seq = ?2",
            params![row.device, (envelope.device_seq - 1) as i64],
            |r| r.get(0),
        )
        .optional()?
    };
    match previous {
        Some(previous) if previous.as_slice() == envelope.prev_hash.0.as_slice() => Ok(Ok(())),
        Some(_) => Ok(Err(LedgerError::BrokenChain { index })),
        None => Ok(Err(LedgerError::SequenceGap {
            index,
            device: envelope.device,
            expected: envelope.device_seq - 1,
            found: envelope.device_seq,
        })),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::OpenOptions;
    use crate::testing::TestStore;

    /// A seeded store, closed, with its append-only triggers dropped and `sql` run on it (as a tamperer would).
    fn tampered(dir: &std::path::Path, sql: &str) -> (TestStore, u64) {
        let mut test = TestStore::create(dir, "tampered").unwrap();
        crate::demo::seed(&mut test.store, 2).unwrap();
        let length = test.store.head().length;
        let TestStore {
            store,
            path,
            vault,
            clock,
        } = test;
        store.close().unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER events_are_append_only_no_update; DROP TRIGGER events_are_append_only_no_delete;",
        )
        .unwrap();
        conn.execute_batch(&sql.replace("{last}", &length.to_string()))
            .unwrap();
        drop(conn);
        let store = crate::store::Store::open(
            &path,
            crate::store::Unlock::Vault(&vault),
            OpenOptions::default(),
            clock.clone(),
        )
        .unwrap();
        (
            TestStore {
                store,
                path,
                vault,
                clock,
            },
            length,
        )
    }

    /// SQL that changes the last byte of `column` of the event at `log_index`.
    fn flip_last_byte(column: &str, log_index: &str) -> String {
        format!(
            "UPDATE events SET {column} = CAST(substr({column}, 1, length({column}) - 1) || \
             (CASE WHEN substr({column}, -1) = x'00' THEN x'01' ELSE x'00' END) AS BLOB) \
             WHERE log_index = {log_index};"
        )
    }

    fn assert_reported_and_refused(test: &mut TestStore, log_index: u64) {
        let damage = test
            .store
            .damage()
            .cloned()
            .expect("the damage is reported at open");
        assert_eq!(damage.log_index, log_index);
        assert!(
            damage
                .problem
                .to_string()
                .contains(&format!("#{log_index}")),
            "{}",
            damage.problem
        );
        let length = test.store.head().length;
        let refused = test.store.append(
            None,
            EventBody::LockerRegistered {
                locker: crate::model::Locker {
                    id: crate::model::LockerId::random(),
                    kind: crate::model::LockerKind::CardLocker,
                    name: "新しいロッカー".into(),
                    place: "1F".into(),
                },
            },
        );
        assert!(
            matches!(refused, Err(StoreError::Damaged { log_index: at, .. }) if at == log_index),
            "{refused:?}"
        );
        assert!(damage.to_string().contains("administrator"), "{damage}");
        assert_eq!(test.store.head().length, length, "nothing was appended");
        assert!(
            matches!(test.store.ingest_all(&[]), Err(StoreError::Damaged { .. })),
            "events from the hub are refused too"
        );
    }

    #[test]
    fn an_untouched_store_opens_undamaged() {
        let dir = tempfile::tempdir().unwrap();
        let (test, _) = tampered(dir.path(), "SELECT 1;");
        assert_eq!(test.store.damage(), None);
    }

    #[test]
    fn an_edited_event_is_reported_at_open_and_nothing_is_appended() {
        let dir = tempfile::tempdir().unwrap();
        let sql = flip_last_byte("bytes", "{last} - 3");
        let (mut test, length) = tampered(dir.path(), &sql);
        assert_reported_and_refused(&mut test, length - 3);
    }

    #[test]
    fn an_edited_signature_is_reported_at_open_and_nothing_is_appended() {
        let dir = tempfile::tempdir().unwrap();
        let sql = flip_last_byte("signature", "{last} - 1");
        let (mut test, length) = tampered(dir.path(), &sql);
        assert_reported_and_refused(&mut test, length - 1);
    }

    #[test]
    fn an_edited_last_event_is_reported_at_open_and_nothing_is_appended() {
        let dir = tempfile::tempdir().unwrap();
        let sql = flip_last_byte("bytes", "{last}");
        let (mut test, length) = tampered(dir.path(), &sql);
        assert_reported_and_refused(&mut test, length);
    }

    #[test]
    fn an_edited_first_event_is_reported_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let conn_sql = flip_last_byte("signature", "1");
        let (mut test, _) = tampered(dir.path(), &conn_sql);
        assert_reported_and_refused(&mut test, 1);
    }

    #[test]
    fn an_acknowledged_damage_lets_the_store_record_again_and_stays_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let sql = flip_last_byte("signature", "{last}");
        let (mut test, length) = tampered(dir.path(), &sql);
        test.store.acknowledge_damage().unwrap();
        let damage = test.store.damage().cloned().unwrap();
        assert!(damage.acknowledged);
        assert_eq!(damage.log_index, length);
        let test = test.reopen(OpenOptions::default()).unwrap();
        let damage = test.store.damage().cloned().unwrap();
        assert!(damage.acknowledged, "the acknowledgement is kept");
    }

    #[test]
    fn an_old_malformed_event_is_named_by_its_stored_number() {
        let dir = tempfile::tempdir().unwrap();
        let mut test = TestStore::create(dir.path(), "old").unwrap();
        crate::demo::seed(&mut test.store, 1).unwrap();
        for n in 0..CHECKED_AT_OPEN {
            test.store
                .append(
                    None,
                    EventBody::LockerRegistered {
                        locker: crate::model::Locker {
                            id: crate::model::LockerId::random(),
                            kind: crate::model::LockerKind::CardLocker,
                            name: format!("ロッカー {n}"),
                            place: "1F".into(),
                        },
                    },
                )
                .unwrap();
        }
        assert!(test.store.head().length > CHECKED_AT_OPEN + 2);
        let TestStore {
            store,
            path,
            vault,
            clock,
        } = test;
        store.close().unwrap();
        // Event 2, outside the events checked at open, cut short: it no longer decodes.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER events_are_append_only_no_update;
             UPDATE events SET bytes = CAST(substr(bytes, 1, length(bytes) - 1) AS BLOB) WHERE log_index = 2;",
        )
        .unwrap();
        drop(conn);
        let opened = crate::store::Store::open(
            &path,
            crate::store::Unlock::Vault(&vault),
            OpenOptions::default(),
            clock,
        );
        // Outside the newest events the open checks (it folds from its snapshot); a refold and the full
        // verification name it by its stored number.
        let store = opened.unwrap();
        assert_eq!(store.damage(), None);
        let refold = store.full_fold().unwrap_err().to_string();
        assert!(refold.contains("#2 "), "{refold}");
        let verified = store
            .verify(crate::ledger::VerifyMode::EverySignature)
            .unwrap_err()
            .to_string();
        assert!(verified.contains("#2 "), "{verified}");
    }

    #[test]
    fn full_verification_numbers_events_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let sql = flip_last_byte("signature", "{last} - 2");
        let (test, length) = tampered(dir.path(), &sql);
        let error = test
            .store
            .verify(crate::ledger::VerifyMode::EverySignature)
            .unwrap_err();
        assert!(
            error.to_string().contains(&format!("#{}", length - 2)),
            "{error}"
        );
    }
}
