//! Sharing one facility between several devices: what a new device receives at enrollment, how it joins, which of
//! this device's events and keys still have to reach the hub, and the sync bookkeeping kept in `meta`.
//!
//! Every device of a facility holds the same data key (that is what lets a supervisor's tablet read the name a
//! caregiver's phone sealed). Content keys are made on whichever device first seals for an owner and travel to the
//! others wrapped by the data key; the hub stores them but, unless it is itself an enrolled store, cannot open
//! them. Use counters stay per device, so the rotation bound ([`crate::crypto::ROTATE_AFTER_USES`]) holds per
//! device: with n devices sealing under one key, at most n × 2^24 messages, far below 2^32 for any facility.

use super::meta::{self, Meta};
use super::{
    DeviceTip, Store, StoreError, connect, head_blob, insert_key, load_wrapped_keys, schema,
};
use crate::clock::Clock;
use crate::crypto::{
    Aad, CryptoError, DevicePublicKey, KeyId, KeyOwner, KeyRing, KeyVault, RecoveryEnvelope,
    Sealed, SecretKey, SoftwareSigner, WrappedKey,
};
use crate::custody::CustodyFold;
use crate::ledger::{EventBody, EventHash, LogHead, SignedEvent, TrustAnchor};
use crate::model::{DeviceId, StaffId};
use crate::store::{Appended, OpenOptions};
use crate::sync::auth::{RequestAuth, Route};
use rusqlite::params;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The `meta` entry holding the device's sync bookkeeping (see `crate::sync`).
const SYNC_STATE: &str = "sync_state";

/// Everything a new device needs to join a facility, taken from an enrolled store. Secret: it holds the data key.
/// It travels only sealed to the joining device (see [`crate::crypto::seal_to_recipient`]) and is zeroized when
/// dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct EnrollmentSecrets {
    #[zeroize(skip)]
    anchor: TrustAnchor,
    #[zeroize(skip)]
    data_key_id: KeyId,
    data_key: [u8; 32],
    #[zeroize(skip)]
    recovery_envelope: RecoveryEnvelope,
    #[zeroize(skip)]
    keys: Vec<WrappedKey>,
    #[zeroize(skip)]
    label_key: Option<Sealed>,
}

impl std::fmt::Debug for EnrollmentSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentSecrets")
            .field("facility", &self.anchor.facility)
            .finish_non_exhaustive()
    }
}

impl EnrollmentSecrets {
    /// The facility these secrets open.
    pub fn trust_anchor(&self) -> &TrustAnchor {
        &self.anchor
    }

    /// Encode for sealing (postcard).
    pub fn to_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        postcard::to_stdvec(self)
            .map(zeroize::Zeroizing::new)
            .map_err(|_| StoreError::BadMeta("enrollment secrets"))
    }

    /// Decode what [`EnrollmentSecrets::to_bytes`] made.
    pub fn from_bytes(bytes: &[u8]) -> Result<EnrollmentSecrets, StoreError> {
        postcard::from_bytes(bytes).map_err(|_| StoreError::BadMeta("enrollment secrets"))
    }
}

/// What a joining device brings: its new identity and the platform vault that will unlock it every day.
pub struct JoinOptions<'a> {
    /// The secrets received at enrollment.
    pub secrets: EnrollmentSecrets,
    /// This device's id, as registered with the hub.
    pub device: DeviceId,
    /// This device's signing key, whose public half the hub registered.
    pub signer: SoftwareSigner,
    /// The platform key vault.
    pub vault: &'a dyn KeyVault,
}

