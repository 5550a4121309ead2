"""Checking that the database still says what its history says.

Two checks, both read-only and inside one read transaction (so they see one consistent state
while other processes keep writing):

1. the hash chain: every event's ``prev_hash`` is the hash of the event before it and its
   ``hash`` is SHA-256 over that and its own canonical JSON. An event changed, inserted or
   removed in the middle breaks the chain at that point;
2. the rows: replaying an entity's events (a create holds every field, an update the changed
   ones) gives what the entity should contain now. A row edited around cablemgr (a body
   changed with the sqlite3 shell) no longer matches, a row inserted around it has no history,
   and a row deleted around it has history but no row.

What this cannot catch: someone who rewrites the whole chain consistently from the first
changed event on, since there is no secret in the hash. ``head`` (the last event's hash) is
reported so it can be noted elsewhere and compared later; a backup is the other witness.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cablemgr import events
from cablemgr.errors import DatabaseError

if TYPE_CHECKING:
    from sqlite_utils import Database

# Enough to act on; a database with more problems than this needs a backup, not a longer list.
MAX_PROBLEMS = 100


def _digest(value: Any) -> Any:
    """A fingerprint of a field value to compare with, so replaying a decade of events keeps a
    few bytes per field in memory instead of every body: short scalars as they are, long text
    and lists or objects (as JSON stores them) as a 16-byte hash."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if len(value) <= 64:
            return value
        data = b"s" + value.encode("utf-8", "surrogatepass")
    elif isinstance(value, list) and all(isinstance(v, str) and len(v) <= 64 for v in value):
        return ("list", *value)  # tags and parties: no JSON needed
    elif isinstance(value, dict) and not value:
        return ("dict",)
    else:
        data = b"j" + json.dumps(value, sort_keys=True, ensure_ascii=False,
                                 separators=(",", ":")).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


# A list that grows one item per event instead of being rewritten whole: a commitment's create
# event holds its ``assessments`` and each later assessment is logged as ``assessment``. Only
# the keys both forms share are compared.
_APPENDS = {"assessment": "assessments"}
_ITEM_KEYS = ("date", "status", "score", "note", "evidence")


def _item(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: value.get(key) for key in _ITEM_KEYS}
    return value


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


# --- the current state of each kind of entity, as its events describe it -----------------

def _records(db: Database) -> Iterator[tuple[str, dict]]:
    from cablemgr import records

    for record in records.iter_full(db):
        yield record["id"], records.snapshot(record)


def _dialogues(db: Database) -> Iterator[tuple[str, dict]]:
    from cablemgr import dialogues

    for (number,) in db.execute("SELECT id FROM dialogues ORDER BY id").fetchall():
        dialogue = dialogues.get(db, number)
        yield dialogue["id"], dialogues._snapshot(dialogue)


def _parties(db: Database) -> Iterator[tuple[str, dict]]:
    # Built-in parties come from a migration, not from a person, so they carry no events.
    rows = db.execute("SELECT code, name, type FROM parties WHERE builtin = 0 ORDER BY code")
    for code, name, party_type in rows.fetchall():
        yield f"party:{code}", {"code": code, "name": name, "type": party_type}


def _from_module(module_name: str, table: str, entity: str) -> Callable[[Database], Iterator]:
    """Commitments and actions: checked through their module's ``snapshot(db, number)``."""

    def current(db: Database) -> Iterator[tuple[str, dict]]:
        from cablemgr.ids import format_id

        module = importlib.import_module(module_name)
        for (number,) in db.execute(f"SELECT id FROM {table} ORDER BY id").fetchall():
            yield format_id(entity, number), module.snapshot(db, number)

    return current


def _has_snapshot(module_name: str) -> bool:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return False
    return callable(getattr(module, "snapshot", None))


