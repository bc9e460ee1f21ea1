//! When each device last reached the hub, with its clock offset and how far it has pulled: what the console's
//! devices page shows so a supervisor sees a tablet that stopped syncing, or one whose clock is wrong.
//!
//! Every signed request updates the figures in memory; they are written to storage at most once a minute per
//! device (and on a device's first request), so a hub restart loses at most a minute of "last seen" and a busy
//! hub does not commit on every long poll.

use crate::storage::{DeviceSeen, HubStorage, StorageError};
use azukari_core::model::{DeviceId, FacilityId};
use std::collections::HashMap;

/// How often one device's figures are written to storage, at most (milliseconds).
pub const SEEN_WRITE_EVERY_MS: i64 = 60_000;

/// A device that has not reached the hub for this long is shown as silent (milliseconds: a day).
pub const SILENT_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// What the devices page says about one device, decided here so the page only words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceHealth {
    /// When it last reached the hub (Unix milliseconds); `None` if never.
    pub last_seen: Option<i64>,
    /// Logged events it has not received yet.
    pub pending: u64,
    /// Its clock minus the hub's at its last request (milliseconds).
    pub clock_offset_ms: i64,
    /// It has not reached the hub for [`SILENT_AFTER_MS`] or more, or never did.
    pub silent: bool,
    /// Its clock is off by more than the devices' own warning threshold
    /// ([`azukari_core::sync::CLOCK_WARNING_AFTER_MS`]).
    pub clock_off: bool,
}

impl DeviceHealth {
    /// The health of a device last `seen` (if ever), at the hub's `now`, with `log_size` events logged.
    pub fn of(seen: Option<DeviceSeen>, now: i64, log_size: u64) -> DeviceHealth {
        match seen {
            None => DeviceHealth {
                last_seen: None,
                pending: log_size,
                clock_offset_ms: 0,
                silent: true,
                clock_off: false,
            },
            Some(seen) => DeviceHealth {
                last_seen: Some(seen.at),
                pending: log_size.saturating_sub(seen.pulled_to),
                clock_offset_ms: seen.clock_offset_ms,
                silent: now.saturating_sub(seen.at) >= SILENT_AFTER_MS,
                clock_off: azukari_core::sync::ClockWarning::for_offset(seen.clock_offset_ms)
                    .is_some(),
            },
        }
    }
}

/// The figures of every device that reached the hub, and when each was last written.
#[derive(Debug, Default)]
pub struct SeenDevices {
    latest: HashMap<DeviceId, DeviceSeen>,
    written: HashMap<DeviceId, i64>,
}

impl SeenDevices {
    /// The figures kept in `storage` for `facility`.
    pub fn load(
        storage: &mut dyn HubStorage,
        facility: FacilityId,
    ) -> Result<SeenDevices, StorageError> {
        let mut seen = SeenDevices::default();
        for device in storage.devices_seen(facility)? {
            seen.written.insert(device.device, device.at);
            seen.latest.insert(device.device, device);
        }
        Ok(seen)
    }

    /// Note a signed request of `device` taken at the hub's `now` and stamped `device_time` by the device; a
    /// pull also says the log size it has now received up to. Written to `storage` when due.
    pub fn note(
        &mut self,
        storage: &mut dyn HubStorage,
        facility: FacilityId,
        now: i64,
        device: DeviceId,
        device_time: i64,
        pulled_to: Option<u64>,
    ) -> Result<(), StorageError> {
        let before = self.latest.get(&device).map_or(0, |seen| seen.pulled_to);
        let seen = DeviceSeen {
            device,
            at: now,
            clock_offset_ms: device_time.saturating_sub(now),
            pulled_to: pulled_to.unwrap_or(before),
        };
        self.latest.insert(device, seen);
        let due = self
            .written
            .get(&device)
            .is_none_or(|last| now.saturating_sub(*last) >= SEEN_WRITE_EVERY_MS);
        if due {
            storage.put_device_seen(facility, &seen)?;
            self.written.insert(device, now);
        }
        Ok(())
    }

    /// The latest figures of `device`, if it ever reached the hub.
    pub fn get(&self, device: DeviceId) -> Option<DeviceSeen> {
        self.latest.get(&device).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{FacilityRecord, SqliteStorage};

    fn storage() -> (SqliteStorage, FacilityId) {
        let mut storage = SqliteStorage::open_in_memory().unwrap();
        let facility = FacilityId(uuid::Uuid::from_u128(1));
        storage
            .create_facility(&FacilityRecord {
                facility,
                name: "f".into(),
                trust_anchor: vec![1],
                created_at: 0,
            })
            .unwrap();
        (storage, facility)
    }

    #[test]
    fn figures_are_fresh_in_memory_and_written_at_most_once_a_minute() {
        let (mut storage, facility) = storage();
        let device = DeviceId(uuid::Uuid::from_u128(7));
        let mut seen = SeenDevices::default();
        seen.note(&mut storage, facility, 1_000, device, 4_000, Some(10))
            .unwrap();
        seen.note(&mut storage, facility, 30_000, device, 29_000, None)
            .unwrap();
        let now = seen.get(device).unwrap();
        assert_eq!(
            (now.at, now.clock_offset_ms, now.pulled_to),
            (30_000, -1_000, 10)
        );
        // Only the first request was written; a restart finds it.
        let stored = SeenDevices::load(&mut storage, facility).unwrap();
        let kept = stored.get(device).unwrap();
        assert_eq!(
            (kept.at, kept.clock_offset_ms, kept.pulled_to),
            (1_000, 3_000, 10)
        );
        seen.note(&mut storage, facility, 61_000, device, 61_000, Some(12))
            .unwrap();
        let stored = SeenDevices::load(&mut storage, facility).unwrap();
        assert_eq!(stored.get(device).unwrap().pulled_to, 12);
        assert_eq!(stored.get(DeviceId(uuid::Uuid::from_u128(8))), None);
    }

    #[test]
    fn health_says_silent_behind_and_clock_off_from_the_figures() {
        let device = DeviceId(uuid::Uuid::from_u128(7));
        let never = DeviceHealth::of(None, 10, 40);
        assert!(never.silent && !never.clock_off);
        assert_eq!((never.last_seen, never.pending), (None, 40));
        let seen = DeviceSeen {
            device,
            at: 1_000,
            clock_offset_ms: 90_000,
            pulled_to: 35,
        };
        let fresh = DeviceHealth::of(Some(seen), 2_000, 40);
        assert_eq!((fresh.last_seen, fresh.pending), (Some(1_000), 5));
        assert!(!fresh.silent && fresh.clock_off);
        let old = DeviceHealth::of(Some(seen), 1_000 + SILENT_AFTER_MS, 40);
        assert!(old.silent);
        let on_time = DeviceSeen {
            clock_offset_ms: -59_000,
            ..seen
        };
        assert!(!DeviceHealth::of(Some(on_time), 2_000, 35).clock_off);
        assert_eq!(DeviceHealth::of(Some(on_time), 2_000, 35).pending, 0);
    }
}
