"""Which format a file is in: from its name first, then from its first bytes.

========================  ==========================================================
``.txt`` ``.cable``        cable, or meeting notes when the header has ``TITLE`` and no
                           ``FROM`` (or ``KIND: meeting``)
``.md``                    meeting notes (a cable when the header has ``FROM``)
``.eml``                   e-mail
``.csv``                   CSV (a ``senders.csv`` mapping is recognised and skipped)
``.jsonl`` ``.ndjson``     native JSONL, or FRUS when the first object has ``volume_id``
``.json``                  native JSON list
``.xml``                   FRUS TEI volume
``.gz``                    the same rules on the name without ``.gz``
========================  ==========================================================

Any other name is sniffed from its content: ``{`` JSON lines, ``<`` XML, ``KEY: value`` header
lines (cable or notes), mail headers (e-mail).
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path

from cablemgr.ingest import base

FORMATS = ("auto", "cable", "notes", "eml", "jsonl", "json", "csv", "frus")
_EXTENSIONS = {".txt": "text", ".cable": "text", ".md": "text", ".eml": "eml",
               ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
               ".xml": "frus"}
_MAIL_HEADER = re.compile(rb"^(Return-Path|Received|Message-ID|MIME-Version|From|To|Date|"
                          rb"Subject|Delivered-To|X-[\w-]+):", re.IGNORECASE | re.MULTILINE)


def known_extension(path: Path) -> bool:
    """True for names a folder import picks up (others are skipped with a warning)."""
    return _suffix(path) in _EXTENSIONS


def _suffix(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).suffix


def detect(path: Path) -> str:
    """``cable``, ``notes``, ``text`` (cable or notes: decided by the header), ``eml``,
    ``csv``, ``jsonl``, ``json`` or ``frus``; raises ParseError when nothing fits."""
    by_name = _EXTENSIONS.get(_suffix(path))
    if by_name == "jsonl":
        return "frus" if _first_object_is_frus(path) else "jsonl"
    if by_name:
        return by_name
    first_bytes = head(path)
    stripped = first_bytes.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise base.ParseError("empty file")
    if b"\x00" in first_bytes:
        raise base.ParseError("binary file (it contains NUL bytes); not a text record")
    if stripped[:1] == b"{":
        return "frus" if _first_object_is_frus(path) else "jsonl"
    if stripped[:1] == b"[":
        return "json"
    if stripped[:1] == b"<":
        return "frus"
    first = stripped.split(b"\n", 1)[0]
    if _MAIL_HEADER.match(first) and len(_MAIL_HEADER.findall(first_bytes)) >= 3 and \
            re.search(rb"^Subject:", first_bytes, re.I | re.M) and \
            re.search(rb"^(From|Date):", first_bytes, re.M):
        return "eml"
    if base.HEADER_LINE.match(first.decode("utf-8", "replace").rstrip("\r")):
        return "text"
    raise base.ParseError("unknown file type: not a cable, notes, e-mail, CSV, JSON or FRUS "
                          "file (use --format to say which)")


def head(path: Path, size: int = 8192) -> bytes:
    """The first bytes of a file (decompressed when it is gzip)."""
    with path.open("rb") as handle:
        head = handle.read(size)
    if base.is_gzip(head):
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise base.ParseError(f"damaged gzip file ({exc})") from None
    return head


def _first_object_is_frus(path: Path) -> bool:
    from cablemgr.ingest import frus

    try:
        with base.open_binary(path) as handle:
            line = handle.readline(base.MAX_LINE_BYTES)
            while line and not line.strip():
                line = handle.readline(base.MAX_LINE_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise base.ParseError(f"cannot read ({exc})") from None
    try:
        return frus.is_frus_object(json.loads(line.decode("utf-8-sig")))
    except (ValueError, RecursionError):
        return False
