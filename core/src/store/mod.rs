//! The store: the only code that opens SQLite.
//!
//! One file per facility per device (plus SQLite's `-wal` and `-shm`). WAL mode with `synchronous=FULL`, so a
//! commit is on disk when [`Store::append`] returns: an acknowledged handover survives a crash or a pulled
//! battery. Foreign keys on. The `events` table is append-only inside SQLite itself (triggers abort any UPDATE or
//! DELETE), and the local log's length and commitment ([`crate::ledger::LogHead`], with the hasher state to extend
//! it on the next append) are kept in a head authenticated with a keyed hash; each event row also keeps the
//! commitment after it, so cutting events off the end is detected at open even by someone who drops the triggers.
//!
//! A database that turns out damaged or not a database when opened is moved aside (quarantined), never deleted,
//! and the error says where it went; the device then restores from the hub.

mod card_identity;
mod error;
mod ingest;
mod integrity;
mod item_index;
mod labels;
mod meta;
mod schema;
mod sealing;
mod sharing;

pub use error::StoreError;
pub use integrity::{CHECKED_AT_OPEN, StoreDamage};
pub use schema::LATEST_VERSION;
pub use sealing::{AgreementDraft, Field};
pub use sharing::{EnrollmentSecrets, JoinOptions};

use crate::clock::{Clock, Timestamp};
use crate::crypto::{
    Aad, CryptoError, HashDomain, KdfParams, KeyChanges, KeyId, KeyOwner, KeyRing, KeyVault,
    RecoveryEnvelope, Sealed, SecretKey, Signer, SoftwareSigner, WrappedKey,
};
use crate::custody::{Applied, CustodyFold, CustodyState};
use crate::ledger::{
    Envelope, EventBody, EventHash, LedgerError, LogHead, SignedEvent, TrustAnchor, VerifyMode,
    VerifyReport, verify_log,
};
use crate::model::{DeviceId, EventId, Facility, FacilityId, ItemId, ResidentId, StaffId};
use meta::Meta;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// How far ahead of this device's clock [`Store::stamp`] follows the latest event it has seen (an hour): a
/// device whose clock is off by more is warned at sync (see `crate::sync::ClockWarning`), and its events are
/// not allowed to drag every other device's times along.
pub const MAX_CLOCK_FOLLOW_MS: i64 = 60 * 60 * 1000;

/// Snapshot every this many appended events by default.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 1_000;

/// The snapshot encoding version; a snapshot of another version is ignored and the state refolded.
const SNAPSHOT_FORMAT: u8 = 2;

/// What a new store needs.
pub struct CreateOptions<'a> {
    /// The facility's public name.
    pub facility_name: &'a str,
    /// The administrator's recovery passphrase (see [`crate::crypto::generate_recovery_passphrase`]).
    pub recovery_passphrase: &'a str,
    /// Argon2id parameters for the recovery envelope.
    pub kdf: KdfParams,
    /// The platform key vault that unlocks the store every day.
    pub vault: &'a dyn KeyVault,
}

/// How to unlock an existing store.
pub enum Unlock<'a> {
    /// With the platform key vault (every day).
    Vault(&'a dyn KeyVault),
    /// With the administrator's recovery passphrase (when the vault lost its key).
    RecoveryPassphrase(&'a str),
}

/// How to open a store.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Open without the right to write (auditors, diagnostics).
    pub read_only: bool,
    /// Persist the custody snapshot every this many appended events.
    pub snapshot_every: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
        }
    }
}

/// What an append or ingest produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The event's id.
    pub event_id: EventId,
    /// Its position in the local log (from 1).
    pub log_index: u64,
    /// Its hash.
    pub hash: EventHash,
}

/// What [`Store::ingest`] did with an event from another device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Appended to the local log.
    Appended(Appended),
    /// Already in the local log; nothing changed.
    AlreadyPresent,
}

/// The newest event of a device known to this store.
#[derive(Debug, Clone)]
struct DeviceTip {
    public_key: crate::crypto::DevicePublicKey,
    last_seq: u64,
    last_hash: EventHash,
}

/// An unlocked facility store on one device.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    options: OpenOptions,
    clock: Arc<dyn Clock>,
    ring: KeyRing,
    facility: FacilityId,
    device: DeviceId,
    signer: Box<dyn Signer>,
    anchor: TrustAnchor,
    head: LogHead,
    devices: HashMap<DeviceId, DeviceTip>,
    fold: CustodyFold,
    appended_since_snapshot: u64,
    /// What the open-time check found (see [`Store::damage`]).
    damage: Option<StoreDamage>,
}

