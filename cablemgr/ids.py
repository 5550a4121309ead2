"""Short human ids: a type letter and the row number (R12 record, D2 dialogue, C3 commitment,
A7 action). A bare number means a record."""

from __future__ import annotations

import re

from cablemgr.errors import InvalidInput

PREFIXES = {"R": "record", "D": "dialogue", "C": "commitment", "A": "action"}
TABLES = {"record": "records", "dialogue": "dialogues", "commitment": "commitments",
          "action": "actions"}
_LETTER = {entity: letter for letter, entity in PREFIXES.items()}
_ID = re.compile(r"^\s*([RDCA]?)(\d{1,18})\s*$", re.IGNORECASE)


def format_id(entity: str, number: int | None) -> str | None:
    return None if number is None else f"{_LETTER[entity]}{number}"


def parse_id(text: str, expect: str | None = None) -> tuple[str, int]:
    """Return (entity, number) for ``text``; ``expect`` restricts the entity.

    A bare number is read as ``expect`` (or a record when nothing is expected).
    """
    m = _ID.match(str(text))
    if not m:
        raise InvalidInput(f"'{text}' is not an id. Ids look like R12, D2, C3 or A7")
    letter = m[1].upper() or _LETTER.get(expect or "record")
    entity = PREFIXES[letter]
    if expect and entity != expect:
        raise InvalidInput(f"'{text}' is not a {expect} id (expected {_LETTER[expect]}…)")
    return entity, int(m[2])
