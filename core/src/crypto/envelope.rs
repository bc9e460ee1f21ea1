//! The Argon2id recovery envelope: the data key wrapped under a key derived from the administrator's recovery
//! passphrase. The envelope carries its own parameters and salt so it can be opened years later, and those
//! parameters are checked against fixed bounds before Argon2 allocates anything.

use super::aead::{open_with, seal_with};
use super::{Aad, CryptoError, KeyId, Sealed, SecretKey, fill_random};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Lowest accepted Argon2id memory cost, in KiB (OWASP: 19 MiB).
pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
/// Lowest accepted Argon2id time cost (passes).
pub const MIN_ITERATIONS: u32 = 2;
/// Highest accepted memory cost, in KiB (1 GiB): more would exhaust a phone.
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
/// Highest accepted time cost.
pub const MAX_ITERATIONS: u32 = 64;
/// Highest accepted parallelism.
pub const MAX_PARALLELISM: u32 = 16;
/// Shortest accepted recovery passphrase, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 16;

/// Argon2id parameters, stored in the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Time cost (passes over memory).
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// The deliberately weak parameters of the test-only constructor.
#[cfg(any(test, feature = "test-support"))]
const INSECURE_TEST_PARAMS: KdfParams = KdfParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: about half a second on a mid-range phone, once, when the keystore is lost.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// Fast, insecure parameters for tests only. Not compiled into production builds, and envelopes made with them
    /// are refused by production builds.
    #[cfg(any(test, feature = "test-support"))]
    pub fn insecure_for_tests() -> Self {
        INSECURE_TEST_PARAMS
    }

    /// Check the parameters against the accepted range. Runs before any allocation.
    pub fn validate(&self) -> Result<(), CryptoError> {
        #[cfg(any(test, feature = "test-support"))]
        if *self == INSECURE_TEST_PARAMS {
            return Ok(());
        }
        let out_of_range = |what: &str| Err(CryptoError::KdfParamsOutOfRange(what.to_string()));
        if self.memory_kib < MIN_MEMORY_KIB {
            return out_of_range(&format!(
                "memory {} KiB < minimum {MIN_MEMORY_KIB} KiB",
                self.memory_kib
            ));
        }
        if self.memory_kib > MAX_MEMORY_KIB {
            return out_of_range(&format!(
                "memory {} KiB > maximum {MAX_MEMORY_KIB} KiB",
                self.memory_kib
            ));
        }
        if self.iterations < MIN_ITERATIONS || self.iterations > MAX_ITERATIONS {
            return out_of_range(&format!(
                "iterations {} not in {MIN_ITERATIONS}..={MAX_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return out_of_range(&format!(
                "parallelism {} not in 1..={MAX_PARALLELISM}",
                self.parallelism
            ));
        }
        Ok(())
    }

    fn derive(&self, passphrase: &str, salt: &[u8; 16]) -> Result<SecretKey, CryptoError> {
        self.validate()?;
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| CryptoError::KdfParamsOutOfRange(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
            .map_err(|e| CryptoError::KdfParamsOutOfRange(e.to_string()))?;
        SecretKey::from_slice(out.as_ref())
    }
}

/// The data key, wrapped under a passphrase-derived key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryEnvelope {
    /// Argon2id parameters used.
    pub params: KdfParams,
    /// Random 128-bit salt.
    pub salt: [u8; 16],
    /// The wrapped data key (its key id is the data key's id).
    pub wrapped: Sealed,
}

impl RecoveryEnvelope {
    /// Wrap `data_key` (id `data_key_id`) of the store `store_id` under `passphrase`.
    pub fn seal(
        passphrase: &str,
        params: KdfParams,
        store_id: &[u8],
        data_key_id: KeyId,
        data_key: &SecretKey,
    ) -> Result<Self, CryptoError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(CryptoError::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        let mut salt = [0u8; 16];
        fill_random(&mut salt)?;
        let kek = params.derive(passphrase, &salt)?;
        let wrapped = seal_with(
            &kek,
            data_key_id,
            &Aad::new("meta", "recovery_envelope", store_id),
            data_key.expose(),
        )?;
        Ok(RecoveryEnvelope {
            params,
            salt,
            wrapped,
        })
    }

