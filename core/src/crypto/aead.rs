//! AES-256-GCM sealing with random 96-bit nonces and associated data that binds a ciphertext to where it lives.

use super::{CryptoError, SecretKey, fill_random};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

/// The id of a key (data key or content key). Part of every sealed value and of its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId(pub Uuid);

impl KeyId {
    /// A new random key id.
    pub fn random() -> Self {
        KeyId(Uuid::new_v4())
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a sealed value lives: (table, column, row id). The key id is added when sealing.
///
/// The table and column are the *logical* place (e.g. `resident` / `name`), the row id is the id of the record
/// the value belongs to. Opening with any other place fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aad<'a> {
    table: &'a str,
    column: &'a str,
    row: &'a [u8],
}

impl<'a> Aad<'a> {
    /// The place `table.column` of the record `row`.
    pub fn new(table: &'a str, column: &'a str, row: &'a [u8]) -> Self {
        Aad { table, column, row }
    }

    /// The associated-data bytes: a versioned, length-prefixed encoding of the place and the key id, so no two
    /// different places can ever produce the same bytes.
    fn encode(&self, key: KeyId) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(64 + self.table.len() + self.column.len() + self.row.len());
        out.extend_from_slice(b"azukari/aad/v1");
        for part in [
            self.table.as_bytes(),
            self.column.as_bytes(),
            self.row,
            key.0.as_bytes(),
        ] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }
}

/// A sealed (encrypted and authenticated) value: the key id, the nonce and the ciphertext with its tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// Which key sealed it.
    pub key_id: KeyId,
    /// The random 96-bit nonce.
    pub nonce: [u8; 12],
    /// Ciphertext followed by the 16-byte GCM tag.
    pub ciphertext: Vec<u8>,
}

/// Seal `plaintext` under `key` (whose id is `key_id`) for the place `aad`, with a fresh random nonce.
/// Counting uses is the caller's job ([`super::KeyRing`]).
pub(crate) fn seal_with(
    key: &SecretKey,
    key_id: KeyId,
    aad: &Aad<'_>,
    plaintext: &[u8],
) -> Result<Sealed, CryptoError> {
    let mut nonce = [0u8; 12];
    fill_random(&mut nonce)?;
    let cipher = Aes256Gcm::new(key.expose().into());
    let aad_bytes = aad.encode(key_id);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad_bytes,
            },
        )
        .map_err(|_| CryptoError::OpenFailed)?;
    Ok(Sealed {
        key_id,
        nonce,
        ciphertext,
    })
}

/// Open `sealed` with `key` for the place `aad`. Fails if anything — key, place, nonce, ciphertext — differs.
pub(crate) fn open_with(
    key: &SecretKey,
    aad: &Aad<'_>,
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = Aes256Gcm::new(key.expose().into());
    let aad_bytes = aad.encode(sealed.key_id);
    cipher
        .decrypt(
            Nonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad_bytes,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::OpenFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_in_its_own_place() {
        let key = SecretKey::make_random().unwrap();
        let id = KeyId::random();
        let row = [7u8; 16];
        let sealed = seal_with(
            &key,
            id,
            &Aad::new("resident", "name", &row),
            "山田 花子".as_bytes(),
        )
        .unwrap();
        let opened = open_with(&key, &Aad::new("resident", "name", &row), &sealed).unwrap();
        assert_eq!(opened.as_slice(), "山田 花子".as_bytes());

        let other_row = [8u8; 16];
        for wrong in [
            Aad::new("resident", "kana", &row),
            Aad::new("staff", "name", &row),
            Aad::new("resident", "name", &other_row),
        ] {
            assert_eq!(
                open_with(&key, &wrong, &sealed),
                Err(CryptoError::OpenFailed)
            );
        }
        let mut other_key_id = sealed.clone();
        other_key_id.key_id = KeyId::random();
        assert_eq!(
            open_with(&key, &Aad::new("resident", "name", &row), &other_key_id),
            Err(CryptoError::OpenFailed)
        );
    }

    #[test]
    fn nonces_differ_for_every_seal() {
        let key = SecretKey::make_random().unwrap();
        let id = KeyId::random();
        let aad = Aad::new("t", "c", b"r");
        let nonces: std::collections::HashSet<[u8; 12]> = (0..1000)
            .map(|_| seal_with(&key, id, &aad, b"x").unwrap().nonce)
            .collect();
        assert_eq!(nonces.len(), 1000);
    }

    #[test]
    fn place_encoding_is_unambiguous() {
        let id = KeyId::random();
        assert_ne!(
            Aad::new("ab", "c", b"").encode(id),
            Aad::new("a", "bc", b"").encode(id)
        );
    }
}
