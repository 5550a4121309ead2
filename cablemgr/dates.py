"""The one place dates are read.

Accepted forms (all shown and stored as ISO ``YYYY-MM-DD``):

- ISO: ``2024-03-14``; ``2024-03`` and ``2024`` mean the first day (or, as an upper bound,
  the last day) of that month or year;
- written: ``14 March 2024``, ``14 Mar 2024``, ``March 14, 2024``;
- numeric: ``03/04/2024`` (also with ``.`` or ``-``) is read day first, as most foreign ministries
  write it, unless ``CABLEMGR_DAYFIRST=0`` asks for month first;
- relative: ``today``, ``yesterday``, ``tomorrow``, ``+3d``, ``-2w``, ``+1m``, ``+1y``, ``7d``
  (no sign: that long ago), ``in 2 weeks``, ``3 days ago``, ``next friday``, ``last monday``,
  ``end of week``, ``end of month``, ``end of year``, ``start of month``.

Relative forms count from ``base`` (today unless given: a meeting's notes count from the
meeting's date).
"""

from __future__ import annotations

import datetime as dt
import os
import re

from dateutil.relativedelta import relativedelta

from cablemgr.errors import InvalidInput

ACCEPTED = (
    "2024-03-14, 2024-03, 14 March 2024, March 14, 2024, 14/03/2024, today, yesterday, "
    "tomorrow, +3d, -2w, 7d, in 2 weeks, 3 days ago, next friday, end of month"
)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNITS = {"d": "days", "day": "days", "days": "days", "w": "weeks", "wk": "weeks",
          "week": "weeks", "weeks": "weeks", "m": "months", "month": "months",
          "months": "months", "y": "years", "year": "years", "years": "years"}
_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_SIGNED = re.compile(rf"^([+-]?)(\d{{1,4}})\s*({_UNIT_RE})$")
_IN = re.compile(rf"^in\s+(\d{{1,4}})\s*({_UNIT_RE})$")
_AGO = re.compile(rf"^(\d{{1,4}})\s*({_UNIT_RE})\s+ago$")
_WEEKDAY = re.compile(r"^(next|last|this)?\s*(" + "|".join(_WEEKDAYS) + r")$")
_EDGE = re.compile(r"^(end|start)\s+of\s+(?:the\s+)?(week|month|year)$")
_WRITTEN = re.compile(
    r"^(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})$|^([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$"
)
_MONTHS = {name: i for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), start=1)}


def today() -> dt.date:
    """Today's date; ``CABLEMGR_TODAY`` (ISO) pins it for scripts, demos and tests."""
    pinned = os.environ.get("CABLEMGR_TODAY")
    if pinned:
        return parse_date(pinned, base=dt.date(2000, 1, 1))
    return dt.date.today()


