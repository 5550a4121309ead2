"""Commitments: what a party promised in a dialogue, and how well it kept the promise.

The current status is the status of the latest assessment (by date, then by entry); it is
copied into ``commitments.status`` in the same transaction so lists need no sub-query.
Overdue is derived from the due date, the status and a ``today`` the caller passes in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cablemgr import classification, dialogues, events, parties
from cablemgr.dates import iso, now_timestamp, parse_date
from cablemgr.db import in_chunks, write
from cablemgr.errors import InvalidInput, NotFound
from cablemgr.ids import format_id, parse_id
from cablemgr.search.outbox import enqueue

if TYPE_CHECKING:
    from sqlite_utils import Database

STATUSES = ("open", "in_progress", "fulfilled", "partially_fulfilled", "not_fulfilled",
            "withdrawn")
# Only a commitment still being worked on can be overdue: a fulfilled or broken one is settled.
OPEN_STATUSES = ("open", "in_progress")
CATEGORIES = ("norm", "confidence-building", "cooperation", "capacity-building",
              "information-sharing", "other")
SCORES = (-1, 0, 1)

_COLUMNS = ("c.id, c.uid, c.text, c.dialogue_id, d.name, c.owed_to, c.record_id, c.made_on, "
            "c.due_on, c.category, c.classification, c.status, c.source_line, c.created_at, "
            "c.updated_at")


# ---------------------------------------------------------------- validation helpers


def check_status(status: str) -> str:
    value = str(status).strip().lower().replace("-", "_")
    if value not in STATUSES:
        raise InvalidInput(f"unknown commitment status '{status}'. Use one of: "
                           f"{', '.join(STATUSES)}")
    return value


def check_category(category: str | None) -> str:
    if category in (None, ""):
        return "other"
    value = str(category).strip().lower()
    if value not in CATEGORIES:
        raise InvalidInput(f"unknown category '{category}'. Use one of: {', '.join(CATEGORIES)}")
    return value


def check_score(score: Any) -> int | None:
    """−1, 0 or +1 (as int or text); None stays None."""
    if score is None or score == "":
        return None
    try:
        value = int(str(score).strip())
    except ValueError:
        value = None
    if value not in SCORES or (isinstance(score, float) and score != int(score)):
        raise InvalidInput(f"score '{score}' is not on the compliance scale: use -1 (not "
                           "complied), 0 (partial or in progress) or 1 (full compliance)")
    return value


def record_number(db: Database, ref: str | int | None) -> int | None:
    """The number of an existing record (``R12``, ``12``); NotFound otherwise."""
    if ref in (None, ""):
        return None
    number = ref if isinstance(ref, int) else parse_id(str(ref), "record")[1]
    if not db.execute("SELECT 1 FROM records WHERE id = ?", (number,)).fetchone():
        raise NotFound(f"no record R{number}. See: cablemgr list")
    return number


def _date(value: str | dt.date | None, base: dt.date) -> str | None:
    return iso(parse_date(value, base=base)) if value not in (None, "") else None


def check_due(due_on: str | None, made_on: str) -> None:
    if due_on and due_on < made_on:
        raise InvalidInput(f"due date {due_on} is before the date the commitment was made "
                           f"({made_on})")


def next_number(db: Database, table: str, letter: str) -> int:
    """The next row number that never named anything before.

    SQLite hands out max(id)+1, which reuses the number of a deleted last row; a reused ``A7``
    would mix two items in one event history, so numbers with events are skipped.
    """
    number = db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
    while db.execute("SELECT 1 FROM events WHERE entity = ? LIMIT 1",
                     (f"{letter}{number}",)).fetchone():
        number += 1
    return number


# ---------------------------------------------------------------- writing


def prepare(db: Database, *, text: str, dialogue: str | int | None, by: Iterable[str],
            to: str | None = None, due: str | dt.date | None = None,
            record: str | int | None = None, category: str | None = None,
            classification_: str | None = None, made_on: str | dt.date | None = None,
            today: dt.date) -> dict[str, Any]:
    """Validate and normalise a commitment's fields; relative dates count from ``today``."""
    text = " ".join(str(text or "").split())
    if not text:
        raise InvalidInput("a commitment needs a text: what was promised")
    number = record_number(db, record)
    record_row = None
    if number is not None:
        record_row = db.execute("SELECT occurred_on, dialogue_id FROM records WHERE id = ?",
                                (number,)).fetchone()
    if dialogue not in (None, ""):
        dialogue_id = dialogue if isinstance(dialogue, int) else dialogues.resolve(db, dialogue)
    elif record_row and record_row[1]:
        dialogue_id = record_row[1]
    else:
        raise InvalidInput("a commitment belongs to a dialogue: give --dialogue (or a --record "
                           "that has one)")
    codes = parties.resolve_codes(db, by)
    if not codes:
        raise InvalidInput("a commitment is made by at least one party: give --by CODE[,CODE]")
    owed_to = parties.get(db, to)["code"] if to not in (None, "") else None
    if made_on not in (None, ""):
        made = _date(made_on, today)
    elif record_row and record_row[0]:
        made = record_row[0]
    else:
        made = today.isoformat()
    due_on = _date(due, today)
    check_due(due_on, made)
    return {"text": text, "dialogue_id": dialogue_id, "by": codes, "owed_to": owed_to,
            "record_id": number, "made_on": made, "due_on": due_on,
            "category": check_category(category),
            "classification": classification.parse_level(classification_)}


