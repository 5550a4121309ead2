"""The native exchange format: JSON objects with a ``type`` key, one per line (JSONL) or in
a list (JSON). ``export records`` writes it and ``import`` reads it back, ids aside.

Objects refer to each other by uid (records, commitments) or by name (dialogues), never by
the local short ids, so a file moves between databases unchanged.
"""

from __future__ import annotations

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
    for (number,) in db.execute("SELECT id FROM records ORDER BY id").fetchall():
        record = records.get(db, number)
        obj = {"type": "record", **{key: record[key] for key in RECORD_KEYS}}
        obj["links"] = [{"kind": link["kind"],
                         "to": uids.get(int(link["record"][1:])) if link["record"] else None,
                         "reference": link["reference"], "note": link["note"]}
                        for link in record["links"] if link["direction"] == "out"]
        yield obj


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
            if kind == "record" and result is not None and obj.get("links"):
                pending_links.append((result, obj["links"]))
        for number, links in pending_links:
            _add_links(db, number, links)


def _import_party(db: Database, obj: dict, report: ImportReport) -> None:
    code = str(obj["code"])
    if db.execute("SELECT 1 FROM parties WHERE code = ?", (code,)).fetchone():
        report.duplicates.append(f"party:{code}")
        return
    parties.add(db, code, obj["name"], obj.get("party_type") or obj.get("type_") or "state")
    report.added.append(f"party:{code}")


def _import_dialogue(db: Database, obj: dict, report: ImportReport) -> None:
    uid = obj.get("uid")
    if (uid and db.execute("SELECT 1 FROM dialogues WHERE uid = ?", (uid,)).fetchone()) or \
            db.execute("SELECT 1 FROM dialogues WHERE name = ?", (obj["name"],)).fetchone():
        report.duplicates.append(obj["name"])
        return
    d = dialogues.add(db, obj["name"], obj["format"], party_codes=obj.get("parties") or (),
                      forum=obj.get("forum"), lead=obj.get("lead"), started=obj.get("started"),
                      status=obj.get("status") or "active", uid=uid)
    report.added.append(d["id"])


def _import_record(db: Database, obj: dict, report: ImportReport) -> int | None:
    uid = obj.get("uid")
    if uid:
        row = db.execute("SELECT id FROM records WHERE uid = ?", (uid,)).fetchone()
        if row:
            report.duplicates.append(f"R{row[0]}")
            return None
    record = records.add(
        db, uid=uid, created_at=obj.get("created_at"), updated_at=obj.get("updated_at"),
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


HANDLERS: dict[str, Callable] = {
    "party": _import_party,
    "dialogue": _import_dialogue,
    "record": _import_record,
}