    /// Unwrap the data key with `passphrase`. Parameters are validated before Argon2 runs.
    pub fn open(&self, passphrase: &str, store_id: &[u8]) -> Result<SecretKey, CryptoError> {
        let kek = self.params.derive(passphrase, &self.salt)?;
        let bytes = open_with(
            &kek,
            &Aad::new("meta", "recovery_envelope", store_id),
            &self.wrapped,
        )
        .map_err(|_| CryptoError::WrongPassphrase)?;
        SecretKey::from_slice(&bytes)
    }
}

/// A new random recovery passphrase for the administrator to write down: six groups of five characters from an
/// alphabet without look-alikes (about 150 bits).
pub fn generate_recovery_passphrase() -> Result<Zeroizing<String>, CryptoError> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    let mut random = Zeroizing::new([0u8; 30]);
    fill_random(random.as_mut())?;
    let mut out = Zeroizing::new(String::with_capacity(35));
    for (i, byte) in random.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(byte & 31)]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_passphrase_opens_and_a_wrong_one_is_reported_as_such() {
        let key = SecretKey::make_random().unwrap();
        let id = KeyId::random();
        let pass = generate_recovery_passphrase().unwrap();
        let envelope =
            RecoveryEnvelope::seal(&pass, KdfParams::insecure_for_tests(), b"store", id, &key)
                .unwrap();
        assert_eq!(
            envelope.open(&pass, b"store").unwrap().expose(),
            key.expose()
        );
        assert_eq!(
            envelope.open("WRONG-PASSPHRASE-12345", b"store").err(),
            Some(CryptoError::WrongPassphrase)
        );
        assert_eq!(
            envelope.open(&pass, b"other store").err(),
            Some(CryptoError::WrongPassphrase)
        );
    }

    #[test]
    fn parameters_below_the_minimum_or_absurdly_high_are_refused_before_deriving() {
        let weak = KdfParams {
            memory_kib: 8 * 1024,
            iterations: 2,
            parallelism: 1,
        };
        let short = KdfParams {
            memory_kib: MIN_MEMORY_KIB,
            iterations: 1,
            parallelism: 1,
        };
        // 4 TiB would abort the process if it were allocated; it must be refused first.
        let huge = KdfParams {
            memory_kib: u32::MAX,
            iterations: 2,
            parallelism: 1,
        };
        let lanes = KdfParams {
            memory_kib: MIN_MEMORY_KIB,
            iterations: 2,
            parallelism: 0,
        };
        for params in [weak, short, huge, lanes] {
            assert!(
                matches!(params.validate(), Err(CryptoError::KdfParamsOutOfRange(_))),
                "{params:?}"
            );
            let mut envelope = RecoveryEnvelope::seal(
                "a long enough passphrase",
                KdfParams::insecure_for_tests(),
                b"s",
                KeyId::random(),
                &SecretKey::make_random().unwrap(),
            )
            .unwrap();
            envelope.params = params;
            assert!(matches!(
                envelope.open("a long enough passphrase", b"s"),
                Err(CryptoError::KdfParamsOutOfRange(_))
            ));
        }
        assert_eq!(KdfParams::default().validate(), Ok(()));
        assert_eq!(
            KdfParams {
                memory_kib: MIN_MEMORY_KIB,
                iterations: 2,
                parallelism: 1
            }
            .validate(),
            Ok(())
        );
    }

    #[test]
    fn short_passphrases_are_refused() {
        let result = RecoveryEnvelope::seal(
            "short",
            KdfParams::insecure_for_tests(),
            b"s",
            KeyId::random(),
            &SecretKey::make_random().unwrap(),
        );
        assert_eq!(
            result.err(),
            Some(CryptoError::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS
            })
        );
    }

    #[test]
    fn generated_passphrases_are_long_and_different() {
        let a = generate_recovery_passphrase().unwrap();
        let b = generate_recovery_passphrase().unwrap();
        assert_eq!(a.len(), 35);
        assert_ne!(*a, *b);
    }
}
