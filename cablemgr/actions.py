"""Actions: our own follow-ups (send the non-paper, brief the minister), open until done.

Closing (done or cancelled) takes a note; reopening is allowed and, like every change,
leaves an event. Overdue is derived from the due date and a ``today`` the caller passes in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cablemgr import dialogues, events
from cablemgr.commitments import next_number, record_number
from cablemgr.dates import iso, now_timestamp, parse_date
from cablemgr.db import write
from cablemgr.errors import InvalidInput, NotFound
from cablemgr.ids import format_id, parse_id
from cablemgr.search.outbox import enqueue

if TYPE_CHECKING:
    from sqlite_utils import Database

STATUSES = ("open", "done", "cancelled")
SNAPSHOT_FIELDS = ("uid", "text", "owner", "due", "status", "record", "dialogue_id",
                   "commitment", "note", "source_line")
_COLUMNS = ("a.id, a.uid, a.text, a.owner, a.due_on, a.status, a.record_id, a.dialogue_id, "
            "d.name, a.commitment_id, a.note, a.source_line, a.created_at, a.updated_at")


def check_status(status: str) -> str:
    value = str(status).strip().lower()
    if value not in STATUSES:
        raise InvalidInput(f"unknown action status '{status}'. Use one of: {', '.join(STATUSES)}")
    return value


def commitment_number(db: Database, ref: str | int | None) -> int | None:
    if ref in (None, ""):
        return None
    number = ref if isinstance(ref, int) else parse_id(str(ref), "commitment")[1]
    if not db.execute("SELECT 1 FROM commitments WHERE id = ?", (number,)).fetchone():
        raise NotFound(f"no commitment C{number}. See: cablemgr commitment list")
    return number


def _owner(owner: str | None) -> str | None:
    owner = " ".join(str(owner or "").split()).lstrip("@")
    return owner or None


def prepare(db: Database, *, text: str, owner: str | None = None,
            due: str | dt.date | None = None, dialogue: str | int | None = None,
            record: str | int | None = None, commitment: str | int | None = None,
            today: dt.date) -> dict[str, Any]:
    """Validate an action's fields. Without a dialogue, the commitment's or the record's is
    used, so the follow-up shows up on that dialogue's page and agenda."""
    text = " ".join(str(text or "").split())
    if not text:
        raise InvalidInput("an action needs a text: what is to be done")
    record_id = record_number(db, record)
    commitment_id = commitment_number(db, commitment)
    if dialogue not in (None, ""):
        dialogue_id = dialogue if isinstance(dialogue, int) else dialogues.resolve(db, dialogue)
    else:
        dialogue_id = None
        if commitment_id is not None:
            dialogue_id = db.execute("SELECT dialogue_id FROM commitments WHERE id = ?",
                                     (commitment_id,)).fetchone()[0]
        if dialogue_id is None and record_id is not None:
            dialogue_id = db.execute("SELECT dialogue_id FROM records WHERE id = ?",
                                     (record_id,)).fetchone()[0]
    due_on = iso(parse_date(due, base=today)) if due not in (None, "") else None
    return {"text": text, "owner": _owner(owner), "due_on": due_on, "record_id": record_id,
            "dialogue_id": dialogue_id, "commitment_id": commitment_id}


def insert(db: Database, values: dict[str, Any], *, uid: str | None = None,
           status: str = "open", note: str | None = None, source_line: str | None = None,
           who: str | None = None, created_at: str | None = None) -> int:
    """Write a prepared action with its create event; call inside a write transaction."""
    now = now_timestamp()
    number = next_number(db, "actions", "A")
    db.execute(
        "INSERT INTO actions (id, uid, text, owner, due_on, status, record_id, dialogue_id, "
        "commitment_id, note, source_line, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (number, uid or str(uuid.uuid4()), values["text"], values["owner"], values["due_on"],
         check_status(status), values["record_id"], values["dialogue_id"],
         values["commitment_id"], note or None, source_line, created_at or now, now))
    events.log(db, format_id("action", number), "create",
               {key: [None, value] for key, value in snapshot(db, number).items()}, who=who)
    enqueue(db, format_id("action", number))
    return number


def add(db: Database, text: str, *, today: dt.date, owner: str | None = None,
        due: str | dt.date | None = None, dialogue: str | int | None = None,
        record: str | int | None = None, commitment: str | int | None = None,
        uid: str | None = None, status: str = "open", note: str | None = None,
        source_line: str | None = None, who: str | None = None,
        created_at: str | None = None) -> dict:
    """Record a follow-up and return it (as ``get`` does)."""
    values = prepare(db, text=text, owner=owner, due=due, dialogue=dialogue, record=record,
                     commitment=commitment, today=today)
    with write(db):
        number = insert(db, values, uid=uid, status=status, note=note, source_line=source_line,
                        who=who, created_at=created_at)
    return get(db, number, today=today)


def _set_status(db: Database, number: int, status: str, note: str | None, *, today: dt.date,
                who: str | None, allowed: Callable[[dict], None]) -> dict:
    # The status check runs under the write lock: checked before BEGIN IMMEDIATE, two
    # concurrent closes would both pass it and log two transitions from "open".
    with write(db):
        current = get(db, number, today=today)
        allowed(current)
        changes: dict[str, list] = {"status": [current["status"], status]}
        note = " ".join(str(note or "").split()) or None
        if note is not None and note != current["note"]:
            changes["note"] = [current["note"], note]
        db.execute("UPDATE actions SET status = ?, note = coalesce(?, note), updated_at = ? "
                   "WHERE id = ?", (status, note, now_timestamp(), number))
        events.log(db, current["id"], "update", changes, who=who)
        enqueue(db, current["id"])
    return get(db, number, today=today)


