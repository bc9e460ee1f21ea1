-- Schema version 1: settings, wrapped keys, and the append-only event log.
-- Plaintext columns hold only ids, kinds, times, counters and states; everything personal is inside sealed blobs.

CREATE TABLE meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) WITHOUT ROWID;

-- Content keys, wrapped by the data key. Not append-only: erasing a resident deletes their rows.
CREATE TABLE keys (
    key_id     TEXT PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('facility', 'resident')),
    owner_id   TEXT NOT NULL,
    generation INTEGER NOT NULL CHECK (generation >= 1),
    wrapped    BLOB NOT NULL,
    uses       INTEGER NOT NULL CHECK (uses >= 0),
    UNIQUE (owner_kind, owner_id, generation)
);

-- The ledger, in local arrival order. `bytes` and `signature` are the event; `hash` and `log_hash` are derived
-- from them and kept for fast appends (verification recomputes them).
CREATE TABLE events (
    log_index   INTEGER PRIMARY KEY NOT NULL,
    event_id    TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    device_seq  INTEGER NOT NULL CHECK (device_seq >= 1),
    recorded_at INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    signature   BLOB NOT NULL,
    hash        BLOB NOT NULL,
    log_hash    BLOB NOT NULL,
    UNIQUE (device_id, device_seq)
);

CREATE INDEX events_by_kind ON events (kind);

CREATE TRIGGER events_are_append_only_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only: events cannot be changed');
END;

CREATE TRIGGER events_are_append_only_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only: events cannot be deleted');
END;
