//! The device side of sync: push the outbox, pull what is new, verify the hub's checkpoints and proofs.

use super::auth::{Route, request_body};
use super::checkpoint::CheckpointVerifier;
use super::merkle::{TreeHead, verify_consistency, verify_inclusion};
use super::protocol::{PullRequest, PushOutcome, PushRequest, WireEvent};
use super::{Digest32, HubTransport, SyncError};
use crate::clock::Timestamp;
use crate::crypto::KeyId;
use crate::ledger::SignedEvent;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Events per push or pull request.
const BATCH: usize = super::protocol::MAX_PUSH_EVENTS;
/// Shared keys per push request.
const KEY_BATCH: usize = super::protocol::MAX_PUSH_KEYS;
/// Inclusion proofs asked for per pull (as many as a hub answers).
const PROOFS_PER_PULL: usize = super::protocol::MAX_PROOFS_PER_PULL;

/// What a device remembers about its hub (kept in its store, committed after every step).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The hub's checkpoint verifier key and log origin, pinned at enrollment.
    pub hub_key: Option<(String, String)>,
    /// The highest own sequence number the hub acknowledged: the outbox is everything after it.
    pub pushed_seq: u64,
    /// The next global index to pull.
    pub pulled_to: u64,
    /// How many shared keys were received.
    pub keys_seen: u64,
    /// Own content keys already sent.
    pub shared_keys: BTreeSet<KeyId>,
    /// The last verified checkpoint (its tree and the signed note).
    pub checkpoint: Option<(TreeHead, Vec<u8>)>,
    /// Own acknowledged events whose inclusion is not proved yet: (global index, event hash).
    pub unproven: Vec<(u64, Digest32)>,
    /// Alarms raised (newest last).
    pub alarms: Vec<SyncAlarm>,
}

/// An alarm about the hub, kept with the time it was raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncAlarm {
    /// When.
    pub at: Timestamp,
    /// What, as the error's text.
    pub what: String,
}

/// What one sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    /// Own events the hub acknowledged in this sync.
    pub pushed: usize,
    /// Events from other devices taken in.
    pub pulled: usize,
    /// Whether some own events wait at the hub for earlier ones.
    pub waiting: bool,
    /// The verified tree after the sync.
    pub tree: TreeHead,
    /// Set when this device's clock is more than [`CLOCK_WARNING_AFTER_MS`] off the hub's.
    pub clock_warning: Option<ClockWarning>,
}

/// How far a device's clock may be off the hub's before the device is warned (a minute).
pub const CLOCK_WARNING_AFTER_MS: i64 = 60_000;

/// This device's clock is off the hub's by more than [`CLOCK_WARNING_AFTER_MS`]. Facts are still ordered
/// correctly (see `Store::stamp`), but the times shown and printed on the 管理簿 are the device's: set it right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockWarning {
    /// The device's clock minus the hub's, in milliseconds (positive: the device is ahead).
    pub offset_ms: i64,
}

impl ClockWarning {
    /// The warning for an offset, if it is larger than [`CLOCK_WARNING_AFTER_MS`] either way.
    pub fn for_offset(offset_ms: i64) -> Option<ClockWarning> {
        (offset_ms.saturating_abs() > CLOCK_WARNING_AFTER_MS).then_some(ClockWarning { offset_ms })
    }
}

impl std::fmt::Display for ClockWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let minutes = (self.offset_ms.saturating_abs() + 30_000) / 60_000;
        if self.offset_ms > 0 {
            write!(
                f,
                "this device's clock is about {minutes} min ahead of the hub's: set its date and time to be set automatically (network time) / この端末の時計はハブより約{minutes}分進んでいます。日付と時刻を「自動設定」にしてください"
            )
        } else {
            write!(
                f,
                "this device's clock is about {minutes} min behind the hub's: set its date and time to be set automatically (network time) / この端末の時計はハブより約{minutes}分遅れています。日付と時刻を「自動設定」にしてください"
            )
        }
    }
}

impl SyncState {
    /// The state saved in `store`, or a fresh one.
    pub fn load(store: &Store) -> Result<SyncState, SyncError> {
        Ok(store.sync_state()?.unwrap_or_default())
    }