impl Store {
    /// The secrets a new device needs to join this facility (see [`EnrollmentSecrets`]).
    pub fn enrollment_secrets(&self) -> Result<EnrollmentSecrets, StoreError> {
        let recovery_envelope: RecoveryEnvelope =
            Meta::get_value(&self.conn, meta::RECOVERY_ENVELOPE)?;
        let label_key = match Meta::get_optional(&self.conn, super::labels::LABEL_SIGNING_KEY)? {
            Some(blob) => Some(
                postcard::from_bytes::<Sealed>(&blob)
                    .map_err(|_| StoreError::BadMeta("label signing key"))?,
            ),
            None => None,
        };
        Ok(EnrollmentSecrets {
            anchor: self.anchor.clone(),
            data_key_id: self.ring.data_key_id(),
            data_key: *self.ring.data_key().expose(),
            recovery_envelope,
            keys: load_wrapped_keys(&self.conn)?,
            label_key,
        })
    }

    /// Create the store of a device joining an existing facility, at `path`. The store starts with an empty log
    /// that trusts the facility's founding device; it learns the rest (its own registration included) by pulling
    /// from the hub, and can record events once its own `DeviceRegistered` has arrived.
    pub fn join(
        path: &Path,
        options: JoinOptions<'_>,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_path_buf()));
        }
        let secrets = options.secrets;
        let facility = secrets.anchor.facility;
        let store_id = *facility.as_bytes();
        let data_key = SecretKey::from_slice(&secrets.data_key)?;
        // The recovery envelope must open to this very key: a mismatched bundle is refused before anything is written.
        let vault_wrapped = options
            .vault
            .wrap(&store_id, data_key.expose())
            .map_err(CryptoError::from)?;
        let mut ring = KeyRing::new(&store_id, secrets.data_key_id, data_key, 0);
        ring.load(secrets.keys.clone())?;
        let canary = ring.seal_canary()?;
        let sealed_signer = ring.seal(
            KeyOwner::Facility,
            &Aad::new("devices", "signing_key", options.device.as_bytes()),
            &options.signer.secret_bytes(),
        )?;
        let changes = ring.pending_changes();

        let mut conn = connect(path, false)?;
        schema::migrate(&mut conn)?;
        let head = LogHead::empty();
        let blob = head_blob(&ring, &head)?;
        {
            let tx = conn.transaction()?;
            Meta::put(&tx, meta::FACILITY_ID, facility.as_bytes())?;
            Meta::put(&tx, meta::DEVICE_ID, options.device.as_bytes())?;
            Meta::put(&tx, meta::DATA_KEY_ID, secrets.data_key_id.0.as_bytes())?;
            Meta::put(&tx, meta::VAULT_WRAPPED_KEY, &vault_wrapped)?;
            Meta::put_value(&tx, meta::RECOVERY_ENVELOPE, &secrets.recovery_envelope)?;
            Meta::put_value(&tx, meta::CANARY, &canary)?;
            Meta::put_value(&tx, meta::DEVICE_SIGNING_KEY, &sealed_signer)?;
            Meta::put_value(&tx, meta::TRUST_ANCHOR, &secrets.anchor)?;
            Meta::put(&tx, meta::LOG_HEAD, &blob)?;
            if let Some(label_key) = &secrets.label_key {
                Meta::put_value(&tx, super::labels::LABEL_SIGNING_KEY, label_key)?;
            }
            for key in &secrets.keys {
                insert_key(&tx, key, "shared")?;
            }
            for key in &changes.new_keys {
                insert_key(&tx, key, "local")?;
            }
            if let Some(uses) = changes.data_key_uses {
                Meta::put(&tx, meta::DATA_KEY_USES, &uses.to_be_bytes())?;
            }
            tx.commit()?;
        }
        ring.mark_persisted(&changes);

