"""CSV: one record per row under a header row.

Columns (case-insensitive, any order, unknown ones kept in metadata): ``kind`` (report, the
default, or meeting), ``date`` and ``title`` or ``subject`` (required), ``body``, ``post``,
``venue``, ``ref``, ``refs``, ``classification``, ``tags``, ``parties``, ``dialogue``,
``author``; ``tags``, ``parties`` and ``refs`` are comma-separated inside the cell. UTF-8 with
or without a BOM (Windows-1252 accepted with a warning); Excel's ``;`` dialect is detected from
the header row. The file is streamed, so its size does not matter.

A CSV whose columns are a sender mapping (``sender``/``domain`` and ``post``) is not records:
it is the e-mail importer's ``senders.csv`` and is skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cablemgr.ingest import base, cable, mail
from cablemgr.ingest.base import ParseError, new_record

COLUMNS = ("kind", "date", "title", "subject", "body", "post", "venue", "ref", "reference",
           "refs", "classification", "class", "tags", "parties", "with", "dialogue", "author")


# csv refuses cells over 128 KiB by default; a report body may be longer, and the line limit
# (MAX_LINE_BYTES) already bounds what one row can hold.
csv.field_size_limit(max(csv.field_size_limit(), base.MAX_LINE_BYTES))


class SkipFile(Exception):
    """The file is not records (a sender mapping); the runner notes it and moves on."""


def parse(path: Path, warnings: list[str]) -> Iterator[dict[str, Any] | ParseError]:
    """Record dicts (or a ParseError per bad row) from a CSV file."""
    lines = base.text_lines(path, warnings)
    first = next(lines, None)
    if first is None:
        raise ParseError("empty file")
    number, header_text = first
    delimiter = ";" if header_text.count(";") > header_text.count(",") else ","

    # csv needs a file-like stream of lines; line numbers come from the reader itself
    # (a quoted cell may span lines).
    def stream() -> Iterator[str]:
        yield header_text + "\n"
        for _, text in lines:
            yield text + "\n"

    reader = csv.reader(stream(), delimiter=delimiter, strict=True)
    try:
        names = [" ".join(n.strip().lower().split()) for n in next(reader)]
    except csv.Error as exc:
        raise ParseError(f"malformed CSV header ({exc})", number) from None
    if mail.is_sender_map(names):
        raise SkipFile("a sender mapping for e-mail import, not records")
    if "date" not in names:
        raise ParseError("missing required column date", number)
    if "title" not in names and "subject" not in names:
        raise ParseError("missing required column title (or subject)", number)
    if "body" not in names:
        warnings.append("no body column; records will have only a title")
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # strict mode: an unbalanced quote or stray character ends the usable file
            yield ParseError(f"malformed CSV row ({exc})", start)
            return
        except ParseError as exc:
            yield exc
            return
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            yield ParseError(f"malformed CSV row: {len(cells)} fields, the header has "
                             f"{len(names)}", start)
            continue
        try:
            yield _record(dict(zip(names, cells, strict=True)), start)
        except ParseError as exc:
            yield exc


def _record(row: dict[str, str], line: int) -> dict[str, Any]:
    def cell(*keys: str) -> str | None:
        for key in keys:
            value = (row.get(key) or "").strip()
            if value:
                return value
        return None

    kind = (cell("kind") or "report").lower()
    if kind not in ("report", "meeting"):
        raise ParseError(f"unknown kind '{kind}'; use report or meeting", line)
    title = cell("title", "subject")
    if not title:
        raise ParseError("missing required value title (or subject)", line)
    if not cell("date"):
        raise ParseError("missing required value date", line)
    body = (row.get("body") or "").replace("\r\n", "\n").strip("\n")
    post_original = cell("post")
    record = new_record(
        kind=kind, title=title, body=body, date=base.iso_date(cell("date"), line),
        post=cable.normalise_post(post_original), post_original=post_original,
        venue=cell("venue"), dialogue=cell("dialogue"),
        parties=base.split_list(cell("parties", "with")), tags=base.split_list(cell("tags")),
        classification=base.level(cell("classification", "class"), line),
        reference=cell("ref", "reference"), refs=base.split_list(cell("refs")),
        author=cell("author"), line=line)
    try:
        record["portions"] = cable.portions(body)
    except ParseError as exc:
        raise ParseError(exc.reason, line) from None
    if record["post"] == record["post_original"]:
        record["post_original"] = None
    extra = {key: value for key, value in row.items()
             if key and key not in COLUMNS and value and value.strip()}
    if extra:
        record["metadata"]["columns"] = extra
    raised = cable.raised_classification(record)
    if raised:
        record["warnings"].append(f"line {line}: {raised}")
    return record
