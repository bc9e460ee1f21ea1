//! Keyed hashes (HMAC-SHA256) for lookups and card fingerprints: equal inputs give equal hashes inside one
//! facility, and nothing can be learned or brute-forced from a hash without the facility's key.

use super::SecretKey;
use hkdf::Hkdf;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// What a keyed hash is for; part of the input, so hashes made for one purpose never match another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashDomain {
    /// The serial number of a My Number card (from the common card AP).
    CardSerial,
    /// The fingerprint of a card's 利用者証明用電子証明書.
    CertificateFingerprint,
    /// A lookup index over a personal field (e.g. kana for search).
    Lookup,
    /// The MAC over the store's local log head.
    LogHead,
}

impl HashDomain {
    fn label(self) -> &'static [u8] {
        match self {
            HashDomain::CardSerial => b"card-serial",
            HashDomain::CertificateFingerprint => b"certificate-fingerprint",
            HashDomain::Lookup => b"lookup",
            HashDomain::LogHead => b"log-head",
        }
    }
}

/// The keyed-hash key, derived from the data key with HKDF-SHA256.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeyedHash([u8; 64]);

impl KeyedHash {
    /// Derive the keyed-hash key from the facility's data key.
    pub fn derive_from(data_key: &SecretKey) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"azukari/keyed-hash/v1"), data_key.expose());
        // A full SHA-256 block of key, so HMAC takes it as is.
        let mut okm = [0u8; 64];
        // 64 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
        let _ = hkdf.expand(b"hmac-sha256", &mut okm);
        KeyedHash(okm)
    }

    /// HMAC-SHA256 of `data` for `domain`.
    pub fn hash(&self, domain: HashDomain, data: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.0.into());
        let label = domain.label();
        mac.update(&(label.len() as u32).to_be_bytes());
        mac.update(label);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Whether `expected` is the keyed hash of `data`, compared in constant time.
    pub fn matches(&self, domain: HashDomain, data: &[u8], expected: &[u8; 32]) -> bool {
        self.hash(domain, data).ct_eq(expected).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_key_and_domain() {
        let a = KeyedHash::derive_from(&SecretKey::make_random().unwrap());
        let b = KeyedHash::derive_from(&SecretKey::make_random().unwrap());
        let serial = b"AB1234567890123";
        assert_eq!(
            a.hash(HashDomain::CardSerial, serial),
            a.hash(HashDomain::CardSerial, serial)
        );
        assert_ne!(
            a.hash(HashDomain::CardSerial, serial),
            b.hash(HashDomain::CardSerial, serial)
        );
        assert_ne!(
            a.hash(HashDomain::CardSerial, serial),
            a.hash(HashDomain::Lookup, serial)
        );
        assert!(a.matches(
            HashDomain::CardSerial,
            serial,
            &a.hash(HashDomain::CardSerial, serial)
        ));
    }
}
