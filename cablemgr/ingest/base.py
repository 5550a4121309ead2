"""What every input format shares: reading a file safely, the header block, the record dict.

Every format module turns a file into **plain record dicts** with these keys (all present):

``kind`` (meeting | report), ``title``, ``body``, ``date`` (ISO or None), ``post``,
``post_original``, ``venue``, ``dialogue``, ``parties`` (list), ``tags`` (list),
``classification`` (the marking the source states, or None), ``reference`` (the source's own
reference number), ``refs`` (references it cites), ``author``, ``portions``
(``[{"n", "level"}]``), ``metadata`` (dict), ``uid`` (None unless the source has a stable id),
``line`` (where the item starts in its file), ``warnings`` (list of str) and ``attachments``
(record dicts of files attached to this one).

A problem that makes an item unusable is a :class:`ParseError` with the line it was found on.
Formats holding many items in one file (CSV, JSONL, FRUS) yield a ParseError for a bad item and
go on, so one run reports every bad row; single-document formats raise it.

Limits (documented in docs/import.md): a whole-document file (cable, notes, e-mail, JSON list,
TEI XML) may be at most ``MAX_DOCUMENT_BYTES``; line-based files (JSONL, CSV) are streamed and
have no total limit, but a single line may be at most ``MAX_LINE_BYTES``, and a gzip file may
expand to at most ``MAX_GZIP_BYTES``. The limits keep a hostile or mistaken file (a 10 MB
single line, a gzip bomb) from exhausting memory.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_GZIP_BYTES = 512 * 1024 * 1024
_SNIFF = 8192


class ParseError(Exception):
    """An item that cannot be imported, with the 1-based line where the problem is."""

    def __init__(self, reason: str, line: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def new_record(**fields: Any) -> dict[str, Any]:
    """A record dict with every key present (see the module docstring)."""
    record: dict[str, Any] = {
        "kind": "report", "title": None, "body": "", "date": None, "post": None,
        "post_original": None, "venue": None, "dialogue": None, "parties": [], "tags": [],
        "classification": None, "reference": None, "refs": [], "author": None,
        "portions": [], "metadata": {}, "uid": None, "line": 1, "warnings": [],
        "attachments": [],
    }
    record.update(fields)
    return record


def is_gzip(head: bytes) -> bool:
    return head[:2] == b"\x1f\x8b"


def _check_binary(data: bytes, line: int = 1) -> None:
    if b"\x00" in data:
        raise ParseError("binary file (it contains NUL bytes); not a text record", line)


def decode(data: bytes, warnings: list[str]) -> str:
    """Text from bytes: UTF-8 (BOM allowed), UTF-16 with a BOM, else Windows-1252 with a
    warning, since that is what Windows mail clients and old word processors write."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("not valid UTF-16 text despite its byte-order mark") from None
    _check_binary(data[:_SNIFF])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        position = exc.start
    if b"\x00" in data:
        _check_binary(data, data[:data.index(b"\x00")].count(b"\n") + 1)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        line = data[:position].count(b"\n") + 1
        raise ParseError("not text: neither UTF-8 nor Windows-1252", line) from None
    warnings.append("not UTF-8; read as Windows-1252 (check accented letters)")
    return text


def read_document(path: Path, warnings: list[str], *, limit: int = MAX_DOCUMENT_BYTES
                  ) -> bytes:
    """The whole file as bytes, refused when empty, too large, or binary."""
    size = path.stat().st_size
    if size > limit:
        raise ParseError(f"file is {_megabytes(size)}, over the {_megabytes(limit)} limit for "
                         "one document")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if is_gzip(data):
        data = _gunzip(data, limit)
    if not data.strip():
        raise ParseError("empty file")
    return data


