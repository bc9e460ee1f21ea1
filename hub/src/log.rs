//! The hub's log of one facility: checks every pushed event, orders the facility's device chains into one log,
//! commits to it with the Merkle tree and signs a checkpoint after every change.
//!
//! What a pushed event must pass, in order: it belongs to this facility and to the pushing device; a repeat (same
//! event id, same bytes) is acknowledged again without change; its device is registered in the ledger itself
//! (`FacilityCreated` for the founding device, `DeviceRegistered` for the others) and its signature verifies; it
//! extends its device's chain. An event ahead of its chain waits in memory (bounded) until the missing ones come;
//! an event that contradicts the chain (same sequence number, other content) is a fork: refused and recorded as an
//! alarm. A batch is stored all or nothing.
//!
//! At start the log is rebuilt from storage and checked: every stored hash against its bytes, every chain,
//! contiguous indices, and the rebuilt tree against the latest signed checkpoint. A log that fails is served
//! read-only (pushes are refused, nothing new is signed) so devices and auditors can see and prove what happened.

use crate::seen::SeenDevices;
use crate::storage::{
    Alarm, DeviceSeen, DeviceTip as StoredTip, EnrolledDevice, HubStorage, LogAppend, SharedKey,
    StorageError, StoredCheckpoint, StoredEvent,
};
use azukari_core::clock::Clock;
use azukari_core::crypto::{DevicePublicKey, KeyOwner, WrappedKey};
use azukari_core::ledger::{EventBody, EventHash, SignedEvent, TrustAnchor};
use azukari_core::model::{DeviceId, EventId, FacilityId, ResidentId};
use azukari_core::sync::protocol::{
    InclusionProofWire, IndexedEvent, PullRequest, PullResponse, PushOutcome, PushRequest,
    PushResponse, WireEvent,
};
use azukari_core::sync::{Checkpoint, CheckpointKey, MerkleLog, TreeHead, origin_for};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Most events held back waiting for earlier ones, over all devices.
const MAX_WAITING: usize = 10_000;
/// Most events returned by one pull.
pub const MAX_PULL: u64 = 1_000;
/// How many of the newest events are kept in memory, so the pulls of devices that are nearly caught up (nearly
/// all pulls) are answered without reading storage.
const RECENT: usize = 4_096;
/// An alarm of one kind about one subject (a device) is written at most once in this window (milliseconds):
/// one device sending the same junk again and again makes one alarm, not thousands.
pub const ALARM_REPEAT_MS: i64 = 60 * 60 * 1000;
/// Below this many events a batch's signatures are verified on the calling thread only.
const PARALLEL_VERIFY_FROM: usize = 32;

/// Why the hub log cannot do something.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// Storage failed; nothing was changed.
    #[error("hub storage failed: {0}")]
    Storage(#[from] StorageError),
    /// The stored log failed its start-up check; the hub serves it read-only.
    #[error(
        "the hub's stored log failed its integrity check ({0}); it is served read-only — restore from a backup and investigate / ハブの記録の整合性検査に失敗しました"
    )]
    Tampered(String),
    /// The checkpoint could not be signed.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] azukari_core::sync::SyncError),
    /// The facility's trust anchor is unreadable.
    #[error("the facility record is damaged: {0}")]
    BadFacility(&'static str),
}

#[derive(Debug, Clone)]
struct Tip {
    public_key: Option<DevicePublicKey>,
    last_seq: u64,
    last_hash: EventHash,
}

/// One facility's log on the hub.
pub struct HubLog {
    storage: Box<dyn HubStorage>,
    facility: FacilityId,
    anchor: TrustAnchor,
    key: CheckpointKey,
    origin: String,
    clock: Arc<dyn Clock>,
    tree: MerkleLog,
    tips: HashMap<DeviceId, Tip>,
    waiting: BTreeMap<(DeviceId, u64), SignedEvent>,
    checkpoint: Vec<u8>,
    problems: Vec<String>,
    /// The newest stored events (at most [`RECENT`]), oldest first.
    recent: VecDeque<StoredEvent>,
    /// Every shared content key, in the order stored (what storage holds, kept for pulls); `None` once erased.
    keys: Vec<Option<WrappedKey>>,
    /// Where each key id is in `keys`.
    key_positions: HashMap<uuid::Uuid, usize>,
    /// Residents whose data was erased (`ResidentErased` in the log): their keys are wiped and never taken again.
    erased: HashSet<ResidentId>,
    /// The devices enrolled with this hub (allowed to push and pull).
    enrolled: HashSet<DeviceId>,
    /// When an alarm of each (kind, subject) was last written, for [`HubLog::alarm_once`].
    alarmed: HashMap<(String, String), i64>,
    /// When each device last reached the hub ([`HubLog::note_seen`]).
    seen: SeenDevices,
}

