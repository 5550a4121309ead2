"""The consolidated digest: one picture of what the posts reported in a period.

A record belongs to the period when it happened then (its date) or arrived then (when it was
filed). Records dated in the period, or filed in it without a date, make up the body of the
digest; records filed in the period but dated outside it (a late cable, an archive import)
are listed on one line each, so a bulk import cannot drown the week's reporting.

The body is made of *stories*: copies of the same report (a near-duplicate link, or the same
normalised text) are collapsed into one entry that names every post that sent it, and records
that cite each other or travel as attachments are placed together even when different posts
sent them. Stories are then grouped by post, dialogue, tag or party; a story told by several
posts goes under "Several posts" when grouping by post.

Commitments are the unit's own entries, so for them the day that counts is the day things
happened: made in the period (new) or assessed in it (changed). Actions fell due when their
due date is in the period, whatever their status now.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from cablemgr import actions, classification, commitments, records, redaction
from cablemgr.dates import parse_date
from cablemgr.errors import InvalidInput
from cablemgr.ids import format_id
from cablemgr.redaction import Tally, action_level, commitment_level, parse_ceiling

if TYPE_CHECKING:
    from sqlite_utils import Database

GROUPINGS = ("post", "dialogue", "tag", "party")
SEVERAL_POSTS = "Several posts"
_NONE = {"post": "(no post: meetings and notes)", "dialogue": "(no dialogue)", "tag": "(no tag)",
         "party": "(no party)"}
# links that put two records of the period in the same story
_STORY_LINKS = ("cites", "near_duplicate", "attachment")


def window(today: dt.date, since: str | dt.date | None, until: str | dt.date | None
           ) -> tuple[dt.date, dt.date]:
    """The period's first and last day (both included); ``since`` defaults to 7 days ago."""
    start = parse_date(since or "7d", base=today)
    end = parse_date(until, base=today, end=True) if until not in (None, "") else today
    if start > end:
        raise InvalidInput(f"--since {start.isoformat()} is after --until {end.isoformat()}")
    return start, end


class _Stories:
    """Union-find over record numbers: records joined by a link end up in one story."""

    def __init__(self, numbers: list[int]) -> None:
        self.parent = {n: n for n in numbers}

    def find(self, n: int) -> int:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def join(self, a: int, b: int) -> None:
        if a in self.parent and b in self.parent:
            ra, rb = self.find(a), self.find(b)
            if ra != rb:
                self.parent[max(ra, rb)] = min(ra, rb)


def _entry(record: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "kind": record["kind"], "date": record["date"],
            "filed": record["created_at"][:10], "post": record["post"],
            "venue": record["venue"], "reference": record["reference"],
            "dialogue": record["dialogue"], "tags": record["tags"],
            "parties": record["parties"], "title": view["title"], "body": view["body"],
            "classification": view["classification"], "redacted": view["redacted"],
            "duplicates": []}


def _duplicate_pairs(db: Database, numbers: list[int]) -> list[tuple[int, int]]:
    """Pairs of records in ``numbers`` that are copies: a near-duplicate link or equal text."""
    if not numbers:
        return []
    marks = ",".join("?" * len(numbers))
    pairs = [tuple(r) for r in db.execute(
        f"SELECT from_id, to_id FROM record_links WHERE kind = 'near_duplicate' "
        f"AND from_id IN ({marks}) AND to_id IN ({marks})", numbers + numbers)]
    pairs += [tuple(r) for r in db.execute(
        f"SELECT a.id, b.id FROM records a JOIN records b ON a.content_hash = b.content_hash "
        f"AND a.id < b.id WHERE a.id IN ({marks}) AND b.id IN ({marks})", numbers + numbers)]
    return pairs  # type: ignore[return-value]


def _story_pairs(db: Database, numbers: list[int]) -> list[tuple[int, int]]:
    if not numbers:
        return []
    marks = ",".join("?" * len(numbers))
    kinds = ",".join("?" * len(_STORY_LINKS))
    return [tuple(r) for r in db.execute(  # type: ignore[misc]
        f"SELECT from_id, to_id FROM record_links WHERE kind IN ({kinds}) "
        f"AND from_id IN ({marks}) AND to_id IN ({marks})",
        list(_STORY_LINKS) + numbers + numbers)]


