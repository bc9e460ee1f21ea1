//! Device signing keys: ECDSA P-256 with SHA-256, through `ring` (constant-time, assembly-optimised P-256).
//! P-256 is the curve Android StrongBox and the iOS Secure Enclave support, so an app can keep its device key in
//! hardware and implement [`Signer`] there; [`SoftwareSigner`] keeps the key in memory and its PKCS#8 document
//! sealed in the store.
//!
//! Formats: a public key is the uncompressed SEC1 point (`0x04 ‖ x ‖ y`, 65 bytes, what the Secure Enclave exports
//! and the tail of Android's SubjectPublicKeyInfo), a signature the fixed-size `r ‖ s` (64 bytes; a hardware
//! [`Signer`] converts the DER signatures the platforms produce). Signing uses `ring`'s hedged
//! nonces: fresh randomness mixed with the key and the message digest, so a weak random number generator alone
//! does not leak the key. Signatures are therefore not deterministic; nothing depends on them being so, since an
//! event's hash covers the signature it was stored with.
//!
//! The secret lives in three places, wiped where `ring` lets us: the PKCS#8 copy kept for sealing is
//! [`Zeroizing`], while the parsed key inside `ring` and the document `ring` hands back at generation are not
//! wipeable from outside (`ring` exposes no mutable access); they live only as long as the signer.

use super::CryptoError;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    UnparsedPublicKey,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A device's public key: the uncompressed SEC1 P-256 point `0x04 ‖ x ‖ y` (65 bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DevicePublicKey(pub Vec<u8>);

/// A signature: the 64-byte fixed-size (r ‖ s) ECDSA P-256 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSignature(pub Vec<u8>);

/// Something that signs for a device: a hardware-backed key in the apps, [`SoftwareSigner`] here.
pub trait Signer: Send + Sync {
    /// The public key that verifies this signer's signatures (see [`DevicePublicKey`] for the format).
    fn public_key(&self) -> DevicePublicKey;
    /// Sign `message` (ECDSA P-256 over SHA-256 of the message; see [`DeviceSignature`] for the format).
    fn sign(&self, message: &[u8]) -> Result<DeviceSignature, CryptoError>;
}

/// A P-256 key held in memory; its PKCS#8 document is sealed in the store between runs. No `Debug`.
pub struct SoftwareSigner {
    key: EcdsaKeyPair,
    pkcs8: Zeroizing<Vec<u8>>,
    random: SystemRandom,
}

impl SoftwareSigner {
    /// Make a new random key.
    pub fn make_random() -> Result<Self, CryptoError> {
        let random = SystemRandom::new();
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random)
            .map_err(|_| CryptoError::Random)?;
        let pkcs8 = Zeroizing::new(document.as_ref().to_vec());
        Self::from_pkcs8(pkcs8, random)
    }

    /// The secret key as a PKCS#8 v1 document (private and public key), for sealing into the store.
    pub fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    /// Rebuild from the PKCS#8 document [`SoftwareSigner::secret_bytes`] gave; refuses anything else, including
    /// a document whose public key does not match its private key.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        Self::from_pkcs8(Zeroizing::new(bytes.to_vec()), SystemRandom::new())
    }

    fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>, random: SystemRandom) -> Result<Self, CryptoError> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &random)
            .map_err(|_| CryptoError::MalformedKey)?;
        Ok(SoftwareSigner { key, pkcs8, random })
    }
}

impl Signer for SoftwareSigner {
    fn public_key(&self) -> DevicePublicKey {
        DevicePublicKey(self.key.public_key().as_ref().to_vec())
    }

    fn sign(&self, message: &[u8]) -> Result<DeviceSignature, CryptoError> {
        let signature = self
            .key
            .sign(&self.random, message)
            .map_err(|_| CryptoError::Random)?;
        Ok(DeviceSignature(signature.as_ref().to_vec()))
    }
}

/// Check that `signature` over `message` was made by `public_key`. A public key or signature of the wrong
/// format is refused like a wrong signature.
pub fn verify_signature(
    public_key: &DevicePublicKey,
    message: &[u8],
    signature: &DeviceSignature,
) -> Result<(), CryptoError> {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public_key.0)
        .verify(message, &signature.0)
        .map_err(|_| CryptoError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_signed_message_and_key() {
        let signer = SoftwareSigner::make_random().unwrap();
        let signature = signer.sign(b"checked out").unwrap();
        assert_eq!(
            verify_signature(&signer.public_key(), b"checked out", &signature),
            Ok(())
        );
        assert_eq!(
            verify_signature(&signer.public_key(), b"checked out!", &signature),
            Err(CryptoError::BadSignature)
        );
        let other = SoftwareSigner::make_random().unwrap();
        assert_eq!(
            verify_signature(&other.public_key(), b"checked out", &signature),
            Err(CryptoError::BadSignature)
        );
        let restored = SoftwareSigner::from_secret_bytes(&signer.secret_bytes()).unwrap();
        assert_eq!(restored.public_key(), signer.public_key());
        verify_signature(
            &signer.public_key(),
            b"again",
            &restored.sign(b"again").unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn keys_and_signatures_have_the_documented_formats() {
        let signer = SoftwareSigner::make_random().unwrap();
        let public_key = signer.public_key();
        assert_eq!(public_key.0.len(), 65);
        assert_eq!(public_key.0[0], 0x04);
        assert_eq!(signer.sign(b"x").unwrap().0.len(), 64);
    }

    #[test]
    fn malformed_keys_and_signatures_are_refused() {
        let signer = SoftwareSigner::make_random().unwrap();
        let signature = signer.sign(b"m").unwrap();
        let mut compressed = signer.public_key().0[..33].to_vec();
        compressed[0] = 0x02;
        assert_eq!(
            verify_signature(&DevicePublicKey(compressed), b"m", &signature),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            verify_signature(
                &signer.public_key(),
                b"m",
                &DeviceSignature(signature.0[..63].to_vec())
            ),
            Err(CryptoError::BadSignature)
        );
        assert!(SoftwareSigner::from_secret_bytes(&[1; 32]).is_err());
        let mut tampered = signer.secret_bytes().to_vec();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(SoftwareSigner::from_secret_bytes(&tampered).is_err());
    }
}