def close(db: Database, number: int, status: str = "done", note: str | None = None, *,
          today: dt.date, who: str | None = None) -> dict:
    """Mark an open action done or cancelled, with an optional note."""
    if status not in ("done", "cancelled"):
        raise InvalidInput(f"an action is closed as done or cancelled, not '{status}'")

    def allowed(current: dict) -> None:
        if current["status"] != "open":
            raise InvalidInput(f"{current['id']} is already {current['status']}; reopen it "
                               f"first with: cablemgr action reopen {current['id']}")

    return _set_status(db, number, status, note, today=today, who=who, allowed=allowed)


def reopen(db: Database, number: int, *, today: dt.date, note: str | None = None,
           who: str | None = None) -> dict:
    """Open a done or cancelled action again."""

    def allowed(current: dict) -> None:
        if current["status"] == "open":
            raise InvalidInput(f"{current['id']} is already open")

    return _set_status(db, number, "open", note, today=today, who=who, allowed=allowed)


def is_overdue(due_on: str | None, status: str, today: dt.date) -> bool:
    return bool(due_on) and status == "open" and due_on < today.isoformat()


def _from_row(row: tuple, today: dt.date) -> dict:
    overdue = is_overdue(row[4], row[5], today)
    return {
        "id": format_id("action", row[0]), "number": row[0], "uid": row[1], "text": row[2],
        "owner": row[3], "due": row[4], "status": row[5],
        "overdue": overdue,
        "days_overdue": (today - dt.date.fromisoformat(row[4])).days if overdue else None,
        "record": format_id("record", row[6]), "dialogue": row[8],
        "dialogue_id": format_id("dialogue", row[7]),
        "commitment": format_id("commitment", row[9]), "note": row[10],
        "source_line": row[11], "created_at": row[12], "updated_at": row[13],
    }


_FROM = "FROM actions a LEFT JOIN dialogues d ON d.id = a.dialogue_id"


def get(db: Database, number: int, *, today: dt.date) -> dict:
    row = db.execute(f"SELECT {_COLUMNS} {_FROM} WHERE a.id = ?", (number,)).fetchone()
    if not row:
        raise NotFound(f"no action A{number}. See: cablemgr action list --status all")
    return _from_row(row, today)


def snapshot(db: Database, number: int) -> dict:
    row = db.execute("SELECT uid, text, owner, due_on, status, record_id, dialogue_id, "
                     "commitment_id, note, source_line FROM actions WHERE id = ?",
                     (number,)).fetchone()
    return {"uid": row[0], "text": row[1], "owner": row[2], "due": row[3], "status": row[4],
            "record": format_id("record", row[5]), "dialogue_id": format_id("dialogue", row[6]),
            "commitment": format_id("commitment", row[7]), "note": row[8],
            "source_line": row[9]}


def list_actions(db: Database, *, today: dt.date, owner: str | None = None,
                 status: str = "open", overdue: bool = False,
                 dialogue: str | int | None = None, record: int | None = None,
                 commitment: int | None = None, due_from: str | None = None,
                 due_until: str | None = None) -> list[dict]:
    """Actions matching every filter (``status`` may be ``all``), soonest due first.

    ``due_from`` and ``due_until`` (ISO days, both included, either may be left open) keep the
    actions due in that period, so the agenda and the digest need not build all of them.
    """
    where, params = [], []
    if status != "all":
        where.append("a.status = ?")
        params.append(check_status(status))
    if owner:
        where.append("a.owner = ? COLLATE NOCASE")
        params.append(_owner(owner))
    if dialogue not in (None, ""):
        where.append("a.dialogue_id = ?")
        params.append(dialogue if isinstance(dialogue, int) else dialogues.resolve(db, dialogue))
    if record is not None:
        where.append("a.record_id = ?")
        params.append(record)
    if commitment is not None:
        where.append("a.commitment_id = ?")
        params.append(commitment)
    if overdue:
        where.append("a.status = 'open' AND a.due_on < ?")
        params.append(today.isoformat())
    if due_from is not None or due_until is not None:
        # an empty due date counts as none, as it does everywhere else
        where.append("a.due_on != ''")
    if due_from is not None:
        where.append("a.due_on >= ?")
        params.append(due_from)
    if due_until is not None:
        where.append("a.due_on <= ?")
        params.append(due_until)
    sql = f"SELECT {_COLUMNS} {_FROM}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.due_on IS NULL, a.due_on, a.id"
    return [_from_row(row, today) for row in db.execute(sql, params).fetchall()]


def has_history(db: Database, number: int) -> bool:
    """True once a person has closed, reopened or otherwise touched the action."""
    return bool(db.execute(
        "SELECT (SELECT status != 'open' OR note IS NOT NULL FROM actions WHERE id = ?) + "
        "(SELECT count(*) FROM events WHERE entity = ? AND action NOT IN ('create', 'capture'))",
        (number, f"A{number}")).fetchone()[0])
