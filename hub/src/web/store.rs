//! What the browser pages keep beside the ledger, in their own SQLite file `web.sqlite` in the hub directory:
//! registered passkeys (the full webauthn-rs record, plus the public key the ledger also holds), one-time links
//! (only their SHA-256 is kept) and the access log (every sign-in, refused or not, and every read of personal
//! data).
//!
//! Why its own file and not the hub's log storage: the log storage is SQLite or PostgreSQL behind one conformance
//! suite and holds only what every device syncs; these rows are local to this hub, change often (links are used,
//! keys revoked) and must never be pushed to devices. The passkeys' public keys that signed decisions are in the
//! ledger too (`PasskeyRegistered`), so an auditor never needs this file.

use azukari_core::ledger::passkey::{PasskeyKey, PasskeyOwner};
use azukari_core::model::{AgreementId, StaffId};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why the web store failed.
#[derive(Debug, thiserror::Error)]
pub enum WebStoreError {
    /// SQLite failed.
    #[error("the web pages' store failed ({0}) / ウェブ画面の保存に失敗しました")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row could not be read back.
    #[error("the web pages' store holds a bad row ({0}) / ウェブ画面の保存データが不正です")]
    BadRow(&'static str),
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A member of staff registers their passkey.
    Staff(StaffId),
    /// A family member opens an agreement.
    Family(AgreementId),
}

/// Why a link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No such link (or a forged one).
    Unknown,
    /// Its time ran out.
    Expired,
    /// It was used before.
    Used,
}

/// A registered passkey.
#[derive(Debug, Clone)]
pub struct StoredPasskey {
    /// Whose.
    pub owner: PasskeyOwner,
    /// The key, as the ledger has it.
    pub key: PasskeyKey,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// When (Unix milliseconds).
    pub at: i64,
    /// Who: `staff:<id>`, `family:<agreement>` or `anonymous`.
    pub who: String,
    /// What: `sign_in`, `sign_in_refused`, `read`, `download`, `decision`, `link_opened`, …
    pub action: String,
    /// What was read or done (a page path or an id; never personal data).
    pub subject: String,
    /// The client's address.
    pub client: String,
}

