-- Schema version 3: content keys are shared between a facility's devices (through the hub), so two devices may each
-- hold a first-generation key for the same owner. A key is identified by its id alone; `origin` says whether this
-- device made it ('local') or received it ('shared'), and only local keys seal when generations tie.

CREATE TABLE keys_v3 (
    key_id     TEXT PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('facility', 'resident')),
    owner_id   TEXT NOT NULL,
    generation INTEGER NOT NULL CHECK (generation >= 1),
    wrapped    BLOB NOT NULL,
    uses       INTEGER NOT NULL CHECK (uses >= 0),
    origin     TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'shared'))
);

INSERT INTO keys_v3 (key_id, owner_kind, owner_id, generation, wrapped, uses, origin)
    SELECT key_id, owner_kind, owner_id, generation, wrapped, uses, 'local' FROM keys;

DROP TABLE keys;
ALTER TABLE keys_v3 RENAME TO keys;

CREATE INDEX keys_by_owner ON keys (owner_kind, owner_id, generation);
