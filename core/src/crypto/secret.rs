//! A 256-bit secret key that zeroizes on drop and cannot be printed.

use super::{CryptoError, fill_random};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A 256-bit secret key. No `Debug`, no `Clone` outside this crate, wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Make a new random key from the operating system's generator.
    pub fn make_random() -> Result<Self, CryptoError> {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes)?;
        Ok(SecretKey(bytes))
    }

    /// Take a key from exactly 32 bytes (the source is left for the caller to wipe).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::MalformedKey)?;
        Ok(SecretKey(array))
    }

    /// The key bytes. Keep the borrow short; never copy them out.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}
