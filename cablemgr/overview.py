"""A dialogue at a glance: its records in date order (commitments and actions join later)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cablemgr import dialogues
from cablemgr.ids import format_id

if TYPE_CHECKING:
    from sqlite_utils import Database


def dialogue_overview(db: Database, number: int) -> dict:
    data = dialogues.get(db, number)
    rows = db.execute(
        "SELECT id, occurred_on, kind, coalesce(post, venue), title FROM records "
        "WHERE dialogue_id = ? ORDER BY occurred_on IS NULL, occurred_on, id", (number,))
    data["timeline"] = [{"id": format_id("record", r[0]), "date": r[1], "kind": r[2],
                         "where": r[3], "title": r[4]} for r in rows]
    return data
