"""Records: meeting notes and embassy reports, the unit's memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cablemgr import classification, dialogues, events, parties
from cablemgr.dates import iso, now_timestamp, parse_date
from cablemgr.db import write
from cablemgr.errors import InvalidInput, NotFound
from cablemgr.ids import format_id
from cablemgr.search.outbox import enqueue

if TYPE_CHECKING:
    from sqlite_utils import Database

KINDS = ("meeting", "report")
# The fields an event snapshot holds: together they are the record's content, so the history
# can rebuild any earlier version and `verify` can compare the row with its last event.
SNAPSHOT_FIELDS = ("uid", "kind", "title", "body", "date", "post", "post_original", "venue",
                   "dialogue_id", "parties", "tags", "classification", "reference", "author",
                   "portions", "metadata")
EDITABLE = ("title", "body", "date", "post", "venue", "dialogue", "parties", "tags",
            "classification", "reference", "author")
_COLUMNS = ("id, uid, kind, title, body, occurred_on, post, post_original, venue, dialogue_id, "
            "classification, reference, author, portions, metadata, content_hash, created_at, "
            "updated_at")


def content_hash(body: str) -> str:
    """SHA-256 of the body with case and whitespace normalised: the same text received through
    two channels (re-wrapped, re-indented) hashes the same."""
    normal = " ".join(body.lower().split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def _clean_tags(tags: Iterable[str]) -> list[str]:
    result: list[str] = []
    for item in tags:
        for tag in str(item).split(","):
            tag = " ".join(tag.split())
            if tag and tag.lower() not in (t.lower() for t in result):
                result.append(tag)
    return result


def _one_line(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def prepare(db: Database, *, kind: str, title: str | None, body: str = "",
            date: str | dt.date | None = None, post: str | None = None,
            post_original: str | None = None, venue: str | None = None,
            dialogue: str | int | None = None, parties_: Iterable[str] = (),
            tags: Iterable[str] = (), classification_: str | None = None,
            reference: str | None = None, author: str | None = None,
            portions: Iterable[dict] = (), metadata: dict | None = None) -> dict[str, Any]:
    """Validate and normalise record fields; raise InvalidInput/NotFound naming the problem."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown record kind '{kind}'. Use meeting or report")
    title = _one_line(title)
    if not title:
        raise InvalidInput(f"a {kind} needs a {'title' if kind == 'meeting' else 'subject'}")
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    # a body typed or piped with portion marks counts them, as an imported cable does
    portions = [{"n": p["n"], "level": classification.parse_level(p["level"])}
                for p in (portions or portion_marks(body))]
    level = classification.highest(
        [classification.parse_level(classification_)] + [p["level"] for p in portions])
    dialogue_id = None
    if dialogue not in (None, ""):
        dialogue_id = dialogue if isinstance(dialogue, int) else dialogues.resolve(db, dialogue)
    return {
        "kind": kind, "title": title, "body": body,
        "date": iso(parse_date(date)) if date not in (None, "") else None,
        "post": _one_line(post), "post_original": _one_line(post_original),
        "venue": _one_line(venue), "dialogue_id": dialogue_id,
        # sorted as get() reads them back, so an edit's event matches the stored row
        "parties": sorted(parties.resolve_codes(db, parties_)), "tags": sorted(_clean_tags(tags)),
        "classification": level, "reference": _one_line(reference),
        "author": _one_line(author), "portions": portions,
        "metadata": dict(metadata or {}),
    }


def add(db: Database, *, uid: str | None = None, who: str | None = None,
        created_at: str | None = None, updated_at: str | None = None,
        capture: bool = True, force_inline: bool = False,
        on_capture: Callable[[dict], None] | None = None, **fields: Any) -> dict:
    """Create a record from ``prepare`` keyword fields and return it (as ``get`` does).

    A meeting's ACTION/COMMITMENT lines are captured in the same transaction (see
    ``inline.sync``; ``force_inline`` saves despite unreadable lines); ``on_capture`` receives
    the capture summary once committed. ``capture=False`` is for imports that bring their
    items along and sync afterwards.
    """
    values = prepare(db, **fields)
    captured = None
    now = now_timestamp()
    with write(db):
        cursor = db.execute(
            "INSERT INTO records (uid, kind, title, body, occurred_on, post, post_original, venue, "
            "dialogue_id, classification, reference, author, portions, metadata, content_hash, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (uid or str(uuid.uuid4()), values["kind"], values["title"], values["body"],
             values["date"], values["post"], values["post_original"], values["venue"],
             values["dialogue_id"], values["classification"], values["reference"],
             values["author"], json.dumps(values["portions"]),
             json.dumps(values["metadata"], ensure_ascii=False), content_hash(values["body"]),
             created_at or now, updated_at or created_at or now),
        )
        number = cursor.lastrowid
        _write_sets(db, number, values["parties"], values["tags"])
        record = get(db, number)
        events.log(db, record["id"], "create",
                   {key: [None, value] for key, value in snapshot(record).items()}, who=who)
        enqueue(db, record["id"])
        if capture and values["kind"] == "meeting":
            from cablemgr import inline

            captured = inline.sync(db, number, force=force_inline)
    if on_capture and captured is not None:
        on_capture(captured)
    return record


