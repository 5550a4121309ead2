"""Search documents built from SQLite rows: plain dicts, no whoosh.

One document per record (``R12``), commitment (``C3``) and action (``A7``). The id is the
index's unique key, so re-indexing a row replaces its document instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from cablemgr.db import in_chunks

if TYPE_CHECKING:
    from sqlite_utils import Database

# group_concat separators that cannot occur in tags, codes or party names
_ITEM = "\x1f"
_PAIR = "\x1e"

_RECORDS = f"""
SELECT r.id, r.kind, r.title, r.body, r.occurred_on, r.created_at, r.post, r.post_original,
       r.venue, d.name, r.classification, r.reference, r.author,
       (SELECT group_concat(tag, '{_ITEM}') FROM record_tags WHERE record_id = r.id),
       (SELECT group_concat(p.code || '{_PAIR}' || p.name, '{_ITEM}')
          FROM record_parties rp JOIN parties p ON p.code = rp.party_code
         WHERE rp.record_id = r.id)
  FROM records r LEFT JOIN dialogues d ON d.id = r.dialogue_id
"""

_COMMITMENTS = f"""
SELECT c.id, c.text, c.made_on, c.due_on, c.category, c.classification, c.status, d.name,
       c.owed_to, c.created_at,
       (SELECT group_concat(p.code || '{_PAIR}' || p.name, '{_ITEM}')
          FROM commitment_parties cp JOIN parties p ON p.code = cp.party_code
         WHERE cp.commitment_id = c.id)
  FROM commitments c LEFT JOIN dialogues d ON d.id = c.dialogue_id
"""

_ACTIONS = """
SELECT a.id, a.text, a.owner, a.due_on, a.status, a.note, d.name, a.created_at,
       r.post
  FROM actions a LEFT JOIN dialogues d ON d.id = a.dialogue_id
  LEFT JOIN records r ON r.id = a.record_id
"""

_SOURCES = {"R": (_RECORDS, "r.id"), "C": (_COMMITMENTS, "c.id"), "A": (_ACTIONS, "a.id")}


def _split(value: str | None) -> list[str]:
    return [v for v in value.split(_ITEM) if v] if value else []


def _parties(value: str | None) -> list[tuple[str, str]]:
    return [tuple(item.split(_PAIR, 1)) for item in _split(value)]  # type: ignore[misc]


def _short(text: str, width: int = 90) -> str:
    """A one-line title for commitments and actions, which have only a text."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def _join(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p)


def _record(row: tuple) -> dict[str, Any]:
    (number, kind, title, body, occurred, created, post, post_original, venue, dialogue,
     classification, reference, author, tags, parties) = row
    tags = _split(tags)
    parties = _parties(parties)
    date = occurred or created[:10]
    return {
        "id": f"R{number}", "kind": kind, "title": title, "body": body or "",
        "date": date, "due": None, "post": post, "venue": venue, "dialogue": dialogue,
        "tags": tags, "parties": parties, "class": classification, "status": None,
        "owner": None, "ref": reference,
        # the fields a person names in a query without a prefix also match here
        "meta": _join(post, post_original if post_original != post else None, venue,
                      dialogue, reference, author, " ".join(tags),
                      " ".join(f"{code} {name}" for code, name in parties)),
    }


def _commitment(row: tuple) -> dict[str, Any]:
    (number, text, made_on, due_on, category, classification, status, dialogue, owed_to,
     created, parties) = row
    parties = _parties(parties)
    return {
        "id": f"C{number}", "kind": "commitment", "title": _short(text), "body": text,
        "date": made_on or created[:10], "due": due_on, "post": None, "venue": None,
        "dialogue": dialogue, "tags": [category] if category else [], "parties": parties,
        "class": classification, "status": status, "owner": None, "ref": None,
        "meta": _join(dialogue, category, owed_to,
                      " ".join(f"{code} {name}" for code, name in parties)),
    }


def _action(row: tuple) -> dict[str, Any]:
    number, text, owner, due_on, status, note, dialogue, created, post = row
    return {
        "id": f"A{number}", "kind": "action", "title": _short(text),
        "body": _join(text, note), "date": created[:10], "due": due_on, "post": post,
        "venue": None, "dialogue": dialogue, "tags": [], "parties": [],
        "class": "UNCLASSIFIED", "status": status, "owner": owner, "ref": None,
        "meta": _join(owner, dialogue, post),
    }


_BUILDERS = {"R": _record, "C": _commitment, "A": _action}


def load(db: Database, doc_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """The current document for each id; ``None`` where the row no longer exists."""
    wanted: dict[str, list[int]] = {"R": [], "C": [], "A": []}
    result: dict[str, dict[str, Any] | None] = {}
    for doc_id in doc_ids:
        letter, digits = doc_id[:1].upper(), doc_id[1:]
        result[doc_id] = None
        if letter in wanted and digits.isdigit():
            wanted[letter].append(int(digits))
    for letter, numbers in wanted.items():
        sql, key = _SOURCES[letter]
        for chunk, marks in in_chunks(numbers):
            for row in db.execute(f"{sql} WHERE {key} IN ({marks})", chunk):
                doc = _BUILDERS[letter](row)
                result[doc["id"]] = doc
    return result


def count_all(db: Database) -> int:
    """How many documents a full rebuild writes."""
    return sum(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
               for table in ("records", "commitments", "actions"))


def iter_all(db: Database) -> Iterator[dict[str, Any]]:
    """Every document, records first; one statement per table so each is a consistent read."""
    for letter in ("R", "C", "A"):
        sql, key = _SOURCES[letter]
        for row in db.execute(f"{sql} ORDER BY {key}"):
            yield _BUILDERS[letter](row)


# just the text a snippet is cut from, per kind of document
_TEXTS = {"R": "SELECT id, body FROM records",
          "C": "SELECT id, text FROM commitments",
          "A": "SELECT id, text || coalesce(' ' || note, '') FROM actions"}


def bodies(db: Database, doc_ids: Iterable[str]) -> dict[str, str]:
    """The full text of each document, for snippets (the index keeps no copy of bodies)."""
    wanted: dict[str, list[int]] = {"R": [], "C": [], "A": []}
    for doc_id in doc_ids:
        letter, digits = doc_id[:1].upper(), doc_id[1:]
        if letter in wanted and digits.isdigit():
            wanted[letter].append(int(digits))
    texts: dict[str, str] = {}
    for letter, numbers in wanted.items():
        for chunk, marks in in_chunks(numbers):
            for number, text in db.execute(f"{_TEXTS[letter]} WHERE id IN ({marks})", chunk):
                texts[f"{letter}{number}"] = text or ""
    return texts
