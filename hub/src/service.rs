//! One facility's hub as a whole: its log ([`HubLog`]), its own store (the facility's founding device, which
//! holds the key material new devices receive and records their registrations), enrollment tokens, and an
//! in-process transport for tests and the simulation.
//!
//! Files of a hub directory:
//! `hub.sqlite` (the log, unless PostgreSQL is used), `facility.azukari` (the hub's store), `vault.key` (the key
//! vault of the hub's store: protect the directory), `checkpoint.key` and `checkpoint.pub` (the checkpoint key,
//! private and public), `tls/` (the hub's certificate and key).

use crate::log::{HubError, HubLog};
use crate::storage::{
    EnrollmentToken, FacilityRecord, HubStorage, StorageError, StoredEvent, TokenUse,
};
use azukari_core::clock::{Clock, Timestamp};
use azukari_core::crypto::DevicePublicKey;
use azukari_core::crypto::{FileKeyVault, KdfParams};
use azukari_core::flows::Session;
use azukari_core::ledger::SignedEvent;
use azukari_core::model::DeviceId;
use azukari_core::store::{CreateOptions, OpenOptions, Store, StoreError, Unlock};
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::{
    EnrollRequest, EnrollResponse, PullRequest, PullResponse, PushOutcome, PushRequest,
    PushResponse, WireEvent,
};
use azukari_core::sync::{
    AuthError, CheckpointKey, EnrollmentInvite, HubTransport, RequestAuth, Route, SyncError,
    TransportError, answer_enrollment,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// How long an enrollment token works by default.
pub const TOKEN_MINUTES: i64 = 15;
/// The longest an enrollment token may work: a week.
pub const MAX_TOKEN_MINUTES: i64 = 7 * 24 * 60;

/// Why the hub refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The log refused or failed.
    #[error(transparent)]
    Log(#[from] HubError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hub's own store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sealing or checkpoint failure.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The enrollment token is unknown (or forged).
    #[error(
        "this enrollment QR is not valid; ask for a new one at the hub / この登録用QRは無効です。ハブで新しいQRを表示してください"
    )]
    UnknownToken,
    /// The enrollment token expired.
    #[error(
        "this enrollment QR has expired; show a new one at the hub / この登録用QRは期限切れです。ハブで新しいQRを表示してください"
    )]
    ExpiredToken,
    /// The enrollment token was used before.
    #[error(
        "this enrollment QR was already used; each QR enrolls one device / この登録用QRは使用済みです（1枚で1台のみ）"
    )]
    UsedToken,
    /// The request names a device that is not enrolled with this hub.
    #[error(
        "this device is not enrolled with this hub; enroll it with the hub's QR first / この端末はこのハブに登録されていません。先にハブの登録用QRで登録してください"
    )]
    UnknownDevice,
    /// The request's signature or time is not acceptable.
    #[error(transparent)]
    Unauthorized(#[from] AuthError),
    /// A push signed by one device names another.
    #[error("a device pushes only under its own id / 端末は自分のIDでのみ送信できます")]
    NotOwnRequest,
    /// An enrollment token's lifetime is longer than [`MAX_TOKEN_MINUTES`].
    #[error(
        "an enrollment QR works for at most {max} minutes, not {minutes} / 登録用QRの有効時間は{max}分までです（{minutes}分は指定できません）"
    )]
    TokenLifetime {
        /// What was asked for.
        minutes: i64,
        /// [`MAX_TOKEN_MINUTES`].
        max: i64,
    },
    /// The hub's own store holds more of the log than the log itself: the two were restored from different
    /// backups (or the log lost events). Nothing is caught up; restore both from the same backup.
    #[error(
        "the hub's own ledger holds {store} events but its log only {log}: they come from different backups or the log lost events; restore both from the same backup / ハブの台帳（{store}件）が記録（{log}件）より進んでいます。同じ時点のバックアップから両方を復元してください"
    )]
    StoreAhead {
        /// Events the store holds.
        store: u64,
        /// Events the log holds.
        log: u64,
    },
    /// A push carries more events or keys than one push may (see `azukari_core::sync::protocol`).
    #[error(
        "a push may carry at most {limit} {what}, this one has {count}; send them in several pushes / 1回の送信は{what}を{limit}件までです（{count}件）。分けて送信してください"
    )]
    PushTooLarge {
        /// `events` or `keys`.
        what: &'static str,
        /// How many the push carried.
        count: usize,
        /// How many one push may carry.
        limit: usize,
    },
    /// A flow on the hub's own store refused or failed (the browser pages).
    #[error(transparent)]
    Flow(#[from] azukari_core::flows::FlowError),
    /// A file of the hub directory could not be read or written.
    #[error("hub file {path}: {message}")]
    File {
        /// Which file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// A new enrollment token, to show as a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentOffer {
    /// The one-time token (never stored; the hub keeps its hash).
    pub token: String,
    /// The label the device will get.
    pub label: String,
    /// When it stops working (Unix milliseconds).
    pub expires_at: i64,
}

impl EnrollmentOffer {
    /// The QR code's text (see `azukari_core::sync::EnrollmentInvite`): the hub's URL, the certificate fingerprint
    /// to pin (none for a loopback `http://` hub), the checkpoint key to pin, the token and its expiry.
    pub fn qr_text(
        &self,
        hub_url: &str,
        cert_sha256: Option<&str>,
        checkpoint_key: &str,
    ) -> String {
        EnrollmentInvite {
            hub_url: hub_url.to_string(),
            cert_sha256: cert_sha256.map(str::to_string),
            checkpoint_key: checkpoint_key.to_string(),
            token: self.token.clone(),
            expires_at: azukari_core::clock::Timestamp(self.expires_at),
        }
        .to_qr_text()
    }
}

/// One facility's hub.
pub struct Hub {
    log: HubLog,
    /// The hub's own store, inside a flow session so the browser pages can run the core's flows on it.
    session: Session,
}

/// What `init` needs.
pub struct InitOptions<'a> {
    /// The facility's name.
    pub facility_name: &'a str,
    /// The administrator's recovery passphrase.
    pub recovery_passphrase: &'a str,
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// The checkpoint key's name (the hub's host name).
    pub key_name: &'a str,
}