def kinds() -> dict[str, tuple[re.Pattern, Callable[[Database], Iterator]]]:
    """Name (as reported) → (event label pattern, how to list the current rows).

    Commitments and actions are checked when their module offers ``snapshot(db, number)``;
    looked up on each call so importing this module never imports theirs.
    """
    found: dict[str, tuple[re.Pattern, Callable[[Database], Iterator]]] = {
        "records": (re.compile(r"^R\d+$"), _records),
        "dialogues": (re.compile(r"^D\d+$"), _dialogues),
        "parties": (re.compile(r"^party:"), _parties),
    }
    for name, module, entity, prefix in (
            ("commitments", "cablemgr.commitments", "commitment", "C"),
            ("actions", "cablemgr.actions", "action", "A")):
        if _has_snapshot(module):
            found[name] = (re.compile(rf"^{prefix}\d+$"), _from_module(module, name, entity))
    return found


def _kind_of(entity: str, known: dict) -> str | None:
    for name, (pattern, _current) in known.items():
        if pattern.match(entity):
            return name
    return None


# --- the walk -------------------------------------------------------------------------------

def _walk_chain(db: Database, state: dict[str, dict]) -> dict[str, Any]:
    """Check every link and replay every event into ``state`` (entity → field digests)."""
    prev = events.GENESIS
    count = 0
    first_broken = None
    rows = db.execute(
        "SELECT id, at, who, entity, action, changes, prev_hash, hash FROM events ORDER BY id")
    for event_id, at, who, entity, action, changes, prev_hash, stored in rows:
        count += 1
        try:
            parsed = json.loads(changes)
        except ValueError:
            parsed = None
        if first_broken is None:
            problem = None
            event = {"at": at, "who": who, "entity": entity, "action": action,
                     "changes": parsed if parsed is not None else changes}
            try:
                computed = events.chain_hash(prev_hash, event)
            except (ValueError, TypeError):
                computed = None
            if prev_hash != prev:
                problem = (f"event {event_id} ({entity} {action}) does not follow event "
                           f"before it: an event was removed, inserted or changed just before "
                           f"this one")
            elif computed != stored:
                problem = (f"event {event_id} ({entity} {action}) was changed after it was "
                           f"written: its content no longer matches its hash")
            if problem:
                first_broken = {"event": event_id, "entity": entity, "problem": problem}
        prev = stored
        entry = state.setdefault(entity, {"fields": {}, "lists": {}, "event": None})
        entry["event"], entry["at"], entry["who"], entry["action"] = event_id, at, who, action
        if action == "create":
            entry["fields"], entry["lists"] = {}, {}
        if action == "delete":
            entry["deleted"] = True
            continue
        entry["deleted"] = False
        if isinstance(parsed, dict):
            for field, change in parsed.items():
                if not (isinstance(change, list) and len(change) == 2):
                    continue
                if field in _APPENDS:
                    entry["lists"].setdefault(_APPENDS[field], []).append(_item(change[1]))
                elif field in _APPENDS.values() and isinstance(change[1], list):
                    entry["lists"][field] = [_item(item) for item in change[1]]
                else:
                    entry["fields"][field] = _digest(change[1])
    return {"ok": first_broken is None, "events": count,
            "head": prev if count else None, "first_broken": first_broken}


def _when(entry: dict) -> str:
    return f"event {entry['event']}, {entry['at'][:19].replace('T', ' ')} by {entry['who']}"


def _compare(label: str, snapshot: dict, entry: dict | None) -> dict | None:
    """The problem with one entity's row, or None if it matches its history."""
    if entry is None:
        return {"entity": label, "problem": "no_history", "fields": [], "event": None,
                "message": f"{label} has no history: it was added outside cablemgr"}
    if entry.get("deleted"):
        return {"entity": label, "problem": "no_history", "fields": [], "event": entry["event"],
                "message": f"{label} was deleted (event {entry['event']}) but its row is back"}
    replayed = entry["fields"]
    changed = []
    for field, value in snapshot.items():
        if field in entry["lists"]:
            if isinstance(value, list):
                value = [_item(item) for item in value]
            if _digest(entry["lists"][field]) != _digest(value):
                changed.append(field)
        elif field in replayed:
            if replayed[field] != _digest(value):
                changed.append(field)
        elif not _empty(value):
            # a field added to snapshots later is missing from old events, but then it is empty
            changed.append(field)
    if not changed:
        return None
    names = ", ".join(changed)
    return {"entity": label, "problem": "content", "fields": changed, "event": entry["event"],
            "message": (f"{label}: {names} {'differs' if len(changed) == 1 else 'differ'} from "
                        f"its last recorded version ({_when(entry)}): changed outside cablemgr")}


