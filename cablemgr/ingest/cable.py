"""Cable text: a header block of ``KEY: value`` lines, a blank line, then the body.

A report needs ``SUBJECT`` and ``DATE``. Other keys: ``REF`` (the cable's own reference),
``FROM`` (the post), ``TO``, ``CLASSIFICATION`` (or ``CLASS``), ``TAGS``, ``DIALOGUE``,
``PARTIES`` and ``REFS`` (comma-separated lists), ``AUTHOR``; anything else is kept in the
record's metadata under ``headers`` and written back by :func:`render`.

Paragraphs may carry portion marks, ``1. (C) …`` or ``(SBU) …``; the record's classification
is the highest of the header and every portion. :func:`render` and :func:`parse` round-trip.
"""

from __future__ import annotations

import re
from typing import Any

from cablemgr.ingest.base import (
    ParseError,
    header,
    iso_date,
    level,
    new_record,
    require,
    split_header,
    split_list,
)

KNOWN_KEYS = ("classification", "class", "ref", "date", "from", "to", "subject", "title",
              "tags", "dialogue", "parties", "refs", "author", "kind")
# Words a cable puts before the city to say what kind of post sent it.
POST_PREFIXES = ("AMEMBASSY", "EMBASSY", "USMISSION", "MISSION", "PERMREP", "CONSULATE",
                 "CONGEN")
PORTION_LEVELS = {"U": "UNCLASSIFIED", "SBU": "RESTRICTED", "R": "RESTRICTED",
                  "C": "CONFIDENTIAL", "S": "SECRET"}
# Marks from other schemes that must not be read as ours (TS, S//NF, CUI…): refused, since
# quietly filing a TOP SECRET paragraph as anything lower would be wrong.
_FOREIGN_MARK = re.compile(r"^(?:TS|CUI|FOUO|NF|NOFORN|[A-Z]{1,4}//[A-Z0-9/ -]+)$")
_PORTION = re.compile(r"^\s*(?:(\d{1,4})\.\s*)?\(([A-Z]{1,4}(?://[A-Z0-9/ -]+)?)\)(?:\s|$)")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def normalise_post(original: str | None) -> str | None:
    """``EMBASSY BERLIN`` → ``Berlin``, ``PERMREP NEW YORK`` → ``New York``."""
    if not original:
        return None
    words = original.split()
    while words and words[0].upper() in POST_PREFIXES:
        words = words[1:]
    if not words:
        return None
    return " ".join("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
                    for word in words)


def portions(body: str, first_line: int = 1) -> list[dict[str, Any]]:
    """The portion marks of ``body``'s paragraphs as ``[{"n", "level"}]``.

    ``n`` is the paragraph's printed number, or its position when it has none.
    """
    found = []
    offset = 0
    for position, paragraph in enumerate(_paragraphs(body), start=1):
        start = body.index(paragraph, offset)
        offset = start + len(paragraph)
        m = _PORTION.match(paragraph)
        if not m:
            continue
        mark = m[2]
        line = first_line + body.count("\n", 0, start)
        if mark in PORTION_LEVELS:
            found.append({"n": int(m[1]) if m[1] else position, "level": PORTION_LEVELS[mark]})
        elif _FOREIGN_MARK.match(mark):
            raise ParseError(f"unknown classification: portion mark ({mark}). Use (U), (SBU), "
                             "(R), (C) or (S)", line)
    return found


def _paragraphs(body: str) -> list[str]:
    return [p for p in _PARAGRAPH_BREAK.split(body) if p.strip()]


def parse(text: str, *, defaults: dict[str, str] | None = None, first_line: int = 1
          ) -> dict[str, Any]:
    """A record dict from cable text. ``defaults`` fill missing ``subject``, ``date`` and
    ``from`` headers (an e-mail carrying a cable header block supplies its own)."""
    headers, body, body_line = split_header(text, first_line=first_line)
    for key, value in (defaults or {}).items():
        if value and not headers.get(key, ("", 0))[0]:
            headers[key] = (value, first_line)
    return from_headers(headers, body, body_line, first_line=first_line)