impl Hub {
    /// Create a new facility on a new hub in `dir`, with its log in `storage`.
    pub fn init(
        dir: &Path,
        mut storage: Box<dyn HubStorage>,
        options: InitOptions<'_>,
        clock: Arc<dyn Clock>,
    ) -> Result<Hub, ServiceError> {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
        let vault = FileKeyVault::new(dir.join("vault.key"));
        let store = Store::create(
            &dir.join("facility.azukari"),
            CreateOptions {
                facility_name: options.facility_name,
                recovery_passphrase: options.recovery_passphrase,
                kdf: options.kdf,
                vault: &vault,
            },
            clock.clone(),
        )?;
        let (key, secret) = CheckpointKey::generate(options.key_name)?;
        write_private(&dir.join("checkpoint.key"), secret.as_bytes())?;
        std::fs::write(dir.join("checkpoint.pub"), key.verifier_key())
            .map_err(|e| file_error(&dir.join("checkpoint.pub"), e))?;
        let anchor = postcard::to_stdvec(store.trust_anchor())
            .map_err(|_| StoreError::BadMeta("trust anchor"))?;
        storage.create_facility(&FacilityRecord {
            facility: store.facility_id(),
            name: options.facility_name.to_string(),
            trust_anchor: anchor,
            created_at: clock.now().0,
        })?;
        let log = HubLog::open(storage, store.facility_id(), key, clock)?;
        let mut hub = Hub {
            log,
            session: Session::new(store)?,
        };
        hub.publish_own()?;
        Ok(hub)
    }

    /// Open the hub in `dir` with its log in `storage`.
    pub fn open(
        dir: &Path,
        storage: Box<dyn HubStorage>,
        clock: Arc<dyn Clock>,
    ) -> Result<Hub, ServiceError> {
        let vault = FileKeyVault::new(dir.join("vault.key"));
        let store = Store::open(
            &dir.join("facility.azukari"),
            Unlock::Vault(&vault),
            OpenOptions::default(),
            clock.clone(),
        )?;
        Hub::open_with_store(dir, storage, store, clock)
    }