    /// Pin the hub's checkpoint key (at enrollment).
    pub fn pin_hub(
        store: &mut Store,
        verifier: &CheckpointVerifier,
        origin: &str,
    ) -> Result<(), SyncError> {
        let mut state = SyncState::load(store)?;
        state.hub_key = Some((verifier.verifier_key().to_string(), origin.to_string()));
        store.save_sync_state(&state)?;
        Ok(())
    }

    fn verifier(&self) -> Result<CheckpointVerifier, SyncError> {
        let (key, origin) = self.hub_key.as_ref().ok_or(SyncError::NotEnrolled)?;
        CheckpointVerifier::new(key, origin)
    }

    /// The number of own events not yet acknowledged by the hub.
    pub fn outbox_len(&self, store: &Store) -> Result<usize, SyncError> {
        Ok(store.own_events_after(self.pushed_seq)?.len())
    }
}

/// Push the outbox, then pull until caught up. Stops at the first error; whatever was acknowledged or taken in
/// before stays recorded, so the next sync resumes where this one stopped. An alarm (see
/// [`SyncError::is_alarm`]) is also recorded in the sync state.
pub fn sync(
    store: &mut Store,
    hub: &dyn HubTransport,
    wait_ms: u64,
) -> Result<SyncReport, SyncError> {
    let mut state = SyncState::load(store)?;
    let verifier = state.verifier()?;
    let mut hub_time = 0;
    let result = push(store, hub, &mut state).and_then(|(pushed, waiting)| {
        let pulled = pull(store, hub, &verifier, &mut state, wait_ms, &mut hub_time)?;
        Ok((pushed, waiting, pulled))
    });
    match result {
        Ok((pushed, waiting, pulled)) => Ok(SyncReport {
            pushed,
            pulled,
            waiting,
            clock_warning: (hub_time > 0)
                .then(|| ClockWarning::for_offset(store.now().0.saturating_sub(hub_time)))
                .flatten(),
            tree: state
                .checkpoint
                .as_ref()
                .map(|(head, _)| *head)
                .unwrap_or_else(TreeHead::empty),
        }),
        Err(error) => {
            if error.is_alarm() {
                state.alarms.push(SyncAlarm {
                    at: store.now(),
                    what: error.to_string(),
                });
                store.save_sync_state(&state)?;
            }
            Err(error)
        }
    }
}

/// A pull that only waits for news (up to `wait_ms`) and asks for nothing else, signed by this device: an app
/// sends it without holding its store, so its other screens go on, then calls [`sync`] without waiting.
pub fn wait_request(
    store: &Store,
    wait_ms: u64,
) -> Result<(PullRequest, super::RequestAuth), SyncError> {
    let state = SyncState::load(store)?;
    let request = PullRequest {
        from: state.pulled_to,
        limit: 1,
        known_size: 0,
        keys_from: u64::MAX,
        prove: Vec::new(),
        wait_ms,
    };
    let auth = store.authorize_request(Route::Pull, &request_body(&request)?)?;
    Ok((request, auth))
}

/// Send own events after the acknowledged one, in batches. Returns (acknowledged now, some wait at the hub).
fn push(
    store: &mut Store,
    hub: &dyn HubTransport,
    state: &mut SyncState,
) -> Result<(usize, bool), SyncError> {
    let mut pushed = 0;
    loop {
        let outbox: Vec<SignedEvent> = store.own_events_after(state.pushed_seq)?;
        let mut keys: Vec<_> = store
            .local_keys()?
            .into_iter()
            .filter(|key| !state.shared_keys.contains(&key.id))
            .collect();
        let more_keys = keys.len() > KEY_BATCH;
        keys.truncate(KEY_BATCH);
        if outbox.is_empty() && keys.is_empty() {
            return Ok((pushed, false));
        }
        let batch: Vec<&SignedEvent> = outbox.iter().take(BATCH).collect();
        let request = PushRequest {
            device: store.device_id(),
            events: batch.iter().map(|e| WireEvent::from(*e)).collect(),
            keys: keys.clone(),
        };
        let auth = store.authorize_request(Route::Push, &request_body(&request)?)?;
        let response = hub.push(&request, &auth)?;
        if response.outcomes.len() != batch.len() {
            return Err(SyncError::BadResponse("one outcome per pushed event"));
        }
        state.shared_keys.extend(keys.iter().map(|key| key.id));
        let mut waiting = false;
        for (event, outcome) in batch.iter().zip(&response.outcomes) {
            match outcome {
                PushOutcome::Appended { index } | PushOutcome::Duplicate { index } => {
                    state.pushed_seq += 1;
                    state.unproven.push((*index, Digest32(event.hash().0)));
                    pushed += 1;
                }
                PushOutcome::Waiting { .. } => {
                    waiting = true;
                    break;
                }
                PushOutcome::Refused { code, message } => {
                    store.save_sync_state(state)?;
                    return Err(SyncError::Refused {
                        code: code.clone(),
                        message: message.clone(),
                    });
                }
            }
        }
        store.save_sync_state(state)?;
        if waiting {
            return Ok((pushed, true));
        }
        if outbox.len() <= BATCH && !more_keys {
            return Ok((pushed, false));
        }
    }
}