def portion_marks(body: str) -> list[dict]:
    """The portion marks of a body's paragraphs (``1. (C) …``); foreign marks are refused."""
    from cablemgr.ingest.base import ParseError
    from cablemgr.ingest.cable import portions

    try:
        return portions(body)
    except ParseError as exc:
        raise InvalidInput(str(exc)) from None


def _write_sets(db: Database, number: int, codes: list[str], tags: list[str]) -> None:
    db.execute("DELETE FROM record_parties WHERE record_id = ?", (number,))
    db.execute("DELETE FROM record_tags WHERE record_id = ?", (number,))
    for code in codes:
        db.execute("INSERT INTO record_parties VALUES (?, ?)", (number, code))
    for tag in tags:
        db.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (tag,))
        db.execute("INSERT OR IGNORE INTO record_tags VALUES (?, ?)", (number, tag))


def snapshot(record: dict) -> dict:
    """The record's content as its events store it."""
    return {key: record[key] for key in SNAPSHOT_FIELDS}


def get(db: Database, number: int) -> dict:
    """The whole record ``R<number>`` with its dialogue, parties, tags and links."""
    row = db.execute(f"SELECT {_COLUMNS} FROM records WHERE id = ?", (number,)).fetchone()
    if not row:
        raise NotFound(f"no record R{number}. See: cablemgr list")
    record = _from_row(db, row)
    record["links"] = links(db, number)
    return record


def _from_row(db: Database, row: tuple) -> dict:
    number = row[0]
    dialogue_name = None
    if row[9] is not None:
        found = db.execute("SELECT name FROM dialogues WHERE id = ?", (row[9],)).fetchone()
        dialogue_name = found[0] if found else None
    return {
        "id": format_id("record", number), "number": number, "uid": row[1], "kind": row[2],
        "title": row[3], "body": row[4], "date": row[5], "post": row[6],
        "post_original": row[7], "venue": row[8], "dialogue": dialogue_name,
        "dialogue_id": format_id("dialogue", row[9]),
        "parties": [r[0] for r in db.execute(
            "SELECT party_code FROM record_parties WHERE record_id = ? ORDER BY party_code",
            (number,))],
        "tags": [r[0] for r in db.execute(
            "SELECT tag FROM record_tags WHERE record_id = ? ORDER BY tag", (number,))],
        "classification": row[10], "reference": row[11], "author": row[12],
        "portions": json.loads(row[13]), "metadata": json.loads(row[14]),
        "content_hash": row[15], "created_at": row[16], "updated_at": row[17],
    }


def links(db: Database, number: int) -> list[dict]:
    """Links from and to a record: citations (resolved or not), near duplicates, attachments."""
    rows = db.execute(
        "SELECT 'out', kind, to_id, to_reference, note FROM record_links WHERE from_id = ? "
        "UNION ALL SELECT 'in', kind, from_id, NULL, note FROM record_links WHERE to_id = ? ",
        (number, number)).fetchall()
    result = []
    for direction, kind, other, reference, note in rows:
        result.append({"direction": direction, "kind": kind,
                       "record": format_id("record", other), "reference": reference,
                       "note": note})
    return result