impl HubLog {
    /// Open the log of `facility` from `storage`, rebuild its tree and check it (see the module documentation).
    pub fn open(
        mut storage: Box<dyn HubStorage>,
        facility: FacilityId,
        key: CheckpointKey,
        clock: Arc<dyn Clock>,
    ) -> Result<HubLog, HubError> {
        let record = storage.facility(facility)?;
        let anchor: TrustAnchor = postcard::from_bytes(&record.trust_anchor)
            .map_err(|_| HubError::BadFacility("trust anchor"))?;
        let mut log = HubLog {
            storage,
            facility,
            origin: origin_for(facility),
            tips: HashMap::new(),
            anchor,
            key,
            clock,
            tree: MerkleLog::new(),
            waiting: BTreeMap::new(),
            checkpoint: Vec::new(),
            problems: Vec::new(),
            recent: VecDeque::new(),
            keys: Vec::new(),
            key_positions: HashMap::new(),
            erased: HashSet::new(),
            enrolled: HashSet::new(),
            alarmed: HashMap::new(),
            seen: SeenDevices::default(),
        };
        log.tips.insert(
            log.anchor.founding_device,
            Tip {
                public_key: Some(log.anchor.founding_key.clone()),
                last_seq: 0,
                last_hash: EventHash::ZERO,
            },
        );
        log.rebuild()?;
        for key in log.storage.keys(facility)? {
            log.remember_key(&key)?;
        }
        log.wipe_erased_keys()?;
        log.enrolled = log
            .storage
            .devices(facility)?
            .into_iter()
            .map(|enrolled| enrolled.device)
            .collect();
        log.seen = SeenDevices::load(log.storage.as_mut(), facility)?;
        Ok(log)
    }

    fn rebuild(&mut self) -> Result<(), HubError> {
        let mut from = 0;
        loop {
            let batch = self.storage.events_from(self.facility, from, MAX_PULL)?;
            for stored in &batch {
                if let Err(problem) = self.check_stored(stored) {
                    self.problems.push(problem);
                }
                self.tree.push(stored.hash);
                from = stored.index + 1;
            }
            self.remember_recent(&batch);
            if (batch.len() as u64) < MAX_PULL {
                break;
            }
        }
        match self.storage.latest_checkpoint(self.facility)? {
            Some(stored) => {
                let verifier = azukari_core::sync::CheckpointVerifier::new(
                    self.key.verifier_key(),
                    &self.origin,
                )?;
                match verifier.verify(&stored.note) {
                    Ok(checkpoint)
                        if checkpoint.head.size == self.tree.len()
                            && checkpoint.head == self.tree.head() =>
                    {
                        self.checkpoint = stored.note;
                    }
                    Ok(checkpoint) => {
                        self.problems.push(format!(
                            "the stored tree ({} events) does not match the latest signed checkpoint ({} events)",
                            self.tree.len(),
                            checkpoint.head.size
                        ));
                        self.checkpoint = stored.note;
                    }
                    Err(_) => {
                        self.problems
                            .push("the latest checkpoint is not signed by this hub's key".into());
                        self.checkpoint = stored.note;
                    }
                }
            }
            None if self.tree.is_empty() => self.sign_checkpoint()?,
            None => self
                .problems
                .push("events are stored but no checkpoint was ever signed".into()),
        }
        for problem in self.problems.clone() {
            self.alarm("integrity", &problem)?;
        }
        Ok(())
    }

