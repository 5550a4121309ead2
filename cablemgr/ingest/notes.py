"""Meeting notes: ``TITLE`` and ``DATE`` headers (required), then ``DIALOGUE``, ``WITH``
(parties), ``VENUE``, ``TAGS``, ``CLASSIFICATION``, ``AUTHOR``; a blank line; the body.

The header block may be wrapped in ``---`` lines, as Markdown front matter. ``ACTION:`` and
``COMMITMENT:`` lines in the body are captured by ``records.add`` like any meeting record.
"""

from __future__ import annotations

from typing import Any

from cablemgr.ingest import cable
from cablemgr.ingest.base import (
    header,
    iso_date,
    level,
    new_record,
    require,
    split_header,
    split_list,
)

KNOWN_KEYS = ("title", "date", "dialogue", "with", "parties", "venue", "tags",
              "classification", "class", "author", "kind", "ref")


def parse(text: str) -> dict[str, Any]:
    """A meeting record dict from notes text."""
    headers, body, body_line = split_header(text)
    return from_headers(headers, body, body_line)


def from_headers(headers: dict[str, tuple[str, int]], body: str, body_line: int
                 ) -> dict[str, Any]:
    require(headers, "title", "date")
    date, date_line = header(headers, "date")
    marking, marking_line = header(headers, "classification", "class")
    record = new_record(
        kind="meeting", title=header(headers, "title")[0], body=body,
        date=iso_date(date, date_line), venue=header(headers, "venue")[0],
        dialogue=header(headers, "dialogue")[0],
        parties=split_list(header(headers, "with", "parties")[0]),
        tags=split_list(header(headers, "tags")[0]), author=header(headers, "author")[0],
        reference=header(headers, "ref")[0],
        classification=level(marking, marking_line),
        portions=cable.portions(body, body_line))
    extra = {key.upper(): value for key, (value, _) in headers.items()
             if key not in KNOWN_KEYS and value}
    if extra:
        record["metadata"]["headers"] = extra
    raised = cable.raised_classification(record)
    if raised:
        record["warnings"].append(raised)
    return record


def is_meeting(headers: dict[str, tuple[str, int]]) -> bool:
    """Notes, not a cable: ``KIND: meeting``, or a ``TITLE`` and no ``FROM``."""
    kind = headers.get("kind", ("", 0))[0].lower()
    if kind:
        return kind == "meeting"
    return "title" in headers and "from" not in headers
