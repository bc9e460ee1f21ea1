//! Checks of what a client sends that need no state: an enrollment's key material and id, and the size of a push.
//! They run before anything is used up or written, so a malformed request leaves the token usable and the log,
//! the alarms and the hub's lock untouched.
//!
//! Keys are checked by using them: an ephemeral ECDH agreement with the device's P-256 key (ring parses the
//! uncompressed SEC1 point and checks that it lies on the curve) and with its X25519 exchange key (ring refuses a
//! low-order point, whose shared secret would be zero). A key that passes is one the hub can really verify
//! signatures with and seal the facility's secrets to.

use crate::service::ServiceError;
use azukari_core::sync::SyncError;
use azukari_core::sync::protocol::{EnrollRequest, MAX_PUSH_EVENTS, MAX_PUSH_KEYS, PushRequest};
use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, X25519, agree_ephemeral};

/// Length of an uncompressed SEC1 P-256 point (`0x04 ‖ x ‖ y`).
const P256_PUBLIC_KEY_LEN: usize = 65;
/// Length of an X25519 public key.
const X25519_PUBLIC_KEY_LEN: usize = 32;

/// Check an enrollment request before its token is looked at: a non-nil device id, a real P-256 public key
/// (65 bytes, on the curve) and a real X25519 exchange key (32 bytes, not of low order).
pub fn check_enrollment(request: &EnrollRequest) -> Result<(), ServiceError> {
    let refuse = |why| Err(ServiceError::Sync(SyncError::Enrollment(why)));
    if request.device.0.is_nil() {
        return refuse("the device id must not be the nil UUID");
    }
    if request.public_key.len() != P256_PUBLIC_KEY_LEN || !agrees(&ECDH_P256, &request.public_key) {
        return refuse(
            "the public key must be an uncompressed P-256 point (65 bytes) on the curve",
        );
    }
    if request.exchange_key.len() != X25519_PUBLIC_KEY_LEN
        || !agrees(&X25519, &request.exchange_key)
    {
        return refuse("the exchange key must be an X25519 public key (32 bytes) of full order");
    }
    Ok(())
}

/// Whether an ephemeral key agreement with `peer` succeeds (the key parses and is not degenerate).
fn agrees(algorithm: &'static ring::agreement::Algorithm, peer: &[u8]) -> bool {
    let random = ring::rand::SystemRandom::new();
    let Ok(mine) = EphemeralPrivateKey::generate(algorithm, &random) else {
        return false;
    };
    agree_ephemeral(mine, &UnparsedPublicKey::new(algorithm, peer), |_| ()).is_ok()
}

/// Check that a push carries at most [`MAX_PUSH_EVENTS`] events and [`MAX_PUSH_KEYS`] keys (the body's size is
/// bounded by the server before it is read).
pub fn check_push_size(request: &PushRequest) -> Result<(), ServiceError> {
    if request.events.len() > MAX_PUSH_EVENTS {
        return Err(ServiceError::PushTooLarge {
            what: "events",
            count: request.events.len(),
            limit: MAX_PUSH_EVENTS,
        });
    }
    if request.keys.len() > MAX_PUSH_KEYS {
        return Err(ServiceError::PushTooLarge {
            what: "keys",
            count: request.keys.len(),
            limit: MAX_PUSH_KEYS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use azukari_core::model::DeviceId;
    use azukari_core::sync::PendingEnrollment;

    fn good() -> EnrollRequest {
        PendingEnrollment::new().unwrap().request("token")
    }

    #[test]
    fn a_real_enrollment_request_passes() {
        check_enrollment(&good()).unwrap();
    }

    #[test]
    fn garbage_empty_huge_and_off_curve_keys_are_refused() {
        let mut off_curve = good().public_key;
        off_curve[64] ^= 1;
        for key in [
            b"garbage".to_vec(),
            Vec::new(),
            vec![4u8; 6 * 1024 * 1024],
            vec![4u8; 65],
            off_curve,
        ] {
            let request = EnrollRequest {
                public_key: key,
                ..good()
            };
            assert!(check_enrollment(&request).is_err());
        }
    }

    #[test]
    fn a_low_order_or_short_exchange_key_is_refused() {
        for key in [vec![0u8; 32], vec![1u8; 31], Vec::new()] {
            let request = EnrollRequest {
                exchange_key: key,
                ..good()
            };
            assert!(check_enrollment(&request).is_err());
        }
    }

    #[test]
    fn the_nil_device_id_is_refused() {
        let request = EnrollRequest {
            device: DeviceId(uuid::Uuid::nil()),
            ..good()
        };
        assert!(check_enrollment(&request).is_err());
    }
}