        let mut devices = HashMap::new();
        devices.insert(
            secrets.anchor.founding_device,
            DeviceTip {
                public_key: secrets.anchor.founding_key.clone(),
                last_seq: 0,
                last_hash: EventHash::ZERO,
            },
        );
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            options: OpenOptions::default(),
            clock,
            ring,
            facility,
            device: options.device,
            signer: Box::new(options.signer),
            anchor: secrets.anchor.clone(),
            head,
            devices,
            fold: CustodyFold::default(),
            appended_since_snapshot: 0,
            damage: None,
        })
    }

    /// Record that a further device may sign events for this facility (done by an enrolled device, normally the
    /// hub's, when a device presents a valid enrollment token).
    pub fn register_device(
        &mut self,
        actor: Option<StaffId>,
        device: DeviceId,
        public_key: DevicePublicKey,
        label: &str,
    ) -> Result<Appended, StoreError> {
        if self.devices.contains_key(&device) {
            return Err(StoreError::DeviceAlreadyRegistered);
        }
        self.append(
            actor,
            EventBody::DeviceRegistered {
                device,
                public_key,
                label: label.to_string(),
            },
        )
    }

    /// Whether `device` is registered in this store's ledger.
    pub fn state_has_device(&self, device: DeviceId) -> bool {
        self.devices.contains_key(&device)
    }

    /// Whether this device's own registration is in its log (a joined device cannot record events before).
    pub fn is_registered(&self) -> bool {
        self.devices.contains_key(&self.device)
    }

    /// The public key this device signs with.
    pub fn device_public_key(&self) -> DevicePublicKey {
        self.signer.public_key()
    }

    /// Sign a request to the hub as this device, now (see [`crate::sync::auth`]); `body` is the request's JSON
    /// as sent.
    pub fn authorize_request(&self, route: Route, body: &[u8]) -> Result<RequestAuth, StoreError> {
        Ok(RequestAuth::sign(
            route,
            body,
            self.device,
            self.signer.as_ref(),
            self.clock.now(),
        )?)
    }

    /// The events this device recorded with a device sequence number above `after`, in sequence order.
    pub fn own_events_after(&self, after: u64) -> Result<Vec<SignedEvent>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT bytes, signature FROM events WHERE device_id = ?1 AND device_seq > ?2 ORDER BY device_seq",
        )?;
        let rows = statement.query_map(params![self.device.to_string(), after as i64], |row| {
            Ok(SignedEvent {
                bytes: row.get(0)?,
                signature: crate::crypto::DeviceSignature(row.get(1)?),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The content keys this device made (to share with the facility's other devices), wrapped by the data key.
    pub fn local_keys(&self) -> Result<Vec<WrappedKey>, StoreError> {
        let local: std::collections::HashSet<String> = {
            let mut statement = self
                .conn
                .prepare_cached("SELECT key_id FROM keys WHERE origin = 'local'")?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        Ok(load_wrapped_keys(&self.conn)?
            .into_iter()
            .filter(|key| local.contains(&key.id.to_string()))
            .collect())
    }

    /// Whether a shared key opens with the facility's data key (a key that does not would stop every device's
    /// import: the hub refuses it).
    pub fn key_opens(&self, key: &WrappedKey) -> bool {
        self.ring.opens(key)
    }

    /// Take in content keys shared by the facility's other devices. Returns how many were new. A key that does not
    /// unwrap under this facility's data key is refused and nothing is written.
    pub fn import_keys(&mut self, keys: &[WrappedKey]) -> Result<usize, StoreError> {
        let added = self.ring.import(keys)?;
        if added.is_empty() {
            return Ok(0);
        }
        let tx = self.conn.transaction()?;
        for key in &added {
            insert_key(&tx, key, "shared")?;
        }
        tx.commit()?;
        Ok(added.len())
    }

    /// The sync bookkeeping saved by [`Store::save_sync_state`], if any.
    pub fn sync_state<T: DeserializeOwned>(&self) -> Result<Option<T>, StoreError> {
        match Meta::get_optional(&self.conn, SYNC_STATE)? {
            Some(blob) => postcard::from_bytes(&blob)
                .map(Some)
                .map_err(|_| StoreError::BadMeta(SYNC_STATE)),
            None => Ok(None),
        }
    }

    /// Save the sync bookkeeping (committed when this returns).
    pub fn save_sync_state<T: Serialize>(&mut self, state: &T) -> Result<(), StoreError> {
        if self.options.read_only {
            return Err(StoreError::ReadOnly);
        }
        let tx = self.conn.transaction()?;
        Meta::put_value(&tx, SYNC_STATE, state)?;
        tx.commit()?;
        Ok(())
    }
}