    fn open_with_store(
        dir: &Path,
        storage: Box<dyn HubStorage>,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Hub, ServiceError> {
        let key_path = dir.join("checkpoint.key");
        let secret = Zeroizing::new(
            std::fs::read_to_string(&key_path).map_err(|e| file_error(&key_path, e))?,
        );
        let public_path = dir.join("checkpoint.pub");
        let public =
            std::fs::read_to_string(&public_path).map_err(|e| file_error(&public_path, e))?;
        let key = CheckpointKey::from_encoded(secret.trim(), public.trim())?;
        let log = HubLog::open(storage, store.facility_id(), key, clock)?;
        Ok(Hub {
            log,
            session: Session::new(store)?,
        })
    }

    /// The log.
    pub fn log(&mut self) -> &mut HubLog {
        &mut self.log
    }

    /// The hub's own store (the facility's founding device), first brought up to the log. Record on it only
    /// through this, and publish what was recorded with [`Hub::publish_own`].
    pub fn store(&mut self) -> Result<&mut Store, ServiceError> {
        self.catch_up(None)?;
        Ok(self.session.store_mut())
    }

    /// Where the hub's own store is (its directory is the hub directory); no catching up.
    pub fn store_path(&self) -> &Path {
        self.session.store().path()
    }

    /// A flow session over the hub's own store, first brought up to the log and to the policy in force. The
    /// browser pages sign a member of staff in, run a flow and sign out again; publish what it recorded with
    /// [`Hub::publish_own`].
    pub fn session(&mut self) -> Result<&mut Session, ServiceError> {
        self.catch_up(None)?;
        self.session.refresh_rules()?;
        Ok(&mut self.session)
    }

    /// The hub's own store brought up to the log, closing the hub (for exports that read the whole ledger).
    pub fn into_store(mut self) -> Result<Store, ServiceError> {
        self.catch_up(None)?;
        Ok(self.session.into_store())
    }

    /// Push the hub store's own new events into the log (after seeding or recording on the hub itself).
    pub fn publish_own(&mut self) -> Result<usize, ServiceError> {
        // Up to the log first, so the store's events stay exactly a prefix of the log once its own are appended.
        self.catch_up(None)?;
        let pushed = self.log.tree().len();
        let published = self.log.last_seq(self.session.store().device_id());
        let own: Vec<SignedEvent> = self.session.store().own_events_after(published)?;
        if own.is_empty() {
            return Ok(0);
        }
        let keys = self.session.store().local_keys()?;
        let response = self.log.push(&PushRequest {
            device: self.session.store().device_id(),
            events: own.iter().map(WireEvent::from).collect(),
            keys,
        })?;
        for outcome in &response.outcomes {
            if let PushOutcome::Refused { code, message } = outcome {
                return Err(ServiceError::Sync(SyncError::Refused {
                    code: code.clone(),
                    message: message.clone(),
                }));
            }
        }
        Ok((self.log.tree().len() - pushed) as usize)
    }

    /// Offer a one-time enrollment token for a device to be labelled `label`, valid for `minutes`.
    pub fn offer_enrollment(
        &mut self,
        label: &str,
        minutes: i64,
    ) -> Result<EnrollmentOffer, ServiceError> {
        let facility = self.log.facility();
        let now = self.session.store().now();
        offer_enrollment(self.log.storage(), facility, label, minutes, now)
    }

    /// Enroll a device: use its token up, record its registration, publish that, and answer with the facility's
    /// key material sealed to it. An expired, reused or unknown token changes nothing.
    pub fn enroll(&mut self, request: &EnrollRequest) -> Result<EnrollResponse, ServiceError> {
        let facility = self.log.facility();
        // Check what can be checked before the token is used up: a malformed request must not burn it.
        crate::guard::check_enrollment(request)?;
        let hash: [u8; 32] = Sha256::digest(request.token.as_bytes()).into();
        let now = self.session.store().now().0;
        // The token first, without using it up: only its holder may learn whether a device id is enrolled.
        token_accepted(self.log.storage().token_state(facility, &hash, now)?)?;
        self.catch_up(None)?;
        if self.session.store().state_has_device(request.device) {
            return Err(ServiceError::Store(StoreError::DeviceAlreadyRegistered));
        }
        let label = match self.log.storage().use_token(facility, &hash, now)? {
            TokenUse::Accepted { label } => label,
            TokenUse::Unknown => return Err(ServiceError::UnknownToken),
            TokenUse::Expired => return Err(ServiceError::ExpiredToken),
            TokenUse::AlreadyUsed => return Err(ServiceError::UsedToken),
        };
        self.session.store_mut().register_device(
            None,
            request.device,
            azukari_core::crypto::DevicePublicKey(request.public_key.clone()),
            &label,
        )?;
        self.publish_own()?;
        self.log.enroll_device(&crate::storage::EnrolledDevice {
            device: request.device,
            public_key: request.public_key.clone(),
            label: label.clone(),
            enrolled_at: now,
        })?;
        let verifier_key = self.log.verifier_key().to_string();
        Ok(answer_enrollment(
            self.session.store(),
            request,
            &label,
            &verifier_key,
        )?)
    }

    /// Check a device's signature on a request (see `azukari_core::sync::auth`): the device enrolled with this
    /// hub, the signature verifies with the key it registered in the ledger over exactly `body`, and its clock
    /// is close to the hub's. A push must also pass [`check_pusher`].
    pub fn authenticate(
        &mut self,
        route: Route,
        auth: &RequestAuth,
        body: &[u8],
    ) -> Result<(), ServiceError> {
        let (key, now) = self.signing_key(auth.device)?;
        Ok(auth.verify(route, body, &key, now)?)
    }

    /// What checking a request of `device` needs, so it can be checked without holding the hub: the key it
    /// registered in the ledger (refused unless it enrolled with this hub) and the hub's time.
    pub fn signing_key(
        &mut self,
        device: DeviceId,
    ) -> Result<(DevicePublicKey, Timestamp), ServiceError> {
        if !self.log.is_enrolled(device) {
            return Err(ServiceError::UnknownDevice);
        }
        let key = self
            .log
            .device_key(device)
            .cloned()
            .ok_or(ServiceError::UnknownDevice)?;
        Ok((key, self.session.store().now()))
    }

    /// Take in a device's push (its signature checked by [`Hub::authenticate`] first). The hub's own store is not brought up to date here (that would put its commit on
    /// every push's path): it catches up in batches through [`Hub::catch_up`] — before it is used, and in the
    /// background when the server is idle.
    pub fn push(&mut self, request: &PushRequest) -> Result<PushResponse, ServiceError> {
        crate::guard::check_push_size(request)?;
        if request.keys.is_empty() {
            return Ok(self.log.push(request)?);
        }
        // Keys are opaque to the log but not to the hub's store: a key that does not open with the facility's data
        // key would stop every device's import, and an erased resident's key must not come back. Both are left out,
        // the first with one alarm per device (repeats within the alarm window are not written again).
        let mut keys = Vec::with_capacity(request.keys.len());
        let mut bad = Vec::new();
        for key in &request.keys {
            if self.log.is_erased(key.owner) {
                continue;
            }
            if self.session.store().key_opens(key) {
                keys.push(key.clone());
            } else {
                bad.push(key.id.0);
            }
        }
        if let Some(first) = bad.first() {
            self.log.alarm_once(
                "bad_key",
                &request.device.to_string(),
                &format!(
                    "device {} shared {} key(s) that do not open with the facility's data key (first {first}); they were left out",
                    request.device,
                    bad.len()
                ),
            )?;
        }
        let request = PushRequest {
            device: request.device,
            events: request.events.clone(),
            keys,
        };
        let response = self.log.push(&request)?;
        let keys: Vec<_> = request
            .keys
            .into_iter()
            .filter(|key| !self.log.is_erased(key.owner))
            .collect();
        self.session.store_mut().import_keys(&keys)?;
        Ok(response)
    }

    /// Answer a pull (its signature checked by [`Hub::authenticate`] first).
    pub fn pull(&mut self, request: &PullRequest) -> Result<PullResponse, ServiceError> {
        Ok(self.log.pull(request)?)
    }

    /// Note that the device of `auth` reached the hub with a checked request (its clock offset from `auth.at`);
    /// after a pull, `answered` is what it received. What the console's devices page shows; a failure to keep
    /// it is logged and never fails the device's request.
    pub fn note_seen(
        &mut self,
        auth: &RequestAuth,
        answered: Option<(&PullRequest, &PullResponse)>,
    ) {
        let pulled_to = answered
            .map(|(request, response)| request.from.saturating_add(response.events.len() as u64));
        if let Err(error) = self.log.note_seen(auth.device, auth.at, pulled_to) {
            tracing::warn!(event = "seen_not_kept", device = %auth.device, error = %error, "when the device was last seen could not be kept");
        }
    }

    /// How many logged events the hub's own store lacks.
    pub fn store_lag(&mut self) -> Result<u64, ServiceError> {
        let position = self.store_position()?;
        self.log
            .tree()
            .len()
            .checked_sub(position)
            .ok_or(ServiceError::StoreAhead {
                store: position,
                log: self.log.tree().len(),
            })
    }

    /// Ingest into the hub's own store the logged events it lacks, in order and one transaction per batch: at
    /// most `limit` events (all of them with `None`). Returns how many it still lacks.
    pub fn catch_up(&mut self, limit: Option<u64>) -> Result<u64, ServiceError> {
        let size = self.log.tree().len();
        let mut from = self.store_position()?;
        if from > size {
            return Err(ServiceError::StoreAhead {
                store: from,
                log: size,
            });
        }
        let end = limit.map_or(size, |limit| size.min(from.saturating_add(limit)));
        while from < end {
            let batch = self
                .log
                .events_from(from, (end - from).min(crate::log::MAX_PULL))?;
            let Some(last) = batch.last().map(|event| event.index) else {
                break;
            };
            if last < from || last >= end {
                // A stored log whose indices are out of place (it fails the start-up check too).
                return Err(ServiceError::Log(HubError::Tampered(format!(
                    "event index {last} is out of place"
                ))));
            }
            let events: Vec<SignedEvent> = batch.iter().map(StoredEvent::to_signed).collect();
            self.session.store_mut().ingest_all(&events)?;
            from = last + 1;
        }
        Ok(size.saturating_sub(from))
    }

    /// How many events of the log the hub's store holds: the store holds a prefix of the log, plus any of its own
    /// events not published yet.
    fn store_position(&mut self) -> Result<u64, ServiceError> {
        let published = self.log.last_seq(self.session.store().device_id());
        let unpublished = self.session.store().own_events_after(published)?.len() as u64;
        Ok(self
            .session
            .store()
            .head()
            .length
            .saturating_sub(unpublished))
    }
}

/// The refusal for a token that [`HubStorage::token_state`] did not find valid.
fn token_accepted(state: TokenUse) -> Result<(), ServiceError> {
    match state {
        TokenUse::Accepted { .. } => Ok(()),
        TokenUse::Unknown => Err(ServiceError::UnknownToken),
        TokenUse::Expired => Err(ServiceError::ExpiredToken),
        TokenUse::AlreadyUsed => Err(ServiceError::UsedToken),
    }
}

/// A push must name the device that signed it.
pub fn check_pusher(request: &PushRequest, auth: &RequestAuth) -> Result<(), ServiceError> {
    if request.device == auth.device {
        Ok(())
    } else {
        Err(ServiceError::NotOwnRequest)
    }
}

/// Keep a new one-time enrollment token for a device of `facility` to be labelled `label`, valid for `minutes`
/// from `now`. Needs only the storage, so an administrator can issue one while the hub serves (`azukari-hub
/// enroll`).
pub fn offer_enrollment(
    storage: &mut dyn HubStorage,
    facility: azukari_core::model::FacilityId,
    label: &str,
    minutes: i64,
    now: Timestamp,
) -> Result<EnrollmentOffer, ServiceError> {
    // Never a token that works for ever (a lifetime of 0 or less makes one that has already expired).
    if minutes > MAX_TOKEN_MINUTES {
        return Err(ServiceError::TokenLifetime {
            minutes,
            max: MAX_TOKEN_MINUTES,
        });
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw)
        .map_err(|_| ServiceError::Sync(SyncError::Enrollment("no randomness")))?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let expires_at = now.plus_minutes(minutes).0;
    storage.put_token(
        facility,
        &EnrollmentToken {
            token_hash: Sha256::digest(token.as_bytes()).into(),
            label: label.to_string(),
            expires_at,
        },
    )?;
    Ok(EnrollmentOffer {
        token,
        label: label.to_string(),
        expires_at,
    })
}

/// A hub reached in process: what the tests and the simulation use instead of HTTPS. It can be switched offline.
#[derive(Clone)]
pub struct LocalHub {
    hub: Arc<Mutex<Hub>>,
    online: Arc<std::sync::atomic::AtomicBool>,
}

impl LocalHub {
    /// Wrap a hub.
    pub fn new(hub: Hub) -> LocalHub {
        LocalHub {
            hub: Arc::new(Mutex::new(hub)),
            online: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        }
    }