def insert(db: Database, values: dict[str, Any], *, uid: str | None = None,
           source_line: str | None = None, assessments: Iterable[dict] = (),
           who: str | None = None, created_at: str | None = None) -> int:
    """Write a prepared commitment (and any imported assessments) with its create event.

    Call inside a write transaction; returns the new number.
    """
    now = now_timestamp()
    number = next_number(db, "commitments", "C")
    db.execute(
        "INSERT INTO commitments (id, uid, text, dialogue_id, owed_to, record_id, made_on, "
        "due_on, category, classification, status, source_line, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
        (number, uid or str(uuid.uuid4()), values["text"], values["dialogue_id"],
         values["owed_to"], values["record_id"], values["made_on"], values["due_on"],
         values["category"], values["classification"], source_line, created_at or now, now))
    for code in values["by"]:
        db.execute("INSERT INTO commitment_parties VALUES (?, ?)", (number, code))
    for item in assessments:
        _insert_assessment(db, number, item, who=item.get("who") or who)
    _refresh_status(db, number)
    snap = snapshot(db, number)
    events.log(db, format_id("commitment", number), "create",
               {key: [None, value] for key, value in snap.items()}, who=who)
    enqueue(db, format_id("commitment", number))
    return number


def add(db: Database, text: str, *, dialogue: str | int | None, by: Iterable[str],
        today: dt.date, to: str | None = None, due: str | dt.date | None = None,
        record: str | int | None = None, category: str | None = None,
        classification_: str | None = None, made_on: str | dt.date | None = None,
        uid: str | None = None, assessments: Iterable[dict] = (), who: str | None = None,
        created_at: str | None = None) -> dict:
    """Record a commitment and return it (as ``get`` does).

    ``made_on`` defaults to the linked record's date, else ``today``. ``assessments`` (dicts
    as ``check_assessment`` reads them) bring a history along, as an import does.
    """
    values = prepare(db, text=text, dialogue=dialogue, by=by, to=to, due=due, record=record,
                     category=category, classification_=classification_, made_on=made_on,
                     today=today)
    checked = [check_assessment(db, item, values["made_on"], today) for item in assessments]
    with write(db):
        number = insert(db, values, uid=uid, assessments=checked, who=who,
                        created_at=created_at)
    return get(db, number, today=today)