def now_timestamp() -> str:
    """The current UTC time as stored in ``created_at`` columns."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dayfirst() -> bool:
    return os.environ.get("CABLEMGR_DAYFIRST", "1").strip().lower() not in ("0", "false", "no")


def _error(text: str) -> InvalidInput:
    return InvalidInput(f"cannot read date '{text}'. Accepted forms: {ACCEPTED}")


def _make(text: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except (ValueError, OverflowError):
        raise _error(text) from None


def _month_number(name: str) -> int | None:
    for full, number in _MONTHS.items():
        if len(name) >= 3 and full.startswith(name):
            return number
    return None


def parse_date(text, *, base: dt.date | None = None, end: bool = False,
               relative: bool = True) -> dt.date:
    """Read ``text`` as a date; raise InvalidInput naming the accepted forms otherwise.

    ``end`` makes partial dates (``2024``, ``2024-03``) mean their last day, as an inclusive
    upper bound should. ``relative=False`` refuses forms counted from today (``yesterday``,
    ``-2d``, ``next friday``): in a file they would be read against the day of import.
    """
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    raw = str(text)
    s = " ".join(raw.strip().lower().split())
    if not s or len(s) > 40:
        raise _error(raw)
    base = base or today()
    try:
        return _parse(raw, s, base, end, relative)
    except (OverflowError, ValueError):
        # relative forms counted from a base at the edge of the calendar (a meeting dated
        # 9999-12-31 with "due:tomorrow") step outside what a date can hold
        raise _error(raw) from None


def _parse(raw: str, s: str, base: dt.date, end: bool, relative: bool = True) -> dt.date:
    if m := _ISO.match(s):
        year, month, day = int(m[1]), m[2], m[3]
        if month is None:
            return _make(raw, year, 12, 31) if end else _make(raw, year, 1, 1)
        if day is None:
            first = _make(raw, year, int(month), 1)
            return first + relativedelta(day=31) if end else first
        return _make(raw, year, int(month), int(day))
    if m := _NUMERIC.match(s):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        day, month = (a, b) if dayfirst() else (b, a)
        return _make(raw, year, month, day)
    if m := _WRITTEN.match(s):
        if m[1]:
            day, month_name, year = int(m[1]), m[2], int(m[3])
        else:
            month_name, day, year = m[4], int(m[5]), int(m[6])
        month = _month_number(month_name)
        if month is None:
            raise _error(raw)
        return _make(raw, year, month, day)
    if not relative:
        if s in ("today", "now", "yesterday", "tomorrow") or any(
                form.match(s) for form in (_SIGNED, _IN, _AGO, _WEEKDAY, _EDGE)):
            raise InvalidInput(f"date '{raw}' is relative; a file must give the date itself "
                               f"(e.g. 2024-03-14), as it would be read against the day of "
                               f"import")
        raise _error(raw)
    if s in ("today", "now"):
        return base
    if s == "yesterday":
        return base - dt.timedelta(days=1)
    if s == "tomorrow":
        return base + dt.timedelta(days=1)
    if m := _SIGNED.match(s):
        sign = -1 if m[1] in ("-", "") else 1
        return _shift(raw, base, sign * int(m[2]), m[3])
    if m := _IN.match(s):
        return _shift(raw, base, int(m[1]), m[2])
    if m := _AGO.match(s):
        return _shift(raw, base, -int(m[1]), m[2])
    if m := _WEEKDAY.match(s):
        return _weekday(base, m[1] or "next", _WEEKDAYS.index(m[2]))
    if m := _EDGE.match(s):
        return _edge(base, m[1], m[2])
    raise _error(raw)


def _shift(raw: str, base: dt.date, amount: int, unit: str) -> dt.date:
    try:
        return base + relativedelta(**{_UNITS[unit]: amount})
    except (ValueError, OverflowError):
        raise _error(raw) from None


def _weekday(base: dt.date, which: str, weekday: int) -> dt.date:
    ahead = (weekday - base.weekday()) % 7
    if which == "last":
        behind = (base.weekday() - weekday) % 7 or 7
        return base - dt.timedelta(days=behind)
    if which == "this":
        return base + dt.timedelta(days=ahead)
    # "next friday" on a Friday means a week later, never today
    return base + dt.timedelta(days=ahead or 7)


def _edge(base: dt.date, edge: str, period: str) -> dt.date:
    if period == "week":
        monday = base - dt.timedelta(days=base.weekday())
        return monday if edge == "start" else monday + dt.timedelta(days=6)
    if period == "month":
        return base.replace(day=1) if edge == "start" else base + relativedelta(day=31)
    return base.replace(month=1, day=1) if edge == "start" else base.replace(month=12, day=31)


def parse_duration(text: str) -> relativedelta:
    """Read a window such as ``14d``, ``2w``, ``1m`` (used by ``due --within``)."""
    s = " ".join(str(text).strip().lower().split())
    m = re.match(rf"^\+?(\d{{1,4}})\s*({_UNIT_RE})$", s)
    if not m:
        raise InvalidInput(f"cannot read duration '{text}'. Use a number and a unit: 14d, 2w, 1m")
    unit, amount = _UNITS[m[2]], int(m[1])
    # a window past the calendar's end (9999y from today) cannot be added to a date
    if amount * _DAYS_PER[unit] > _LONGEST_WINDOW_DAYS:
        raise InvalidInput(f"duration '{text}' is too long: at most 100 years")
    return relativedelta(**{unit: amount})


_DAYS_PER = {"days": 1, "weeks": 7, "months": 31, "years": 366}
_LONGEST_WINDOW_DAYS = 100 * 366


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None
