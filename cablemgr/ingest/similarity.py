"""Near-duplicate detection: the same report forwarded by another post with a changed header
or a few edited lines.

**Measure.** The body is normalised (lower case, punctuation removed, whitespace collapsed,
portion marks and paragraph numbers dropped so a re-marked copy still matches) and cut into
word 4-gram *shingles*. Two bodies are near-duplicates when the Jaccard similarity of their
shingle sets, |A ∩ B| / |A ∪ B|, is at least ``THRESHOLD`` (0.7). With 4-grams one edited
word changes at most four shingles, so a 300-word cable with three or four rewritten
sentences still scores above 0.7, while two different reports on the same subject (shared
vocabulary, different sentences) score well below 0.2. Bodies shorter than ``MIN_WORDS``
(30) words are not compared: a "Noted, thanks" reply says too little to call it a copy.

**Finding candidates fast.** Comparing a new record with every record on file would be
quadratic. Each record instead keeps a *bottom-k sketch*: the ``SKETCH`` (16) smallest
CRC-32 values of its shingles, stored one per row in ``record_sketches`` with an index on the
value. Two sets with Jaccard J share, in expectation, about ``k × J`` of their k smallest
hashes, so a real near-duplicate (J ≥ 0.7) shares ~11 of 16 while unrelated records rarely
share more than 3 (on the FRUS corpus, pairs sharing up to 12 were all below 0.7). A new record
looks up its 16 values (16 index probes), keeps the records sharing at least ``MIN_SHARED``
(6) of them — by a binomial estimate that misses a pair at exactly J = 0.7 less than 1% of the
time — and only for those (at most ``MAX_CANDIDATES``) computes the exact Jaccard similarity
from the stored bodies. The cost per record is constant: it does not grow with the number of
records on file.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

THRESHOLD = 0.7
SHINGLE_WORDS = 4
MIN_WORDS = 30
SKETCH = 16
MIN_SHARED = 6
MAX_CANDIDATES = 5
# A record too short to compare still gets a row, so a backfill never revisits it.
NO_SKETCH = -1

_MARK = re.compile(r"(?m)^\s*(?:\d{1,4}\.\s*)?\([A-Z]{1,4}\)")
# ASCII punctuation to spaces on the UTF-8 bytes: bytes.translate is the fastest tokenizer
# the standard library has (a regex, or str.translate with a dict, was the slowest step of
# an import). Letters outside ASCII stay inside their words.
_PUNCTUATION = bytes.maketrans(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
                               b" " * 32)
# Long documents are compared on their first words: a copy is recognisable from its opening
# pages, and the cost per record stays bounded.
MAX_WORDS = 3000


def words(body: str) -> list[bytes]:
    """The body's words (UTF-8 bytes), lower case, without punctuation or portion marks."""
    body = body or ""
    if "(" in body:
        body = _MARK.sub(" ", body)
    return body.lower().encode("utf-8").translate(_PUNCTUATION).split()


def shingles(body: str) -> set[int]:
    """The CRC-32 values of the body's word 4-grams (empty when the body is too short)."""
    tokens = words(body)[:MAX_WORDS]
    if len(tokens) < MIN_WORDS:
        return set()
    # map/zip keep the per-shingle work in C: this runs once per imported record
    grams = map(b" ".join, zip(*(tokens[i:] for i in range(SHINGLE_WORDS)), strict=False))
    return set(map(zlib.crc32, grams))


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def sketch(hashes: set[int]) -> list[int]:
    """The SKETCH smallest values. CRC-32 values are spread evenly, so the smallest lie below
    a cut-off proportional to 1/len; filtering first avoids sorting the whole set."""
    if len(hashes) > SKETCH * 8:
        cutoff = (1 << 32) * SKETCH * 3 // len(hashes)
        low = [value for value in hashes if value < cutoff]
        if len(low) >= SKETCH:
            return sorted(low)[:SKETCH]
    return sorted(hashes)[:SKETCH]


def store(db: Database, number: int, hashes: set[int]) -> None:
    """Keep the record's sketch (inside the caller's transaction)."""
    values = sketch(hashes) or [NO_SKETCH]
    db.conn.executemany("INSERT INTO record_sketches (hash, record_id) VALUES (?, ?)",
                        [(value, number) for value in values])


def similar(db: Database, hashes: set[int], *, exclude: int | None = None
            ) -> list[tuple[int, float]]:
    """Records on file whose body is a near-duplicate of ``hashes``: (number, similarity),
    most similar first."""
    values = sketch(hashes)
    if not values:
        return []
    marks = ",".join("?" * len(values))
    rows = db.execute(
        f"SELECT record_id, count(*) AS shared FROM record_sketches WHERE hash IN ({marks}) "
        f"GROUP BY record_id HAVING shared >= ? ORDER BY shared DESC LIMIT ?",
        (*values, MIN_SHARED, MAX_CANDIDATES + 1)).fetchall()
    found = []
    for number, _shared in rows:
        if number == exclude:
            continue
        body = db.execute("SELECT body FROM records WHERE id = ?", (number,)).fetchone()
        if body is None:
            continue
        score = jaccard(hashes, shingles(body[0]))
        if score >= THRESHOLD:
            found.append((number, round(score, 3)))
    return sorted(found, key=lambda item: -item[1])[:MAX_CANDIDATES]


def backfill(db: Database) -> int:
    """Sketch records filed without one (logged by hand, or before this feature)."""
    numbers = [row[0] for row in db.execute(
        "SELECT id FROM records r WHERE NOT EXISTS "
        "(SELECT 1 FROM record_sketches s WHERE s.record_id = r.id)")]
    for number in numbers:
        body = db.execute("SELECT body FROM records WHERE id = ?", (number,)).fetchone()[0]
        store(db, number, shingles(body))
    return len(numbers)