    /// Check one stored event on rebuild: its hash, its index and its place in its device's chain.
    fn check_stored(&mut self, stored: &StoredEvent) -> Result<(), String> {
        let signed = stored.to_signed();
        if signed.hash().0 != stored.hash {
            return Err(format!(
                "event {} does not match its stored hash",
                stored.index
            ));
        }
        if stored.index != self.tree.len() {
            return Err(format!("event index {} is out of place", stored.index));
        }
        let envelope = signed
            .decode()
            .map_err(|_| format!("event {} cannot be decoded", stored.index))?;
        let tip = self.tips.entry(envelope.device).or_insert(Tip {
            public_key: None,
            last_seq: 0,
            last_hash: EventHash::ZERO,
        });
        if envelope.device_seq != tip.last_seq + 1 || envelope.prev_hash != tip.last_hash {
            return Err(format!(
                "event {} breaks the chain of device {}",
                stored.index, envelope.device
            ));
        }
        tip.last_seq = envelope.device_seq;
        tip.last_hash = signed.hash();
        self.learn_device(&envelope.body);
        if let EventBody::ResidentErased { resident } = envelope.body {
            self.erased.insert(resident);
        }
        Ok(())
    }

    fn learn_device(&mut self, body: &EventBody) {
        if let EventBody::DeviceRegistered {
            device, public_key, ..
        } = body
        {
            let tip = self.tips.entry(*device).or_insert(Tip {
                public_key: None,
                last_seq: 0,
                last_hash: EventHash::ZERO,
            });
            if tip.public_key.is_none() {
                tip.public_key = Some(public_key.clone());
            }
        }
    }

    /// The facility.
    pub fn facility(&self) -> FacilityId {
        self.facility
    }