impl Store {
    /// Create a new store at `path` for a new facility, with this device as its founding device.
    pub fn create(
        path: &Path,
        options: CreateOptions<'_>,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_path_buf()));
        }
        let mut conn = connect(path, false)?;
        schema::migrate(&mut conn)?;

        let facility = FacilityId::random();
        let device = DeviceId::random();
        let store_id = *facility.as_bytes();
        let data_key_id = KeyId::random();
        let data_key = SecretKey::make_random()?;
        let vault_wrapped = options
            .vault
            .wrap(&store_id, data_key.expose())
            .map_err(CryptoError::from)?;
        let envelope = RecoveryEnvelope::seal(
            options.recovery_passphrase,
            options.kdf,
            &store_id,
            data_key_id,
            &data_key,
        )?;
        let mut ring = KeyRing::new(&store_id, data_key_id, data_key, 0);
        let canary = ring.seal_canary()?;
        let signer = SoftwareSigner::make_random()?;
        let sealed_signer = ring.seal(
            KeyOwner::Facility,
            &Aad::new("devices", "signing_key", device.as_bytes()),
            &signer.secret_bytes(),
        )?;
        let anchor = TrustAnchor {
            facility,
            founding_device: device,
            founding_key: signer.public_key(),
        };

        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            options: OpenOptions::default(),
            clock,
            ring,
            facility,
            device,
            signer: Box::new(signer),
            anchor: anchor.clone(),
            head: LogHead::empty(),
            devices: HashMap::new(),
            fold: CustodyFold::default(),
            appended_since_snapshot: 0,
            damage: None,
        };
        store.devices.insert(
            device,
            DeviceTip {
                public_key: anchor.founding_key.clone(),
                last_seq: 0,
                last_hash: EventHash::ZERO,
            },
        );
        let genesis = EventBody::FacilityCreated {
            facility: Facility {
                id: facility,
                name: options.facility_name.to_string(),
            },
            public_key: anchor.founding_key.clone(),
        };
        store.append_with(None, genesis, |tx| {
            Meta::put(tx, meta::FACILITY_ID, facility.as_bytes())?;
            Meta::put(tx, meta::DEVICE_ID, device.as_bytes())?;
            Meta::put(tx, meta::DATA_KEY_ID, data_key_id.0.as_bytes())?;
            Meta::put(tx, meta::VAULT_WRAPPED_KEY, &vault_wrapped)?;
            Meta::put_value(tx, meta::RECOVERY_ENVELOPE, &envelope)?;
            Meta::put_value(tx, meta::CANARY, &canary)?;
            Meta::put_value(tx, meta::DEVICE_SIGNING_KEY, &sealed_signer)?;
            Meta::put_value(tx, meta::TRUST_ANCHOR, &anchor)?;
            Ok(())
        })?;
        Ok(store)
    }

    /// Open and unlock the store at `path`. A damaged database is quarantined and reported.
    pub fn open(
        path: &Path,
        unlock: Unlock<'_>,
        options: OpenOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound(path.to_path_buf()));
        }
        match Store::open_unchecked(path, unlock, options, clock) {
            Err(StoreError::Corrupt { .. }) => {
                let moved = quarantine(path)?;
                Err(StoreError::Corrupt {
                    quarantined_to: Some(moved),
                })
            }
            other => other,
        }
    }

    fn open_unchecked(
        path: &Path,
        unlock: Unlock<'_>,
        options: OpenOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        let mut conn = connect(path, options.read_only)?;
        if options.read_only {
            let found = schema::version(&conn)?;
            if found != LATEST_VERSION {
                return Err(if found > LATEST_VERSION {
                    StoreError::TooNew {
                        found,
                        supported: LATEST_VERSION,
                    }
                } else {
                    StoreError::ReadOnly
                });
            }
        } else {
            schema::migrate(&mut conn)?;
        }
        let facility = FacilityId(uuid_from(
            &Meta::get(&conn, meta::FACILITY_ID)?,
            "facility id",
        )?);
        let device = DeviceId(uuid_from(&Meta::get(&conn, meta::DEVICE_ID)?, "device id")?);
        let data_key_id = KeyId(uuid_from(
            &Meta::get(&conn, meta::DATA_KEY_ID)?,
            "data key id",
        )?);
        let store_id = *facility.as_bytes();

        let data_key = match unlock {
            Unlock::Vault(vault) => {
                let wrapped = Meta::get(&conn, meta::VAULT_WRAPPED_KEY)?;
                let bytes = vault
                    .unwrap(&store_id, &wrapped)
                    .map_err(CryptoError::from)?;
                SecretKey::from_slice(&bytes)?
            }
            Unlock::RecoveryPassphrase(passphrase) => {
                let envelope: RecoveryEnvelope = Meta::get_value(&conn, meta::RECOVERY_ENVELOPE)?;
                envelope.open(passphrase, &store_id)?
            }
        };
        let data_key_uses = Meta::get_u64(&conn, meta::DATA_KEY_USES)?.unwrap_or(0);
        let mut ring = KeyRing::new(&store_id, data_key_id, data_key, data_key_uses);
        ring.check_canary(&Meta::get_value::<Sealed>(&conn, meta::CANARY)?)?;
        ring.load(load_wrapped_keys(&conn)?)?;

        let sealed_signer: Sealed = Meta::get_value(&conn, meta::DEVICE_SIGNING_KEY)?;
        let secret = ring.open(
            &sealed_signer,
            &Aad::new("devices", "signing_key", device.as_bytes()),
        )?;
        let signer = SoftwareSigner::from_secret_bytes(&secret)?;
        let anchor: TrustAnchor = Meta::get_value(&conn, meta::TRUST_ANCHOR)?;
        let head = read_head(&conn, &ring)?;
        check_tail(&conn, &head)?;
        let mut damage = integrity::check_at_open(&conn, facility, &anchor)?;
        if let Some(found) = damage.as_mut() {
            found.acknowledged = Meta::get_optional(&conn, meta::DAMAGE_ACKNOWLEDGED)?
                .is_some_and(|kept| kept == found.fingerprint());
        }

        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            options,
            clock,
            ring,
            facility,
            device,
            signer: Box::new(signer),
            anchor,
            head,
            devices: HashMap::new(),
            fold: CustodyFold::default(),
            appended_since_snapshot: 0,
            damage,
        };
        let loaded = store
            .load_devices()
            .and_then(|()| store.load_fold().map(|fold| store.fold = fold));
        match (loaded, &store.damage) {
            (Ok(()), _) => Ok(store),
            // A store damaged so that it cannot even be folded is reported as what the check found.
            (Err(_), Some(found)) => Err(found.to_error()),
            (Err(error), None) => Err(error),
        }
    }

    /// What the check at open found wrong with the newest stored events (see [`CHECKED_AT_OPEN`]): `None` for a
    /// sound store. A damaged store refuses new events ([`StoreError::Damaged`]) until
    /// [`Store::acknowledge_damage`]; show it to the administrator, and restore from the hub.
    pub fn damage(&self) -> Option<&StoreDamage> {
        self.damage.as_ref()
    }

    /// An administrator acknowledges the damage [`Store::damage`] reports: the store records again. The
    /// acknowledgement is kept for exactly this damage; another one found later blocks recording again.
    pub fn acknowledge_damage(&mut self) -> Result<(), StoreError> {
        if self.options.read_only {
            return Err(StoreError::ReadOnly);
        }
        if let Some(found) = self.damage.as_mut() {
            let tx = self.conn.transaction()?;
            Meta::put(&tx, meta::DAMAGE_ACKNOWLEDGED, &found.fingerprint())?;
            tx.commit()?;
            found.acknowledged = true;
        }
        Ok(())
    }

    /// Refuse to record on a store with unacknowledged damage.
    fn refuse_if_damaged(&self) -> Result<(), StoreError> {
        match &self.damage {
            Some(found) if !found.acknowledged => Err(found.to_error()),
            _ => Ok(()),
        }
    }

    /// The facility.
    pub fn facility_id(&self) -> FacilityId {
        self.facility
    }

    /// This device.
    pub fn device_id(&self) -> DeviceId {
        self.device
    }

    /// What verifiers of this facility's ledger trust.
    pub fn trust_anchor(&self) -> &TrustAnchor {
        &self.anchor
    }

    /// The local log's authenticated head.
    pub fn head(&self) -> LogHead {
        self.head
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current custody state.
    pub fn state(&self) -> &CustodyState {
        &self.fold.state
    }

    /// The current fold (state and position).
    pub fn fold(&self) -> &CustodyFold {
        &self.fold
    }

    /// The current time by the store's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Seal personal data for `owner` at the place `aad` (persisted with the next write).
    pub fn seal(
        &mut self,
        owner: KeyOwner,
        aad: &Aad<'_>,
        plaintext: &[u8],
    ) -> Result<Sealed, StoreError> {
        Ok(self.ring.seal(owner, aad, plaintext)?)
    }

    /// Open sealed text at the place `aad`.
    pub fn open_text(
        &self,
        sealed: &Sealed,
        aad: &Aad<'_>,
    ) -> Result<Zeroizing<String>, StoreError> {
        Ok(self.ring.open_text(sealed, aad)?)
    }

    /// The time a new event is stamped with: a hybrid logical clock. The device's own clock, unless that would
    /// order the new event before the latest event this store has folded (its own or any other device's); then
    /// one millisecond after that event (following at most [`MAX_CLOCK_FOLLOW_MS`] ahead of the clock). The fold orders facts by this time, so a fact recorded after
    /// seeing another is ordered after it even when this device's clock is behind the other's: a device a few
    /// minutes slow can no longer make a return look earlier than the checkout it ends.
    pub fn stamp(&self) -> Timestamp {
        let now = self.clock.now();
        let Some(last) = self.fold.last_key else {
            return now;
        };
        let next_seq = self
            .devices
            .get(&self.device)
            .map_or(1, |tip| tip.last_seq + 1);
        let candidate = crate::custody::FoldKey {
            recorded_at: now,
            device: self.device,
            device_seq: next_seq,
        };
        if candidate > last {
            return now;
        }
        let after = Timestamp(last.recorded_at.0.saturating_add(1));
        if after.0.saturating_sub(now.0) <= MAX_CLOCK_FOLLOW_MS {
            after
        } else {
            now
        }
    }

    /// The facility's keyed hash of `data` for `domain`.
    pub fn keyed_hash(&self, domain: HashDomain, data: &[u8]) -> [u8; 32] {
        self.ring.keyed_hash().hash(domain, data)
    }

    /// Append an event recorded on this device by `actor`: signed, chained, committed (fsync'd) and folded.
    /// When this returns `Ok`, the event survives a crash.
    pub fn append(
        &mut self,
        actor: Option<StaffId>,
        body: EventBody,
    ) -> Result<Appended, StoreError> {
        self.append_with(actor, body, |_| Ok(()))
    }

    /// Record that a resident's keys are erased (after the retention period) and delete them, in one transaction.
    /// Their sealed data becomes unreadable; the ledger still verifies.
    pub fn erase_resident(
        &mut self,
        actor: Option<StaffId>,
        resident: ResidentId,
    ) -> Result<Appended, StoreError> {
        let owner = KeyOwner::Resident(resident);
        let appended = self.append_with(actor, EventBody::ResidentErased { resident }, |tx| {
            tx.execute(
                "DELETE FROM keys WHERE owner_kind = ?1 AND owner_id = ?2",
                params![owner.kind(), owner.id_text()],
            )?;
            Ok(())
        })?;
        self.ring.erase_owner(owner);
        Ok(appended)
    }

    fn append_with(
        &mut self,
        actor: Option<StaffId>,
        body: EventBody,
        extra: impl FnOnce(&Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<Appended, StoreError> {
        if self.options.read_only {
            return Err(StoreError::ReadOnly);
        }
        self.refuse_if_damaged()?;
        let tip = self
            .devices
            .get(&self.device)
            .ok_or(StoreError::NotRegistered)?;
        let envelope = Envelope {
            event_id: EventId::new_v7(),
            facility: self.facility,
            device: self.device,
            device_seq: tip.last_seq + 1,
            prev_hash: tip.last_hash,
            recorded_at: self.stamp(),
            actor,
            body,
        };
        let signed = envelope.sign(self.signer.as_ref())?;
        let appended = self.commit_event(&envelope, &signed, extra)?;
        self.after_commit(&envelope, appended)?;
        Ok(appended)
    }

    /// Write one event, the key changes it needs and the new head in one transaction.
    fn commit_event(
        &mut self,
        envelope: &Envelope,
        signed: &SignedEvent,
        extra: impl FnOnce(&Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<Appended, StoreError> {
        let hash = signed.hash();
        let head = self.head.after(&hash);
        let changes = self.ring.pending_changes();
        let head_blob = head_blob(&self.ring, &head)?;
        let tx = self.conn.transaction()?;
        insert_event_row(&tx, &head, envelope, signed)?;
        persist_key_changes(&tx, &changes)?;
        Meta::put(&tx, meta::LOG_HEAD, &head_blob)?;
        extra(&tx)?;
        tx.commit()?;
        self.ring.mark_persisted(&changes);
        self.head = head;
        Ok(Appended {
            event_id: envelope.event_id,
            log_index: head.length,
            hash,
        })
    }

    fn after_commit(&mut self, envelope: &Envelope, appended: Appended) -> Result<(), StoreError> {
        ingest::advance_tip(&mut self.devices, envelope, appended.hash);
        self.fold_in(&[(envelope.clone(), appended)])
    }

    /// The events about `items` of the given `kinds` (as [`EventBody::kind_name`] names them; approvals and
    /// denials of the items' requests included), in local log order — all of them, or only the `newest` so many —
    /// read through the item index, not the whole ledger.
    pub fn item_events(
        &self,
        items: &[ItemId],
        kinds: &[&str],
        newest: Option<usize>,
    ) -> Result<Vec<SignedEvent>, StoreError> {
        item_index::item_events(&self.conn, items, kinds, newest)
    }

    /// The events of one kind (as [`EventBody::kind_name`] names it), in local log order, read through the
    /// kind index.
    pub fn events_of_kind(&self, kind: &str) -> Result<Vec<SignedEvent>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT bytes, signature FROM events WHERE kind = ?1 ORDER BY log_index",
        )?;
        let rows = statement.query_map([kind], |row| {
            Ok(SignedEvent {
                bytes: row.get(0)?,
                signature: crate::crypto::DeviceSignature(row.get(1)?),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every event in local log order.
    pub fn events(&self) -> Result<Vec<SignedEvent>, StoreError> {
        Ok(self
            .stored_events(0)?
            .into_iter()
            .map(|(_, event, _)| event)
            .collect())
    }

    /// Events after `log_index`, with their stored hashes.
    fn stored_events(&self, after: u64) -> Result<Vec<(u64, SignedEvent, Vec<u8>)>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT log_index, bytes, signature, hash FROM events WHERE log_index > ?1 ORDER BY log_index")?;
        let rows = statement.query_map([after as i64], |row| {
            Ok((
                row.get::<_, i64>(0)? as u64,
                SignedEvent {
                    bytes: row.get(1)?,
                    signature: crate::crypto::DeviceSignature(row.get(2)?),
                },
                row.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Verify the whole local ledger against the trust anchor and the authenticated head; also checks that each
    /// stored hash matches its event and that log positions have no holes.
    pub fn verify(&self, mode: VerifyMode) -> Result<VerifyReport, StoreError> {
        let stored = self.stored_events(0)?;
        for (position, (log_index, event, stored_hash)) in stored.iter().enumerate() {
            if *log_index != position as u64 + 1 {
                return Err(LedgerError::LengthMismatch {
                    expected: self.head.length,
                    found: stored.len() as u64,
                }
                .into());
            }
            if event.hash().0.as_slice() != stored_hash.as_slice() {
                return Err(LedgerError::HashMismatch {
                    index: *log_index as usize,
                }
                .into());
            }
        }
        let events: Vec<SignedEvent> = stored.into_iter().map(|(_, event, _)| event).collect();
        // Messages name events by their stored number (log_index, from 1).
        verify_log(&events, &self.anchor, Some(&self.head), mode)
            .map_err(|error| integrity::to_log_numbers(error).into())
    }

    /// Verify the whole ledger in the background (hashes, chains and the signed chain heads: fast enough for a
    /// phone with years of events) and, when it fails, treat the store as damaged exactly as the open-time check
    /// does: [`Store::damage`] reports it and new events are refused until an administrator acknowledges it.
    /// Returns whether the ledger verified, or `None` when there was nothing to verify yet (a device that joined
    /// and has not pulled its facility's ledger).
    pub fn verify_in_background(&mut self) -> Result<Option<bool>, StoreError> {
        if self.head.length == 0 {
            return Ok(None);
        }
        match self.verify(VerifyMode::ChainHeads) {
            Ok(_) => Ok(Some(true)),
            Err(StoreError::Ledger(problem)) => {
                // `verify` names events by their stored number already.
                let log_index = integrity::position(&problem).map_or(0, |index| index as u64);
                let mut found = integrity::StoreDamage {
                    log_index,
                    problem,
                    acknowledged: false,
                };
                found.acknowledged = Meta::get_optional(&self.conn, meta::DAMAGE_ACKNOWLEDGED)?
                    .is_some_and(|kept| kept == found.fingerprint());
                self.damage = Some(found);
                Ok(Some(false))
            }
            Err(other) => Err(other),
        }
    }

    /// Run SQLite's own integrity check; `Ok(())` when the file is sound.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                quarantined_to: None,
            })
        }
    }

    /// Re-wrap the data key for a (new) platform key vault, e.g. after unlocking with the recovery passphrase on a
    /// phone whose keystore was reset.
    pub fn rewrap_for_vault(&mut self, vault: &dyn KeyVault) -> Result<(), StoreError> {
        let wrapped = vault
            .wrap(self.facility.as_bytes(), self.ring.data_key().expose())
            .map_err(CryptoError::from)?;
        let tx = self.conn.transaction()?;
        Meta::put(&tx, meta::VAULT_WRAPPED_KEY, &wrapped)?;
        tx.commit()?;
        Ok(())
    }

    /// Persist the custody snapshot now (also done every [`OpenOptions::snapshot_every`] events).
    pub fn save_snapshot(&mut self) -> Result<(), StoreError> {
        if self.options.read_only {
            return Ok(());
        }
        let mut bytes = Zeroizing::new(vec![SNAPSHOT_FORMAT]);
        postcard::to_io(&self.fold, &mut *bytes)
            .map_err(|_| StoreError::BadMeta("snapshot encoding"))?;
        let log_index = self.head.length;
        let place = snapshot_place(self.facility, log_index);
        let sealed = self.ring.seal(
            KeyOwner::Facility,
            &Aad::new("custody_snapshot", "state", &place),
            &bytes,
        )?;
        let blob =
            postcard::to_stdvec(&sealed).map_err(|_| StoreError::BadMeta("snapshot encoding"))?;
        let changes = self.ring.pending_changes();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO custody_snapshot (id, log_index, sealed) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET log_index = excluded.log_index, sealed = excluded.sealed",
            params![log_index as i64, blob],
        )?;
        persist_key_changes(&tx, &changes)?;
        tx.commit()?;
        self.ring.mark_persisted(&changes);
        self.appended_since_snapshot = 0;
        Ok(())
    }

    /// Save the snapshot and close the database.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.save_snapshot()?;
        self.conn.close().map_err(|(_, e)| StoreError::from(e))
    }

    /// Fold every event from scratch (what the snapshot must always equal).
    pub fn full_fold(&self) -> Result<CustodyFold, StoreError> {
        let stored = self.stored_events(0)?;
        let mut decoded = Vec::with_capacity(stored.len());
        for (log_index, event, _) in &stored {
            let envelope = event
                .decode()
                .map_err(|e| integrity::renumber(e, *log_index))?;
            decoded.push((envelope, event.hash()));
        }
        Ok(CustodyFold::fold_all(decoded.iter().map(|(e, h)| (e, *h))))
    }

    fn load_fold(&self) -> Result<CustodyFold, StoreError> {
        let Some((mut fold, from)) = self.load_snapshot()? else {
            return self.full_fold();
        };
        for (log_index, event, _) in self.stored_events(from)? {
            let envelope = event
                .decode()
                .map_err(|e| integrity::renumber(e, log_index))?;
            if fold.apply(&envelope, event.hash()) == Applied::NeedsRefold {
                return self.full_fold();
            }
        }
        Ok(fold)
    }

    /// The persisted snapshot and the log index it covers, if there is a usable one.
    fn load_snapshot(&self) -> Result<Option<(CustodyFold, u64)>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT log_index, sealed FROM custody_snapshot WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((log_index, blob)) = row else {
            return Ok(None);
        };
        let log_index = log_index as u64;
        if log_index > self.head.length {
            return Ok(None);
        }
        let Ok(sealed) = postcard::from_bytes::<Sealed>(&blob) else {
            return Ok(None);
        };
        let place = snapshot_place(self.facility, log_index);
        let bytes = self
            .ring
            .open(&sealed, &Aad::new("custody_snapshot", "state", &place))?;
        match bytes.split_first() {
            Some((&SNAPSHOT_FORMAT, rest)) => Ok(postcard::from_bytes::<CustodyFold>(rest)
                .ok()
                .map(|f| (f, log_index))),
            _ => Ok(None),
        }
    }

    fn load_devices(&mut self) -> Result<(), StoreError> {
        let mut registrations = Vec::new();
        {
            let mut statement = self.conn.prepare(
                "SELECT bytes, signature FROM events WHERE kind IN ('facility_created', 'device_registered') ORDER BY log_index",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(SignedEvent {
                    bytes: row.get(0)?,
                    signature: crate::crypto::DeviceSignature(row.get(1)?),
                })
            })?;
            for row in rows {
                registrations.push(row?.decode()?);
            }
        }
        for envelope in registrations {
            let (device, public_key) = match envelope.body {
                EventBody::FacilityCreated { public_key, .. } => (envelope.device, public_key),
                EventBody::DeviceRegistered {
                    device, public_key, ..
                } => (device, public_key),
                _ => continue,
            };
            let tip: Option<(i64, Vec<u8>)> = self
                .conn
                .query_row(
                    "SELECT device_seq, hash FROM events WHERE device_id = ?1 ORDER BY device_seq DESC LIMIT 1",
                    [device.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (last_seq, last_hash) = match tip {
                Some((seq, hash)) => (
                    seq as u64,
                    EventHash(
                        hash.try_into()
                            .map_err(|_| StoreError::BadMeta("event hash"))?,
                    ),
                ),
                None => (0, EventHash::ZERO),
            };
            self.devices.insert(
                device,
                DeviceTip {
                    public_key,
                    last_seq,
                    last_hash,
                },
            );
        }
        // A store that joined the facility trusts the founding device before it has pulled a single event.
        self.devices
            .entry(self.anchor.founding_device)
            .or_insert_with(|| DeviceTip {
                public_key: self.anchor.founding_key.clone(),
                last_seq: 0,
                last_hash: EventHash::ZERO,
            });
        // A joined device may still be waiting for its own registration: appending says so (NotRegistered).
        Ok(())
    }

    /// Give the database a page limit so the next writes fail as if the disk were full (tests of full disks).
    #[cfg(any(test, feature = "test-support"))]
    pub fn limit_pages_for_tests(&self, extra_pages: u64) -> Result<(), StoreError> {
        let used: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        self.conn
            .pragma_update(None, "max_page_count", used + extra_pages as i64)?;
        Ok(())
    }

    /// Rotate content keys after `uses` seals (tests of rotation only).
    #[cfg(any(test, feature = "test-support"))]
    pub fn set_rotation_limit_for_tests(&mut self, uses: u64) {
        self.ring.set_rotation_limit_for_tests(uses);
    }
}

fn snapshot_place(facility: FacilityId, log_index: u64) -> Vec<u8> {
    let mut place = facility.as_bytes().to_vec();
    place.extend_from_slice(&log_index.to_be_bytes());
    place
}

fn connect(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    if !read_only {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Sqlite(format!(
                "journal mode {mode} instead of wal"
            )));
        }
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Move a damaged database and its WAL and shared-memory files aside; returns the new path of the database.
fn quarantine(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let mut moved = path.as_os_str().to_owned();
    moved.push(format!(".quarantined-{stamp}"));
    let moved = PathBuf::from(moved);
    std::fs::rename(path, &moved)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = PathBuf::from(side);
        if side.exists() {
            let mut target = moved.as_os_str().to_owned();
            target.push(suffix);
            std::fs::rename(&side, PathBuf::from(target))?;
        }
    }
    Ok(moved)
}

fn uuid_from(bytes: &[u8], what: &'static str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::from_slice(bytes).map_err(|_| StoreError::BadMeta(what))
}

fn load_wrapped_keys(conn: &Connection) -> Result<Vec<WrappedKey>, StoreError> {
    let mut statement =
        // This device's own keys first: of two keys of one generation, the ring seals with the first (see KeyRing::load).
        conn.prepare("SELECT key_id, owner_kind, owner_id, generation, wrapped, uses FROM keys ORDER BY origin = 'shared', rowid")?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, Vec<u8>>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    let mut keys = Vec::new();
    for row in rows {
        let (id, kind, owner_id, generation, wrapped, uses) = row?;
        let id = KeyId(uuid::Uuid::parse_str(&id).map_err(|_| StoreError::BadMeta("key id"))?);
        let owner = match kind.as_str() {
            "facility" => KeyOwner::Facility,
            "resident" => KeyOwner::Resident(
                ResidentId::parse(&owner_id).map_err(|_| StoreError::BadMeta("key owner"))?,
            ),
            _ => return Err(StoreError::BadMeta("key owner kind")),
        };
        let wrapped: Sealed =
            postcard::from_bytes(&wrapped).map_err(|_| StoreError::BadMeta("wrapped key"))?;
        keys.push(WrappedKey {
            id,
            owner,
            generation: generation as u32,
            wrapped,
            uses: uses as u64,
        });
    }
    Ok(keys)
}

/// Store one wrapped content key; `origin` is `local` (made here) or `shared` (received). A key already stored is
/// left as it is.
fn insert_key(tx: &Transaction<'_>, key: &WrappedKey, origin: &str) -> Result<(), StoreError> {
    let wrapped =
        postcard::to_stdvec(&key.wrapped).map_err(|_| StoreError::BadMeta("wrapped key"))?;
    tx.execute(
        "INSERT INTO keys (key_id, owner_kind, owner_id, generation, wrapped, uses, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (key_id) DO NOTHING",
        params![key.id.to_string(), key.owner.kind(), key.owner.id_text(), key.generation, wrapped, key.uses as i64, origin],
    )?;
    Ok(())
}

fn persist_key_changes(tx: &Transaction<'_>, changes: &KeyChanges) -> Result<(), StoreError> {
    for key in &changes.new_keys {
        insert_key(tx, key, "local")?;
    }
    for (id, uses) in &changes.uses {
        tx.execute(
            "UPDATE keys SET uses = ?1 WHERE key_id = ?2",
            params![*uses as i64, id.to_string()],
        )?;
    }
    if let Some(uses) = changes.data_key_uses {
        Meta::put(tx, meta::DATA_KEY_USES, &uses.to_be_bytes())?;
    }
    Ok(())
}

/// Insert one event row at the position `head` ends with, keeping the commitment after it.
fn insert_event_row(
    tx: &Transaction<'_>,
    head: &LogHead,
    envelope: &Envelope,
    signed: &SignedEvent,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO events (log_index, event_id, device_id, device_seq, recorded_at, kind, bytes, signature, hash, log_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        head.length as i64,
        envelope.event_id.to_string(),
        envelope.device.to_string(),
        envelope.device_seq as i64,
        envelope.recorded_at.0,
        envelope.body.kind_name(),
        signed.bytes,
        signed.signature.0,
        signed.hash().0.as_slice(),
        head.log_hash.0.as_slice(),
    ])?;
    item_index::index_event(tx, head.length, envelope)
}

/// The head and its keyed-hash tag, as stored in `meta`.
fn head_blob(ring: &KeyRing, head: &LogHead) -> Result<Vec<u8>, StoreError> {
    let mut blob = postcard::to_stdvec(head).map_err(|_| StoreError::BadMeta("log head"))?;
    let tag = ring.keyed_hash().hash(HashDomain::LogHead, &blob);
    blob.extend_from_slice(&tag);
    Ok(blob)
}

fn read_head(conn: &Connection, ring: &KeyRing) -> Result<LogHead, StoreError> {
    let blob = Meta::get(conn, meta::LOG_HEAD)?;
    if blob.len() < 32 {
        return Err(StoreError::BadMeta("log head"));
    }
    let (body, tag) = blob.split_at(blob.len() - 32);
    let tag: [u8; 32] = tag
        .try_into()
        .map_err(|_| StoreError::BadMeta("log head"))?;
    if !ring.keyed_hash().matches(HashDomain::LogHead, body, &tag) {
        return Err(LedgerError::HeadMismatch.into());
    }
    postcard::from_bytes(body).map_err(|_| StoreError::BadMeta("log head"))
}

/// Cheap check at open: the last stored event is where the authenticated head says the log ends.
fn check_tail(conn: &Connection, head: &LogHead) -> Result<(), StoreError> {
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT log_index, log_hash FROM events ORDER BY log_index DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (length, log_hash) = last
        .map(|(i, h)| (i as u64, h))
        .unwrap_or_else(|| (0, LogHead::empty().log_hash.0.to_vec()));
    if length != head.length {
        return Err(LedgerError::LengthMismatch {
            expected: head.length,
            found: length,
        }
        .into());
    }
    if log_hash.as_slice() != head.log_hash.0.as_slice() {
        return Err(LedgerError::HeadMismatch.into());
    }
    Ok(())
}
