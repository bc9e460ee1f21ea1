//! Conversions and checks both storages share: numbers between `u64` and the databases' signed integers, stored
//! ids and hashes back into their types, and the rule that an append continues the log exactly.

use super::{StorageError, StoredEvent};
use uuid::Uuid;

/// A count or index as the database's signed 64-bit integer; [`StorageError::Conflict`] if it does not fit
/// (nothing written).
pub(super) fn to_i64(value: u64, what: &str) -> Result<i64, StorageError> {
    i64::try_from(value).map_err(|_| {
        StorageError::Conflict(format!(
            "{what} {value} is larger than the storage can hold ({})",
            i64::MAX
        ))
    })
}

/// A stored count or index back as `u64`; a negative one means the data is damaged.
pub(super) fn to_u64(value: i64, what: &str) -> Result<u64, StorageError> {
    u64::try_from(value).map_err(|_| StorageError::Damaged(format!("negative {what} {value}")))
}

/// A stored id back as a UUID; anything else means the data is damaged.
pub(super) fn parse_uuid(text: &str, what: &str) -> Result<Uuid, StorageError> {
    Uuid::parse_str(text).map_err(|e| StorageError::Damaged(format!("{what} {text:?}: {e}")))
}

/// A stored hash back as 32 bytes; any other length means the data is damaged.
pub(super) fn to_hash(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], StorageError> {
    <[u8; 32]>::try_from(bytes).map_err(|bytes| {
        StorageError::Damaged(format!("{what} of {} bytes instead of 32", bytes.len()))
    })
}

/// Check that `events` continue a log of `count` events with consecutive indices.
pub(super) fn check_continues(count: u64, events: &[StoredEvent]) -> Result<(), StorageError> {
    for (offset, event) in (0u64..).zip(events) {
        let expected = count.checked_add(offset).ok_or_else(|| {
            StorageError::Conflict("the log cannot grow past u64::MAX events".into())
        })?;
        if event.index != expected {
            return Err(StorageError::Conflict(if offset == 0 {
                format!(
                    "the log holds {count} events, so the next index is {count}, not {}",
                    event.index
                )
            } else {
                format!(
                    "indices must be consecutive: batch item {offset} has index {} instead of {expected}",
                    event.index
                )
            }));
        }
    }
    Ok(())
}
