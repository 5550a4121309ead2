"""Classification levels: ordered labels, parsed leniently, compared strictly."""

from __future__ import annotations

from cablemgr.errors import InvalidInput

LEVELS = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")
DEFAULT = "UNCLASSIFIED"

# Abbreviations seen on cables and portion marks; SBU (sensitive but unclassified) is handled
# as RESTRICTED, the lowest protective level in this scheme.
_ALIASES = {
    "U": "UNCLASSIFIED",
    "UNCLAS": "UNCLASSIFIED",
    "R": "RESTRICTED",
    "SBU": "RESTRICTED",
    "C": "CONFIDENTIAL",
    "S": "SECRET",
}


def parse_level(text: str | None) -> str:
    """Return the canonical level for ``text`` (case-insensitive, abbreviations accepted)."""
    if text is None or not str(text).strip():
        return DEFAULT
    key = str(text).strip().upper()
    if key in LEVELS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise InvalidInput(
        f"unknown classification '{text}'. Use one of: {', '.join(LEVELS)} (or U, R, C, S)"
    )


def rank(level: str) -> int:
    return LEVELS.index(level)


def highest(levels) -> str:
    """The highest of ``levels`` (canonical names); UNCLASSIFIED for none."""
    return max(levels, key=rank, default=DEFAULT)