def _gunzip(data: bytes, limit: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ParseError(f"damaged gzip file ({exc})") from None
    if len(out) > limit:
        raise ParseError(f"gzip file expands beyond the {_megabytes(limit)} limit")
    return out


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def open_binary(path: Path):
    """A binary stream over the file, decompressed on the fly when it is gzip."""
    handle = path.open("rb")
    if is_gzip(handle.peek(2)[:2] if hasattr(handle, "peek") else b""):
        return _LimitedGzip(handle)
    return handle


class _LimitedGzip(gzip.GzipFile):
    """A gzip stream that stops with a ParseError past MAX_GZIP_BYTES (a gzip bomb)."""

    def __init__(self, raw) -> None:
        super().__init__(fileobj=raw)
        self._raw = raw
        self._seen = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self._seen += len(chunk)
        if self._seen > MAX_GZIP_BYTES:
            raise ParseError(f"gzip file expands beyond the {_megabytes(MAX_GZIP_BYTES)} limit")
        return chunk

    def readline(self, size=-1):
        chunk = super().readline(size)
        self._seen += len(chunk)
        if self._seen > MAX_GZIP_BYTES:
            raise ParseError(f"gzip file expands beyond the {_megabytes(MAX_GZIP_BYTES)} limit")
        return chunk

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def text_lines(path: Path, warnings: list[str]) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line of a line-based file, streamed.

    Each line is decoded on its own (UTF-8, else Windows-1252 with one warning), so memory
    stays flat however long the file is. Lines over MAX_LINE_BYTES are refused.
    """
    warned = False
    empty = True
    try:
        stream = open_binary(path)
    except OSError as exc:
        raise ParseError(f"cannot read ({exc})") from None
    with stream:
        number = 0
        while True:
            try:
                raw = stream.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError, zlib.error) as exc:
                raise ParseError(f"damaged gzip file ({exc})", number + 1) from None
            if not raw:
                break
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise ParseError(f"line is longer than the {_megabytes(MAX_LINE_BYTES)} limit",
                                 number)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            _check_binary(raw, number)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    text = raw.decode("cp1252")
                except UnicodeDecodeError:
                    raise ParseError("not text: neither UTF-8 nor Windows-1252",
                                     number) from None
                if not warned:
                    warnings.append(f"line {number} is not UTF-8; read as Windows-1252")
                    warned = True
            if text.strip():
                empty = False
            yield number, text.rstrip("\r\n")
    if empty:
        raise ParseError("empty file")


# ---------------------------------------------------------------------------------------------
# The header block shared by cables, meeting notes and cable headers inside e-mails.

HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]{0,30}):(?:[ \t]+(.*?)|)[ \t]*$")


def split_header(text: str, *, first_line: int = 1
                 ) -> tuple[dict[str, tuple[str, int]], str, int]:
    """Split ``KEY: value`` lines, a blank line and the body.

    Returns ({lower-case key: (value, line)}, body, line where the body starts). Keys are
    case-insensitive and may appear once; the block may be wrapped in ``---`` lines (Markdown
    front matter). A line in the block that is not ``KEY: value`` is refused with its number,
    so a forgotten blank line never turns the first paragraph into a header.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    fenced = index < len(lines) and lines[index].strip() == "---"
    if fenced:
        index += 1
    headers: dict[str, tuple[str, int]] = {}
    while index < len(lines):
        line = lines[index]
        number = first_line + index
        if fenced and line.strip() == "---":
            index += 1
            break
        if not line.strip():
            break
        m = HEADER_LINE.match(line)
        if not m:
            if not headers:
                raise ParseError("no header block: the file must start with 'KEY: value' "
                                 "lines (e.g. SUBJECT:, DATE:), then a blank line, then the body",
                                 number)
            raise ParseError(f"expected 'KEY: value' in the header, or a blank line before the "
                             f"body, not '{_clip(line)}'", number)
        key = " ".join(m[1].lower().replace("_", " ").split())
        if key in headers:
            raise ParseError(f"header {key.upper()} appears twice (lines {headers[key][1]} and "
                             f"{number})", number)
        headers[key] = ((m[2] or "").strip(), number)
        index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    body_line = first_line + index
    body = "\n".join(line.rstrip() for line in lines[index:]).strip("\n")
    return headers, body, body_line


def _clip(text: str, width: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= width else text[:width - 1] + "…"


def split_list(value: str | None) -> list[str]:
    """Items of a comma-separated header value, blanks dropped."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def require(headers: dict[str, tuple[str, int]], *keys: str) -> None:
    """Refuse a header block lacking any of ``keys`` (aliases as ``"classification|class"``)."""
    for key in keys:
        names = key.split("|")
        if not any(headers.get(name, ("", 0))[0] for name in names):
            raise ParseError(f"missing required header {names[0].upper()}")


def header(headers: dict[str, tuple[str, int]], *names: str) -> tuple[str | None, int]:
    """The first non-empty value among ``names`` and its line (None, 1 when absent)."""
    for name in names:
        value, line = headers.get(name, ("", 0))
        if value:
            return value, line
    return None, 1


def iso_date(value: str | None, line: int) -> str | None:
    """An ISO date from a header value, or a ParseError naming the value and line."""
    from cablemgr.dates import parse_date
    from cablemgr.errors import InvalidInput

    if not value:
        return None
    try:
        # a header's date describes the document, not the day it happens to be imported
        return parse_date(value, relative=False).isoformat()
    except InvalidInput as exc:
        raise ParseError(str(exc), line) from None


def level(value: str | None, line: int) -> str | None:
    """A canonical classification from a header value; unknown markings refused."""
    from cablemgr import classification
    from cablemgr.errors import InvalidInput

    if not value:
        return None
    try:
        return classification.parse_level(value)
    except InvalidInput as exc:
        raise ParseError(str(exc), line) from None
