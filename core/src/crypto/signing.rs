//! Device signing keys: ECDSA P-256 with SHA-256 (deterministic nonces, RFC 6979). P-256 is the curve Android
//! StrongBox and the iOS Secure Enclave support, so an app can keep its device key in hardware and implement
//! [`Signer`] there; [`SoftwareSigner`] keeps the key in memory and its bytes sealed in the store.

use super::CryptoError;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A device's public key: the SEC1 compressed P-256 point (33 bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DevicePublicKey(pub Vec<u8>);

/// A signature: the 64-byte fixed-size (r ‖ s) ECDSA P-256 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSignature(pub Vec<u8>);

/// Something that signs for a device: a hardware-backed key in the apps, [`SoftwareSigner`] here.
pub trait Signer: Send + Sync {
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> DevicePublicKey;
    /// Sign `message` (ECDSA P-256 over SHA-256 of the message).
    fn sign(&self, message: &[u8]) -> Result<DeviceSignature, CryptoError>;
}

/// A P-256 key held in memory; its secret scalar is sealed in the store between runs.
pub struct SoftwareSigner {
    key: SigningKey,
}

impl SoftwareSigner {
    /// Make a new random key.
    pub fn make_random() -> Self {
        SoftwareSigner {
            key: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// The secret scalar, for sealing into the store.
    pub fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.key.to_bytes().to_vec())
    }

    /// Rebuild from the secret scalar.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        SigningKey::from_slice(bytes)
            .map(|key| SoftwareSigner { key })
            .map_err(|_| CryptoError::MalformedKey)
    }
}

impl Signer for SoftwareSigner {
    fn public_key(&self) -> DevicePublicKey {
        DevicePublicKey(
            self.key
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec(),
        )
    }

    fn sign(&self, message: &[u8]) -> Result<DeviceSignature, CryptoError> {
        let signature: Signature = self
            .key
            .try_sign(message)
            .map_err(|_| CryptoError::BadSignature)?;
        Ok(DeviceSignature(signature.to_bytes().to_vec()))
    }
}

/// Check that `signature` over `message` was made by `public_key`.
pub fn verify_signature(
    public_key: &DevicePublicKey,
    message: &[u8],
    signature: &DeviceSignature,
) -> Result<(), CryptoError> {
    let key =
        VerifyingKey::from_sec1_bytes(&public_key.0).map_err(|_| CryptoError::BadSignature)?;
    let signature = Signature::from_slice(&signature.0).map_err(|_| CryptoError::BadSignature)?;
    key.verify(message, &signature)
        .map_err(|_| CryptoError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_signed_message_and_key() {
        let signer = SoftwareSigner::make_random();
        let signature = signer.sign(b"checked out").unwrap();
        assert_eq!(
            verify_signature(&signer.public_key(), b"checked out", &signature),
            Ok(())
        );
        assert_eq!(
            verify_signature(&signer.public_key(), b"checked out!", &signature),
            Err(CryptoError::BadSignature)
        );
        let other = SoftwareSigner::make_random();
        assert_eq!(
            verify_signature(&other.public_key(), b"checked out", &signature),
            Err(CryptoError::BadSignature)
        );
        let restored = SoftwareSigner::from_secret_bytes(&signer.secret_bytes()).unwrap();
        assert_eq!(restored.public_key(), signer.public_key());
    }
}
