-- Records by the time they were filed.
-- The digest lists the newest records filed in its period but dated outside it (a late cable,
-- an archive import). Without an index on created_at that listing read every record, bodies
-- and all, to sort them: a tenth of a second at 100,000 records, growing with the archive.
-- occurred_on and classification ride along so counting those records reads the index alone.
CREATE INDEX records_filed ON records (created_at, occurred_on, classification);
