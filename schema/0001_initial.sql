-- The first schema: every table the record-keeping core needs.
-- Dates are ISO strings (YYYY-MM-DD); timestamps are UTC ISO strings with a 'Z'.
-- Human ids (R12, D2, C3, A7) are the integer primary keys with a type letter in front;
-- the uid column is the global identity used for de-duplication and exchange between sites.

CREATE TABLE parties (
    code TEXT PRIMARY KEY COLLATE NOCASE,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('state', 'organisation', 'company', 'civil-society', 'technical')),
    builtin INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE dialogues (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    format TEXT NOT NULL CHECK (format IN ('bilateral', 'multilateral')),
    forum TEXT,
    lead TEXT,
    started_on TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE dialogue_parties (
    dialogue_id INTEGER NOT NULL REFERENCES dialogues(id),
    party_code TEXT NOT NULL REFERENCES parties(code),
    PRIMARY KEY (dialogue_id, party_code)
);

CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('meeting', 'report')),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    occurred_on TEXT,
    post TEXT,
    -- the post exactly as the source wrote it ('USMISSION GENEVA'); post holds the normalised name
    post_original TEXT,
    venue TEXT,
    dialogue_id INTEGER REFERENCES dialogues(id),
    classification TEXT NOT NULL DEFAULT 'UNCLASSIFIED'
        CHECK (classification IN ('UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET')),
    reference TEXT,
    author TEXT,
    -- JSON list of {"n": paragraph number, "level": classification} for portion-marked bodies
    portions TEXT NOT NULL DEFAULT '[]',
    -- JSON object: unknown header keys, sources (file names, channels), attachments
    metadata TEXT NOT NULL DEFAULT '{}',
    -- SHA-256 of the normalised body: finds the same report arriving through two channels
    content_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX records_occurred ON records (occurred_on, created_at);
CREATE INDEX records_content_hash ON records (content_hash);
CREATE INDEX records_reference ON records (reference COLLATE NOCASE);
CREATE INDEX records_post ON records (post COLLATE NOCASE);
CREATE INDEX records_dialogue ON records (dialogue_id);

CREATE TABLE tags (
    name TEXT PRIMARY KEY COLLATE NOCASE
);

CREATE TABLE record_tags (
    record_id INTEGER NOT NULL REFERENCES records(id),
    tag TEXT NOT NULL REFERENCES tags(name),
    PRIMARY KEY (record_id, tag)
);
CREATE INDEX record_tags_tag ON record_tags (tag);

CREATE TABLE record_parties (
    record_id INTEGER NOT NULL REFERENCES records(id),
    party_code TEXT NOT NULL REFERENCES parties(code),
    PRIMARY KEY (record_id, party_code)
);
CREATE INDEX record_parties_party ON record_parties (party_code);

-- A link from one record to another. A citation of a reference number that is not on file
-- yet keeps to_id NULL and is resolved when a record with that reference arrives.
CREATE TABLE record_links (
    id INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES records(id),
    to_id INTEGER REFERENCES records(id),
    to_reference TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('cites', 'near_duplicate', 'attachment')),
    note TEXT,
    created_at TEXT NOT NULL
);
-- NULLs are distinct in a UNIQUE constraint, so the same unresolved citation is kept once
-- through an expression index instead.
CREATE UNIQUE INDEX record_links_unique
    ON record_links (from_id, kind, coalesce(to_id, 0), coalesce(to_reference, ''));
CREATE INDEX record_links_to ON record_links (to_id);
CREATE INDEX record_links_to_reference ON record_links (to_reference COLLATE NOCASE);

CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    dialogue_id INTEGER NOT NULL REFERENCES dialogues(id),
    owed_to TEXT REFERENCES parties(code),
    record_id INTEGER REFERENCES records(id),
    made_on TEXT NOT NULL,
    due_on TEXT,
    category TEXT NOT NULL DEFAULT 'other'
        CHECK (category IN ('norm', 'confidence-building', 'cooperation', 'capacity-building',
                            'information-sharing', 'other')),
    classification TEXT NOT NULL DEFAULT 'UNCLASSIFIED'
        CHECK (classification IN ('UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET')),
    -- the status of the latest assessment, kept here so lists need no sub-query;
    -- written in the same transaction as the assessment. Overdue is never stored.
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'in_progress', 'fulfilled', 'partially_fulfilled',
                          'not_fulfilled', 'withdrawn')),
    -- the note line it was captured from, so editing the note again does not duplicate it
    source_line TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX commitments_dialogue ON commitments (dialogue_id);
CREATE INDEX commitments_record ON commitments (record_id);

CREATE TABLE commitment_parties (
    commitment_id INTEGER NOT NULL REFERENCES commitments(id),
    party_code TEXT NOT NULL REFERENCES parties(code),
    PRIMARY KEY (commitment_id, party_code)
);

CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    commitment_id INTEGER NOT NULL REFERENCES commitments(id),
    assessed_on TEXT NOT NULL,
    status TEXT NOT NULL,
    score INTEGER CHECK (score IN (-1, 0, 1)),
    note TEXT,
    evidence_id INTEGER REFERENCES records(id),
    who TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assessments_commitment ON assessments (commitment_id, assessed_on, id);

CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    owner TEXT,
    due_on TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    record_id INTEGER REFERENCES records(id),
    dialogue_id INTEGER REFERENCES dialogues(id),
    commitment_id INTEGER REFERENCES commitments(id),
    note TEXT,
    source_line TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX actions_record ON actions (record_id);
CREATE INDEX actions_due ON actions (status, due_on);

-- Append-only history. Every create and update writes one row; hash chains each row to the one
-- before it (SHA-256 of the previous hash and this row's canonical JSON) so edits made around
-- cablemgr are detectable.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    entity TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX events_entity ON events (entity, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- Rows whose search documents must be (re)written. Filled in the same transaction as the change,
-- drained into the search index after the write and before every search.
CREATE TABLE search_outbox (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    queued_at TEXT NOT NULL
);
