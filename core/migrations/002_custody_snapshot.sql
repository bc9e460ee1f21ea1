-- Schema version 2: a persisted custody snapshot, so opening a large store folds only the events after it.
-- The state is sealed under the facility key; `log_index` says which events it includes.

CREATE TABLE custody_snapshot (
    id        INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    log_index INTEGER NOT NULL,
    sealed    BLOB NOT NULL
);
