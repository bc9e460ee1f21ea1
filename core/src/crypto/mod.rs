//! # The key hierarchy
//!
//! Azukari holds special-category personal data (特定個人情報 / 要配慮個人情報) on shared phones and tablets that
//! get lost, and on a hub that an operator's staff can copy. Encryption is therefore per field, not per file: the
//! SQLite database holds ciphertext in every column that could name a person, and plaintext only in columns that
//! hold random ids, kinds, times and states. Four layers of keys do this.
//!
//! 1. **The data key** — 256 random bits per facility store, created once, never written down in the clear. It is
//!    stored twice, wrapped: (a) by the platform's key vault ([`KeyVault`]: Android Keystore, iOS Keychain; a
//!    file-based vault on the hub and in tests), which is how a device unlocks every day; and (b) in a
//!    [`RecoveryEnvelope`] under a key derived with Argon2id from the administrator's recovery passphrase, for the
//!    day the phone's keystore is wiped. The envelope stores its Argon2id parameters and salt; parameters below the
//!    OWASP minimum (m = 19 MiB, t = 2) or absurdly large are refused *before* any memory is allocated, so a
//!    tampered envelope cannot make a phone allocate gigabytes. A fast KDF exists only behind a test-only
//!    constructor. A *canary* sealed under the data key is opened first on every unlock, so a wrong key is
//!    reported as such before any real data is touched.
//! 2. **Content keys** — random 256-bit keys that do the actual sealing, wrapped by the data key and kept in the
//!    store's `keys` table: one line of keys per resident, and one for the facility itself (staff names, the device
//!    signing key, the custody snapshot). Because a resident's data is sealed under the resident's own keys,
//!    deleting those key rows after the retention period makes the resident's personal data unreadable while the
//!    ledger — whose hashes cover the ciphertext — still verifies. That is why keys live outside the append-only
//!    event table.
//! 3. **Sealing** — AES-256-GCM with a fresh random 96-bit nonce per message. Random nonces are safe only for a
//!    bounded number of messages per key (NIST SP 800-38D: 2^32), so every key counts its uses, the count is
//!    persisted with the data it sealed, and a content key is retired for sealing after [`ROTATE_AFTER_USES`] uses
//!    — 256 times below the bound — and a fresh one takes over. Every ciphertext carries associated data binding
//!    it to where it lives: (table, column, row id, key id). A ciphertext copied to another row or column, or
//!    presented with another key id, fails to open.
//! 4. **Keyed hashes and signatures** — lookups and card fingerprints use HMAC-SHA256 under a key derived (HKDF)
//!    from the data key, so an index leaks nothing to someone without the key. Each device signs its events with
//!    an ECDSA P-256 key — the curve phone secure hardware (StrongBox, Secure Enclave) supports — behind the
//!    [`Signer`] trait; the software signer's private key is itself sealed in the store.
//!
//! Every key type zeroizes on drop, every plaintext buffer is [`zeroize::Zeroizing`], and no secret implements
//! `Debug`.

mod aead;
mod envelope;
mod exchange;
mod keyed_hash;
mod keyring;
mod secret;
mod signing;
mod vault;

pub use aead::{Aad, KeyId, Sealed};
pub use envelope::{KdfParams, RecoveryEnvelope, generate_recovery_passphrase};
pub use exchange::{ExchangeKeyPair, SealedToRecipient, seal_to_recipient};
pub use keyed_hash::{HashDomain, KeyedHash};
pub use keyring::{KeyChanges, KeyOwner, KeyRing, ROTATE_AFTER_USES, WrappedKey};
pub use secret::SecretKey;
pub use signing::{DevicePublicKey, DeviceSignature, Signer, SoftwareSigner, verify_signature};
pub use vault::{FileKeyVault, KeyVault, VaultError};

/// What can go wrong in the key hierarchy. No variant carries personal data.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The data key does not open this store: the canary failed.
    #[error("the key does not open this store (wrong key) / このデータを開く鍵が違います")]
    WrongKey,
    /// The recovery passphrase does not open the recovery envelope.
    #[error("the recovery passphrase is wrong / 復旧用パスフレーズが違います")]
    WrongPassphrase,
    /// The recovery passphrase is too short to be safe.
    #[error(
        "the recovery passphrase must have at least {min} characters / 復旧用パスフレーズは{min}文字以上にしてください"
    )]
    WeakPassphrase {
        /// Minimum number of characters.
        min: usize,
    },
    /// Argon2id parameters outside the accepted range.
    #[error("key-derivation parameters out of range: {0} / 鍵導出パラメータが範囲外です")]
    KdfParamsOutOfRange(String),
    /// A ciphertext failed to open: tampered, moved to another place, or sealed under another key.
    #[error(
        "a sealed value failed to open (tampered or moved) / 暗号化データを復号できません（改ざんまたは移動）"
    )]
    OpenFailed,
    /// The ciphertext names a key this store does not have (never had, or erased after retention).
    #[error(
        "the key {0} is not available (erased or unknown) / 鍵がありません（消去済みまたは不明）"
    )]
    KeyUnavailable(KeyId),
    /// A key has been used as often as is safe and no fresh key could be made.
    #[error("key {0} reached its use limit / 鍵の使用回数が上限に達しました")]
    KeyExhausted(KeyId),
    /// A public key or signature does not parse, or a signature does not verify.
    #[error("signature invalid / 署名が不正です")]
    BadSignature,
    /// A stored key blob has the wrong shape.
    #[error("malformed key material / 鍵データの形式が不正です")]
    MalformedKey,
    /// The platform key vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed / 乱数生成に失敗しました")]
    Random,
}

/// Fill `buf` with random bytes from the operating system.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    use rand_core::RngCore;
    rand_core::OsRng
        .try_fill_bytes(buf)
        .map_err(|_| CryptoError::Random)
}