    /// The ledger's trust anchor.
    pub fn trust_anchor(&self) -> &TrustAnchor {
        &self.anchor
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The checkpoint key's public verifier key.
    pub fn verifier_key(&self) -> &str {
        self.key.verifier_key()
    }

    /// The current tree.
    pub fn tree_head(&self) -> TreeHead {
        self.tree.head()
    }

    /// The latest signed checkpoint (signed note).
    pub fn checkpoint(&self) -> &[u8] {
        &self.checkpoint
    }

    /// Problems found at start (empty for a sound log).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The storage (for listings and exports).
    pub fn storage(&mut self) -> &mut dyn HubStorage {
        self.storage.as_mut()
    }

    /// The Merkle tree (for proofs in exports).
    pub fn tree(&self) -> &MerkleLog {
        &self.tree
    }

    /// Take in a device's batch: see the module documentation for the checks. The batch's accepted events, the
    /// checkpoint for the grown tree, its keys and any alarms are stored in one transaction.
    pub fn push(&mut self, request: &PushRequest) -> Result<PushResponse, HubError> {
        if let Some(problem) = self.problems.first() {
            return Err(HubError::Tampered(problem.clone()));
        }
        let signed: Vec<SignedEvent> = request.events.iter().map(SignedEvent::from).collect();
        let facts = self.gather_facts(&signed)?;
        let mut outcomes = Vec::with_capacity(signed.len());
        let mut accepted: Vec<StoredEvent> = Vec::new();
        let mut tips = self.tips.clone();
        let mut by_id: HashMap<EventId, u64> = HashMap::new();
        let mut alarms = Vec::new();
        for event in &signed {
            let outcome = self.check_pushed(
                request.device,
                event,
                &mut tips,
                &by_id,
                Some(&facts),
                &mut alarms,
            )?;
            if let PushOutcome::Appended { .. } = outcome {
                let index = self.tree.len() + accepted.len() as u64;
                let stored = self.to_stored(index, event)?;
                by_id.insert(stored.event_id, index);
                accepted.push(stored);
                outcomes.push(PushOutcome::Appended { index });
                self.release_waiting(&mut tips, &mut accepted, &mut by_id)?;
            } else {
                outcomes.push(outcome);
            }
        }
        let erasing: Vec<ResidentId> = accepted.iter().filter_map(erased_resident).collect();
        let erased_keys: Vec<uuid::Uuid> = self
            .keys
            .iter()
            .flatten()
            .filter(|key| matches!(key.owner, KeyOwner::Resident(r) if erasing.contains(&r)))
            .map(|key| key.id.0)
            .collect();
        let new_keys: Vec<&WrappedKey> = request
            .keys
            .iter()
            .filter(|key| !self.key_positions.contains_key(&key.id.0))
            .filter(|key| {
                !matches!(key.owner, KeyOwner::Resident(r) if self.erased.contains(&r) || erasing.contains(&r))
            })
            .collect();
        let keys: Vec<SharedKey> = new_keys
            .iter()
            .map(|key| shared_key(key))
            .collect::<Result<_, _>>()?;
        let now = self.clock.now().0;
        let pusher = request.device.to_string();
        let alarms: Vec<Alarm> = alarms
            .into_iter()
            .filter(|(kind, _)| self.first_in_window(kind, &pusher, now))
            .map(|(kind, detail)| {
                tracing::warn!(event = "alarm", kind, detail = %detail, "alarm raised");
                Alarm {
                    at: now,
                    kind: kind.to_string(),
                    detail,
                }
            })
            .collect();
        for outcome in &outcomes {
            if let PushOutcome::Refused { code, .. } = outcome {
                tracing::warn!(event = "event_refused", device = %pusher, code = %code, "a pushed event was refused");
            }
        }
        if accepted.is_empty() {
            if !keys.is_empty() || !alarms.is_empty() {
                // Keys and alarms in one transaction, with the checkpoint the log already has.
                let checkpoint = StoredCheckpoint {
                    size: self.tree.len(),
                    note: self.checkpoint.clone(),
                };
                self.storage.append(
                    self.facility,
                    &LogAppend {
                        events: &[],
                        checkpoint: &checkpoint,
                        keys: &keys,
                        alarms: &alarms,
                        erased_keys: &[],
                    },
                )?;
            }
        } else {
            self.commit(&accepted, &keys, &alarms, &erased_keys)?;
            self.tips = tips;
        }
        for key in new_keys {
            self.remember(key.id.0, Some(key.clone()));
        }
        self.forget_keys(&erased_keys);
        self.erased.extend(erasing);
        Ok(PushResponse { outcomes })
    }

    /// Grow the tree by `accepted`, sign the new checkpoint and store it all in one transaction; if storing fails
    /// the tree is cut back and nothing changed.
    fn commit(
        &mut self,
        accepted: &[StoredEvent],
        keys: &[SharedKey],
        alarms: &[Alarm],
        erased_keys: &[uuid::Uuid],
    ) -> Result<(), HubError> {
        let before = self.tree.len();
        for stored in accepted {
            self.tree.push(stored.hash);
        }
        let stored = self.sign_current().and_then(|checkpoint| {
            self.storage.append(
                self.facility,
                &LogAppend {
                    events: accepted,
                    checkpoint: &checkpoint,
                    keys,
                    alarms,
                    erased_keys,
                },
            )?;
            Ok(checkpoint)
        });
        match stored {
            Ok(checkpoint) => {
                self.checkpoint = checkpoint.note;
                for event in accepted {
                    self.waiting.remove(&(event.device, event.device_seq));
                }
                self.remember_recent(accepted);
                Ok(())
            }
            Err(error) => {
                self.tree.truncate(before);
                Err(error)
            }
        }
    }

    /// Look up, for a whole pushed batch at once, which of its event ids the log already holds (one storage
    /// query) and verify the signatures of the events whose device key is already known (on every core).
    fn gather_facts(&mut self, signed: &[SignedEvent]) -> Result<BatchFacts, HubError> {
        let mut ids = Vec::with_capacity(signed.len());
        let mut jobs = Vec::new();
        for event in signed {
            let Ok(envelope) = event.decode() else {
                continue;
            };
            ids.push(envelope.event_id);
            if let Some(key) = self
                .tips
                .get(&envelope.device)
                .and_then(|tip| tip.public_key.as_ref())
            {
                jobs.push((event, key));
            }
        }
        let stored = self
            .storage
            .events_by_ids(self.facility, &ids)?
            .into_iter()
            .map(|stored| (stored.event_id, (stored.index, stored.hash)))
            .collect();
        let verified = verify_signatures(&jobs);
        Ok(BatchFacts {
            looked_up: ids.into_iter().collect(),
            stored,
            verified: jobs
                .iter()
                .zip(verified)
                .map(|((event, key), ok)| ((event.hash().0, key.0.clone()), ok))
                .collect(),
        })
    }

    /// Check one pushed event (see the module documentation). `facts` holds what was looked up for the batch;
    /// an event it does not cover (one released from waiting) is looked up on its own.
    fn check_pushed(
        &mut self,
        pusher: DeviceId,
        signed: &SignedEvent,
        tips: &mut HashMap<DeviceId, Tip>,
        in_batch: &HashMap<EventId, u64>,
        facts: Option<&BatchFacts>,
        alarms: &mut Vec<(&'static str, String)>,
    ) -> Result<PushOutcome, HubError> {
        let Ok(envelope) = signed.decode() else {
            return Ok(refused(
                "malformed",
                "the event cannot be decoded / 記録を読み取れません",
            ));
        };
        if envelope.facility != self.facility {
            return Ok(refused(
                "wrong_facility",
                "the event belongs to another facility / 別の施設の記録です",
            ));
        }
        if envelope.device != pusher {
            return Ok(refused(
                "not_own_event",
                "a device pushes only its own events / 端末は自分の記録だけを送信できます",
            ));
        }
        let hash = signed.hash().0;
        if let Some(index) = in_batch.get(&envelope.event_id) {
            return Ok(PushOutcome::Duplicate { index: *index });
        }
        let stored = match facts {
            Some(facts) if facts.looked_up.contains(&envelope.event_id) => {
                facts.stored.get(&envelope.event_id).copied()
            }
            _ => self
                .storage
                .event_by_id(self.facility, envelope.event_id)?
                .map(|stored| (stored.index, stored.hash)),
        };
        if let Some((index, stored_hash)) = stored {
            if stored_hash == hash {
                return Ok(PushOutcome::Duplicate { index });
            }
            alarms.push((
                "fork",
                format!(
                    "device {} sent a second event with id {}",
                    envelope.device, envelope.event_id
                ),
            ));
            return Ok(refused(
                "fork",
                "an event with this id but other content is already in the log / 同じIDの別の記録が既にあります",
            ));
        }
        let Some((tip, public_key)) = tips.get_mut(&envelope.device).and_then(|tip| {
            let key = tip.public_key.clone()?;
            Some((tip, key))
        }) else {
            return Ok(refused(
                "unknown_device",
                "the device is not registered in the facility's ledger; enroll it first / 未登録の端末です。先に登録してください",
            ));
        };
        let verified = facts
            .and_then(|facts| facts.verified.get(&(hash, public_key.0.clone())).copied())
            .unwrap_or_else(|| signed.verify_signature(&public_key).is_ok());
        if !verified {
            return Ok(refused(
                "bad_signature",
                "the signature does not verify / 署名を検証できません",
            ));
        }
        let expected = tip.last_seq + 1;
        if envelope.device_seq > expected {
            if self.waiting.len() < MAX_WAITING {
                self.waiting
                    .insert((envelope.device, envelope.device_seq), signed.clone());
            }
            return Ok(PushOutcome::Waiting {
                expected_seq: expected,
            });
        }
        if envelope.device_seq < expected || envelope.prev_hash != tip.last_hash {
            alarms.push((
                "fork",
                format!(
                    "device {} sent a different event for sequence {} (its chain forked)",
                    envelope.device, envelope.device_seq
                ),
            ));
            return Ok(refused(
                "fork",
                "the event contradicts its device's chain (a fork); it was refused and reported / 端末の記録の連鎖と矛盾するため拒否し、報告しました",
            ));
        }
        tip.last_seq = envelope.device_seq;
        tip.last_hash = signed.hash();
        if let EventBody::DeviceRegistered {
            device, public_key, ..
        } = &envelope.body
        {
            tips.entry(*device).or_insert(Tip {
                public_key: Some(public_key.clone()),
                last_seq: 0,
                last_hash: EventHash::ZERO,
            });
        }
        Ok(PushOutcome::Appended { index: 0 })
    }

    /// Accept held events that now extend their chains.
    fn release_waiting(
        &mut self,
        tips: &mut HashMap<DeviceId, Tip>,
        accepted: &mut Vec<StoredEvent>,
        by_id: &mut HashMap<EventId, u64>,
    ) -> Result<(), HubError> {
        loop {
            let next = tips.iter().find_map(|(device, tip)| {
                self.waiting
                    .get(&(*device, tip.last_seq + 1))
                    .map(|e| (*device, tip.last_seq + 1, e.clone()))
            });
            let Some((device, seq, signed)) = next else {
                return Ok(());
            };
            self.waiting.remove(&(device, seq));
            let mut alarms = Vec::new();
            if let PushOutcome::Appended { .. } =
                self.check_pushed(device, &signed, tips, by_id, None, &mut alarms)?
            {
                let index = self.tree.len() + accepted.len() as u64;
                let stored = self.to_stored(index, &signed)?;
                by_id.insert(stored.event_id, index);
                accepted.push(stored);
            }
        }
    }

    fn to_stored(&self, index: u64, signed: &SignedEvent) -> Result<StoredEvent, HubError> {
        StoredEvent::from_signed(index, signed, self.clock.now().0)
            .ok_or(HubError::BadFacility("event decoding"))
    }

    /// A signed checkpoint for the tree as it is now (not stored yet).
    fn sign_current(&self) -> Result<StoredCheckpoint, HubError> {
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            head: self.tree.head(),
        };
        Ok(StoredCheckpoint {
            size: checkpoint.head.size,
            note: self.key.sign(&checkpoint)?,
        })
    }

    /// Sign and store a checkpoint for the tree as it is now.
    fn sign_checkpoint(&mut self) -> Result<(), HubError> {
        let checkpoint = self.sign_current()?;
        self.storage.put_checkpoint(self.facility, &checkpoint)?;
        self.checkpoint = checkpoint.note;
        Ok(())
    }

    /// [`HubLog::alarm`], unless an alarm of the same `kind` about the same `subject` (a device id) was written
    /// within [`ALARM_REPEAT_MS`]. Returns whether it was written.
    pub fn alarm_once(
        &mut self,
        kind: &str,
        subject: &str,
        detail: &str,
    ) -> Result<bool, HubError> {
        let now = self.clock.now().0;
        if !self.first_in_window(kind, subject, now) {
            tracing::info!(
                event = "alarm_repeated",
                kind,
                subject,
                "alarm not written again"
            );
            return Ok(false);
        }
        self.alarm(kind, detail)?;
        Ok(true)
    }

    /// Whether no alarm of (`kind`, `subject`) was written in the window before `now`; if so, remembers `now`.
    fn first_in_window(&mut self, kind: &str, subject: &str, now: i64) -> bool {
        let key = (kind.to_string(), subject.to_string());
        match self.alarmed.get(&key) {
            Some(last) if now.saturating_sub(*last) < ALARM_REPEAT_MS => false,
            _ => {
                self.alarmed.insert(key, now);
                true
            }
        }
    }

    /// Record an alarm for auditors (`kind` short and machine-readable; `detail` without personal data).
    pub fn alarm(&mut self, kind: &str, detail: &str) -> Result<(), HubError> {
        tracing::warn!(event = "alarm", kind, detail, "alarm raised");
        self.storage.put_alarm(
            self.facility,
            &Alarm {
                at: self.clock.now().0,
                kind: kind.to_string(),
                detail: detail.to_string(),
            },
        )?;
        Ok(())
    }

    /// Keep the newest stored events in memory for pulls.
    fn remember_recent(&mut self, stored: &[StoredEvent]) {
        let skip = stored.len().saturating_sub(RECENT);
        self.recent.extend(stored[skip..].iter().cloned());
        while self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    /// Keep a stored shared key in memory for pulls (`None` when it was erased).
    fn remember_key(&mut self, key: &SharedKey) -> Result<(), HubError> {
        let wrapped = if key.wrapped.is_empty() {
            None
        } else {
            Some(
                postcard::from_bytes(&key.wrapped)
                    .map_err(|_| StorageError::Damaged("shared key".into()))?,
            )
        };
        self.remember(key.key_id, wrapped);
        Ok(())
    }

    /// Keep a shared key at the end of the list, unless its id is already there.
    fn remember(&mut self, id: uuid::Uuid, key: Option<WrappedKey>) {
        if let std::collections::hash_map::Entry::Vacant(place) = self.key_positions.entry(id) {
            place.insert(self.keys.len());
            self.keys.push(key);
        }
    }

    /// Wipe the keys of erased residents that storage still holds (kept by a hub from before erasure reached
    /// hubs), in one transaction, with an alarm saying how many.
    fn wipe_erased_keys(&mut self) -> Result<(), HubError> {
        let stale: Vec<uuid::Uuid> = self
            .keys
            .iter()
            .flatten()
            .filter(|key| self.is_erased(key.owner))
            .map(|key| key.id.0)
            .collect();
        if stale.is_empty() || !self.problems.is_empty() {
            return Ok(());
        }
        let checkpoint = StoredCheckpoint {
            size: self.tree.len(),
            note: self.checkpoint.clone(),
        };
        let alarm = Alarm {
            at: self.clock.now().0,
            kind: "erasure".into(),
            detail: format!(
                "{} shared keys of erased residents were still stored; they were wiped",
                stale.len()
            ),
        };
        self.storage.append(
            self.facility,
            &LogAppend {
                events: &[],
                checkpoint: &checkpoint,
                keys: &[],
                alarms: &[alarm],
                erased_keys: &stale,
            },
        )?;
        self.forget_keys(&stale);
        Ok(())
    }

    /// Drop wiped keys from memory; they keep their places.
    fn forget_keys(&mut self, ids: &[uuid::Uuid]) {
        for id in ids {
            if let Some(key) = self
                .key_positions
                .get(id)
                .and_then(|at| self.keys.get_mut(*at))
            {
                *key = None;
            }
        }
    }

    /// Up to `limit` events from index `from`, from memory when they are recent enough, else from storage.
    pub fn events_from(&mut self, from: u64, limit: u64) -> Result<Vec<StoredEvent>, HubError> {
        let first_recent = self.tree.len() - self.recent.len() as u64;
        if from >= first_recent {
            let skip = usize::try_from(from - first_recent).unwrap_or(usize::MAX);
            let take = usize::try_from(limit).unwrap_or(usize::MAX);
            return Ok(self.recent.iter().skip(skip).take(take).cloned().collect());
        }
        Ok(self.storage.events_from(self.facility, from, limit)?)
    }

    /// Enroll a device with this hub: stored, and from then on allowed to push and pull.
    pub fn enroll_device(&mut self, device: &EnrolledDevice) -> Result<(), HubError> {
        self.storage.add_device(self.facility, device)?;
        self.enrolled.insert(device.device);
        Ok(())
    }

    /// The signing key `device` registered in the facility's ledger, if it did.
    pub fn device_key(&self, device: DeviceId) -> Option<&DevicePublicKey> {
        self.tips.get(&device)?.public_key.as_ref()
    }

    /// The sequence number of `device`'s newest logged event (0 when it has none).
    pub fn last_seq(&self, device: DeviceId) -> u64 {
        self.tips.get(&device).map_or(0, |tip| tip.last_seq)
    }

    /// Whether the keys of `owner` are erased (a resident whose `ResidentErased` is in the log).
    pub fn is_erased(&self, owner: KeyOwner) -> bool {
        matches!(owner, KeyOwner::Resident(resident) if self.erased.contains(&resident))
    }

    /// Note a signed request of `device`, stamped `device_time` by its clock; a pull also says the log size it has
    /// now received up to (see [`crate::seen`]).
    pub fn note_seen(
        &mut self,
        device: DeviceId,
        device_time: i64,
        pulled_to: Option<u64>,
    ) -> Result<(), HubError> {
        let now = self.clock.now().0;
        Ok(self.seen.note(
            self.storage.as_mut(),
            self.facility,
            now,
            device,
            device_time,
            pulled_to,
        )?)
    }

    /// When `device` last reached the hub, its clock offset then and how far it has pulled; `None` if never.
    pub fn seen(&self, device: DeviceId) -> Option<DeviceSeen> {
        self.seen.get(device)
    }

    /// The devices enrolled with this hub, in enrollment order.
    pub fn enrolled_devices(&mut self) -> Result<Vec<EnrolledDevice>, HubError> {
        Ok(self.storage.devices(self.facility)?)
    }

    /// Whether `device` enrolled with this hub.
    pub fn is_enrolled(&self, device: DeviceId) -> bool {
        self.enrolled.contains(&device)
    }

    /// Answer a pull: events, keys, the latest checkpoint and the proofs asked for, all for the same tree.
    pub fn pull(&mut self, request: &PullRequest) -> Result<PullResponse, HubError> {
        let size = self.tree.len();
        let limit = request.limit.clamp(1, MAX_PULL);
        let events = if request.from < size {
            self.events_from(request.from, limit.min(size - request.from))?
        } else {
            Vec::new()
        };
        let keys = self
            .keys
            .iter()
            .skip(usize::try_from(request.keys_from).unwrap_or(usize::MAX))
            .flatten()
            .filter(|key| !self.is_erased(key.owner))
            .cloned()
            .collect();
        let consistency = if request.known_size <= size {
            self.tree.prove_consistency(request.known_size)?
        } else {
            Vec::new()
        };
        let mut inclusions = Vec::new();
        for index in request
            .prove
            .iter()
            .take(azukari_core::sync::protocol::MAX_PROOFS_PER_PULL)
        {
            if *index < size {
                inclusions.push(InclusionProofWire {
                    index: *index,
                    path: self.tree.prove_inclusion(*index)?,
                });
            }
        }
        Ok(PullResponse {
            hub_time: self.clock.now().0,
            events: events
                .into_iter()
                .map(|e| IndexedEvent {
                    index: e.index,
                    event: WireEvent {
                        bytes: e.bytes,
                        signature: e.signature,
                    },
                })
                .collect(),
            keys,
            keys_next: self.keys.len() as u64,
            checkpoint: String::from_utf8_lossy(&self.checkpoint).into_owned(),
            consistency,
            inclusions,
        })
    }

    /// The newest event of each device, as stored.
    pub fn device_tips(&mut self) -> Result<Vec<StoredTip>, HubError> {
        Ok(self.storage.device_tips(self.facility)?)
    }
}

fn refused(code: &str, message: &str) -> PushOutcome {
    PushOutcome::Refused {
        code: code.to_string(),
        message: message.to_string(),
    }
}

/// What [`HubLog::gather_facts`] found for a pushed batch.
struct BatchFacts {
    /// The event ids looked up.
    looked_up: HashSet<EventId>,
    /// Those already stored: index and hash.
    stored: HashMap<EventId, (u64, [u8; 32])>,
    /// Signature results by (event hash, public key).
    verified: HashMap<([u8; 32], Vec<u8>), bool>,
}

/// Verify each event's signature with its key: on the calling thread for a small batch, else split over the
/// machine's cores (signature checks are most of a push's work).
fn verify_signatures(jobs: &[(&SignedEvent, &DevicePublicKey)]) -> Vec<bool> {
    let verify = |chunk: &[(&SignedEvent, &DevicePublicKey)]| -> Vec<bool> {
        chunk
            .iter()
            .map(|(event, key)| event.verify_signature(key).is_ok())
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if jobs.len() < PARALLEL_VERIFY_FROM || threads < 2 {
        return verify(jobs);
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let running: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| (part, scope.spawn(move || verify(part))))
            .collect();
        running
            .into_iter()
            .flat_map(|(part, handle)| handle.join().unwrap_or_else(|_| verify(part)))
            .collect()
    })
}

/// The resident whose data `event` erases, if it is a `ResidentErased`.
fn erased_resident(event: &StoredEvent) -> Option<ResidentId> {
    match event.to_signed().decode().ok()?.body {
        EventBody::ResidentErased { resident } => Some(resident),
        _ => None,
    }
}

fn shared_key(key: &WrappedKey) -> Result<SharedKey, HubError> {
    Ok(SharedKey {
        key_id: key.id.0,
        wrapped: postcard::to_stdvec(key).map_err(|_| HubError::BadFacility("key encoding"))?,
    })
}
