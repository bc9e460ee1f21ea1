//! The auditor's proof bundle: everything needed to check a facility's log offline, without trusting the hub.
//!
//! A bundle holds the facility's trust anchor, the hub's checkpoint verifier key and origin, the latest signed
//! checkpoint and every event in the hub's order. [`verify_bundle`] checks, and reports the first problem found:
//! the checkpoint's signature; that the events are exactly the checkpoint's tree (indices contiguous, count equal,
//! the Merkle root rebuilt from the event hashes equal to the signed root, so every event is included and nothing
//! else); every event's signature and every device chain from the founding device on; and, given a checkpoint the
//! auditor kept from earlier, that the log is consistent with it (a consistency proof from the rebuilt tree,
//! verified against the earlier signed root); and every decision signed with a passkey in the browser pages
//! (approvals, denials, family consents and revocations: `azukari_core::ledger::passkey`) against the passkey
//! registered in the log, so one edited byte of an assertion fails the bundle.

use azukari_core::ledger::passkey::verify_passkey_decisions;
use azukari_core::ledger::{SignedEvent, TrustAnchor, VerifyMode, verify_log};
use azukari_core::sync::protocol::WireEvent;
use azukari_core::sync::{CheckpointVerifier, MerkleLog, verify_consistency, verify_inclusion};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// The bundle format's name and version.
pub const FORMAT: &str = "azukari-proof-bundle/1";
/// The largest bundle `azukari-hub verify` reads (about a million events).
pub const MAX_BUNDLE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A proof bundle (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    /// [`FORMAT`].
    pub format: String,
    /// The facility's trust anchor, postcard-encoded, base64.
    pub trust_anchor: String,
    /// The log's origin line.
    pub origin: String,
    /// The hub's checkpoint verifier key.
    pub checkpoint_key: String,
    /// The latest signed checkpoint.
    pub checkpoint: String,
    /// Every event, in the hub's order (index = position).
    pub events: Vec<WireEvent>,
}

/// What a bundle proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReport {
    /// Events checked.
    pub events: u64,
    /// Devices that signed them.
    pub devices: usize,
    /// The signed root (hex).
    pub root: String,
    /// The earlier checkpoint's size the log was shown consistent with, if one was given.
    pub consistent_with: Option<u64>,
    /// Passkeys registered in the log.
    pub passkeys: usize,
    /// Decisions signed with a passkey, each verified.
    pub signed_decisions: usize,
}

/// The first problem a bundle has.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle of this format.
    #[error("not an Azukari proof bundle ({0}) / 証明バンドルとして読み取れません")]
    Unreadable(String),
    /// The checkpoint key is not the one the auditor pinned.
    #[error(
        "the bundle's checkpoint key is not the hub key you gave / チェックポイント鍵が指定の鍵と異なります"
    )]
    WrongKey,
    /// The checkpoint does not verify.
    #[error("the checkpoint does not verify: {0} / チェックポイントを検証できません")]
    Checkpoint(String),
    /// The events are not the signed tree.
    #[error(
        "the events are not the tree the checkpoint signs: {0} / 記録がチェックポイントと一致しません"
    )]
    Tree(String),
    /// An event's signature or a device chain is wrong.
    #[error("the ledger does not verify: {0} / 台帳の署名または連鎖が不正です")]
    Ledger(String),
    /// The earlier checkpoint is not one of this log's: signed by another key or for another log.
    #[error(
        "the earlier checkpoint you gave is not from this hub's log (another key or another facility), so it says nothing about this log; give a checkpoint this hub signed / 指定した以前のチェックポイントはこのハブの記録のものではありません（別の鍵または別の施設）。このハブが署名したチェックポイントを指定してください"
    )]
    UnrelatedCheckpoint,
    /// A passkey-signed decision does not verify.
    #[error(
        "a decision signed with a passkey does not verify: {0} / パスキーで署名された決定を検証できません"
    )]
    Passkey(String),
    /// The log is not consistent with the earlier checkpoint.
    #[error(
        "the log is not consistent with your earlier checkpoint: {0} / 以前のチェックポイントと整合しません（履歴が書き換えられています）"
    )]
    Inconsistent(String),
}