/// The web pages' store.
pub struct WebStore {
    connection: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for WebStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebStore")
            .field("path", &self.path)
            .finish()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS passkeys (
    credential_id BLOB PRIMARY KEY,
    owner BLOB NOT NULL,
    key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS links (
    token_hash BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE TABLE IF NOT EXISTS access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    client TEXT NOT NULL
);
";

fn token_hash(token: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"azukari/web-link/v1");
    hasher.update(token.as_bytes());
    hasher.finalize().to_vec()
}

impl WebStore {
    /// Open (or create) `web.sqlite` in the hub directory `dir`, readable by its owner only.
    pub fn open_in(dir: &Path) -> Result<WebStore, WebStoreError> {
        let path = dir.join("web.sqlite");
        let connection = Connection::open(&path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(SCHEMA)?;
        Ok(WebStore { connection, path })
    }

    /// Make a one-time link token for `kind`, valid for `minutes`; only its hash is kept.
    pub fn issue_link(
        &self,
        kind: LinkKind,
        now: i64,
        minutes: i64,
    ) -> Result<String, WebStoreError> {
        let token = super::random_token(32).map_err(|_| WebStoreError::BadRow("random"))?;
        let (kind_text, subject) = match kind {
            LinkKind::Staff(staff) => ("staff", staff.0.to_string()),
            LinkKind::Family(agreement) => ("family", agreement.0.to_string()),
        };
        self.connection.execute(
            "INSERT INTO links (token_hash, kind, subject, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash(&token), kind_text, subject, now, now + minutes * 60_000],
        )?;
        Ok(token)
    }

    /// Use a link: what it is for, once, before it expires. A used or expired link changes nothing.
    pub fn use_link(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Result<LinkKind, LinkRefusal>, WebStoreError> {
        let hash = token_hash(token);
        let row: Option<(String, String, i64, Option<i64>)> = self
            .connection
            .query_row(
                "SELECT kind, subject, expires_at, used_at FROM links WHERE token_hash = ?1",
                params![hash],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let Some((kind, subject, expires_at, used_at)) = row else {
            return Ok(Err(LinkRefusal::Unknown));
        };
        if used_at.is_some() {
            return Ok(Err(LinkRefusal::Used));
        }
        if now >= expires_at {
            return Ok(Err(LinkRefusal::Expired));
        }
        let id = uuid::Uuid::parse_str(&subject).map_err(|_| WebStoreError::BadRow("link"))?;
        let kind = match kind.as_str() {
            "staff" => LinkKind::Staff(StaffId(id)),
            "family" => LinkKind::Family(AgreementId(id)),
            _ => return Err(WebStoreError::BadRow("link kind")),
        };
        let changed = self.connection.execute(
            "UPDATE links SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL",
            params![hash, now],
        )?;
        if changed != 1 {
            return Ok(Err(LinkRefusal::Used));
        }
        Ok(Ok(kind))
    }

    /// Keep a newly registered passkey.
    pub fn add_passkey(&self, passkey: &StoredPasskey, now: i64) -> Result<(), WebStoreError> {
        let owner =
            postcard::to_stdvec(&passkey.owner).map_err(|_| WebStoreError::BadRow("owner"))?;
        let key = postcard::to_stdvec(&passkey.key).map_err(|_| WebStoreError::BadRow("key"))?;
        self.connection.execute(
            "INSERT INTO passkeys (credential_id, owner, key, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![passkey.key.credential_id, owner, key, now],
        )?;
        Ok(())
    }

    /// The passkey with this credential id, unless revoked.
    pub fn passkey(&self, credential_id: &[u8]) -> Result<Option<StoredPasskey>, WebStoreError> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .connection
            .query_row(
                "SELECT owner, key FROM passkeys WHERE credential_id = ?1 AND revoked_at IS NULL",
                params![credential_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(owner, key)| decode_passkey(&owner, &key))
            .transpose()
    }

    /// Every passkey of `owner`, unless revoked.
    pub fn passkeys_of(&self, owner: &PasskeyOwner) -> Result<Vec<StoredPasskey>, WebStoreError> {
        let owner_bytes = postcard::to_stdvec(owner).map_err(|_| WebStoreError::BadRow("owner"))?;
        let mut statement = self.connection.prepare(
            "SELECT owner, key FROM passkeys WHERE owner = ?1 AND revoked_at IS NULL ORDER BY created_at",
        )?;
        let rows = statement.query_map(params![owner_bytes], |row| {
            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (owner, key) = row?;
            out.push(decode_passkey(&owner, &key)?);
        }
        Ok(out)
    }

    /// Record one access.
    pub fn log_access(&self, entry: &AccessEntry) -> Result<(), WebStoreError> {
        self.connection.execute(
            "INSERT INTO access_log (at, who, action, subject, client) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                entry.at,
                entry.who,
                entry.action,
                entry.subject,
                entry.client
            ],
        )?;
        Ok(())
    }

    /// The access log, oldest first.
    pub fn access_log(&self) -> Result<Vec<AccessEntry>, WebStoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT at, who, action, subject, client FROM access_log ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok(AccessEntry {
                at: row.get(0)?,
                who: row.get(1)?,
                action: row.get(2)?,
                subject: row.get(3)?,
                client: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

fn decode_passkey(owner: &[u8], key: &[u8]) -> Result<StoredPasskey, WebStoreError> {
    Ok(StoredPasskey {
        owner: postcard::from_bytes(owner).map_err(|_| WebStoreError::BadRow("owner"))?,
        key: postcard::from_bytes(key).map_err(|_| WebStoreError::BadRow("key"))?,
    })
}
