"""Classification-safe views of records, commitments and actions under a ceiling.

Every export and digest passes what it shows through here, so one set of rules decides what
leaves the database:

- Without a ceiling everything is shown as filed.
- A record, commitment or action whose level is at or below the ceiling is shown whole.
- A record whose paragraphs carry portion marks (``2. (C) …``) is shown with each paragraph
  above the ceiling replaced by ``[paragraph 2 withheld: CONFIDENTIAL]``, as long as at least
  one paragraph can be shown. The marks are read from the body as it is now (an edited body
  may differ from the portions stored at import). A paragraph without a mark, and a subject
  line without one, is taken to be at the record's overall level: the header marking is the
  only thing that speaks for it. A mark from another scheme (``(TS)``) is always withheld.
- Anything else above the ceiling is left out and counted.

Commitments and actions have no paragraphs. A commitment captured from a meeting's notes is at
least as classified as that meeting; an action is at least as classified as the record and the
commitment it belongs to, since its text usually repeats theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cablemgr import classification
from cablemgr.ingest import cable

if TYPE_CHECKING:
    from sqlite_utils import Database

UNKNOWN = "unknown marking"


def parse_ceiling(value: str | None) -> str | None:
    """The canonical level of a ``--class-max`` value, or None for no ceiling."""
    if value in (None, ""):
        return None
    return classification.parse_level(value)


def allowed(level: str, ceiling: str | None) -> bool:
    return ceiling is None or classification.rank(level) <= classification.rank(ceiling)


def _mark(text: str) -> tuple[str | None, bool]:
    """The level of a leading portion mark in ``text`` (None when unmarked) and whether a mark
    was present at all; a mark outside our scheme gives UNKNOWN."""
    m = cable._PORTION.match(text)
    if not m:
        return None, False
    return cable.PORTION_LEVELS.get(m[2], UNKNOWN), True


def _shown(level: str, ceiling: str | None) -> bool:
    return level != UNKNOWN and allowed(level, ceiling)


def paragraphs(body: str, overall: str) -> list[dict[str, Any]]:
    """The body's paragraphs (split as the cable importer splits them) with their number and
    level: ``[{"n", "level", "marked", "text"}]``."""
    result = []
    for position, text in enumerate(cable._paragraphs(body or ""), start=1):
        m = cable._PORTION.match(text)
        number = int(m[1]) if m and m[1] else position
        level, marked = _mark(text)
        result.append({"n": number, "level": level or overall, "marked": marked,
                       "text": text.strip("\n")})
    return result


def record_view(record: dict[str, Any], ceiling: str | None) -> dict[str, Any] | None:
    """What may be shown of ``record`` under ``ceiling``; None when it must be left out.

    Returns ``title``, ``body``, ``classification`` (the highest level actually shown),
    ``redacted`` (``[{"n", "level"}]`` of withheld paragraphs) and ``title_withheld``.
    """
    # a paragraph or a title marked higher than the stored level (an edit after import)
    # raises it: a marked title on a lower body must not be shown above the ceiling
    title_mark, title_has_mark = _mark(record["title"])
    overall = classification.highest(
        [record["classification"]] + [p["level"] for p in paragraphs(record["body"], "")
                                      if p["marked"] and p["level"] != UNKNOWN]
        + ([title_mark] if title_has_mark and title_mark != UNKNOWN else []))
    whole = {"title": record["title"], "body": record["body"], "classification": overall,
             "redacted": [], "title_withheld": False}
    parts = paragraphs(record["body"], overall)
    if ceiling is None:
        return whole
    if not any(p["marked"] for p in parts):
        return whole if allowed(overall, ceiling) else None
    if allowed(overall, ceiling) and all(_shown(p["level"], ceiling) for p in parts):
        return whole
    kept = [p for p in parts if _shown(p["level"], ceiling)]
    if not kept:
        return None
    title_level, title_marked = _mark(record["title"])
    title_level = title_level if title_marked else overall
    title_ok = _shown(title_level, ceiling)
    body, redacted = [], []
    for p in parts:
        if _shown(p["level"], ceiling):
            body.append(p["text"])
        else:
            body.append(f"[paragraph {p['n']} withheld: {p['level']}]")
            redacted.append({"n": p["n"], "level": p["level"]})
    shown = [p["level"] for p in kept] + ([title_level] if title_ok else [])
    return {"title": record["title"] if title_ok else f"[subject withheld: {title_level}]",
            "body": "\n\n".join(body), "classification": classification.highest(shown),
            "redacted": redacted, "title_withheld": not title_ok}


def commitment_level(db: Database, item: dict[str, Any]) -> str:
    """A commitment's level: its own, raised to its meeting's when it was captured from it."""
    levels = [item["classification"]]
    if item.get("source_line") and item.get("record"):
        row = db.execute("SELECT classification FROM records WHERE id = ?",
                         (int(item["record"][1:]),)).fetchone()
        if row:
            levels.append(row[0])
    return classification.highest(levels)


def action_level(db: Database, item: dict[str, Any]) -> str:
    """An action's level: that of the record and the commitment it belongs to (the highest)."""
    levels = []
    if item.get("record"):
        row = db.execute("SELECT classification FROM records WHERE id = ?",
                         (int(item["record"][1:]),)).fetchone()
        if row:
            levels.append(row[0])
    if item.get("commitment"):
        row = db.execute("SELECT id, classification, source_line, record_id FROM commitments "
                         "WHERE id = ?", (int(item["commitment"][1:]),)).fetchone()
        if row:
            levels.append(commitment_level(db, {
                "classification": row[1], "source_line": row[2],
                "record": f"R{row[3]}" if row[3] is not None else None}))
    return classification.highest(levels)


@dataclass
class Tally:
    """What a ceiling kept out, for the notice every output carries, and the banner level."""

    ceiling: str | None
    withheld: dict[str, int] = field(default_factory=dict)
    redacted_records: int = 0
    shown: list[str] = field(default_factory=list)

    def admit(self, kind: str, level: str) -> bool:
        """True when an item of ``kind`` at ``level`` may be shown; counts it either way."""
        if allowed(level, self.ceiling):
            self.shown.append(level)
            return True
        self.withheld[kind] = self.withheld.get(kind, 0) + 1
        return False

    def record(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """``record_view`` with the outcome counted."""
        view = record_view(record, self.ceiling)
        if view is None:
            self.withheld["record"] = self.withheld.get("record", 0) + 1
            return None
        if view["redacted"] or view["title_withheld"]:
            self.redacted_records += 1
        self.shown.append(view["classification"])
        return view

    @property
    def banner(self) -> str:
        """The highest level shown; never above the ceiling, since nothing above it is shown."""
        return classification.highest(self.shown)

    def notices(self) -> list[str]:
        """Sentences for the reader: ``3 records withheld above RESTRICTED``."""
        lines = []
        for kind in ("record", "commitment", "action"):
            count = self.withheld.get(kind, 0)
            if count:
                lines.append(f"{count} {kind}{'s' if count != 1 else ''} withheld above "
                             f"{self.ceiling}")
        if self.redacted_records:
            count = self.redacted_records
            lines.append(f"{count} record{'s' if count != 1 else ''} shown with paragraphs "
                         f"withheld above {self.ceiling}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"class_max": self.ceiling, "classification": self.banner,
                "withheld": {kind: self.withheld.get(kind, 0)
                             for kind in ("record", "commitment", "action")},
                "redacted_records": self.redacted_records, "notices": self.notices()}
