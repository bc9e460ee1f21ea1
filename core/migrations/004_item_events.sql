-- Schema version 4: which events concern which item, so one resident's handover history (the family's 開示 page,
-- the item's own history) is read through an index instead of the whole ledger. Ids and log positions only.
-- Approvals name their request, not the item: `request_items` says which item a request was for, so an approval
-- is indexed under the item of its request. Rows are written with their event, in the same transaction; a store
-- upgraded from version 3 is indexed once, inside the migration's transaction (core/src/store/item_index.rs).

CREATE TABLE item_events (
    item_id   TEXT NOT NULL,
    log_index INTEGER NOT NULL,
    PRIMARY KEY (item_id, log_index)
) WITHOUT ROWID;

CREATE TABLE request_items (
    request_id TEXT PRIMARY KEY NOT NULL,
    item_id    TEXT NOT NULL
) WITHOUT ROWID;
