"""The editor template for meeting notes and records: header lines, a blank line, the body."""

from __future__ import annotations

import re

# Header keys in the order the template shows them, mapped to record fields.
TEMPLATE_KEYS = {"title": "Title", "date": "Date", "dialogue": "Dialogue", "with": "With",
                 "venue": "Venue", "tags": "Tags", "classification": "Classification"}
REPORT_KEYS = {"subject": "Subject", "date": "Date", "post": "Post", "ref": "Ref",
               "dialogue": "Dialogue", "with": "With", "tags": "Tags",
               "classification": "Classification"}
_HEADER = re.compile(r"^([A-Za-z][A-Za-z _-]{0,30}):\s*(.*)$")


def render(values: dict[str, str | None], body: str = "", keys: dict[str, str] = TEMPLATE_KEYS
           ) -> str:
    lines = [f"{label}: {values.get(key) or ''}".rstrip() for key, label in keys.items()]
    return "\n".join(lines) + "\n\n" + body


def parse(text: str, keys: dict[str, str] = TEMPLATE_KEYS) -> tuple[dict[str, str], str]:
    """Split ``text`` into known header values (lower-case keys) and the body.

    The header is the leading run of ``Key: value`` lines with a known key; the body is
    everything after it (a blank line after the header is dropped).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headers: dict[str, str] = {}
    index = 0
    while index < len(lines):
        m = _HEADER.match(lines[index])
        key = m[1].strip().lower() if m else None
        if key not in keys:
            break
        headers[key] = m[2].strip()
        index += 1
    if headers and index < len(lines) and not lines[index].strip():
        index += 1
    return headers, "\n".join(lines[index:]).strip("\n")


def split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]