/// Check a bundle (see the module documentation). `pinned_key`: the hub's checkpoint key as the auditor knows it
/// (otherwise the bundle's own is used, which proves integrity but not origin). `earlier`: a signed checkpoint the
/// auditor kept from before.
pub fn verify_bundle(
    bundle: &ProofBundle,
    pinned_key: Option<&str>,
    earlier: Option<&str>,
) -> Result<BundleReport, BundleError> {
    if bundle.format != FORMAT {
        return Err(BundleError::Unreadable(format!("format {}", bundle.format)));
    }
    if let Some(pinned) = pinned_key
        && pinned.trim() != bundle.checkpoint_key
    {
        return Err(BundleError::WrongKey);
    }
    let verifier =
        CheckpointVerifier::new(&bundle.checkpoint_key, &bundle.origin).map_err(|_| {
            BundleError::Checkpoint("the bundle's checkpoint key or origin cannot be read".into())
        })?;
    let checkpoint = verifier.verify(bundle.checkpoint.as_bytes()).map_err(|_| {
        BundleError::Checkpoint(
            "its signature does not verify with the bundle's hub key, or it is not a checkpoint"
                .into(),
        )
    })?;
    let anchor_bytes = STANDARD
        .decode(&bundle.trust_anchor)
        .map_err(|_| BundleError::Unreadable("trust anchor".into()))?;
    let anchor: TrustAnchor = postcard::from_bytes(&anchor_bytes)
        .map_err(|_| BundleError::Unreadable("trust anchor".into()))?;

    let events: Vec<SignedEvent> = bundle.events.iter().map(SignedEvent::from).collect();
    // Signatures and chains first: a changed, removed or moved event is named (by its index in the hub's log).
    let report = verify_log(&events, &anchor, None, VerifyMode::EverySignature)
        .map_err(|e| BundleError::Ledger(e.to_string()))?;
    let passkeys =
        verify_passkey_decisions(&events).map_err(|e| BundleError::Passkey(e.to_string()))?;
    if events.len() as u64 != checkpoint.head.size {
        return Err(BundleError::Tree(format!(
            "{} events but the checkpoint signs {}",
            events.len(),
            checkpoint.head.size
        )));
    }
    let mut tree: MerkleLog = MerkleLog::new();
    for event in &events {
        tree.push(event.hash().0);
    }
    if tree.head() != checkpoint.head {
        // Find the first event that differs only as far as a proof can tell: report the root mismatch.
        return Err(BundleError::Tree(
            "the Merkle root of the events is not the signed root (an event was changed, removed, added or moved)"
                .into(),
        ));
    }
    // Every event's inclusion, proved and verified against the signed root (what a device checks for its own).
    for (index, event) in events.iter().enumerate() {
        let proof = tree
            .prove_inclusion(index as u64)
            .map_err(|e| BundleError::Tree(e.to_string()))?;
        verify_inclusion(&checkpoint.head, index as u64, &event.hash().0, &proof)
            .map_err(|_| BundleError::Tree(format!("event {index} is not included")))?;
    }

    let consistent_with = match earlier {
        Some(note) => {
            let old = verifier
                .verify(note.as_bytes())
                .map_err(|_| BundleError::UnrelatedCheckpoint)?;
            let proof = tree
                .prove_consistency(old.head.size)
                .map_err(|e| BundleError::Inconsistent(e.to_string()))?;
            verify_consistency(&old.head, &checkpoint.head, &proof)
                .map_err(|e| BundleError::Inconsistent(e.to_string()))?;
            Some(old.head.size)
        }
        None => None,
    };
    Ok(BundleReport {
        events: checkpoint.head.size,
        devices: report.devices,
        root: checkpoint.head.root.to_hex(),
        consistent_with,
        passkeys: passkeys.passkeys,
        signed_decisions: passkeys.decisions,
    })
}

/// Make the bundle of a hub's log.
pub fn make_bundle(log: &mut crate::log::HubLog) -> Result<ProofBundle, crate::log::HubError> {
    let anchor = postcard::to_stdvec(log.trust_anchor())
        .map_err(|_| crate::log::HubError::BadFacility("trust anchor"))?;
    let facility = log.facility();
    let size = log.tree_head().size;
    let mut events = Vec::with_capacity(size as usize);
    let mut from = 0;
    while from < size {
        let batch = log
            .storage()
            .events_from(facility, from, crate::log::MAX_PULL)?;
        if batch.is_empty() {
            break;
        }
        for stored in batch {
            from = stored.index + 1;
            events.push(WireEvent {
                bytes: stored.bytes,
                signature: stored.signature,
            });
        }
    }
    Ok(ProofBundle {
        format: FORMAT.to_string(),
        trust_anchor: STANDARD.encode(anchor),
        origin: log.origin().to_string(),
        checkpoint_key: log.verifier_key().to_string(),
        checkpoint: String::from_utf8_lossy(log.checkpoint()).into_owned(),
        events,
    })
}
