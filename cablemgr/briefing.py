"""Commitment status summaries for a briefing pack: per dialogue, counts by status, what is
overdue, each commitment's latest assessment, and the compliance matrix party × commitment.

The state can be read as it stood on a past date (``as_of``): each commitment's status,
score, note and evidence are rebuilt from the assessments dated on or before that day, and
commitments made after it are left out. Due dates are today's: a moved deadline is kept in
the event history with the time it was typed, not the day it was agreed, so it cannot be
placed on the calendar of the past.

Scores follow the G7/G20 Research Group: −1, 0, +1 per commitment; a party's mean is also a
percentage, (mean + 1) / 2 × 100 (``commitments.compliance``). A commitment made jointly by
several parties is assessed once, so each of them carries its score in the matrix.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from cablemgr import commitments, dialogues, parties
from cablemgr.errors import InvalidInput
from cablemgr.redaction import Tally, commitment_level, parse_ceiling

if TYPE_CHECKING:
    from sqlite_utils import Database


def state_on(item: dict[str, Any], history: list[dict[str, Any]], day: dt.date) -> dict:
    """``item`` (as ``commitments.list_commitments`` gives it) as it stood at the end of ``day``.

    ``history`` is its assessments oldest first. Returns the item with ``status``, ``score``,
    ``last_assessed``, ``note``, ``evidence``, ``overdue`` and ``days_overdue`` recomputed.
    """
    past = [a for a in history if a["date"] <= day.isoformat()]
    state = dict(item)
    state["status"] = past[-1]["status"] if past else "open"
    state["score"] = next((a["score"] for a in reversed(past) if a["score"] is not None), None)
    state["last_assessed"] = past[-1]["date"] if past else None
    state["note"] = next((a["note"] for a in reversed(past) if a["note"]), None)
    state["evidence"] = next((a["evidence"] for a in reversed(past) if a["evidence"]), None)
    state["assessments"] = len(past)
    state["overdue"] = commitments.is_overdue(item["due"], state["status"], day)
    state["days_overdue"] = commitments.days_overdue(item["due"], state["status"], day)
    return state


_ITEM_KEYS = ("id", "text", "by", "to", "made_on", "due", "category", "status", "overdue",
              "days_overdue", "score", "last_assessed", "note", "evidence", "assessments",
              "record", "classification")


def _matrix(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Party × commitment scores with each party's mean and percentage."""
    means = {row["party"]: row for row in commitments.compliance(items)}
    rows = []
    for code in sorted(means):
        made = [i for i in items if code in i["by"]]
        rows.append({"party": code,
                     "scores": {i["id"]: i["score"] for i in made},
                     "commitments": len(made), "scored": means[code]["scored"],
                     "mean": means[code]["mean_score"], "percent": means[code]["percent"]})
    return {"commitments": [i["id"] for i in items], "rows": rows}


def _counts(items: list[dict[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        found[item["status"]] = found.get(item["status"], 0) + 1
    return {s: found[s] for s in commitments.STATUSES if s in found}


def summary(db: Database, *, today: dt.date, as_of: dt.date | None = None,
            dialogue: str | None = None, status: str | None = None, by: str | None = None,
            class_max: str | None = None) -> dict[str, Any]:
    """The commitment status summary (see docs/briefing.md for the keys).

    ``status`` filters on the status as of ``as_of``; ``class_max`` leaves out commitments
    above that level (counted in ``withheld``) and they take no part in counts or means.
    """
    day = as_of or today
    if day > today:
        raise InvalidInput(f"--as-of {day.isoformat()} is after today ({today.isoformat()}): "
                           "the summary can look back, not ahead")
    tally = Tally(parse_ceiling(class_max))
    wanted = commitments.check_status(status) if status else None
    dialogue_id = dialogues.resolve(db, dialogue) if dialogue not in (None, "") else None
    code = parties.get(db, by)["code"] if by not in (None, "") else None
    items = []
    listed = [item for item in commitments.list_commitments(db, today=day, dialogue=dialogue_id,
                                                            by=code)
              if item["made_on"] <= day.isoformat()]
    histories = commitments.assessments_of(db, [item["number"] for item in listed])
    for item in listed:
        state = state_on(item, histories[item["number"]], day)
        if wanted and state["status"] != wanted:
            continue
        level = commitment_level(db, item)
        if not tally.admit("commitment", level):
            continue
        state["classification"] = level
        items.append(state)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["dialogue"], []).append(item)
    blocks = []
    for name in sorted(groups, key=str.lower):
        members = groups[name]
        info = dialogues.get(db, int(members[0]["dialogue_id"][1:]))
        blocks.append({
            "dialogue": name, "dialogue_id": members[0]["dialogue_id"],
            "format": info["format"], "forum": info["forum"], "lead": info["lead"],
            "total": len(members), "by_status": _counts(members),
            "overdue": [{"id": i["id"], "text": i["text"], "by": i["by"], "due": i["due"],
                         "days_overdue": i["days_overdue"], "status": i["status"]}
                        for i in sorted(members, key=lambda i: i["due"] or "")
                        if i["overdue"]],
            "commitments": [{key: i[key] for key in _ITEM_KEYS} for i in members],
            "matrix": _matrix(members),
        })
    overall = commitments.compliance(items)
    codes = sorted({c for i in items for c in i["by"]} | {i["to"] for i in items if i["to"]})
    return {
        "today": today.isoformat(), "as_of": day.isoformat(),
        "filters": {"dialogue": dialogue or None, "status": wanted, "by": code},
        **tally.as_dict(),
        "totals": {"commitments": len(items), "overdue": sum(i["overdue"] for i in items),
                   "by_status": _counts(items)},
        "dialogues": blocks,
        "parties": [{"party": r["party"], "commitments": r["commitments"],
                     "scored": r["scored"], "mean": r["mean_score"], "percent": r["percent"]}
                    for r in overall],
        "party_names": {c: parties.get(db, c)["name"] for c in codes},
    }
