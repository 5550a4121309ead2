"""What goes into the office calendar: our actions as to-dos, other parties' commitment
deadlines as all-day events, and meetings on their dates.

With an owner, only that person's actions are given, as ``due --owner`` does: commitments and
meetings belong to no one person. Items above a classification ceiling are left out and
counted; a meeting whose subject is withheld appears without it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from cablemgr import actions, commitments, dialogues, records
from cablemgr.redaction import Tally, action_level, commitment_level, parse_ceiling

if TYPE_CHECKING:
    from sqlite_utils import Database


def calendar_items(db: Database, *, today: dt.date, owner: str | None = None,
                   dialogue: str | None = None, class_max: str | None = None
                   ) -> dict[str, Any]:
    """``{"todos", "deadlines", "meetings"}`` plus the ceiling's keys (``classification``,
    ``withheld``, ``notices``…). Every item carries the ``uid`` of its row."""
    tally = Tally(parse_ceiling(class_max))
    dialogue_id = dialogues.resolve(db, dialogue) if dialogue not in (None, "") else None
    todos = []
    for item in actions.list_actions(db, today=today, owner=owner, status="all",
                                     dialogue=dialogue_id):
        level = action_level(db, item)
        if tally.admit("action", level):
            todos.append({**item, "classification": level})
    deadlines, meetings = [], []
    if not owner:
        for item in commitments.list_commitments(db, today=today, dialogue=dialogue_id):
            if not item["due"]:
                continue
            level = commitment_level(db, item)
            if tally.admit("commitment", level):
                deadlines.append({**item, "classification": level})
        where = "r.kind = 'meeting' AND r.occurred_on IS NOT NULL"
        params: list[Any] = []
        if dialogue_id is not None:
            where += " AND r.dialogue_id = ?"
            params.append(dialogue_id)
        for record in records.iter_full(db, where, params, order="r.occurred_on, r.id"):
            view = tally.record(record)
            if view is None:
                continue
            meetings.append({"id": record["id"], "uid": record["uid"], "date": record["date"],
                             "title": view["title"], "venue": record["venue"],
                             "dialogue": record["dialogue"], "parties": record["parties"],
                             "classification": view["classification"],
                             "updated_at": record["updated_at"]})
    return {"todos": todos, "deadlines": deadlines, "meetings": meetings, **tally.as_dict()}