def check_assessment(db: Database, item: dict, made_on: str, today: dt.date) -> dict:
    """Validate one assessment (date, status, score, note, evidence_id or evidence, who)."""
    evidence = item["evidence_id"] if "evidence_id" in item else item.get("evidence")
    date = _date(item.get("date"), today) or today.isoformat()
    if date < made_on:
        raise InvalidInput(f"assessment date {date} is before the commitment was made "
                           f"({made_on})")
    return {"date": date, "status": check_status(item.get("status") or "open"),
            "score": check_score(item.get("score")), "note": item.get("note") or None,
            "evidence_id": record_number(db, evidence), "who": item.get("who")}


def _insert_assessment(db: Database, number: int, item: dict, *, who: str | None) -> None:
    db.execute(
        "INSERT INTO assessments (commitment_id, assessed_on, status, score, note, evidence_id, "
        "who, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (number, item["date"], item["status"], item["score"], item["note"], item["evidence_id"],
         who or events.current_user(), now_timestamp()))


def _refresh_status(db: Database, number: int) -> None:
    row = db.execute("SELECT status FROM assessments WHERE commitment_id = ? "
                     "ORDER BY assessed_on DESC, id DESC LIMIT 1", (number,)).fetchone()
    db.execute("UPDATE commitments SET status = ? WHERE id = ?",
               (row[0] if row else "open", number))


def update(db: Database, number: int, *, today: dt.date, status: str | None = None,
           score: Any = None, note: str | None = None, evidence: str | int | None = None,
           date: str | dt.date | None = None, due: str | dt.date | None = None,
           who: str | None = None) -> tuple[dict, dict]:
    """Assess a commitment and/or move its due date; return (commitment, changes).

    Any of status, score, note or evidence records an assessment dated ``date`` (default
    ``today``); a score or note alone is a review that keeps the current status.
    """
    with write(db):
        # Read under the write lock so the diff and status change describe the row as written.
        current = get(db, number, today=today)
        assessing = any(v not in (None, "") for v in (status, score, note, evidence))
        if not assessing and date not in (None, ""):
            raise InvalidInput("--date dates an assessment: give it with --status, --score or "
                               "--note")
        if not assessing and due in (None, ""):
            raise InvalidInput("nothing to change: give --status, --score, --note, --evidence or "
                               "--due")
        changes: dict[str, list] = {}
        due_on = current["due"]
        if due not in (None, ""):
            due_on = _date(due, today)
            check_due(due_on, current["made_on"])
            if due_on != current["due"]:
                changes["due"] = [current["due"], due_on]
        item = None
        if assessing:
            item = check_assessment(db, {"date": date, "status": status or current["status"],
                                          "score": score, "note": note, "evidence_id": evidence,
                                          "who": who}, current["made_on"], today)
        if not changes and item is None:
            return current, {}
        if "due" in changes:
            db.execute("UPDATE commitments SET due_on = ? WHERE id = ?", (due_on, number))
        if item is not None:
            _insert_assessment(db, number, item, who=who)
            _refresh_status(db, number)
            changes["assessment"] = [None, {
                "date": item["date"], "status": item["status"], "score": item["score"],
                "note": item["note"], "evidence": format_id("record", item["evidence_id"])}]
        new_status = db.execute("SELECT status FROM commitments WHERE id = ?",
                                (number,)).fetchone()[0]
        if new_status != current["status"]:
            changes["status"] = [current["status"], new_status]
        db.execute("UPDATE commitments SET updated_at = ? WHERE id = ?",
                   (now_timestamp(), number))
        events.log(db, current["id"], "update", changes, who=who)
        enqueue(db, current["id"])
    return get(db, number, today=today), changes


# ---------------------------------------------------------------- reading


def is_overdue(due_on: str | None, status: str, today: dt.date) -> bool:
    return bool(due_on) and status in OPEN_STATUSES and due_on < today.isoformat()


def days_overdue(due_on: str | None, status: str, today: dt.date) -> int | None:
    if not is_overdue(due_on, status, today):
        return None
    return (today - dt.date.fromisoformat(due_on)).days


