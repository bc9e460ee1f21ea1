//! The unlocked key ring: the data key, the content keys it wraps, their use counters and rotation.
//!
//! The ring never touches SQLite. It reports what must be persisted ([`KeyChanges`]: new wrapped keys and use
//! counts) and the store writes those in the same transaction as the ciphertexts they produced, then calls
//! [`KeyRing::mark_persisted`]. If the transaction fails the changes stay pending for the next one, so a key is
//! never used for data that outlives the key's own row.

use super::aead::{open_with, seal_with};
use super::{Aad, CryptoError, KeyId, KeyedHash, Sealed, SecretKey};
use crate::model::ResidentId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use zeroize::Zeroizing;

/// Seals per key before a fresh key takes over: 2^24, 256 times below the 2^32 bound for random 96-bit nonces.
pub const ROTATE_AFTER_USES: u64 = 1 << 24;

const CANARY: &[u8] = b"azukari canary v1";

/// Whose data a content key seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KeyOwner {
    /// Facility-level data: staff names, the device signing key, the custody snapshot.
    Facility,
    /// One resident's personal data; erasing these keys erases the resident.
    Resident(ResidentId),
}

impl KeyOwner {
    /// A short text kind for the store's plaintext `owner_kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            KeyOwner::Facility => "facility",
            KeyOwner::Resident(_) => "resident",
        }
    }

    /// The owner id for the store's plaintext `owner_id` column (random ids only).
    pub fn id_text(&self) -> String {
        match self {
            KeyOwner::Facility => String::new(),
            KeyOwner::Resident(id) => id.to_string(),
        }
    }
}

/// A content key as stored: wrapped by the data key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// The key's id.
    pub id: KeyId,
    /// Whose data it seals.
    pub owner: KeyOwner,
    /// 1 for an owner's first key, then one more per rotation.
    pub generation: u32,
    /// The key, sealed under the data key at ("keys", "wrapped", key id).
    pub wrapped: Sealed,
    /// How many values it has sealed.
    pub uses: u64,
}

/// What the store must persist after sealing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyChanges {
    /// Keys made since the last persist.
    pub new_keys: Vec<WrappedKey>,
    /// Current use counts of keys used since the last persist.
    pub uses: Vec<(KeyId, u64)>,
    /// Current use count of the data key, if it changed.
    pub data_key_uses: Option<u64>,
}

impl KeyChanges {
    /// Whether there is nothing to persist.
    pub fn is_empty(&self) -> bool {
        self.new_keys.is_empty() && self.uses.is_empty() && self.data_key_uses.is_none()
    }
}

struct ContentKey {
    key: SecretKey,
    owner: KeyOwner,
    generation: u32,
    uses: u64,
    persisted_uses: u64,
    unsaved: Option<Sealed>,
}

/// The unlocked keys of one store.
pub struct KeyRing {
    store_id: Vec<u8>,
    data_key_id: KeyId,
    data_key: SecretKey,
    data_key_uses: u64,
    data_key_persisted_uses: u64,
    keyed_hash: KeyedHash,
    keys: HashMap<KeyId, ContentKey>,
    current: BTreeMap<KeyOwner, KeyId>,
    rotate_after: u64,
}

impl KeyRing {
    /// A ring around an unwrapped data key. `data_key_uses` is the persisted use count of the data key.
    pub fn new(
        store_id: &[u8],
        data_key_id: KeyId,
        data_key: SecretKey,
        data_key_uses: u64,
    ) -> Self {
        let keyed_hash = KeyedHash::derive_from(&data_key);
        KeyRing {
            store_id: store_id.to_vec(),
            data_key_id,
            data_key,
            data_key_uses,
            data_key_persisted_uses: data_key_uses,
            keyed_hash,
            keys: HashMap::new(),
            current: BTreeMap::new(),
            rotate_after: ROTATE_AFTER_USES,
        }
    }

    /// Rotate keys after `uses` seals instead of [`ROTATE_AFTER_USES`] (tests of rotation only).
    #[cfg(any(test, feature = "test-support"))]
    pub fn set_rotation_limit_for_tests(&mut self, uses: u64) {
        self.rotate_after = uses;
    }

    /// The data key's id.
    pub fn data_key_id(&self) -> KeyId {
        self.data_key_id
    }

    /// The data key itself, for wrapping it into a vault or a recovery envelope.
    pub fn data_key(&self) -> &SecretKey {
        &self.data_key
    }

    /// The facility's keyed-hash function.
    pub fn keyed_hash(&self) -> &KeyedHash {
        &self.keyed_hash
    }

    /// Seal the canary that later unlocks check first.
    pub fn seal_canary(&mut self) -> Result<Sealed, CryptoError> {
        self.count_data_key_use()?;
        seal_with(
            &self.data_key,
            self.data_key_id,
            &Aad::new("meta", "canary", &self.store_id),
            CANARY,
        )
    }

    /// Check the canary: a wrong data key is reported as [`CryptoError::WrongKey`] before any data is read.
    pub fn check_canary(&self, canary: &Sealed) -> Result<(), CryptoError> {
        match open_with(
            &self.data_key,
            &Aad::new("meta", "canary", &self.store_id),
            canary,
        ) {
            Ok(plain) if plain.as_slice() == CANARY => Ok(()),
            _ => Err(CryptoError::WrongKey),
        }
    }

