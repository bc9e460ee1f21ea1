//! Sealing a secret to one recipient: X25519 key agreement (ring), HKDF-SHA256, AES-256-GCM.
//!
//! Used once per device, at enrollment: the device makes a one-time X25519 key pair and sends the public half; the
//! hub makes its own one-time pair, agrees a shared secret, derives a key bound to the purpose and to both public
//! keys, and seals the facility's key material with it. Only the device that holds the private half can open it,
//! even if the TLS connection it travelled over were broken. Both private halves are consumed by the agreement.

use super::aead::{open_with, seal_with};
use super::{Aad, CryptoError, KeyId, Sealed, SecretKey};
use hkdf::Hkdf;
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::rand::SystemRandom;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Why a key is exchanged: part of the derived key, so a key agreed for one purpose opens nothing else.
const INFO: &[u8] = b"azukari/exchange/v1";

/// A one-time key pair for receiving one sealed secret.
pub struct ExchangeKeyPair {
    private: EphemeralPrivateKey,
    public: Vec<u8>,
}

impl std::fmt::Debug for ExchangeKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// A secret sealed to one recipient's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedToRecipient {
    /// The sender's one-time public key.
    pub sender_public: Vec<u8>,
    /// The secret, sealed under the agreed key.
    pub sealed: Sealed,
}

impl ExchangeKeyPair {
    /// A fresh key pair.
    pub fn generate() -> Result<ExchangeKeyPair, CryptoError> {
        let rng = SystemRandom::new();
        let private =
            EphemeralPrivateKey::generate(&X25519, &rng).map_err(|_| CryptoError::Random)?;
        let public = private
            .compute_public_key()
            .map_err(|_| CryptoError::Random)?
            .as_ref()
            .to_vec();
        Ok(ExchangeKeyPair { private, public })
    }

    /// The public half, to send to whoever seals the secret.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Open a secret sealed to this key pair for `context` (consumes the pair: it opens one secret only).
    pub fn open(
        self,
        sealed: &SealedToRecipient,
        context: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let key = agree(
            self.private,
            &sealed.sender_public,
            &sealed.sender_public,
            &self.public,
        )?;
        open_with(
            &key,
            &Aad::new("exchange", "secret", context),
            &sealed.sealed,
        )
    }
}

/// Seal `secret` so that only the holder of `recipient_public`'s private half can open it, for `context` (e.g.
/// the enrolling device's id).
pub fn seal_to_recipient(
    recipient_public: &[u8],
    context: &[u8],
    secret: &[u8],
) -> Result<SealedToRecipient, CryptoError> {
    let ours = ExchangeKeyPair::generate()?;
    let sender_public = ours.public.clone();
    let key = agree(
        ours.private,
        recipient_public,
        &sender_public,
        recipient_public,
    )?;
    let sealed = seal_with(
        &key,
        KeyId::random(),
        &Aad::new("exchange", "secret", context),
        secret,
    )?;
    Ok(SealedToRecipient {
        sender_public,
        sealed,
    })
}

/// Agree with `peer_public` and derive the sealing key, bound to both public keys (sender's first).
fn agree(
    private: EphemeralPrivateKey,
    peer_public: &[u8],
    sender_public: &[u8],
    recipient_public: &[u8],
) -> Result<SecretKey, CryptoError> {
    let peer = UnparsedPublicKey::new(&X25519, peer_public);
    let shared =
        agreement::agree_ephemeral(private, &peer, |material| Zeroizing::new(material.to_vec()))
            .map_err(|_| CryptoError::MalformedKey)?;
    let mut salt = Vec::with_capacity(sender_public.len() + recipient_public.len());
    salt.extend_from_slice(sender_public);
    salt.extend_from_slice(recipient_public);
    let mut okm = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(&salt), &shared)
        .expand(INFO, okm.as_mut())
        .map_err(|_| CryptoError::MalformedKey)?;
    SecretKey::from_slice(okm.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_recipient_opens_and_only_for_its_context() {
        let recipient = ExchangeKeyPair::generate().unwrap();
        let sealed =
            seal_to_recipient(recipient.public_key(), b"device-1", b"the data key").unwrap();
        assert_eq!(
            recipient.open(&sealed, b"device-1").unwrap().as_slice(),
            b"the data key"
        );

        let other = ExchangeKeyPair::generate().unwrap();
        assert!(other.open(&sealed, b"device-1").is_err());

        let recipient = ExchangeKeyPair::generate().unwrap();
        let sealed = seal_to_recipient(recipient.public_key(), b"device-1", b"k").unwrap();
        assert!(recipient.open(&sealed, b"device-2").is_err());
    }

    #[test]
    fn a_malformed_public_key_is_refused() {
        assert!(seal_to_recipient(&[1, 2, 3], b"x", b"secret").is_err());
    }
}
