//! Signed checkpoints in the C2SP formats: the checkpoint body of `tlog-checkpoint` (origin, tree size, base64
//! root hash, one per line) inside a `signed-note` with an Ed25519 signature line, through the `signed_note` crate.
//! The hub signs one after every change to its tree; a device keeps the last one it verified.

use super::merkle::TreeHead;
use super::{Digest32, SyncError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use zeroize::Zeroizing;

/// What a checkpoint says: this log (origin) had this many leaves with this root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line, `azukari.hub/<facility id>`.
    pub origin: String,
    /// The tree it commits to.
    pub head: TreeHead,
}

/// The origin line of a facility's log.
pub fn origin_for(facility: crate::model::FacilityId) -> String {
    format!("azukari.hub/{facility}")
}

impl Checkpoint {
    /// The checkpoint body (three lines, each ending in a newline).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.head.size,
            STANDARD.encode(self.head.root.0)
        )
    }

    fn parse_body(text: &[u8]) -> Result<Checkpoint, SyncError> {
        let text = std::str::from_utf8(text).map_err(|_| SyncError::BadCheckpoint("not UTF-8"))?;
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or(SyncError::BadCheckpoint("no origin line"))?;
        let size: u64 = lines
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or(SyncError::BadCheckpoint("no tree size"))?;
        let root = lines
            .next()
            .and_then(|l| STANDARD.decode(l).ok())
            .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
            .ok_or(SyncError::BadCheckpoint("no root hash"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            head: TreeHead {
                size,
                root: Digest32(root),
            },
        })
    }
}

/// The hub's checkpoint-signing key (Ed25519), in the signed-note key encoding. Secret.
pub struct CheckpointKey {
    signer: StandardSigner,
    verifier_key: String,
}

impl CheckpointKey {
    /// A new random key for the log named `name` (e.g. the hub's host name; no spaces or `+`).
    /// Returns the key and its private encoding, to keep in the hub's key file.
    pub fn generate(name: &str) -> Result<(CheckpointKey, Zeroizing<String>), SyncError> {
        let (secret, verifier_key) = signed_note::generate_key(&mut rand_core::OsRng, name);
        let secret = Zeroizing::new(secret);
        let signer =
            StandardSigner::new(&secret).map_err(|_| SyncError::BadCheckpoint("bad key name"))?;
        Ok((
            CheckpointKey {
                signer,
                verifier_key,
            },
            secret,
        ))
    }

    /// The key from its private encoding (`PRIVATE+KEY+name+id+base64`) and its verifier key.
    pub fn from_encoded(secret: &str, verifier_key: &str) -> Result<CheckpointKey, SyncError> {
        let signer = StandardSigner::new(secret)
            .map_err(|_| SyncError::BadCheckpoint("unreadable checkpoint key"))?;
        Ok(CheckpointKey {
            signer,
            verifier_key: verifier_key.to_string(),
        })
    }

    /// The public verifier key that devices and auditors pin (`name+id+base64`).
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// Sign a checkpoint; returns the signed note as served.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<Vec<u8>, SyncError> {
        let mut note = Note::new(checkpoint.body().as_bytes(), &[])
            .map_err(|_| SyncError::BadCheckpoint("checkpoint body"))?;
        note.add_sigs(&[&self.signer])
            .map_err(|_| SyncError::BadCheckpoint("signing failed"))?;
        Ok(note.to_bytes())
    }
}

/// Verifies the checkpoints of one log: the hub's verifier key and the origin expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointVerifier {
    verifier_key: String,
    origin: String,
}

impl CheckpointVerifier {
    /// A verifier for `origin`'s checkpoints signed by the key `verifier_key` (`name+id+base64`).
    pub fn new(verifier_key: &str, origin: &str) -> Result<CheckpointVerifier, SyncError> {
        StandardVerifier::new(verifier_key)
            .map_err(|_| SyncError::BadCheckpoint("unreadable verifier key"))?;
        Ok(CheckpointVerifier {
            verifier_key: verifier_key.to_string(),
            origin: origin.to_string(),
        })
    }

    /// The verifier key.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// Check the signature and the origin of a signed checkpoint and return what it says.
    pub fn verify(&self, signed_note: &[u8]) -> Result<Checkpoint, SyncError> {
        let note = Note::from_bytes(signed_note)
            .map_err(|_| SyncError::BadCheckpoint("not a signed note"))?;
        let verifier = StandardVerifier::new(&self.verifier_key)
            .map_err(|_| SyncError::BadCheckpoint("unreadable verifier key"))?;
        let list = VerifierList::new(vec![Box::new(verifier)]);
        note.verify(&list)
            .map_err(|_| SyncError::BadCheckpoint("signature does not verify"))?;
        let checkpoint = Checkpoint::parse_body(note.text())?;
        if checkpoint.origin != self.origin {
            return Err(SyncError::BadCheckpoint("checkpoint of another log"));
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_is_refused() {
        let (key, _secret) = CheckpointKey::generate("hub.example").unwrap();
        let checkpoint = Checkpoint {
            origin: "azukari.hub/test".into(),
            head: TreeHead {
                size: 7,
                root: Digest32([3; 32]),
            },
        };
        let note = key.sign(&checkpoint).unwrap();
        let text = String::from_utf8(note.clone()).unwrap();
        assert!(text.starts_with("azukari.hub/test\n7\n"));
        assert!(text.contains("\n\u{2014} hub.example "));

        let verifier = CheckpointVerifier::new(key.verifier_key(), "azukari.hub/test").unwrap();
        assert_eq!(verifier.verify(&note).unwrap(), checkpoint);

        let forged = text.replacen("\n7\n", "\n8\n", 1);
        assert!(verifier.verify(forged.as_bytes()).is_err());
        let other_log = CheckpointVerifier::new(key.verifier_key(), "azukari.hub/other").unwrap();
        assert!(other_log.verify(&note).is_err());
        let (stranger, _) = CheckpointKey::generate("hub.example").unwrap();
        let by_stranger =
            CheckpointVerifier::new(stranger.verifier_key(), "azukari.hub/test").unwrap();
        assert!(by_stranger.verify(&note).is_err());
    }
}
