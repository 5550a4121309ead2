"""Rendering for the terminal and for scripts: aligned tables, JSON, safe text."""

from __future__ import annotations

import contextlib
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import click

# Control characters, bidirectional overrides/isolates and zero-width characters are shown
# escaped (\u202e) so a hostile title cannot reorder or hide what the terminal displays.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def safe(text: Any, *, keep_newlines: bool = True) -> str:
    """``text`` with unsafe characters escaped; newlines and tabs kept unless asked."""
    text = "" if text is None else str(text)
    escaped = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if not keep_newlines:
        escaped = escaped.replace("\n", " ").replace("\t", " ")
    return escaped


def is_terminal() -> bool:
    return sys.stdout.isatty()


@contextlib.contextmanager
def progress_bar(label: str, show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback that draws a bar on stderr, or None if not
    ``show``. The bar appears at the first call, so work that turns out to be quick (the
    search index has nothing to rebuild) draws nothing."""
    if not show:
        yield None
        return
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def emit_json(data: Any) -> None:
    """One JSON document on stdout."""
    # imported here: most commands print tables, and --help needs no json
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _width(text: str) -> int:
    if text.isascii():
        # the common case, and asking unicodedata about every character of a long listing
        # was most of the time `due` took to print
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _clip(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    # count the width as it grows: re-measuring the prefix per character was quadratic, and
    # long titles in a `due` listing of a few thousand rows took a second
    out, used = [], 0
    for ch in text:
        used += _width(ch)
        if used > limit - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str], *,
          max_widths: dict[int, int] | None = None) -> str:
    """An aligned plain-text table; the last column is not padded."""
    max_widths = max_widths or {}
    cells = [[safe(h, keep_newlines=False) for h in headers]]
    for row in rows:
        cells.append([_clip(safe(value if value is not None else "", keep_newlines=False),
                            max_widths.get(i, 200)) for i, value in enumerate(row)])
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        padded = [cell + " " * (widths[i] - _width(cell)) if i < len(row) - 1 else cell
                  for i, cell in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def labelled(fields, width: int = 10) -> list[str]:
    """``Label:    value`` lines for the fields that have a value, as every ``show`` prints."""
    return [f"{label + ':':<{width}}{safe(value, keep_newlines=False)}"
            for label, value in fields if value not in (None, "")]


def notice(message: str) -> None:
    """A line for the person, on stderr, so stdout stays data."""
    click.echo(message, err=True)