    /// A hub already shared behind a lock (the server's): the browser console's own device syncs through it.
    pub fn shared(hub: Arc<Mutex<Hub>>) -> LocalHub {
        LocalHub {
            hub,
            online: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        }
    }

    /// The hub itself, once no other handle to it is left.
    pub fn into_hub(self) -> Option<Hub> {
        Arc::try_unwrap(self.hub)
            .ok()
            .and_then(|mutex| mutex.into_inner().ok())
    }

    /// Run `f` on the hub.
    pub fn with<T>(&self, f: impl FnOnce(&mut Hub) -> T) -> Result<T, TransportError> {
        let mut hub = self
            .hub
            .lock()
            .map_err(|_| TransportError::Unreachable("hub lock poisoned".into()))?;
        Ok(f(&mut hub))
    }

    /// Make the hub reachable or not (a device "offline").
    pub fn set_online(&self, online: bool) {
        self.online
            .store(online, std::sync::atomic::Ordering::SeqCst);
    }

    fn check_online(&self) -> Result<(), TransportError> {
        if self.online.load(std::sync::atomic::Ordering::SeqCst) {
            Ok(())
        } else {
            Err(TransportError::Unreachable("offline".into()))
        }
    }
}

impl HubTransport for LocalHub {
    fn push(
        &self,
        request: &PushRequest,
        auth: &RequestAuth,
    ) -> Result<PushResponse, TransportError> {
        self.check_online()?;
        let body = request_body(request).map_err(|e| refused(e.into()))?;
        self.with(|hub| {
            hub.authenticate(Route::Push, auth, &body)?;
            check_pusher(request, auth)?;
            let response = hub.push(request)?;
            hub.note_seen(auth, None);
            Ok(response)
        })?
        .map_err(refused)
    }

    fn pull(
        &self,
        request: &PullRequest,
        auth: &RequestAuth,
    ) -> Result<PullResponse, TransportError> {
        self.check_online()?;
        let body = request_body(request).map_err(|e| refused(e.into()))?;
        self.with(|hub| {
            hub.authenticate(Route::Pull, auth, &body)?;
            let response = hub.pull(request)?;
            hub.note_seen(auth, Some((request, &response)));
            Ok(response)
        })?
        .map_err(refused)
    }
}

fn refused(error: ServiceError) -> TransportError {
    TransportError::Refused {
        status: 0,
        message: error.to_string(),
    }
}

fn file_error(path: &Path, error: std::io::Error) -> ServiceError {
    ServiceError::File {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// Write a secret file readable only by its owner.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ServiceError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).map_err(|e| file_error(path, e))?;
    file.write_all(bytes).map_err(|e| file_error(path, e))?;
    file.sync_all().map_err(|e| file_error(path, e))
}