def from_headers(headers: dict[str, tuple[str, int]], body: str, body_line: int,
                 first_line: int = 1) -> dict[str, Any]:
    """A report record from a parsed header block and body."""
    require(headers, "subject|title", "date")
    if not body.strip():
        raise ParseError("the cable has a header but no body", body_line)
    date, date_line = header(headers, "date")
    marking, marking_line = header(headers, "classification", "class")
    original = header(headers, "from")[0]
    record = new_record(
        kind="report", title=header(headers, "subject", "title")[0], body=body,
        date=iso_date(date, date_line), post=normalise_post(original), post_original=original,
        classification=level(marking, marking_line), reference=header(headers, "ref")[0],
        refs=split_list(header(headers, "refs")[0]), tags=split_list(header(headers, "tags")[0]),
        parties=split_list(header(headers, "parties")[0]),
        dialogue=header(headers, "dialogue")[0], author=header(headers, "author")[0],
        portions=portions(body, body_line), line=first_line)
    to = header(headers, "to")[0]
    if to:
        record["metadata"]["to"] = to
    extra = {key.upper(): value for key, (value, _) in headers.items()
             if key not in KNOWN_KEYS and value}
    if extra:
        record["metadata"]["headers"] = extra
    raised = raised_classification(record)
    if raised:
        record["warnings"].append(raised)
    raised = _raise_to_subject(record)
    if raised:
        record["warnings"].append(raised)
    return record


def _raise_to_subject(record: dict[str, Any]) -> str | None:
    """File the record at its subject's portion mark when that is higher: the subject is
    shown wherever the record is, so it must not sit above the record's level."""
    from cablemgr import classification

    m = _PORTION.match(record["title"] or "")
    if not m or m[2] not in PORTION_LEVELS:
        return None
    subject = PORTION_LEVELS[m[2]]
    levels = [record["classification"]] + [p["level"] for p in record["portions"]]
    levels = [level for level in levels if level]
    stated = max(levels, key=classification.rank) if levels else None
    if stated and classification.rank(subject) <= classification.rank(stated):
        return None
    record["classification"] = subject
    return (f"header says {stated or 'nothing'} but the subject is {subject}; "
            f"filed as {subject}")


def raised_classification(record: dict[str, Any]) -> str | None:
    """A warning when a portion is marked higher than the header (the record is raised)."""
    from cablemgr import classification

    stated = record["classification"]
    if not stated or not record["portions"]:
        return None
    top = max(record["portions"], key=lambda p: classification.rank(p["level"]))
    if classification.rank(top["level"]) > classification.rank(stated):
        return (f"header says {stated} but paragraph {top['n']} is {top['level']}; "
                f"filed as {top['level']}")
    return None


def render(record: dict[str, Any]) -> str:
    """Cable text for a record dict; ``parse(render(r))`` gives ``r`` back."""
    lines = []

    def put(key: str, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            value = ", ".join(value)
        if value:
            lines.append(f"{key}: {value}")

    put("CLASSIFICATION", record.get("classification"))
    put("REF", record.get("reference"))
    put("DATE", record.get("date"))
    put("FROM", record.get("post_original") or record.get("post"))
    put("TO", (record.get("metadata") or {}).get("to"))
    put("SUBJECT", record.get("title"))
    put("TAGS", record.get("tags"))
    put("DIALOGUE", record.get("dialogue"))
    put("PARTIES", record.get("parties"))
    put("REFS", record.get("refs"))
    put("AUTHOR", record.get("author"))
    for key, value in ((record.get("metadata") or {}).get("headers") or {}).items():
        put(key.upper(), value)
    return "\n".join(lines) + "\n\n" + record.get("body", "").strip("\n") + "\n"