    /// Unwrap stored content keys into the ring. The newest generation of each owner seals from now on; of two
    /// keys of the same generation (one made here, one shared by another device) the first given wins, so the
    /// store passes its own keys first.
    pub fn load(&mut self, stored: Vec<WrappedKey>) -> Result<(), CryptoError> {
        for row in stored {
            let key = self.unwrap_key(&row)?;
            let newer = match self
                .current
                .get(&row.owner)
                .and_then(|id| self.keys.get(id))
            {
                Some(existing) => row.generation > existing.generation,
                None => true,
            };
            if newer {
                self.current.insert(row.owner, row.id);
            }
            self.insert_loaded(&row, key);
        }
        Ok(())
    }

    /// Take in keys that other devices of the facility made and shared (through the hub), so their sealed data
    /// opens here. Keys already held are skipped; a shared key seals here only for an owner this ring has no key
    /// for yet. Returns the keys that were new (the store persists them). A key that does not unwrap under this
    /// facility's data key is refused as [`CryptoError::WrongKey`] and nothing is taken.
    pub fn import(&mut self, shared: &[WrappedKey]) -> Result<Vec<WrappedKey>, CryptoError> {
        let mut fresh = Vec::new();
        for row in shared {
            if self.keys.contains_key(&row.id) {
                continue;
            }
            fresh.push((row, self.unwrap_key(row)?));
        }
        let mut added = Vec::with_capacity(fresh.len());
        for (row, key) in fresh {
            self.current.entry(row.owner).or_insert(row.id);
            self.insert_loaded(row, key);
            added.push(row.clone());
        }
        Ok(added)
    }

    /// Whether `row` opens with this facility's data key (what [`KeyRing::import`] needs of every key).
    pub fn opens(&self, row: &WrappedKey) -> bool {
        self.unwrap_key(row).is_ok()
    }

    fn unwrap_key(&self, row: &WrappedKey) -> Result<SecretKey, CryptoError> {
        let plain = open_with(
            &self.data_key,
            &Aad::new("keys", "wrapped", row.id.0.as_bytes()),
            &row.wrapped,
        )
        .map_err(|_| CryptoError::WrongKey)?;
        SecretKey::from_slice(&plain)
    }

    fn insert_loaded(&mut self, row: &WrappedKey, key: SecretKey) {
        self.keys.insert(
            row.id,
            ContentKey {
                key,
                owner: row.owner,
                generation: row.generation,
                uses: row.uses,
                persisted_uses: row.uses,
                unsaved: None,
            },
        );
    }

    /// Seal `plaintext` for `owner` at the place `aad`, under the owner's current key (made or rotated as needed).
    pub fn seal(
        &mut self,
        owner: KeyOwner,
        aad: &Aad<'_>,
        plaintext: &[u8],
    ) -> Result<Sealed, CryptoError> {
        let id = self.sealing_key_for(owner)?;
        let entry = self
            .keys
            .get_mut(&id)
            .ok_or(CryptoError::KeyUnavailable(id))?;
        entry.uses += 1;
        seal_with(&entry.key, id, aad, plaintext)
    }

    /// Open a sealed value at the place `aad`.
    pub fn open(&self, sealed: &Sealed, aad: &Aad<'_>) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let entry = self
            .keys
            .get(&sealed.key_id)
            .ok_or(CryptoError::KeyUnavailable(sealed.key_id))?;
        open_with(&entry.key, aad, sealed)
    }

