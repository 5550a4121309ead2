-- Import: near-duplicate sketches.
-- Each record keeps the smallest shingle hashes of its body (a bottom-k sketch, see
-- cablemgr/ingest/similarity.py), one per row, so an import finds likely copies of a new
-- report with a few index probes instead of comparing it with every record on file.
-- A record too short to compare has one row with hash -1, so it is not sketched again.
-- Derived data: it can be dropped and rebuilt from records.body at any time.
CREATE TABLE record_sketches (
    hash INTEGER NOT NULL,
    record_id INTEGER NOT NULL REFERENCES records(id)
);
CREATE INDEX record_sketches_hash ON record_sketches (hash);
CREATE INDEX record_sketches_record ON record_sketches (record_id);