def parties_of(db: Database, numbers: Iterable[int]) -> dict[int, list[str]]:
    """The party codes of each commitment in ``numbers``, sorted, one query per chunk.

    Listings build thousands of items: one query per item was most of ``due``'s time.
    """
    found: dict[int, list[str]] = {n: [] for n in numbers}
    for chunk, marks in in_chunks(list(found)):
        for number, code in db.execute(
                "SELECT commitment_id, party_code FROM commitment_parties "
                f"WHERE commitment_id IN ({marks}) ORDER BY commitment_id, party_code", chunk):
            found[number].append(code)
    return found


def _assessment(row: tuple) -> dict:
    return {"date": row[0], "status": row[1], "score": row[2], "note": row[3],
            "evidence": format_id("record", row[4]), "who": row[5], "created_at": row[6]}


def assessments_of(db: Database, numbers: Iterable[int]) -> dict[int, list[dict]]:
    """``assessments`` for each commitment in ``numbers`` (oldest first), one query per chunk."""
    found: dict[int, list[dict]] = {n: [] for n in numbers}
    for chunk, marks in in_chunks(list(found)):
        for row in db.execute(
                "SELECT assessed_on, status, score, note, evidence_id, who, created_at, "
                f"commitment_id FROM assessments WHERE commitment_id IN ({marks}) "
                "ORDER BY commitment_id, assessed_on, id", chunk):
            found[row[7]].append(_assessment(row))
    return found


def _from_row(row: tuple, by: list[str], history: list[dict], today: dt.date) -> dict:
    # history is oldest first (by date, then entry), so its last scored entry is the latest
    # score and its last entry the latest assessment date
    score = next((a["score"] for a in reversed(history) if a["score"] is not None), None)
    return {
        "id": format_id("commitment", row[0]), "number": row[0], "uid": row[1], "text": row[2],
        "dialogue": row[4], "dialogue_id": format_id("dialogue", row[3]), "by": by,
        "to": row[5], "record": format_id("record", row[6]), "made_on": row[7], "due": row[8],
        "category": row[9], "classification": row[10], "status": row[11],
        "overdue": is_overdue(row[8], row[11], today),
        "days_overdue": days_overdue(row[8], row[11], today),
        "score": score, "last_assessed": history[-1]["date"] if history else None,
        "source_line": row[12], "created_at": row[13], "updated_at": row[14],
    }


def _items(db: Database, rows: list[tuple], today: dt.date) -> list[dict]:
    """Commitment dicts for ``rows`` (``_COLUMNS``), with parties and scores fetched in bulk."""
    numbers = [row[0] for row in rows]
    by = parties_of(db, numbers)
    history = assessments_of(db, numbers)
    return [_from_row(row, by[row[0]], history[row[0]], today) for row in rows]


def get(db: Database, number: int, *, today: dt.date) -> dict:
    """One commitment with its assessments (oldest first) and the actions linked to it."""
    row = db.execute(f"SELECT {_COLUMNS} FROM commitments c JOIN dialogues d "
                     "ON d.id = c.dialogue_id WHERE c.id = ?", (number,)).fetchone()
    if not row:
        raise NotFound(f"no commitment C{number}. See: cablemgr commitment list")
    history = assessments(db, number)
    data = _from_row(row, parties_of(db, [number])[number], history, today)
    data["assessments"] = history
    data["actions"] = [{"id": format_id("action", r[0]), "text": r[1], "owner": r[2],
                        "due": r[3], "status": r[4]} for r in db.execute(
        "SELECT id, text, owner, due_on, status FROM actions WHERE commitment_id = ? ORDER BY id",
        (number,))]
    return data


def assessments(db: Database, number: int) -> list[dict]:
    return assessments_of(db, [number])[number]


def snapshot(db: Database, number: int) -> dict:
    """The fields a create event stores: the commitment as first written."""
    row = db.execute("SELECT uid, text, dialogue_id, owed_to, record_id, made_on, due_on, "
                     "category, classification, status, source_line FROM commitments "
                     "WHERE id = ?", (number,)).fetchone()
    return {"uid": row[0], "text": row[1], "dialogue_id": format_id("dialogue", row[2]),
            "by": [r[0] for r in db.execute("SELECT party_code FROM commitment_parties WHERE "
                                            "commitment_id = ? ORDER BY party_code", (number,))],
            "to": row[3], "record": format_id("record", row[4]), "made_on": row[5],
            "due": row[6], "category": row[7], "classification": row[8], "status": row[9],
            "source_line": row[10], "assessments": assessments(db, number)}