/// Pull until caught up, verifying each answer before taking anything from it.
fn pull(
    store: &mut Store,
    hub: &dyn HubTransport,
    verifier: &CheckpointVerifier,
    state: &mut SyncState,
    wait_ms: u64,
    hub_time: &mut i64,
) -> Result<usize, SyncError> {
    let mut pulled = 0;
    let mut first = true;
    loop {
        let old = state
            .checkpoint
            .as_ref()
            .map(|(head, _)| *head)
            .unwrap_or_else(TreeHead::empty);
        let request = PullRequest {
            from: state.pulled_to,
            limit: BATCH as u64,
            known_size: old.size,
            keys_from: state.keys_seen,
            prove: state
                .unproven
                .iter()
                .take(PROOFS_PER_PULL)
                .map(|(index, _)| *index)
                .collect(),
            wait_ms: if first { wait_ms } else { 0 },
        };
        first = false;
        let auth = store.authorize_request(Route::Pull, &request_body(&request)?)?;
        let response = hub.pull(&request, &auth)?;
        *hub_time = response.hub_time;
        let checkpoint = verifier.verify(response.checkpoint.as_bytes())?;
        let new = checkpoint.head;
        verify_consistency(&old, &new, &response.consistency)?;

        let mut proven = BTreeSet::new();
        for (index, hash) in state.unproven.iter().take(PROOFS_PER_PULL) {
            if *index >= new.size {
                continue;
            }
            let proof = response
                .inclusions
                .iter()
                .find(|p| p.index == *index)
                .ok_or(SyncError::NotIncluded { index: *index })?;
            verify_inclusion(&new, *index, &hash.0, &proof.path)?;
            proven.insert(*index);
        }
        for (offset, indexed) in response.events.iter().enumerate() {
            if indexed.index != state.pulled_to + offset as u64 || indexed.index >= new.size {
                return Err(SyncError::BadResponse(
                    "events out of order or beyond the checkpoint",
                ));
            }
        }

        store.import_keys(&response.keys)?;
        // A hub whose list of keys is shorter than what this device saw (restored from a backup) is read again
        // from the start: importing a key twice changes nothing.
        state.keys_seen = if response.keys_next >= state.keys_seen {
            response.keys_next
        } else {
            0
        };
        let batch: Vec<SignedEvent> = response
            .events
            .iter()
            .map(|indexed| SignedEvent::from(&indexed.event))
            .collect();
        pulled += store.ingest_all(&batch)?.len();
        if let Some(last) = response.events.last() {
            state.pulled_to = last.index + 1;
        }
        state.unproven.retain(|(index, _)| !proven.contains(index));
        state.checkpoint = Some((new, response.checkpoint.into_bytes()));
        store.save_sync_state(state)?;
        // Caught up, and every own event the checkpoint holds is proved (a device that pushed many events at once,
        // after a long time offline, asks again until it has them all, so the list it keeps stays short).
        let more_to_prove =
            !proven.is_empty() && state.unproven.iter().any(|(index, _)| *index < new.size);
        if response.events.len() < BATCH && !more_to_prove {
            return Ok(pulled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_more_than_a_minute_off_is_warned_with_what_to_do() {
        assert_eq!(ClockWarning::for_offset(60_000), None);
        assert_eq!(ClockWarning::for_offset(-59_000), None);
        let ahead = ClockWarning::for_offset(5 * 60_000).map(|w| w.to_string());
        assert!(
            ahead.is_some_and(|text| text.contains("5 min ahead") && text.contains("自動設定"))
        );
        let behind = ClockWarning::for_offset(-3 * 60_000 - 10_000).map(|w| w.to_string());
        assert!(
            behind.is_some_and(|text| text.contains("3 min behind") && text.contains("遅れて"))
        );
    }
}