    /// Open a sealed value as UTF-8 text.
    pub fn open_text(
        &self,
        sealed: &Sealed,
        aad: &Aad<'_>,
    ) -> Result<Zeroizing<String>, CryptoError> {
        let bytes = self.open(sealed, aad)?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::OpenFailed)
    }

    /// Forget every key of `owner` (erasure after the retention period). Returns the ids the store must delete.
    pub fn erase_owner(&mut self, owner: KeyOwner) -> Vec<KeyId> {
        let ids: Vec<KeyId> = self
            .keys
            .iter()
            .filter(|(_, k)| k.owner == owner)
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            self.keys.remove(id);
        }
        self.current.remove(&owner);
        ids
    }

    /// What must be persisted since the last [`KeyRing::mark_persisted`].
    pub fn pending_changes(&self) -> KeyChanges {
        let mut changes = KeyChanges::default();
        for (id, key) in &self.keys {
            if let Some(wrapped) = &key.unsaved {
                changes.new_keys.push(WrappedKey {
                    id: *id,
                    owner: key.owner,
                    generation: key.generation,
                    wrapped: wrapped.clone(),
                    uses: key.uses,
                });
            } else if key.uses != key.persisted_uses {
                changes.uses.push((*id, key.uses));
            }
        }
        changes.new_keys.sort_by_key(|k| k.id);
        changes.uses.sort();
        if self.data_key_uses != self.data_key_persisted_uses {
            changes.data_key_uses = Some(self.data_key_uses);
        }
        changes
    }

    /// Record that `changes` are committed to the store.
    pub fn mark_persisted(&mut self, changes: &KeyChanges) {
        for new in &changes.new_keys {
            if let Some(key) = self.keys.get_mut(&new.id) {
                key.unsaved = None;
                key.persisted_uses = key.persisted_uses.max(new.uses);
            }
        }
        for (id, uses) in &changes.uses {
            if let Some(key) = self.keys.get_mut(id) {
                key.persisted_uses = key.persisted_uses.max(*uses);
            }
        }
        if let Some(uses) = changes.data_key_uses {
            self.data_key_persisted_uses = self.data_key_persisted_uses.max(uses);
        }
    }

    /// The number of seals made with the key `id`, if the ring holds it.
    pub fn uses_of(&self, id: KeyId) -> Option<u64> {
        self.keys.get(&id).map(|k| k.uses)
    }

    fn sealing_key_for(&mut self, owner: KeyOwner) -> Result<KeyId, CryptoError> {
        let (generation, fresh_needed) =
            match self.current.get(&owner).and_then(|id| self.keys.get(id)) {
                Some(key) => (key.generation, key.uses >= self.rotate_after),
                None => (0, true),
            };
        if !fresh_needed {
            return self
                .current
                .get(&owner)
                .copied()
                .ok_or(CryptoError::MalformedKey);
        }
        let id = KeyId::random();
        let key = SecretKey::make_random()?;
        self.count_data_key_use()?;
        let wrapped = seal_with(
            &self.data_key,
            self.data_key_id,
            &Aad::new("keys", "wrapped", id.0.as_bytes()),
            key.expose(),
        )?;
        self.keys.insert(
            id,
            ContentKey {
                key,
                owner,
                generation: generation + 1,
                uses: 0,
                persisted_uses: 0,
                unsaved: Some(wrapped),
            },
        );
        self.current.insert(owner, id);
        Ok(id)
    }

    fn count_data_key_use(&mut self) -> Result<(), CryptoError> {
        // The data key only wraps content keys and the canary: it never comes near the bound, and replacing it
        // means re-wrapping every content key, so it has the fixed limit even in rotation tests.
        if self.data_key_uses >= ROTATE_AFTER_USES {
            return Err(CryptoError::KeyExhausted(self.data_key_id));
        }
        self.data_key_uses += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(
            b"store",
            KeyId::random(),
            SecretKey::make_random().unwrap(),
            0,
        )
    }

    #[test]
    fn a_key_is_rotated_once_it_reaches_its_use_limit() {
        let mut ring = ring();
        ring.set_rotation_limit_for_tests(3);
        let owner = KeyOwner::Resident(ResidentId::random());
        let ids: Vec<KeyId> = (0..7)
            .map(|_| {
                ring.seal(owner, &Aad::new("t", "c", b"r"), b"x")
                    .unwrap()
                    .key_id
            })
            .collect();
        assert_eq!(ids[0], ids[2]);
        assert_ne!(ids[2], ids[3]);
        assert_eq!(ids[3], ids[5]);
        assert_ne!(ids[5], ids[6]);
        assert!(ids.iter().all(|id| ring.uses_of(*id).unwrap() <= 3));
    }

    #[test]
    fn stored_keys_reload_and_still_open_what_they_sealed() {
        let mut ring = ring();
        let owner = KeyOwner::Resident(ResidentId::random());
        let aad = Aad::new("resident", "name", b"r1");
        let sealed = ring.seal(owner, &aad, "佐藤".as_bytes()).unwrap();
        let changes = ring.pending_changes();
        assert_eq!(changes.new_keys.len(), 1);
        ring.mark_persisted(&changes);
        assert!(ring.pending_changes().is_empty());

        let mut reopened = KeyRing::new(
            b"store",
            ring.data_key_id(),
            SecretKey::from_slice(ring.data_key().expose()).unwrap(),
            1,
        );
        reopened.load(changes.new_keys).unwrap();
        assert_eq!(
            reopened.open(&sealed, &aad).unwrap().as_slice(),
            "佐藤".as_bytes()
        );
    }

    #[test]
    fn an_erased_owner_can_no_longer_open_its_data() {
        let mut ring = ring();
        let owner = KeyOwner::Resident(ResidentId::random());
        let aad = Aad::new("resident", "name", b"r1");
        let sealed = ring.seal(owner, &aad, b"x").unwrap();
        assert_eq!(ring.erase_owner(owner), vec![sealed.key_id]);
        assert_eq!(
            ring.open(&sealed, &aad).err(),
            Some(CryptoError::KeyUnavailable(sealed.key_id))
        );
    }

    #[test]
    fn the_canary_tells_a_wrong_key_apart() {
        let mut ring = ring();
        let canary = ring.seal_canary().unwrap();
        assert_eq!(ring.check_canary(&canary), Ok(()));
        let other = KeyRing::new(
            b"store",
            ring.data_key_id(),
            SecretKey::make_random().unwrap(),
            0,
        );
        assert_eq!(other.check_canary(&canary), Err(CryptoError::WrongKey));
    }
}