def verify(db: Database) -> dict[str, Any]:
    """Walk the hash chain and compare every row with the state replayed from its events.

    Returns ``{"ok", "events", "head", "chain": {"ok", "first_broken"}, "checked": {kind:
    count}, "problems": [{"entity", "problem", "fields", "event", "message"}], "more_problems",
    "message"}``; ``problem`` is ``content``, ``no_history`` or ``missing_row``.
    """
    conn = db.conn
    own_read = not conn.in_transaction
    if own_read:
        conn.execute("BEGIN")  # one snapshot for the chain and the rows, writers go on
    try:
        state: dict[str, dict] = {}
        chain = _walk_chain(db, state)
        problems: list[dict] = []
        checked: dict[str, int] = {}
        seen: set[str] = set()
        known = kinds()
        for name, (_pattern, current) in known.items():
            checked[name] = 0
            for label, snapshot in current(db):
                checked[name] += 1
                seen.add(label)
                problem = _compare(label, snapshot, state.get(label))
                if problem:
                    problems.append(problem)
        for label, entry in state.items():
            kind = _kind_of(label, known)
            if kind is None or label in seen or entry.get("deleted"):
                continue
            if kind == "parties" and _builtin_party(db, label):
                continue
            problems.append({
                "entity": label, "problem": "missing_row", "fields": [], "event": entry["event"],
                "message": f"{label} was deleted outside cablemgr (its last event: "
                           f"{_when(entry)})"})
    except sqlite3.DatabaseError as exc:
        # "database disk image is malformed": the file itself is damaged, which no replay
        # can judge; say so instead of failing half-way through the walk
        if own_read and conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise DatabaseError(
            f"cannot read {getattr(db, 'path', 'the database')} to verify it ({exc}): the file "
            "is damaged. See: cablemgr doctor; then restore the latest backup") from None
    except BaseException:
        if own_read and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if own_read:
        conn.execute("COMMIT")
    ok = chain["ok"] and not problems
    total = sum(checked.values())
    if ok:
        message = (f"{chain['events']} events, hash chain intact; {total} entities match "
                   f"their history")
    elif not chain["ok"]:
        message = chain["first_broken"]["problem"]
    else:
        message = problems[0]["message"]
    return {
        "ok": ok, "events": chain["events"], "head": chain["head"],
        "chain": {"ok": chain["ok"], "first_broken": chain["first_broken"]},
        "checked": checked, "problems": problems[:MAX_PROBLEMS],
        "more_problems": max(0, len(problems) - MAX_PROBLEMS), "message": message,
    }


def _builtin_party(db: Database, label: str) -> bool:
    row = db.execute("SELECT builtin FROM parties WHERE code = ?",
                     (label.split(":", 1)[1],)).fetchone()
    return bool(row and row[0])


def versions(db: Database, entity: str) -> list[dict[str, Any]]:
    """Every version of one entity, oldest first: ``{"version", "event", "at", "who",
    "action", "fields"}`` with the whole content after that event."""
    result: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    for number, event in enumerate(events.history(db, entity), start=1):
        if event["action"] == "create":
            fields = {}
        for field, change in event["changes"].items():
            if not (isinstance(change, list) and len(change) == 2):
                continue
            if field in _APPENDS:
                fields[_APPENDS[field]] = [*fields.get(_APPENDS[field], []), change[1]]
            else:
                fields[field] = change[1]
        result.append({"version": number, "event": event["event"], "at": event["at"],
                       "who": event["who"], "action": event["action"], "fields": dict(fields)})
    return result
