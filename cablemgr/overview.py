"""A dialogue at a glance: its records and commitments in date order, the follow-ups still open,
and how well each party has kept its commitments."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cablemgr import actions, commitments, dialogues
from cablemgr.ids import format_id

if TYPE_CHECKING:
    from sqlite_utils import Database


def dialogue_overview(db: Database, number: int, *, today: dt.date) -> dict:
    """The dialogue with ``timeline``, ``open_actions`` and ``compliance``.

    Timeline entries share ``id, date, kind, where, title``; commitments (kind ``commitment``,
    dated when made) add ``status, score, due, overdue, days_overdue, by, to``.
    """
    data = dialogues.get(db, number)
    rows = db.execute(
        "SELECT id, occurred_on, kind, coalesce(post, venue), title FROM records "
        "WHERE dialogue_id = ? ORDER BY occurred_on IS NULL, occurred_on, id", (number,))
    timeline = [{"id": format_id("record", r[0]), "date": r[1], "kind": r[2],
                 "where": r[3], "title": r[4]} for r in rows]
    promised = commitments.list_commitments(db, today=today, dialogue=number)
    timeline += [{"id": c["id"], "date": c["made_on"], "kind": "commitment", "where": None,
                  "title": c["text"], "status": c["status"], "score": c["score"],
                  "due": c["due"], "overdue": c["overdue"], "days_overdue": c["days_overdue"],
                  "by": c["by"], "to": c["to"]} for c in promised]
    # records before the commitments made at them; undated records last, as before
    timeline.sort(key=lambda t: (t["date"] is None, t["date"] or "",
                                 t["kind"] == "commitment", int(t["id"][1:])))
    data["timeline"] = timeline
    data["open_actions"] = [
        {key: a[key] for key in ("id", "text", "owner", "due", "overdue", "days_overdue",
                                 "record", "commitment")}
        for a in actions.list_actions(db, today=today, status="open", dialogue=number)]
    data["compliance"] = commitments.compliance(promised)
    return data