def list_commitments(db: Database, *, today: dt.date, dialogue: str | int | None = None,
                     status: str | None = None, by: str | None = None, overdue: bool = False,
                     record: int | None = None, due_until: str | None = None,
                     touched: tuple[str, str] | None = None) -> list[dict]:
    """Commitments matching every filter, soonest due first (no due date last).

    ``due_until`` keeps those with a due date on or before it; ``touched`` (first, last day)
    those made or assessed in that period. Both let the agenda and the digest leave the rest
    in the database rather than build thousands of items to throw away.
    """
    where, params = [], []
    if dialogue not in (None, ""):
        where.append("c.dialogue_id = ?")
        params.append(dialogue if isinstance(dialogue, int) else dialogues.resolve(db, dialogue))
    if status:
        where.append("c.status = ?")
        params.append(check_status(status))
    if by:
        where.append("c.id IN (SELECT commitment_id FROM commitment_parties "
                     "WHERE party_code = ?)")
        params.append(parties.get(db, by)["code"])
    if record is not None:
        where.append("c.record_id = ?")
        params.append(record)
    if overdue:
        where.append(f"c.status IN {OPEN_STATUSES!r} AND c.due_on < ?")
        params.append(today.isoformat())
    if due_until is not None:
        # an empty due date counts as none, as it does everywhere else
        where.append("c.due_on != '' AND c.due_on <= ?")
        params.append(due_until)
    if touched is not None:
        where.append("(c.made_on BETWEEN ? AND ? OR c.id IN (SELECT commitment_id FROM "
                     "assessments WHERE assessed_on BETWEEN ? AND ?))")
        params += [*touched, *touched]
    sql = f"SELECT {_COLUMNS} FROM commitments c JOIN dialogues d ON d.id = c.dialogue_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY c.due_on IS NULL, c.due_on, c.id"
    return _items(db, db.execute(sql, params).fetchall(), today)


def compliance(items: Iterable[dict]) -> list[dict]:
    """Per party that made commitments: the mean of their latest scores and counts by status.

    As in the G7/G20 Research Group method, the mean on the −1..+1 scale is also given as a
    percentage, (mean + 1) / 2 × 100; commitments never scored are counted but not averaged.
    """
    table: dict[str, dict] = {}
    for item in items:
        for code in item["by"]:
            row = table.setdefault(code, {"party": code, "commitments": 0, "scored": 0,
                                          "mean_score": None, "percent": None, "overdue": 0,
                                          "by_status": {}, "_sum": 0})
            row["commitments"] += 1
            row["by_status"][item["status"]] = row["by_status"].get(item["status"], 0) + 1
            row["overdue"] += int(item["overdue"])
            if item["score"] is not None:
                row["scored"] += 1
                row["_sum"] += item["score"]
    result = []
    for code in sorted(table):
        row = table[code]
        total = row.pop("_sum")
        if row["scored"]:
            mean = total / row["scored"]
            row["mean_score"] = round(mean, 2)
            row["percent"] = round((mean + 1) / 2 * 100)
        row["by_status"] = {s: row["by_status"][s] for s in STATUSES if s in row["by_status"]}
        result.append(row)
    return result


def has_history(db: Database, number: int) -> bool:
    """True once a person has done anything with the commitment beyond capturing it."""
    return bool(db.execute(
        "SELECT (SELECT count(*) FROM assessments WHERE commitment_id = ?) + "
        "(SELECT count(*) FROM actions WHERE commitment_id = ?) + "
        "(SELECT count(*) FROM events WHERE entity = ? AND action NOT IN ('create', 'capture'))",
        (number, number, f"C{number}")).fetchone()[0])
