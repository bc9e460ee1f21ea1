//! The facility's label-signing key: Ed25519 through `ring`.
//!
//! Ed25519 rather than the devices' P-256: a label signature must fit a QR code a phone reads from arm's length,
//! and Ed25519's 64-byte signatures and 32-byte keys are the smallest of the well-understood schemes; its
//! signatures are deterministic, so reprinting a label gives the very same code. The key belongs to the facility,
//! not to a device: it is made on the device that issues the first label, sealed in that store's `meta` under the
//! facility's content key, and reaches other devices through enrollment. Verifying needs only the public key,
//! which the ledger carries ([`crate::ledger::EventBody::LabelKeyCreated`]).

use crate::crypto::CryptoError;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use zeroize::Zeroizing;

/// An Ed25519 label-signing key in memory. No `Debug`: it holds a secret.
pub struct LabelSigner {
    key: Ed25519KeyPair,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl LabelSigner {
    /// Make a new random key.
    pub fn make_random() -> Result<Self, CryptoError> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| CryptoError::Random)?;
        Self::from_pkcs8(document.as_ref())
    }

    /// Rebuild from the PKCS#8 v2 document [`LabelSigner::secret_bytes`] gave; refuses anything else, including a
    /// document whose public key does not match its private key.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, CryptoError> {
        let key = Ed25519KeyPair::from_pkcs8(bytes).map_err(|_| CryptoError::MalformedKey)?;
        Ok(LabelSigner {
            key,
            pkcs8: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The secret key as a PKCS#8 document, for sealing into the store.
    pub fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    /// The public key (32 bytes), as recorded in the ledger.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// Sign `message` (64-byte Ed25519 signature).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut signature = [0u8; 64];
        signature.copy_from_slice(self.key.sign(message).as_ref());
        signature
    }
}

/// Whether `signature` over `message` was made by the Ed25519 `public_key`. A key of the wrong size is refused
/// like a wrong signature.
pub fn label_signature_is_valid(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_signature_verifies_only_for_its_message_and_key() {
        let signer = LabelSigner::make_random().unwrap();
        let signature = signer.sign(b"label");
        assert_eq!(signer.public_key().len(), 32);
        assert!(label_signature_is_valid(
            &signer.public_key(),
            b"label",
            &signature
        ));
        assert!(!label_signature_is_valid(
            &signer.public_key(),
            b"label!",
            &signature
        ));
        let other = LabelSigner::make_random().unwrap();
        assert!(!label_signature_is_valid(
            &other.public_key(),
            b"label",
            &signature
        ));
        assert!(!label_signature_is_valid(&[1; 31], b"label", &signature));
        let restored = LabelSigner::from_pkcs8(&signer.secret_bytes()).unwrap();
        assert_eq!(restored.public_key(), signer.public_key());
        assert_eq!(restored.sign(b"label"), signature);
        assert!(LabelSigner::from_pkcs8(&[0; 16]).is_err());
    }
}
