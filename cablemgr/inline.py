"""Inline capture: ``ACTION:`` and ``COMMITMENT:`` lines in meeting notes become tracked items.

::

    ACTION: @maria due:2024-05-10 send our non-paper on CBMs to the delegation
    COMMITMENT: by:CN,US to:EU due:2024-06-30 exchange hotline points of contact

The prefix is case-insensitive (a leading ``-`` or ``*`` bullet is allowed); the tokens
``@owner``, ``due:DATE``, ``by:CODE[,CODE]`` and ``to:CODE`` come first, in any order, then the
text. DATE is any form ``dates.parse_date`` reads, with ``-`` or ``_`` for spaces
(``due:next-friday``); relative dates count from the meeting's date.

Each item remembers its line (``source_line``), so syncing the same notes again changes
nothing. When notes are edited:

- a line still there keeps its item;
- an item nobody has touched yet follows its line: a changed line updates it, a removed one
  deletes it (an item is *touched* once it has been assessed, closed, edited or linked);
- a touched item whose line is gone is kept and reported, never deleted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from cablemgr import actions, commitments, events, parties
from cablemgr.dates import iso, now_timestamp, parse_date
from cablemgr.errors import CablemgrError, InvalidInput
from cablemgr.ids import format_id
from cablemgr.search.outbox import enqueue

if TYPE_CHECKING:
    from sqlite_utils import Database

_LINE = re.compile(r"^\s*(?:[-*•]\s+)?(ACTION|COMMITMENT)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"^(?:@(?P<owner>[\w.'-]+)|(?P<key>due|by|to):(?P<value>\S+))$",
                    re.IGNORECASE)
_ALLOWED = {"action": {"owner", "due"}, "commitment": {"by", "to", "due"}}


class MalformedNotes(InvalidInput):
    """Lines that look like ACTION/COMMITMENT lines but cannot be read; nothing was saved."""

    def __init__(self, problems: list[dict], hint: str = "Fix the notes and try again.") -> None:
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  {describe(p)}" for p in problems)
        super().__init__(
            f"nothing saved: {count} ACTION/COMMITMENT line{'s' if count != 1 else ''} "
            f"cannot be read:\n{lines}\n{hint}")


def describe(problem: dict) -> str:
    """``line 3: ACTION: due:someday … — cannot read date …`` for messages and warnings."""
    return f"line {problem['line']}: {problem['text']} — {problem['error']}"


def normalise(line: str) -> str:
    return " ".join(line.split())


def scan(body: str) -> list[dict]:
    """The capture lines of ``body`` split into tokens and text, without touching a database.

    Each item: ``line`` (1-based), ``kind``, ``key`` (the normalised line), ``tokens``
    (name → raw value), ``text``, and ``error`` for a line whose shape is wrong.
    """
    found = []
    for lineno, line in enumerate((body or "").splitlines(), start=1):
        m = _LINE.match(line)
        if not m:
            continue
        kind = m[1].lower()
        item: dict[str, Any] = {"line": lineno, "kind": kind, "key": normalise(line),
                                "tokens": {}, "text": "", "error": None}
        words = m[2].split()
        while words:
            t = _TOKEN.match(words[0])
            if not t:
                break
            name = "owner" if t["owner"] else t["key"].lower()
            value = t["owner"] or t["value"]
            if name not in _ALLOWED[kind]:
                item["error"] = (f"'{words[0]}' does not belong on an {kind.upper()} line "
                                 f"(use {', '.join(_hint(kind))})")
            elif name in item["tokens"]:
                item["error"] = f"{name} is given twice"
            item["tokens"][name] = value
            words.pop(0)
        item["text"] = " ".join(words)
        if not item["error"] and not item["text"]:
            item["error"] = "no text after the tokens: say what is to be done"
        if not item["error"] and kind == "commitment" and "by" not in item["tokens"]:
            item["error"] = "a COMMITMENT line needs by:CODE (the party that made it)"
        found.append(item)
    return found


def _hint(kind: str) -> list[str]:
    return ["@owner", "due:DATE"] if kind == "action" else ["by:CODE", "to:CODE", "due:DATE"]


def line_date(value: str, base: dt.date) -> str:
    """A ``due:`` value: as typed, else with ``-``/``_`` read as spaces (``next-friday``)."""
    try:
        return iso(parse_date(value, base=base))
    except InvalidInput:
        spaced = value.replace("_", " ").replace("-", " ")
        try:
            return iso(parse_date(spaced, base=base))
        except InvalidInput:
            raise InvalidInput(f"cannot read date '{value}' (e.g. due:2024-05-10, due:+2w, "
                               "due:next-friday, due:end-of-month)") from None


def _meeting(db: Database, number: int) -> dict:
    row = db.execute("SELECT kind, occurred_on, dialogue_id, classification, created_at, body "
                     "FROM records WHERE id = ?", (number,)).fetchone()
    # A meeting without a date counts relative dates from the day it was filed.
    base = dt.date.fromisoformat(row[1] or row[4][:10])
    return {"kind": row[0], "base": base, "dialogue_id": row[2], "classification": row[3],
            "body": row[5]}


def _values(db: Database, item: dict, meeting: dict, number: int) -> dict:
    """The fields of a tracked item for one scanned line; CablemgrError when unreadable."""
    tokens = item["tokens"]
    due = line_date(tokens["due"], meeting["base"]) if "due" in tokens else None
    if item["kind"] == "action":
        return {"text": item["text"], "owner": tokens.get("owner"), "due_on": due,
                "record_id": number, "dialogue_id": meeting["dialogue_id"],
                "commitment_id": None}
    if meeting["dialogue_id"] is None:
        raise InvalidInput("a commitment belongs to a dialogue, and this meeting has none "
                           "(set one with Dialogue: or --dialogue)")
    made_on = meeting["base"].isoformat()
    commitments.check_due(due, made_on)
    to = parties.get(db, tokens["to"])["code"] if "to" in tokens else None
    return {"text": item["text"], "dialogue_id": meeting["dialogue_id"],
            "by": parties.resolve_codes(db, [tokens["by"]]), "owed_to": to,
            "record_id": number, "made_on": made_on, "due_on": due, "category": "other",
            "classification": meeting["classification"]}


def _existing(db: Database, number: int) -> list[dict]:
    found = []
    for kind, table in (("action", "actions"), ("commitment", "commitments")):
        module = actions if kind == "action" else commitments
        for item_number, line in db.execute(
                f"SELECT id, source_line FROM {table} WHERE record_id = ? "
                "AND source_line IS NOT NULL ORDER BY id", (number,)).fetchall():
            found.append({"kind": kind, "number": item_number, "key": line,
                          "touched": module.has_history(db, item_number)})
    return found


def sync(db: Database, number: int, *, old_body: str | None = None,
         force: bool = False) -> dict:
    """Bring the items captured from meeting ``R<number>`` in line with its notes.

    Call inside the write transaction that saved the record. Unreadable lines that were not
    already in ``old_body`` raise MalformedNotes unless ``force`` (then they are skipped and
    reported), so the caller's transaction, record included, is rolled back.

    Returns ``{"record", "created", "updated", "kept", "deleted", "orphaned", "problems"}``.
    """
    meeting = _meeting(db, number)
    summary: dict[str, Any] = {"record": format_id("record", number), "created": [],
                               "updated": [], "kept": [], "deleted": [], "orphaned": [],
                               "problems": []}
    if meeting["kind"] != "meeting":
        return summary
    known = {normalise(line) for line in (old_body or "").splitlines()}
    lines = []
    for item in scan(meeting["body"]):
        if not item["error"]:
            try:
                item["values"] = _values(db, item, meeting, number)
            except CablemgrError as exc:
                item["error"] = str(exc)
        if item["error"]:
            summary["problems"].append({"line": item["line"], "text": item["key"],
                                        "error": item["error"],
                                        "new": item["key"] not in known})
        lines.append(item)
    fresh = [p for p in summary["problems"] if p["new"]]
    if fresh and not force:
        raise MalformedNotes(fresh)

    existing = _existing(db, number)
    # 1. a line still in the notes keeps its item (identical lines each keep one)
    pending_lines = []
    for item in lines:
        match = next((e for e in existing if "line" not in e and e["kind"] == item["kind"]
                      and e["key"] == item["key"]), None)
        if match is not None:
            match["line"] = item
        elif not item["error"]:
            pending_lines.append(item)
    for entry in existing:
        item = entry.get("line")
        if item is None:
            continue
        if not entry["touched"] and not item["error"] and _refresh(db, entry, item):
            summary["updated"].append(_describe(db, entry["kind"], entry["number"], item))
        else:
            summary["kept"].append(format_id(entry["kind"], entry["number"]))
    # 2. untouched items whose line changed follow the changed line, in order of appearance
    loose = [e for e in existing if "line" not in e]
    for entry in [e for e in loose if not e["touched"]]:
        item = next((i for i in pending_lines if i["kind"] == entry["kind"]), None)
        if item is None:
            _delete(db, entry)
            summary["deleted"].append(format_id(entry["kind"], entry["number"]))
            continue
        pending_lines.remove(item)
        _refresh(db, entry, item)
        summary["updated"].append(_describe(db, entry["kind"], entry["number"], item))
    # 3. touched items are never removed by an edit: reported so a person can decide
    for entry in [e for e in loose if e["touched"]]:
        summary["orphaned"].append({"id": format_id(entry["kind"], entry["number"]),
                                    "type": entry["kind"], "source_line": entry["key"]})
    # 4. the remaining lines are new items
    for item in pending_lines:
        if item["kind"] == "action":
            created = actions.insert(db, item["values"], source_line=item["key"])
        else:
            created = commitments.insert(db, item["values"], source_line=item["key"])
        summary["created"].append(_describe(db, item["kind"], created, item))
    return summary


def _describe(db: Database, kind: str, number: int, item: dict) -> dict:
    values = item["values"]
    described = {"id": format_id(kind, number), "type": kind, "line": item["line"],
                 "text": values["text"], "due": values["due_on"]}
    if kind == "action":
        described["owner"] = values["owner"]
    else:
        described["by"] = values["by"]
        described["to"] = values["owed_to"]
    return described


def _refresh(db: Database, entry: dict, item: dict) -> bool:
    """Rewrite an untouched item from its (possibly changed) line; True if anything changed."""
    kind, number, values = entry["kind"], entry["number"], item["values"]
    module = actions if kind == "action" else commitments
    before = module.snapshot(db, number)
    table = "actions" if kind == "action" else "commitments"
    if kind == "action":
        db.execute("UPDATE actions SET text = ?, owner = ?, due_on = ?, dialogue_id = ?, "
                   "source_line = ? WHERE id = ?",
                   (values["text"], values["owner"], values["due_on"], values["dialogue_id"],
                    item["key"], number))
    else:
        db.execute("UPDATE commitments SET text = ?, dialogue_id = ?, owed_to = ?, made_on = ?, "
                   "due_on = ?, classification = ?, source_line = ? WHERE id = ?",
                   (values["text"], values["dialogue_id"], values["owed_to"],
                    values["made_on"], values["due_on"], values["classification"],
                    item["key"], number))
        db.execute("DELETE FROM commitment_parties WHERE commitment_id = ?", (number,))
        for code in values["by"]:
            db.execute("INSERT INTO commitment_parties VALUES (?, ?)", (number, code))
    changed = events.diff(before, module.snapshot(db, number))
    if not changed:
        return False
    db.execute(f"UPDATE {table} SET updated_at = ? WHERE id = ?", (now_timestamp(), number))
    # 'capture' rather than 'update': the notes changed it, not a person acting on the item,
    # so it stays untouched and keeps following its line.
    events.log(db, format_id(kind, number), "capture", changed)
    enqueue(db, format_id(kind, number))
    return True


def _delete(db: Database, entry: dict) -> None:
    kind, number = entry["kind"], entry["number"]
    module = actions if kind == "action" else commitments
    before = module.snapshot(db, number)
    if kind == "commitment":
        db.execute("DELETE FROM commitment_parties WHERE commitment_id = ?", (number,))
        db.execute("DELETE FROM commitments WHERE id = ?", (number,))
    else:
        db.execute("DELETE FROM actions WHERE id = ?", (number,))
    events.log(db, format_id(kind, number), "delete",
               {key: [value, None] for key, value in before.items()})
    enqueue(db, format_id(kind, number))
