//! Time. Every instant is stored as UTC milliseconds; every date a person sees or a rule reasons about is in
//! Asia/Tokyo (UTC+09:00 all year: Japan has no daylight saving time). The clock is injected so tests can fix it.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};

/// An instant, as milliseconds since the Unix epoch (UTC). Ordered, compact and stable in the ledger encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant as a date-time in Asia/Tokyo.
    pub fn to_tokyo(self) -> DateTime<FixedOffset> {
        let utc =
            DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        utc.with_timezone(&tokyo())
    }

    /// The calendar date in Asia/Tokyo on which this instant falls.
    pub fn tokyo_date(self) -> NaiveDate {
        self.to_tokyo().date_naive()
    }

    /// This instant plus a number of minutes.
    pub fn plus_minutes(self, minutes: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(minutes.saturating_mul(60_000)))
    }

    /// The instant of a wall-clock time in Asia/Tokyo, if it exists.
    pub fn from_tokyo(date: NaiveDate, hour: u32, minute: u32) -> Option<Timestamp> {
        let naive = date.and_hms_opt(hour, minute, 0)?;
        let local = tokyo().from_local_datetime(&naive).single()?;
        Some(Timestamp(local.timestamp_millis()))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_tokyo().format("%Y-%m-%d %H:%M"))
    }
}

/// The fixed offset of Asia/Tokyo.
pub fn tokyo() -> FixedOffset {
    // 9 hours is always a valid offset (east_opt only fails beyond ±24 h), so the UTC fallback is never taken.
    FixedOffset::east_opt(9 * 3600).unwrap_or(Utc.fix())
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }
}

/// A clock that stands still until told to move: for tests, examples and simulations.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: Timestamp) -> Self {
        ManualClock(AtomicI64::new(at.0))
    }

    /// Move the clock forward by some minutes.
    pub fn advance_minutes(&self, minutes: i64) {
        self.0
            .fetch_add(minutes.saturating_mul(60_000), Ordering::SeqCst);
    }

    /// Set the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_shown_in_tokyo_time() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let at = Timestamp::from_tokyo(date, 23, 30).unwrap();
        assert_eq!(at.to_string(), "2026-11-24 23:30");
        assert_eq!(at.tokyo_date(), date);
        // 23:30 in Tokyo is still 14:30 UTC of the same day.
        assert_eq!(
            DateTime::<Utc>::from_timestamp_millis(at.0)
                .unwrap()
                .format("%H:%M")
                .to_string(),
            "14:30"
        );
    }
}
