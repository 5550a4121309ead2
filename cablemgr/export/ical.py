"""iCalendar (RFC 5545) for Outlook, Thunderbird and phone calendars.

Actions are VTODOs, commitment deadlines all-day VEVENTs, meetings all-day VEVENTs on their
date. Each item's UID is its row's uid, so importing a newer export updates the entries
instead of adding copies. The writer is small and follows the RFC where clients are strict:
CRLF line ends, content lines folded at 75 octets without splitting a UTF-8 character, TEXT
values escaped (backslash, semicolon, comma, newline), DTSTAMP in UTC on every component.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from cablemgr import __version__
from cablemgr.export import common as c

CRLF = "\r\n"
_LIMIT = 75
# control characters are not allowed in TEXT values (RFC 5545 3.3.11), except the newline
# written as \n
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MARK = {"UNCLASSIFIED": "U", "RESTRICTED": "R", "CONFIDENTIAL": "C", "SECRET": "S"}
_TODO_STATUS = {"open": "NEEDS-ACTION", "done": "COMPLETED", "cancelled": "CANCELLED"}


def escape(value: Any) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str) -> str:
    """One content line folded into lines of at most 75 octets, each continuation starting
    with a space (which counts towards its 75)."""
    data = line.encode("utf-8")
    if len(data) <= _LIMIT:
        return line
    parts, start, limit = [], 0, _LIMIT
    while start < len(data):
        end = min(start + limit, len(data))
        # step back off a UTF-8 continuation byte so a character is never cut in two
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, _LIMIT - 1
    return (CRLF + " ").join(parts)


def _date(value: str) -> str:
    return value.replace("-", "")


def _next_day(value: str) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).strftime("%Y%m%d")


_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})")


def _utc(timestamp: str | None) -> str | None:
    """A stored ``2026-11-23T09:13:17.123Z`` as ``20261123T091317Z``; None for anything else
    (an imported row may carry a timestamp in another shape, and a wrong one is worse than
    none)."""
    m = _TIMESTAMP.match(timestamp or "")
    return f"{m[1]}{m[2]}{m[3]}T{m[4]}{m[5]}{m[6]}Z" if m else None


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def prop(self, name: str, value: str | None, *, text: bool = True) -> None:
        if value in (None, ""):
            return
        self.lines.append(fold(f"{name}:{escape(value) if text else value}"))

    def text(self) -> str:
        return CRLF.join(self.lines) + CRLF


def _summary(level: str, text: str) -> str:
    # the portion mark in front, as on a cable paragraph, so the marking travels with the entry
    return f"({_MARK.get(level, level)}) {text}"


def _description(*lines: str | None) -> str:
    return "\n".join(line for line in lines if line)


def calendar(data: dict[str, Any], *, stamp: dt.datetime) -> str:
    """The calendar for ``deadlines.calendar_items`` data; ``stamp`` is the export time."""
    dtstamp = stamp.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    w = _Writer()
    w.prop("BEGIN", "VCALENDAR", text=False)
    w.prop("VERSION", "2.0", text=False)
    w.prop("PRODID", f"-//cablemgr//cablemgr {__version__}//EN", text=False)
    w.prop("CALSCALE", "GREGORIAN", text=False)
    w.prop("METHOD", "PUBLISH", text=False)
    w.prop("X-WR-CALNAME", "cablemgr: actions, deadlines and meetings")
    w.prop("X-WR-CALDESC", f"Highest classification included: {data['classification']}"
           + "".join(f". {n}" for n in data["notices"]))
    for item in data["todos"]:
        w.prop("BEGIN", "VTODO", text=False)
        w.prop("UID", f"{item['uid']}@cablemgr")
        w.prop("DTSTAMP", dtstamp, text=False)
        w.prop("LAST-MODIFIED", _utc(item["updated_at"]), text=False)
        w.prop("SUMMARY", _summary(item["classification"], item["text"]))
        if item["due"]:
            w.prop("DUE;VALUE=DATE", _date(item["due"]), text=False)
        w.prop("STATUS", _TODO_STATUS[item["status"]], text=False)
        if item["status"] == "done":
            w.prop("PERCENT-COMPLETE", "100", text=False)
        w.prop("DESCRIPTION", _description(
            f"Classification: {item['classification']}",
            f"Action {item['id']}" + (f", owner {item['owner']}" if item["owner"] else ""),
            f"Dialogue: {item['dialogue']}" if item["dialogue"] else None,
            f"Commitment: {item['commitment']}" if item["commitment"] else None,
            f"Record: {item['record']}" if item["record"] else None,
            f"Note: {item['note']}" if item["note"] else None))
        w.prop("CATEGORIES", "cablemgr,action", text=False)
        w.prop("END", "VTODO", text=False)
    for item in data["deadlines"]:
        w.prop("BEGIN", "VEVENT", text=False)
        w.prop("UID", f"{item['uid']}@cablemgr")
        w.prop("DTSTAMP", dtstamp, text=False)
        w.prop("LAST-MODIFIED", _utc(item["updated_at"]), text=False)
        w.prop("DTSTART;VALUE=DATE", _date(item["due"]), text=False)
        w.prop("DTEND;VALUE=DATE", _next_day(item["due"]), text=False)
        w.prop("SUMMARY", _summary(item["classification"],
                                   f"Due: {', '.join(item['by'])}: {item['text']}"))
        w.prop("TRANSP", "TRANSPARENT", text=False)
        w.prop("STATUS", "CANCELLED" if item["status"] == "withdrawn" else "CONFIRMED",
               text=False)
        w.prop("DESCRIPTION", _description(
            f"Classification: {item['classification']}",
            f"Commitment {item['id']} by {', '.join(item['by'])}"
            + (f" to {item['to']}" if item["to"] else ""),
            f"Dialogue: {item['dialogue']}",
            f"Status: {c.status_label(item['status'])}"
            + (f", score {c.score_label(item['score'])}" if item["score"] is not None else "")
            + (f", {item['days_overdue']} days overdue" if item["overdue"] else "")))
        w.prop("CATEGORIES", "cablemgr,commitment", text=False)
        w.prop("END", "VEVENT", text=False)
    for item in data["meetings"]:
        w.prop("BEGIN", "VEVENT", text=False)
        w.prop("UID", f"{item['uid']}@cablemgr")
        w.prop("DTSTAMP", dtstamp, text=False)
        w.prop("LAST-MODIFIED", _utc(item["updated_at"]), text=False)
        w.prop("DTSTART;VALUE=DATE", _date(item["date"]), text=False)
        w.prop("DTEND;VALUE=DATE", _next_day(item["date"]), text=False)
        w.prop("SUMMARY", _summary(item["classification"], item["title"]))
        w.prop("LOCATION", item["venue"])
        w.prop("TRANSP", "TRANSPARENT", text=False)
        w.prop("DESCRIPTION", _description(
            f"Classification: {item['classification']}",
            f"Meeting record {item['id']}",
            f"Dialogue: {item['dialogue']}" if item["dialogue"] else None,
            f"With: {', '.join(item['parties'])}" if item["parties"] else None))
        w.prop("CATEGORIES", "cablemgr,meeting", text=False)
        w.prop("END", "VEVENT", text=False)
    w.prop("END", "VCALENDAR", text=False)
    return w.text()
