"""The append-only event log with its hash chain.

Each event's hash is SHA-256 over the previous event's hash and this event's canonical JSON,
so a row changed or removed outside cablemgr breaks the chain at that point.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from cablemgr.dates import now_timestamp

if TYPE_CHECKING:
    from sqlite_utils import Database

GENESIS = "0" * 64


def current_user() -> str:
    """Who is acting: ``CABLEMGR_USER`` if set, else the login name."""
    user = os.environ.get("CABLEMGR_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def canonical(event: dict[str, Any]) -> str:
    """The event's content as hashed: sorted keys, no whitespace, UTF-8 text as is."""
    payload = {key: event[key] for key in ("at", "who", "entity", "action", "changes")}
    if isinstance(payload["changes"], str):
        payload["changes"] = json.loads(payload["changes"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, event: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def log(db: Database, entity: str, action: str, changes: dict[str, Any],
        who: str | None = None) -> None:
    """Append one event. Call inside the write transaction that made the change.

    ``entity`` is the human id (``R12``); ``changes`` maps each field to ``[old, new]``
    (a create has ``None`` as every old value).
    """
    row = db.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    event = {"at": now_timestamp(), "who": who or current_user(), "entity": entity,
             "action": action, "changes": changes}
    db.execute(
        "INSERT INTO events (at, who, entity, action, changes, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (event["at"], event["who"], entity, action,
         json.dumps(changes, sort_keys=True, ensure_ascii=False), prev, chain_hash(prev, event)),
    )


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list]:
    """Fields whose value differs, as ``{field: [old, new]}``."""
    return {key: [old.get(key), new.get(key)] for key in new if old.get(key) != new.get(key)}


def history(db: Database, entity: str) -> list[dict[str, Any]]:
    """Every event of one entity, oldest first."""
    rows = db.execute(
        "SELECT id, at, who, entity, action, changes FROM events WHERE entity = ? ORDER BY id",
        (entity,),
    ).fetchall()
    return [{"event": r[0], "at": r[1], "who": r[2], "entity": r[3], "action": r[4],
             "changes": json.loads(r[5])} for r in rows]
