"""What a record cites and what cites it, for ``cablemgr refs``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cablemgr import records
from cablemgr.ids import format_id

if TYPE_CHECKING:
    from sqlite_utils import Database


def references(db: Database, number: int) -> dict[str, Any]:
    """``{"record", "reference", "title", "cites": [...], "cited_by": [...]}``.

    Each entry has ``record`` (None while the cited reference is not on file), ``reference``,
    ``title``, ``date``, ``post`` and ``note``. A citation made before the cited cable
    arrived shows as resolved once it has.
    """
    record = records.get(db, number)
    cites = db.execute(
        "SELECT l.to_id, coalesce(r.reference, l.to_reference), r.title, r.occurred_on, "
        "r.post, l.note FROM record_links l LEFT JOIN records r ON r.id = l.to_id "
        "WHERE l.from_id = ? AND l.kind = 'cites' ORDER BY l.id", (number,)).fetchall()
    cited_by = db.execute(
        "SELECT l.from_id, r.reference, r.title, r.occurred_on, r.post, l.note "
        "FROM record_links l JOIN records r ON r.id = l.from_id "
        "WHERE l.to_id = ? AND l.kind = 'cites' ORDER BY r.occurred_on, l.from_id",
        (number,)).fetchall()

    def entry(row: tuple) -> dict[str, Any]:
        return {"record": format_id("record", row[0]), "reference": row[1], "title": row[2],
                "date": row[3], "post": row[4], "note": row[5]}

    return {"record": record["id"], "reference": record["reference"],
            "title": record["title"], "cites": [entry(r) for r in cites],
            "cited_by": [entry(r) for r in cited_by]}