def update(db: Database, number: int, *, who: str | None = None, capture: bool = True,
           force_inline: bool = False, on_capture: Callable[[dict], None] | None = None,
           **changes: Any) -> tuple[dict, dict]:
    """Change some fields of a record; return (record, {field: [old, new]}).

    Only fields in EDITABLE may change; an edit that changes nothing writes nothing. A
    meeting's captured items follow its notes as in ``add``.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"cannot edit {', '.join(sorted(unknown))}")
    with write(db):
        # Read, validate and diff under the write lock: a copy read before BEGIN IMMEDIATE
        # could be stale and the UPDATE below would silently revert a concurrent edit.
        current = get(db, number)
        merged = {
            "kind": current["kind"], "title": current["title"], "body": current["body"],
            "date": current["date"], "post": current["post"],
            "post_original": current["post_original"], "venue": current["venue"],
            "dialogue": (int(current["dialogue_id"][1:]) if current["dialogue_id"] else None),
            "parties_": current["parties"], "tags": current["tags"],
            "classification_": current["classification"], "reference": current["reference"],
            "author": current["author"], "portions": current["portions"],
            "metadata": current["metadata"],
        }
        renames = {"parties": "parties_", "classification": "classification_"}
        for key, value in changes.items():
            merged[renames.get(key, key)] = value
        if "body" in changes:
            merged["portions"] = ()  # read again from the new body
        values = prepare(db, **merged)
        before = snapshot(current)
        after = dict(before)
        after.update({key: values[key] for key in values if key in after})
        after["dialogue_id"] = format_id("dialogue", values["dialogue_id"])
        changed = events.diff(before, after)
        if not changed:
            return current, {}
        db.execute(
            "UPDATE records SET title = ?, body = ?, occurred_on = ?, post = ?, venue = ?, "
            "dialogue_id = ?, classification = ?, reference = ?, author = ?, content_hash = ?, "
            "portions = ?, updated_at = ? WHERE id = ?",
            (values["title"], values["body"], values["date"], values["post"], values["venue"],
             values["dialogue_id"], values["classification"], values["reference"],
             values["author"], content_hash(values["body"]), json.dumps(values["portions"]),
             now_timestamp(), number))
        _write_sets(db, number, values["parties"], values["tags"])
        events.log(db, current["id"], "update", changed, who=who)
        enqueue(db, current["id"])
        if "body" in changed:
            # a sketch of the old body would keep flagging (or hiding) near duplicates
            from cablemgr.ingest import similarity

            db.execute("DELETE FROM record_sketches WHERE record_id = ?", (number,))
            similarity.store(db, number, similarity.shingles(values["body"]))
        if "post" in changed:
            # an action's search document carries its record's post (search/documents.py)
            for (action,) in db.execute("SELECT id FROM actions WHERE record_id = ?",
                                        (number,)).fetchall():
                enqueue(db, format_id("action", action))
        captured = None
        if capture and current["kind"] == "meeting":
            from cablemgr import inline

            captured = inline.sync(db, number, old_body=current["body"], force=force_inline)
        record = get(db, number)
    if on_capture and captured is not None:
        on_capture(captured)
    return record, changed


def list_records(db: Database, *, kind: str | None = None, post: str | None = None,
                 dialogue: str | None = None, party: str | None = None,
                 tag: str | None = None, since: str | dt.date | None = None,
                 until: str | dt.date | None = None, limit: int | None = 50) -> list[dict]:
    """Records matching every filter, newest first (record date, then when filed)."""
    where, params = [], []
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if post:
        where.append("post = ? COLLATE NOCASE")
        params.append(post.strip())
    if dialogue:
        where.append("dialogue_id = ?")
        params.append(dialogues.resolve(db, dialogue))
    if party:
        code = parties.get(db, party)["code"]
        where.append("id IN (SELECT record_id FROM record_parties WHERE party_code = ?)")
        params.append(code)
    if tag:
        where.append("id IN (SELECT record_id FROM record_tags WHERE tag = ? COLLATE NOCASE)")
        params.append(tag.strip())
    if since:
        where.append("occurred_on >= ?")
        params.append(iso(parse_date(since)))
    if until:
        where.append("occurred_on <= ?")
        params.append(iso(parse_date(until, end=True)))
    order = "occurred_on IS NULL, occurred_on DESC, created_at DESC, id DESC"
    if limit:
        order += f" LIMIT {int(limit)}"
    # iter_full also reads the links, which list callers ignore; it saves three queries a row
    return [{key: value for key, value in record.items() if key != "links"}
            for record in iter_full(db, " AND ".join(where), params, order=order)]


_REFERENCE_IN_TEXT = re.compile(r"\b[A-Z][A-Z]+(?:-[A-Z]+)?-\d{4}-\d{2,6}\b")


def references_in(text: str) -> list[str]:
    """Reference numbers written in a text (``GENEVA-2025-0042``), in order of appearance."""
    seen: list[str] = []
    for match in _REFERENCE_IN_TEXT.findall(text or ""):
        if match not in seen:
            seen.append(match)
    return seen


def link(db: Database, from_id: int, to_id: int | None, *, kind: str = "cites",
         reference: str | None = None, note: str | None = None) -> None:
    """Link two records (or a record and a reference not on file yet); repeats are ignored."""
    with write(db):
        db.execute(
            "INSERT OR IGNORE INTO record_links (from_id, to_id, to_reference, kind, note, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (from_id, to_id, reference, kind, note, now_timestamp()))


# --- bulk reads ------------------------------------------------------------------------------

# group_concat separator that cannot occur in tags or party codes
_SEP = "\x1f"
# below SQLite's default limit of 999 host parameters on old builds
_BATCH = 400


def iter_full(db: Database, where: str = "", params: Iterable[Any] = (),
              order: str = "id") -> Iterable[dict]:
    """Every record matching ``where`` as ``get`` returns it, in a few queries per batch.

    ``get`` costs five queries a record, which made whole-table readers (export, verify,
    digest) linear in queries as well as rows; this reads parties, tags and the dialogue name
    in the same SELECT and the links of each batch of rows at once.
    """
    # the dialogue name as a sub-select, not a join, so ``where`` and ``order`` may name the
    # records' columns unqualified
    sql = (f"SELECT {_COLUMNS}, (SELECT name FROM dialogues WHERE id = r.dialogue_id), "
           f"(SELECT group_concat(party_code, '{_SEP}') FROM record_parties "
           f" WHERE record_id = r.id), "
           f"(SELECT group_concat(tag, '{_SEP}') FROM record_tags WHERE record_id = r.id) "
           f"FROM records r")
    if where:
        sql += f" WHERE {where}"
    sql += f" ORDER BY {order}"
    cursor = db.conn.execute(sql, tuple(params))
    while True:
        rows = cursor.fetchmany(_BATCH)
        if not rows:
            return
        linked = _links_of(db, [row[0] for row in rows])
        for row in rows:
            number = row[0]
            record = {
                "id": format_id("record", number), "number": number, "uid": row[1],
                "kind": row[2], "title": row[3], "body": row[4], "date": row[5],
                "post": row[6], "post_original": row[7], "venue": row[8],
                "dialogue": row[18], "dialogue_id": format_id("dialogue", row[9]),
                # the same order as get's ORDER BY on a BINARY column
                "parties": sorted(row[19].split(_SEP)) if row[19] else [],
                "tags": sorted(row[20].split(_SEP)) if row[20] else [],
                "classification": row[10], "reference": row[11], "author": row[12],
                "portions": json.loads(row[13]), "metadata": json.loads(row[14]),
                "content_hash": row[15], "created_at": row[16], "updated_at": row[17],
                "links": linked.get(number, []),
            }
            yield record


def _links_of(db: Database, numbers: list[int]) -> dict[int, list[dict]]:
    """``links`` for many records at once, each list in the order ``links`` gives."""
    marks = ", ".join("?" * len(numbers))
    out: dict[int, list[dict]] = {}
    incoming: dict[int, list[dict]] = {}
    # the orders follow the indexes `links` reads through: record_links_unique for outgoing
    # links, record_links_to (then rowid) for incoming ones
    for owner, kind, other, reference, note in db.execute(
            f"SELECT from_id, kind, to_id, to_reference, note FROM record_links "
            f"WHERE from_id IN ({marks}) "
            f"ORDER BY from_id, kind, coalesce(to_id, 0), coalesce(to_reference, '')",
            numbers):
        out.setdefault(owner, []).append(
            {"direction": "out", "kind": kind, "record": format_id("record", other),
             "reference": reference, "note": note})
    for owner, kind, other, note in db.execute(
            f"SELECT to_id, kind, from_id, note FROM record_links WHERE to_id IN ({marks}) "
            f"ORDER BY to_id, id", numbers):
        incoming.setdefault(owner, []).append(
            {"direction": "in", "kind": kind, "record": format_id("record", other),
             "reference": None, "note": note})
    return {number: out.get(number, []) + incoming.get(number, [])
            for number in set(out) | set(incoming)}
