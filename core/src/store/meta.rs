//! The `meta` table: the store's settings and wrapped secrets, by name.

use super::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(super) const FACILITY_ID: &str = "facility_id";
pub(super) const DEVICE_ID: &str = "device_id";
pub(super) const DATA_KEY_ID: &str = "data_key_id";
pub(super) const DATA_KEY_USES: &str = "data_key_uses";
pub(super) const VAULT_WRAPPED_KEY: &str = "vault_wrapped_key";
pub(super) const RECOVERY_ENVELOPE: &str = "recovery_envelope";
pub(super) const CANARY: &str = "canary";
pub(super) const DEVICE_SIGNING_KEY: &str = "device_signing_key";
pub(super) const TRUST_ANCHOR: &str = "trust_anchor";
pub(super) const LOG_HEAD: &str = "log_head";
pub(super) const DAMAGE_ACKNOWLEDGED: &str = "damage_acknowledged";

/// Access to the `meta` table.
pub(super) struct Meta;

impl Meta {
    /// The value of `name`; an error if it is missing.
    pub(super) fn get(conn: &Connection, name: &'static str) -> Result<Vec<u8>, StoreError> {
        Meta::get_optional(conn, name)?.ok_or(StoreError::BadMeta(name))
    }

    /// The value of `name`, if present.
    pub(super) fn get_optional(
        conn: &Connection,
        name: &'static str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The value of `name` as a big-endian u64, if present.
    pub(super) fn get_u64(
        conn: &Connection,
        name: &'static str,
    ) -> Result<Option<u64>, StoreError> {
        match Meta::get_optional(conn, name)? {
            None => Ok(None),
            Some(bytes) => {
                let array: [u8; 8] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::BadMeta(name))?;
                Ok(Some(u64::from_be_bytes(array)))
            }
        }
    }

    /// The postcard-encoded value of `name`.
    pub(super) fn get_value<T: DeserializeOwned>(
        conn: &Connection,
        name: &'static str,
    ) -> Result<T, StoreError> {
        postcard::from_bytes(&Meta::get(conn, name)?).map_err(|_| StoreError::BadMeta(name))
    }

    /// Set `name` to `value`.
    pub(super) fn put(
        conn: &Connection,
        name: &'static str,
        value: &[u8],
    ) -> Result<(), StoreError> {
        conn.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![name, value],
        )?;
        Ok(())
    }

    /// Set `name` to the postcard encoding of `value`.
    pub(super) fn put_value<T: Serialize>(
        conn: &Connection,
        name: &'static str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = postcard::to_stdvec(value).map_err(|_| StoreError::BadMeta(name))?;
        Meta::put(conn, name, &bytes)
    }
}
