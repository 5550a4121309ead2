"""Dialogues: the bilateral and multilateral tracks everything else hangs on."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cablemgr import events, parties
from cablemgr.dates import iso, now_timestamp, parse_date
from cablemgr.db import write
from cablemgr.errors import InvalidInput, NotFound
from cablemgr.ids import format_id, parse_id

if TYPE_CHECKING:
    from sqlite_utils import Database

FORMATS = ("bilateral", "multilateral")
_COLUMNS = "id, uid, name, format, forum, lead, started_on, status, created_at, updated_at"


def add(db: Database, name: str, fmt: str, *, party_codes: Iterable[str] = (),
        forum: str | None = None, lead: str | None = None,
        started: str | dt.date | None = None, status: str = "active",
        uid: str | None = None) -> dict:
    """Create a dialogue and return it."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a dialogue needs a name")
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format '{fmt}'. Use bilateral or multilateral")
    codes = parties.resolve_codes(db, party_codes)
    started_on = iso(parse_date(started)) if started else None
    now = now_timestamp()
    with write(db):
        # checked under the write lock: two concurrent adds would otherwise both pass it
        if db.execute("SELECT 1 FROM dialogues WHERE name = ?", (name,)).fetchone():
            raise InvalidInput(f"a dialogue named '{name}' already exists")
        cursor = db.execute(
            "INSERT INTO dialogues (uid, name, format, forum, lead, started_on, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (uid or str(uuid.uuid4()), name, fmt, forum, lead, started_on, status, now, now),
        )
        number = cursor.lastrowid
        for code in codes:
            db.execute("INSERT INTO dialogue_parties VALUES (?, ?)", (number, code))
        dialogue = get(db, number)
        events.log(db, dialogue["id"], "create",
                   {key: [None, value] for key, value in _snapshot(dialogue).items()})
    return dialogue


def _snapshot(dialogue: dict) -> dict:
    keys = ("uid", "name", "format", "forum", "lead", "started", "status", "parties")
    return {key: dialogue[key] for key in keys}


def get(db: Database, number: int) -> dict:
    row = db.execute(f"SELECT {_COLUMNS} FROM dialogues WHERE id = ?", (number,)).fetchone()
    if not row:
        raise NotFound(f"no dialogue D{number}. See: cablemgr dialogue list")
    codes = [r[0] for r in db.execute(
        "SELECT party_code FROM dialogue_parties WHERE dialogue_id = ? ORDER BY party_code",
        (number,))]
    return {"id": format_id("dialogue", row[0]), "number": row[0], "uid": row[1],
            "name": row[2], "format": row[3], "forum": row[4], "lead": row[5],
            "started": row[6], "status": row[7], "parties": codes,
            "created_at": row[8], "updated_at": row[9]}


def resolve(db: Database, ref: str) -> int:
    """The dialogue number for ``ref``: an id (``D2``) or a unique case-insensitive name prefix."""
    ref = str(ref).strip()
    if ref[:1] in ("D", "d") and ref[1:].isdigit():
        number = parse_id(ref, "dialogue")[1]
        get(db, number)
        return number
    exact = db.execute("SELECT id FROM dialogues WHERE name = ?", (ref,)).fetchone()
    if exact:
        return exact[0]
    escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = db.execute(
        "SELECT id, name FROM dialogues WHERE name LIKE ? ESCAPE '\\' ORDER BY id",
        (escaped + "%",)).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        known = [r[0] for r in db.execute("SELECT name FROM dialogues ORDER BY id LIMIT 8")]
        hint = f" Known: {', '.join(known)}" if known else " Add one with: cablemgr dialogue add"
        raise NotFound(f"unknown dialogue '{ref}'.{hint}")
    names = ", ".join(f"{format_id('dialogue', r[0])} {r[1]}" for r in rows[:6])
    raise InvalidInput(
        f"'{ref}' matches several dialogues: {names}. Use the id or more of the name")


def list_all(db: Database) -> list[dict]:
    rows = db.execute("""
        SELECT d.id,
               (SELECT count(*) FROM records r WHERE r.dialogue_id = d.id),
               (SELECT count(*) FROM commitments c WHERE c.dialogue_id = d.id),
               (SELECT max(occurred_on) FROM records r WHERE r.dialogue_id = d.id)
        FROM dialogues d ORDER BY d.id""").fetchall()
    result = []
    for number, record_count, commitment_count, last in rows:
        dialogue = get(db, number)
        dialogue.update(records=record_count, commitments=commitment_count, last_activity=last)
        result.append(dialogue)
    return result
