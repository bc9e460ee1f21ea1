//! Platform capabilities the apps implement: the key vault that wraps the data key (Android Keystore, iOS
//! Keychain) and the NFC channel to a tapped card (Android `IsoDep`, iOS `NFCISO7816Tag`). The third, the HTTP
//! channel to the hub (`HubConnection`), lives with sync in [`crate::sync`]. Each foreign trait is
//! adapted here to its core trait; the core never knows it talks to Kotlin, Swift or Python.
//!
//! **Re-entrance.** The core calls these while it holds the facility (a card is read inside `tapCard`, the key
//! vault inside `rewrapForVault`): an implementation must answer from the platform and never call back into
//! Azukari, or it waits forever.
//!
//! **Signer.** The core keeps each device's ECDSA P-256 signing key itself (sealed in the store) and offers no way
//! yet to plug in a signer kept in secure hardware (StrongBox, Secure Enclave): `Store::create` and `Store::open`
//! make their own `SoftwareSigner`. A foreign `Signer` trait is therefore not exported; it belongs here once the
//! store accepts a `Box<dyn Signer>` at create and open.

use crate::error::{CardIoError, KeyVaultError};
use azukari_core::card::TransceiveError;
use azukari_core::crypto::VaultError;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Wraps and unwraps the facility store's data key with a key the platform keeps (Android Keystore: a
/// non-exportable AES key; iOS Keychain). Implemented by the apps; called while a store is created, unlocked or
/// re-wrapped, on the calling thread; it must not call back into Azukari.
#[uniffi::export(with_foreign)]
pub trait KeyVault: Send + Sync {
    /// Wrap `data_key` (32 bytes) for the store `store_id` (16 bytes); return an opaque blob the store keeps.
    fn wrap_data_key(&self, store_id: Vec<u8>, data_key: Vec<u8>)
    -> Result<Vec<u8>, KeyVaultError>;
    /// Unwrap a blob made by `wrap_data_key` for the same store; return the 32-byte data key.
    /// Throw `KeyMissing` when the platform no longer has the key (the user then unlocks with the recovery
    /// passphrase).
    fn unwrap_data_key(
        &self,
        store_id: Vec<u8>,
        wrapped: Vec<u8>,
    ) -> Result<Vec<u8>, KeyVaultError>;
}

/// The phone's NFC ISO-DEP channel to a tapped card. Implemented by the apps with Android
/// `IsoDep.transceive` and iOS `NFCISO7816Tag.sendCommand`; the core sends only the PIN-less commands of
/// DOMAIN.md and never a VERIFY. Called on the thread that called `tapCard` or `registerCardByReading`; it must
/// not call back into Azukari.
#[uniffi::export(with_foreign)]
pub trait CardTransceiver: Send + Sync {
    /// Send one command APDU and return the card's whole response APDU (data followed by SW1 SW2).
    fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, CardIoError>;
}

/// A foreign [`KeyVault`] as the core's key vault.
pub(crate) struct VaultAdapter(pub Arc<dyn KeyVault>);

impl azukari_core::crypto::KeyVault for VaultAdapter {
    fn wrap(&self, store_id: &[u8], data_key: &[u8]) -> Result<Vec<u8>, VaultError> {
        // The buffer handed across the FFI is owned by the foreign side from then on; the core wipes its own copy.
        Ok(self.0.wrap_data_key(store_id.to_vec(), data_key.to_vec())?)
    }

    fn unwrap(&self, store_id: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        Ok(Zeroizing::new(
            self.0
                .unwrap_data_key(store_id.to_vec(), wrapped.to_vec())?,
        ))
    }
}

/// A foreign [`CardTransceiver`] as the core's.
pub(crate) struct CardAdapter(pub Arc<dyn CardTransceiver>);

impl azukari_core::card::CardTransceiver for CardAdapter {
    fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransceiveError> {
        Ok(self.0.transceive(apdu.to_vec())?)
    }
}
