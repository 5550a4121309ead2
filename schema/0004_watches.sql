-- Saved searches ("watches") and what each has already shown.
-- A watch keeps the query and the search flags as typed, so relative dates (--since 30d) are
-- read again at every run. watch_seen remembers every item a watch has reported, so a run
-- shows only what is new since the watch last ran; an item is reported once, even if it drops
-- out of the results and matches again later.
-- These are a person's working settings, not unit records: they carry no events and are left
-- out of the history, like the search index.

CREATE TABLE watches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    query TEXT NOT NULL DEFAULT '',
    -- JSON object of the search flags: kind, post, dialogue, party, tag, since, until
    filters TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    last_run_at TEXT
);

CREATE TABLE watch_seen (
    watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (watch_id, item_id)
);
