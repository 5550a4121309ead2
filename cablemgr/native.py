"""The native exchange format: JSON objects with a ``type`` key, one per line (JSONL) or in
a list (JSON). ``export records`` writes it and ``import`` reads it back, ids aside.

Objects refer to each other by uid (records, commitments) or by name (dialogues), never by
the local short ids, so a file moves between databases unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from cablemgr import dialogues, parties, records
from cablemgr.db import write
from cablemgr.errors import CablemgrError, InvalidInput

if TYPE_CHECKING:
    from sqlite_utils import Database

RECORD_KEYS = ("uid", "id", "kind", "title", "body", "date", "post", "post_original", "venue",
               "dialogue", "parties", "tags", "classification", "reference", "author",
               "portions", "metadata", "created_at", "updated_at")


def export_objects(db: Database) -> Iterator[dict[str, Any]]:
    """Everything the unit filed, in dependency order: parties we added, dialogues, records."""
    for party in parties.list_all(db, include_builtin=False):
        yield {"type": "party", "code": party["code"], "name": party["name"],
               "party_type": party["type"]}
    for (number,) in db.execute("SELECT id FROM dialogues ORDER BY id").fetchall():
        d = dialogues.get(db, number)
        yield {"type": "dialogue", "uid": d["uid"], "id": d["id"], "name": d["name"],
               "format": d["format"], "forum": d["forum"], "lead": d["lead"],
               "started": d["started"], "status": d["status"], "parties": d["parties"]}
    uids = dict(db.execute("SELECT id, uid FROM records").fetchall())
    for record in records.iter_full(db):
        obj = {"type": "record", **{key: record[key] for key in RECORD_KEYS}}
        obj["links"] = [{"kind": link["kind"],
                         "to": uids.get(int(link["record"][1:])) if link["record"] else None,
                         "reference": link["reference"], "note": link["note"]}
                        for link in record["links"] if link["direction"] == "out"]
        yield obj
    yield from _export_items(db, uids)


def _export_items(db: Database, record_uids: dict[int, str]) -> Iterator[dict[str, Any]]:
    """Commitments with their assessments, then actions: after the records they point to."""
    from cablemgr import actions, commitments
    from cablemgr.dates import today

    day = today()  # only needed to build the rows; overdue is derived and not exported
    names = dict(db.execute("SELECT id, name FROM dialogues").fetchall())
    commitment_uids = dict(db.execute("SELECT id, uid FROM commitments").fetchall())

    def uid_of(short_id: str | None, table: dict[int, str]) -> str | None:
        return table.get(int(short_id[1:])) if short_id else None

    for (number,) in db.execute("SELECT id FROM commitments ORDER BY id").fetchall():
        c = commitments.get(db, number, today=day)
        yield {"type": "commitment", "uid": c["uid"], "id": c["id"], "text": c["text"],
               "dialogue": c["dialogue"], "by": c["by"], "to": c["to"],
               "record": uid_of(c["record"], record_uids), "made_on": c["made_on"],
               "due": c["due"], "category": c["category"],
               "classification": c["classification"], "status": c["status"],
               "source_line": c["source_line"], "created_at": c["created_at"],
               "assessments": [{"date": a["date"], "status": a["status"], "score": a["score"],
                                "note": a["note"],
                                "evidence": uid_of(a["evidence"], record_uids),
                                "who": a["who"]} for a in c["assessments"]]}
    for (number,) in db.execute("SELECT id FROM actions ORDER BY id").fetchall():
        a = actions.get(db, number, today=day)
        yield {"type": "action", "uid": a["uid"], "id": a["id"], "text": a["text"],
               "owner": a["owner"], "due": a["due"], "status": a["status"],
               "record": uid_of(a["record"], record_uids),
               "dialogue": names.get(int(a["dialogue_id"][1:])) if a["dialogue_id"] else None,
               "commitment": uid_of(a["commitment"], commitment_uids), "note": a["note"],
               "source_line": a["source_line"], "created_at": a["created_at"]}


def record_row(obj: dict[str, Any]) -> dict[str, Any]:
    """A record object flattened for CSV: lists joined with ', '."""
    row = {key: obj.get(key) for key in RECORD_KEYS if key not in ("portions", "metadata")}
    row["parties"] = ", ".join(obj.get("parties") or [])
    row["tags"] = ", ".join(obj.get("tags") or [])
    return row


class ImportReport:
    """What an import did, for the summary line and ``--json``."""

    def __init__(self) -> None:
        self.added: list[str] = []
        self.duplicates: list[str] = []
        self.failed: list[dict[str, Any]] = []
        self.warnings: list[str] = []

    def as_dict(self) -> dict[str, Any]:
        return {"added": len(self.added), "duplicates": len(self.duplicates),
                "failed": self.failed, "warnings": self.warnings, "ids": self.added}


def import_objects(db: Database, objects: Iterable[tuple[int, dict[str, Any]]],
                   *, source: str, report: ImportReport,
                   handlers: dict[str, Callable] | None = None) -> None:
    """Import native objects (with their line numbers) inside the caller's transaction.

    A uid already on file is a duplicate and is skipped, so importing twice adds nothing.
    Errors are raised as InvalidInput naming ``source:line``.
    """
    handlers = {**HANDLERS, **(handlers or {})}
    pending_links: list[tuple[int, list[dict]]] = []
    imported: list[int] = []
    with write(db):
        for line, obj in objects:
            if not isinstance(obj, dict):
                raise InvalidInput(f"{source}:{line}: expected a JSON object")
            kind = obj.get("type", "record")
            handler = handlers.get(kind)
            if handler is None:
                raise InvalidInput(f"{source}:{line}: unknown object type '{kind}'")
            try:
                result = handler(db, obj, report)
            except CablemgrError as exc:
                raise InvalidInput(f"{source}:{line}: {exc}") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInput(f"{source}:{line}: malformed {kind} object ({exc})") from None
            if kind == "record" and isinstance(result, int):
                imported.append(result)
                if obj.get("links"):
                    pending_links.append((line, result, obj["links"]))
        for line, number, links in pending_links:
            try:
                _add_links(db, number, links)
            except CablemgrError as exc:
                raise InvalidInput(f"{source}:{line}: {exc}") from None
        _capture(db, imported, source, report)


_TEXT = (str,)
_ID = (str, int)
_SHAPES: dict[str, dict[str, tuple[type, ...]]] = {
    "party": {"code": _ID, "name": _TEXT, "party_type": _TEXT},
    "dialogue": {"uid": _TEXT, "name": _TEXT, "format": _TEXT, "parties": (list,),
                 "forum": _TEXT, "lead": _TEXT, "started": _TEXT, "status": _TEXT},
    "record": {"uid": _TEXT, "kind": _TEXT, "title": _TEXT, "body": _TEXT, "date": _TEXT,
               "post": _TEXT, "post_original": _TEXT, "venue": _TEXT, "dialogue": _ID,
               "parties": (list,), "tags": (list,), "classification": _TEXT,
               "reference": _TEXT, "author": _TEXT, "portions": (list,),
               "metadata": (dict,), "links": (list,), "created_at": _TEXT,
               "updated_at": _TEXT},
    "link": {"to": _TEXT, "kind": _TEXT, "reference": _TEXT, "note": _TEXT},
    "commitment": {"uid": _TEXT, "text": _TEXT, "dialogue": _ID, "by": (list,), "to": _TEXT,
                   "due": _TEXT, "record": _TEXT, "category": _TEXT,
                   "classification": _TEXT, "made_on": _TEXT, "assessments": (list,),
                   "created_at": _TEXT},
    "action": {"uid": _TEXT, "text": _TEXT, "owner": _TEXT, "due": _TEXT, "dialogue": _ID,
               "record": _TEXT, "commitment": _TEXT, "status": _TEXT, "note": _TEXT,
               "created_at": _TEXT},
}
_TYPE_NAMES = {str: "a string", int: "a number", list: "a list", dict: "an object"}


def _require(obj: Any, kind: str) -> None:
    """Refuse a field of the wrong JSON type by name: left to the services, a number for a
    body fails deep inside with a traceback and a list for a title is stored as its repr."""
    if not isinstance(obj, dict):
        raise InvalidInput(f"a {kind} must be a JSON object, not {json.dumps(obj)[:40]}")
    for key, types in _SHAPES[kind].items():
        value = obj.get(key)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            names = " or ".join(_TYPE_NAMES[t] for t in types)
            raise InvalidInput(f"{kind} field '{key}' must be {names}, not "
                               f"{json.dumps(value)[:40]}")


def _capture(db: Database, numbers: list[int], source: str, report: ImportReport) -> None:
    """Track the ACTION/COMMITMENT lines of imported meetings, once the file's own commitments
    and actions are in: items exported with their ``source_line`` match their line again
    instead of being captured twice. Unreadable lines are warnings, not failures: the notes
    are kept as written."""
    from cablemgr import inline

    for number in numbers:
        summary = inline.sync(db, number, force=True)
        report.added += [item["id"] for item in summary["created"]]
        report.warnings += [f"{source}: R{number} {inline.describe(p)}"
                            for p in summary["problems"]]


def _import_party(db: Database, obj: dict, report: ImportReport) -> None:
    _require(obj, "party")
    code = str(obj["code"])
    if db.execute("SELECT 1 FROM parties WHERE code = ?", (code,)).fetchone():
        report.duplicates.append(f"party:{code}")
        return
    parties.add(db, code, obj["name"], obj.get("party_type") or "state")
    report.added.append(f"party:{code}")


def _import_dialogue(db: Database, obj: dict, report: ImportReport) -> None:
    _require(obj, "dialogue")
    uid = obj.get("uid")
    if (uid and db.execute("SELECT 1 FROM dialogues WHERE uid = ?", (uid,)).fetchone()) or \
            db.execute("SELECT 1 FROM dialogues WHERE name = ?", (obj["name"],)).fetchone():
        report.duplicates.append(obj["name"])
        return
    d = dialogues.add(db, obj["name"], obj["format"], party_codes=obj.get("parties") or (),
                      forum=obj.get("forum"), lead=obj.get("lead"), started=obj.get("started"),
                      status=obj.get("status") or "active", uid=uid)
    report.added.append(d["id"])


def _already_on_file(db: Database, table: str, letter: str, uid: str | None,
                     report: ImportReport) -> bool:
    """True (and counted as a duplicate) when an item with this uid is already filed: importing
    the same file twice adds nothing."""
    if not uid:
        return False
    row = db.execute(f"SELECT id FROM {table} WHERE uid = ?", (uid,)).fetchone()
    if row:
        report.duplicates.append(f"{letter}{row[0]}")
    return row is not None


def _import_record(db: Database, obj: dict, report: ImportReport) -> int | None:
    _require(obj, "record")
    for link in obj.get("links") or ():
        _require(link, "link")
    uid = obj.get("uid")
    if _already_on_file(db, "records", "R", uid, report):
        return None
    record = records.add(
        db, uid=uid, created_at=obj.get("created_at"), updated_at=obj.get("updated_at"),
        capture=False,
        kind=obj.get("kind", "report"), title=obj.get("title"), body=obj.get("body") or "",
        date=obj.get("date"), post=obj.get("post"), post_original=obj.get("post_original"),
        venue=obj.get("venue"), dialogue=obj.get("dialogue"), parties_=obj.get("parties") or (),
        tags=obj.get("tags") or (), classification_=obj.get("classification"),
        reference=obj.get("reference"), author=obj.get("author"),
        portions=obj.get("portions") or (), metadata=obj.get("metadata") or {})
    report.added.append(record["id"])
    return record["number"]


def _add_links(db: Database, number: int, links: list[dict]) -> None:
    for link in links:
        target = None
        if link.get("to"):
            row = db.execute("SELECT id FROM records WHERE uid = ?", (link["to"],)).fetchone()
            target = row[0] if row else None
        records.link(db, number, target, kind=link.get("kind", "cites"),
                     reference=link.get("reference"), note=link.get("note"))


def _record_by_uid(db: Database, uid: str | None, what: str) -> int | None:
    if not uid:
        return None
    row = db.execute("SELECT id FROM records WHERE uid = ?", (uid,)).fetchone()
    if not row:
        raise InvalidInput(f"{what} '{uid}' is not a record on file or earlier in the file")
    return row[0]


def _import_commitment(db: Database, obj: dict, report: ImportReport) -> None:
    from cablemgr import commitments
    from cablemgr.dates import today

    uid = obj.get("uid")
    if _already_on_file(db, "commitments", "C", uid, report):
        return
    _require(obj, "commitment")
    day = today()
    values = commitments.prepare(
        db, text=obj["text"], dialogue=obj["dialogue"], by=obj.get("by") or (),
        to=obj.get("to"), due=obj.get("due"),
        record=_record_by_uid(db, obj.get("record"), "record"),
        category=obj.get("category"), classification_=obj.get("classification"),
        made_on=obj.get("made_on"), today=day)
    history = [commitments.check_assessment(
        db, {**item, "evidence_id": _record_by_uid(db, item.get("evidence"), "evidence")},
        values["made_on"], day) for item in obj.get("assessments") or ()]
    number = commitments.insert(db, values, uid=uid, source_line=obj.get("source_line"),
                                assessments=history, created_at=obj.get("created_at"))
    report.added.append(f"C{number}")


def _import_action(db: Database, obj: dict, report: ImportReport) -> None:
    from cablemgr import actions
    from cablemgr.dates import today

    uid = obj.get("uid")
    if _already_on_file(db, "actions", "A", uid, report):
        return
    _require(obj, "action")
    commitment = None
    if obj.get("commitment"):
        row = db.execute("SELECT id FROM commitments WHERE uid = ?",
                         (obj["commitment"],)).fetchone()
        if not row:
            raise InvalidInput(f"commitment '{obj['commitment']}' is not on file or earlier "
                               "in the file")
        commitment = row[0]
    values = actions.prepare(db, text=obj["text"], owner=obj.get("owner"), due=obj.get("due"),
                             dialogue=obj.get("dialogue"),
                             record=_record_by_uid(db, obj.get("record"), "record"),
                             commitment=commitment, today=today())
    number = actions.insert(db, values, uid=uid, status=obj.get("status") or "open",
                            note=obj.get("note"), source_line=obj.get("source_line"),
                            created_at=obj.get("created_at"))
    report.added.append(f"A{number}")


HANDLERS: dict[str, Callable] = {
    "party": _import_party,
    "dialogue": _import_dialogue,
    "record": _import_record,
    "commitment": _import_commitment,
    "action": _import_action,
}
