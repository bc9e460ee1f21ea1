//! The platform key vault: how a device unlocks its store every day without a passphrase. On Android it is the
//! Keystore (a non-exportable AES key wraps the data key), on iOS the Keychain; here a file-based vault serves
//! the hub, the examples and the tests.

use super::aead::{open_with, seal_with};
use super::{Aad, KeyId, Sealed, SecretKey};
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// What a key vault can report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The vault has no key for this store (e.g. the app was reinstalled): use the recovery passphrase.
    #[error(
        "the key vault has no key for this store; unlock with the recovery passphrase / 端末の鍵がありません。復旧用パスフレーズで開いてください"
    )]
    KeyMissing,
    /// The vault refused (user not authenticated, hardware error).
    #[error("the key vault refused: {0} / 端末の鍵保管庫が拒否しました")]
    Refused(String),
}

/// Wraps and unwraps the data key with a key the platform keeps. Implemented by the apps (Android Keystore,
/// iOS Keychain) through the FFI, and by [`FileKeyVault`] here.
pub trait KeyVault: Send + Sync {
    /// Wrap `data_key` for the store `store_id`; returns an opaque blob the store keeps.
    fn wrap(&self, store_id: &[u8], data_key: &[u8]) -> Result<Vec<u8>, VaultError>;
    /// Unwrap a blob made by [`KeyVault::wrap`] for the same store.
    fn unwrap(&self, store_id: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError>;
}

/// A key vault whose key-encryption key is a file (mode 0600) beside the store: for the hub, examples and tests.
/// It protects against copying the database alone, not against copying the whole directory.
pub struct FileKeyVault {
    path: PathBuf,
}

impl FileKeyVault {
    /// A vault keeping its key at `path`; the key is made on first use.
    pub fn new(path: impl AsRef<Path>) -> Self {
        FileKeyVault {
            path: path.as_ref().to_path_buf(),
        }
    }

    fn key(&self, create: bool) -> Result<SecretKey, VaultError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                SecretKey::from_slice(&bytes)
                    .map_err(|_| VaultError::Refused("vault key file is malformed".into()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key =
                    SecretKey::make_random().map_err(|e| VaultError::Refused(e.to_string()))?;
                write_private_file(&self.path, key.expose())
                    .map_err(|e| VaultError::Refused(e.to_string()))?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(VaultError::KeyMissing),
            Err(e) => Err(VaultError::Refused(e.kind().to_string())),
        }
    }
}

fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

impl KeyVault for FileKeyVault {
    fn wrap(&self, store_id: &[u8], data_key: &[u8]) -> Result<Vec<u8>, VaultError> {
        let kek = self.key(true)?;
        let secret = SecretKey::from_slice(data_key)
            .map_err(|_| VaultError::Refused("data key must be 32 bytes".into()))?;
        let sealed = seal_with(
            &kek,
            KeyId(uuid::Uuid::nil()),
            &Aad::new("vault", "data_key", store_id),
            secret.expose(),
        )
        .map_err(|e| VaultError::Refused(e.to_string()))?;
        postcard::to_stdvec(&sealed).map_err(|e| VaultError::Refused(e.to_string()))
    }

    fn unwrap(&self, store_id: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let kek = self.key(false)?;
        let sealed: Sealed = postcard::from_bytes(wrapped)
            .map_err(|_| VaultError::Refused("wrapped key is malformed".into()))?;
        open_with(&kek, &Aad::new("vault", "data_key", store_id), &sealed)
            .map_err(|_| VaultError::KeyMissing)
    }
}
