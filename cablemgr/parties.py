"""Parties: states, organisations, companies, civil society and the technical community."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cablemgr.db import write
from cablemgr.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlite_utils import Database

TYPES = ("state", "organisation", "company", "civil-society", "technical")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")


def add(db: Database, code: str, name: str, party_type: str) -> dict:
    """Add a party; its code is how every other command names it (``by:CN``, ``--with US``)."""
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput(
            f"party code '{code}' must be 1–16 letters, digits, '-' or '_' (e.g. US, MSFT)"
        )
    if party_type not in TYPES:
        raise InvalidInput(f"unknown party type '{party_type}'. Use one of: {', '.join(TYPES)}")
    if not name.strip():
        raise InvalidInput("a party needs a name")
    with write(db):
        # checked under the write lock: two concurrent adds would otherwise both pass it
        existing = db.execute("SELECT code FROM parties WHERE code = ?", (code,)).fetchone()
        if existing:
            raise InvalidInput(f"party '{existing[0]}' already exists")
        db.execute("INSERT INTO parties (code, name, type) VALUES (?, ?, ?)",
                   (code, name.strip(), party_type))
        from cablemgr import events

        events.log(db, f"party:{code}", "create",
                   {"code": [None, code], "name": [None, name.strip()], "type": [None, party_type]})
    return get(db, code)


def get(db: Database, code: str) -> dict:
    try:
        row = db.execute("SELECT code, name, type, builtin FROM parties WHERE code = ?",
                         (code.strip(),)).fetchone()
    except UnicodeEncodeError:  # bytes that were not UTF-8: no party can have that code
        row = None
    if not row:
        raise NotFound(f"unknown party '{code}'. See: cablemgr party list")
    return {"code": row[0], "name": row[1], "type": row[2], "builtin": bool(row[3])}


def list_all(db: Database, include_builtin: bool = True) -> list[dict]:
    sql = "SELECT code, name, type, builtin FROM parties"
    if not include_builtin:
        sql += " WHERE builtin = 0"
    rows = db.execute(sql + " ORDER BY builtin, type, code").fetchall()
    return [{"code": r[0], "name": r[1], "type": r[2], "builtin": bool(r[3])} for r in rows]


def resolve_codes(db: Database, codes: Iterable[str]) -> list[str]:
    """Canonical codes for ``codes`` (case-insensitive, comma lists split), unknown ones refused."""
    result: list[str] = []
    for item in codes:
        for code in str(item).split(","):
            code = code.strip()
            if not code:
                continue
            canonical = get(db, code)["code"]
            if canonical not in result:
                result.append(canonical)
    return result
