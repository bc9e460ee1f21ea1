//! Enrollment: a new device presents the one-time token from the hub's QR with its public signing key and a
//! one-time exchange key; the hub registers the device in the ledger and answers with the facility's key material
//! sealed to the exchange key and the checkpoint key to pin. The device then creates its store with
//! [`Store::join`] and pulls the ledger.

use super::SyncError;
use super::agent::SyncState;
use super::checkpoint::{CheckpointVerifier, origin_for};
use super::protocol::{EnrollRequest, EnrollResponse};
use crate::clock::Clock;
use crate::crypto::{ExchangeKeyPair, KeyVault, Signer, SoftwareSigner, seal_to_recipient};
use crate::model::DeviceId;
use crate::store::{EnrollmentSecrets, JoinOptions, Store};
use std::path::Path;
use std::sync::Arc;

/// A device's side of an enrollment between the request and the answer.
pub struct PendingEnrollment {
    device: DeviceId,
    signer: SoftwareSigner,
    exchange: ExchangeKeyPair,
}

impl std::fmt::Debug for PendingEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingEnrollment")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl PendingEnrollment {
    /// A new device identity (id, signing key) and a one-time exchange key.
    pub fn new() -> Result<PendingEnrollment, SyncError> {
        Ok(PendingEnrollment {
            device: DeviceId::random(),
            signer: SoftwareSigner::make_random().map_err(crate::store::StoreError::from)?,
            exchange: ExchangeKeyPair::generate().map_err(crate::store::StoreError::from)?,
        })
    }

    /// The new device's id.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// The request to send with the token read from the enrollment QR.
    pub fn request(&self, token: &str) -> EnrollRequest {
        EnrollRequest {
            token: token.to_string(),
            device: self.device,
            public_key: self.signer.public_key().0,
            exchange_key: self.exchange.public_key().to_vec(),
        }
    }

    /// Open the hub's answer and create this device's store at `path`, with the hub's checkpoint key pinned.
    /// `expected_checkpoint_key`, when the QR carried it, must match what the hub sent.
    pub fn finish(
        self,
        response: &EnrollResponse,
        expected_checkpoint_key: Option<&str>,
        path: &Path,
        vault: &dyn KeyVault,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, SyncError> {
        if let Some(expected) = expected_checkpoint_key
            && expected != response.checkpoint_key
        {
            return Err(SyncError::Enrollment(
                "the hub's checkpoint key is not the one in the QR",
            ));
        }
        let plain = self
            .exchange
            .open(&response.secrets, self.device.as_bytes())
            .map_err(|_| SyncError::Enrollment("the key material does not open"))?;
        let secrets = EnrollmentSecrets::from_bytes(&plain)?;
        if secrets.trust_anchor().facility != response.facility {
            return Err(SyncError::Enrollment(
                "the key material is for another facility",
            ));
        }
        let origin = origin_for(response.facility);
        let verifier = CheckpointVerifier::new(&response.checkpoint_key, &origin)?;
        let mut store = Store::join(
            path,
            JoinOptions {
                secrets,
                device: self.device,
                signer: self.signer,
                vault,
            },
            clock,
        )?;
        SyncState::pin_hub(&mut store, &verifier, &origin)?;
        Ok(store)
    }
}

/// The hub's side, after it has checked the token and recorded the device's registration in `store`: seal the
/// facility's key material to the device's exchange key.
pub fn answer_enrollment(
    store: &Store,
    request: &EnrollRequest,
    label: &str,
    checkpoint_key: &str,
) -> Result<EnrollResponse, SyncError> {
    let secrets = store.enrollment_secrets()?;
    let bytes = secrets.to_bytes()?;
    let sealed = seal_to_recipient(&request.exchange_key, request.device.as_bytes(), &bytes)
        .map_err(|_| SyncError::Enrollment("the exchange key is malformed"))?;
    Ok(EnrollResponse {
        facility: store.facility_id(),
        label: label.to_string(),
        secrets: sealed,
        checkpoint_key: checkpoint_key.to_string(),
    })
}
