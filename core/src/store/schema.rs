//! The schema: numbered `.sql` migrations, applied in order, each in its own transaction, with the schema version
//! in `PRAGMA user_version`. Version n of the file list is the schema after migration n; a database at any earlier
//! version is upgraded step by step (tested from a fixture database of every earlier version).

use super::StoreError;
use rusqlite::{Connection, Transaction};

/// What a migration does besides its SQL, in the same transaction (e.g. fill a new index from the stored events).
type AfterSql = fn(&Transaction<'_>) -> Result<(), StoreError>;

/// The migrations, in order; index i takes the schema from version i to i + 1.
const MIGRATIONS: &[(&str, Option<AfterSql>)] = &[
    (include_str!("../../migrations/001_initial.sql"), None),
    (
        include_str!("../../migrations/002_custody_snapshot.sql"),
        None,
    ),
    (include_str!("../../migrations/003_shared_keys.sql"), None),
    (
        include_str!("../../migrations/004_item_events.sql"),
        Some(super::item_index::index_all),
    ),
];

/// The schema version this build writes.
pub const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

/// The database's schema version.
pub fn version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Upgrade the database to [`LATEST_VERSION`]. Refuses databases written by a newer build.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current = version(conn)?;
    if current > LATEST_VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for (index, (sql, after)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if let Some(after) = after {
            after(&tx)?;
        }
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
