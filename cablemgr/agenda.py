"""The ``due`` agenda: what is overdue and what falls due soon, actions and commitments together."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cablemgr import actions, commitments, dialogues
from cablemgr.dates import parse_duration

if TYPE_CHECKING:
    from sqlite_utils import Database

DEFAULT_WINDOW = "14d"
NO_DIALOGUE = "(no dialogue)"


def _item(kind: str, row: dict, today: dt.date) -> dict:
    due = dt.date.fromisoformat(row["due"])
    item = {"id": row["id"], "type": kind, "text": row["text"], "due": row["due"],
            "overdue": row["overdue"], "days_overdue": row["days_overdue"],
            "days_left": (due - today).days if not row["overdue"] else None,
            "status": row["status"], "dialogue": row["dialogue"],
            "dialogue_id": row["dialogue_id"], "record": row["record"]}
    if kind == "action":
        item.update(owner=row["owner"], by=None, commitment=row["commitment"])
    else:
        item.update(owner=None, by=row["by"], commitment=None)
    return item


def due(db: Database, *, today: dt.date, within: str = DEFAULT_WINDOW,
        owner: str | None = None, dialogue: str | int | None = None) -> dict:
    """Open actions and open/in-progress commitments that are overdue or due by today+within.

    ``items`` come overdue first (most overdue first), then by due date; ``groups`` holds the
    same ids by dialogue, most urgent dialogue first. With ``owner`` only that person's actions
    are listed: commitments are other parties' promises and have no owner.
    """
    until = today + parse_duration(within)
    dialogue_id = None
    if dialogue not in (None, ""):
        dialogue_id = dialogue if isinstance(dialogue, int) else dialogues.resolve(db, dialogue)
    items = [_item("action", a, today) for a in actions.list_actions(
        db, today=today, owner=owner, status="open", dialogue=dialogue_id,
        due_until=until.isoformat())]
    if not owner:
        items += [_item("commitment", c, today) for c in commitments.list_commitments(
            db, today=today, dialogue=dialogue_id, due_until=until.isoformat())
            if c["status"] in commitments.OPEN_STATUSES]
    # overdue before upcoming; the most overdue is the earliest due date, so one key serves
    items.sort(key=lambda i: (not i["overdue"], i["due"], i["type"], int(i["id"][1:])))
    groups: dict[str, dict] = {}
    for item in items:
        name = item["dialogue"] or NO_DIALOGUE
        group = groups.setdefault(name, {"dialogue": item["dialogue"],
                                         "dialogue_id": item["dialogue_id"], "items": []})
        group["items"].append(item["id"])
    return {"today": today.isoformat(), "within": within, "until": until.isoformat(),
            "overdue": sum(1 for i in items if i["overdue"]),
            "upcoming": sum(1 for i in items if not i["overdue"]),
            "items": items, "groups": list(groups.values())}