def _stories(db: Database, shown: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Collapse copies into one entry each, then join linked entries into stories."""
    numbers = sorted(shown)
    copies = _Stories(numbers)
    for a, b in _duplicate_pairs(db, numbers):
        copies.join(a, b)
    entries: dict[int, dict[str, Any]] = {}
    # the earliest report (by date, then by number) stands for its copies
    for n in sorted(numbers, key=lambda n: (shown[n]["date"] or "9999", n)):
        head = copies.find(n)
        if head not in entries:
            entries[head] = shown[n]
            shown[n]["_members"] = [n]
        else:
            entries[head]["_members"].append(n)
            entries[head]["duplicates"].append(
                {key: shown[n][key] for key in ("id", "post", "reference", "date")})
    stories = _Stories(numbers)
    for a, b in _duplicate_pairs(db, numbers) + _story_pairs(db, numbers):
        stories.join(a, b)
    grouped: dict[int, list[dict[str, Any]]] = {}
    for head, entry in entries.items():
        grouped.setdefault(stories.find(head), []).append(entry)
    result = []
    for items in grouped.values():
        items.sort(key=lambda e: (e["date"] or "9999", int(e["id"][1:])))
        for entry in items:
            entry.pop("_members", None)
        posts = []
        for entry in items:
            for post in [entry["post"]] + [d["post"] for d in entry["duplicates"]]:
                if post and post not in posts:
                    posts.append(post)
        result.append({"posts": posts, "items": items})
    result.sort(key=lambda s: (s["items"][0]["date"] or "9999", int(s["items"][0]["id"][1:])))
    return result


def _key(story: dict[str, Any], by: str) -> str:
    if by == "post":
        if len(story["posts"]) > 1:
            return SEVERAL_POSTS
        return story["posts"][0] if story["posts"] else _NONE["post"]
    field = {"dialogue": "dialogue", "tag": "tags", "party": "parties"}[by]
    counts: Counter[str] = Counter()
    for entry in story["items"]:
        values = entry[field] if isinstance(entry[field], list) else [entry[field]]
        counts.update(v for v in values if v)
    if not counts:
        return _NONE[by]
    # the value most of the story shares; ties go to the alphabetically first
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))[0][0]


def _group(stories: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for story in stories:
        groups.setdefault(_key(story, by), []).append(story)

    def order(name: str) -> tuple:
        return (name != SEVERAL_POSTS, name == _NONE[by], name.lower())

    return [{"key": name, "stories": groups[name]} for name in sorted(groups, key=order)]


def _commitment_changes(db: Database, tally: Tally, today: dt.date, start: str, end: str
                        ) -> dict[str, list[dict[str, Any]]]:
    new, changed = [], []
    listed = commitments.list_commitments(db, today=today, touched=(start, end))
    histories = commitments.assessments_of(db, [item["number"] for item in listed])
    for item in listed:
        history = histories[item["number"]]
        moves = []
        previous = "open"
        for assessment in history:
            if start <= assessment["date"] <= end:
                moves.append({"date": assessment["date"], "from": previous,
                              "to": assessment["status"], "score": assessment["score"],
                              "note": assessment["note"], "evidence": assessment["evidence"]})
            previous = assessment["status"]
        made = start <= item["made_on"] <= end
        if not (made or moves):
            continue
        level = commitment_level(db, item)
        if not tally.admit("commitment", level):
            continue
        row = {key: item[key] for key in ("id", "text", "by", "to", "dialogue", "made_on",
                                          "due", "status", "score", "overdue")}
        row["classification"] = level
        if made:
            new.append(row)
        if moves:
            changed.append({**row, "assessments": moves})
    return {"new": new, "changed": changed}


def _actions_due(db: Database, tally: Tally, today: dt.date, start: str, end: str
                 ) -> list[dict[str, Any]]:
    rows = []
    for item in actions.list_actions(db, today=today, status="all", due_from=start,
                                     due_until=end):
        level = action_level(db, item)
        if not tally.admit("action", level):
            continue
        rows.append({**{key: item[key] for key in ("id", "text", "owner", "due", "status",
                                                   "overdue", "dialogue", "record",
                                                   "commitment")},
                     "classification": level})
    return rows


LATE_LIMIT = 20


def _filed_dated_outside(db: Database, tally: Tally, start: str, end: str
                         ) -> tuple[list[dict[str, Any]], int]:
    """The newest ``LATE_LIMIT`` records filed in the period but dated outside it, and how many
    there are in all that the ceiling lets through.

    A bulk import files everything on one day, so this reads one summary row per listed record
    and counts the rest in SQL instead of loading each record. The stored classification
    decides: a record above the ceiling is counted as withheld and not listed (its paragraphs
    are not read, so none is shown in part here).
    """
    # Filed in [start, end] as a range the records_filed index can search: a timestamp whose
    # day is in the period sorts from start up to (not including) the day after end.
    where = ("occurred_on IS NOT NULL AND occurred_on NOT BETWEEN ? AND ? "
             "AND created_at >= ?")
    params: list[Any] = [start, end, start]
    if end < dt.date.max.isoformat():
        where += " AND created_at < ?"
        params.append((dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat())
    if tally.ceiling is not None:
        levels = classification.LEVELS[:classification.rank(tally.ceiling) + 1]
        marks = ",".join("?" * len(levels))
        above = db.execute(f"SELECT COUNT(*) FROM records WHERE {where} "
                           f"AND classification NOT IN ({marks})",
                           params + list(levels)).fetchone()[0]
        if above:
            tally.withheld["record"] = tally.withheld.get("record", 0) + above
        where += f" AND classification IN ({marks})"
        params += list(levels)
    total = db.execute(f"SELECT COUNT(*) FROM records WHERE {where}", params).fetchone()[0]
    late = []
    for (number, kind, date, created, post, venue, reference, title,
         level) in db.execute(
            f"SELECT id, kind, occurred_on, created_at, post, venue, reference, title, "
            f"classification FROM records WHERE {where} "
            f"ORDER BY created_at DESC, id DESC LIMIT {LATE_LIMIT}", params):
        # a subject carrying its own mark above the ceiling is not shown
        mark, marked = redaction._mark(title or "")
        if marked and not redaction._shown(mark, tally.ceiling):
            title = f"[subject withheld: {mark}]"
            tally.redacted_records += 1
        elif marked:
            level = classification.highest([level, mark])
        tally.shown.append(level)
        late.append({"id": format_id("record", number), "kind": kind, "date": date,
                     "filed": created[:10], "post": post, "venue": venue,
                     "reference": reference, "title": title, "classification": level})
    return late, total


def digest(db: Database, *, today: dt.date, since: str | dt.date | None = "7d",
           until: str | dt.date | None = None, by: str = "post",
           class_max: str | None = None) -> dict[str, Any]:
    """The digest for the period (see docs/briefing.md for the keys)."""
    if by not in GROUPINGS:
        raise InvalidInput(f"cannot group by '{by}'. Use one of: {', '.join(GROUPINGS)}")
    first, last = window(today, since, until)
    start, end = first.isoformat(), last.isoformat()
    tally = Tally(parse_ceiling(class_max))
    # records dated in the period, or filed in it without a date, make up the body
    rows = records.iter_full(
        db, "r.occurred_on BETWEEN ? AND ? "
            "OR (r.occurred_on IS NULL AND substr(r.created_at, 1, 10) BETWEEN ? AND ?)",
        (start, end, start, end))
    shown: dict[int, dict[str, Any]] = {}
    for record in rows:
        view = tally.record(record)
        if view is not None:
            shown[record["number"]] = _entry(record, view)
    late, late_total = _filed_dated_outside(db, tally, start, end)
    stories = _stories(db, shown)
    changes = _commitment_changes(db, tally, today, start, end)
    due = _actions_due(db, tally, today, start, end)
    return {
        "today": today.isoformat(), "since": start, "until": end, "by": by,
        **tally.as_dict(),
        "counts": {"records": len(shown), "stories": len(stories),
                   "duplicates_collapsed": sum(len(e["duplicates"]) for s in stories
                                               for e in s["items"]),
                   "filed_dated_outside": late_total,
                   "filed_dated_outside_total": late_total, "commitments_new": len(changes["new"]),
                   "commitments_changed": len(changes["changed"]), "actions_due": len(due)},
        "groups": _group(stories, by),
        "filed_dated_outside": late,
        "commitments": changes,
        "actions": due,
    }
