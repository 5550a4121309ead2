"""Saved searches ("watches"): a query and search flags kept under a name, and run again to see
what matches now that did not before.

A run reports every match the watch has not reported yet, then remembers it (``watch_seen``),
so the first run reports everything that matches and later runs only what is new. Seeing and
remembering happen in one write transaction, so two runs at the same moment never both report
the same item. The flags are stored as typed: ``--since 30d`` is read again at every run.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from cablemgr import search
from cablemgr.dates import now_timestamp
from cablemgr.db import write
from cablemgr.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlite_utils import Database

FILTERS = ("kind", "post", "dialogue", "party", "tag", "since", "until")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
# One search returns at most this many ids per round; more rounds are made when needed.
_PAGE = 1000


def check_name(name: str) -> str:
    name = str(name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(f"'{name}' cannot name a watch: use up to 60 letters, digits, "
                           "dots, dashes or underscores, starting with a letter or digit")
    return name


def _clean_filters(filters: dict[str, Any]) -> dict[str, str]:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise InvalidInput(f"unknown search filter {', '.join(sorted(unknown))}")
    return {key: str(value).strip() for key, value in filters.items()
            if value not in (None, "") and str(value).strip()}


def _row(db: Database, row: tuple) -> dict[str, Any]:
    seen = db.execute("SELECT count(*) FROM watch_seen WHERE watch_id = ?",
                      (row[0],)).fetchone()[0]
    return {"name": row[1], "query": row[2], "filters": json.loads(row[3]),
            "created_at": row[4], "last_run_at": row[5], "seen": seen, "_id": row[0]}


def _public(watch: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in watch.items() if not key.startswith("_")}


def get(db: Database, name: str) -> dict[str, Any]:
    row = db.execute("SELECT id, name, query, filters, created_at, last_run_at FROM watches "
                     "WHERE name = ?", (str(name).strip(),)).fetchone()
    if not row:
        known = [r[0] for r in db.execute("SELECT name FROM watches ORDER BY name LIMIT 8")]
        hint = f" Known: {', '.join(known)}" if known else " Add one with: cablemgr watch add"
        raise NotFound(f"no watch named '{name}'.{hint}")
    return _row(db, row)


def _matches(db: Database, query: str, filters: dict[str, str], notify=None) -> list[dict]:
    """Every current match of the saved search (all pages), best first."""
    limit = _PAGE
    while True:
        result = search.search(db, query, limit=limit, notify=notify, **filters)
        if result["total"] <= len(result["hits"]):
            return result["hits"]
        limit = result["total"]


def add(db: Database, name: str, query: str, *, notify=None, **filters: Any) -> dict[str, Any]:
    """Save a search under ``name``; the query and flags are checked by running them once."""
    name = check_name(name)
    query = " ".join(str(query or "").split())
    clean = _clean_filters(filters)
    _check_new(db, name)
    # a bad query or flag fails here with the search's own advice, before anything is saved
    search.search(db, query, limit=1, notify=notify, **clean)
    with write(db):
        # again under the write lock: a concurrent add may have taken the name meanwhile
        _check_new(db, name)
        db.execute("INSERT INTO watches (name, query, filters, created_at) VALUES (?, ?, ?, ?)",
                   (name, query, json.dumps(clean, sort_keys=True), now_timestamp()))
    return _public(get(db, name))


def _check_new(db: Database, name: str) -> None:
    if db.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone():
        raise InvalidInput(f"a watch named '{name}' exists already; remove it first with: "
                           f"cablemgr watch remove {name}")


def list_all(db: Database) -> list[dict[str, Any]]:
    rows = db.execute("SELECT id, name, query, filters, created_at, last_run_at FROM watches "
                      "ORDER BY name").fetchall()
    return [_public(_row(db, row)) for row in rows]


def remove(db: Database, name: str) -> dict[str, Any]:
    """Forget a watch and what it has seen; returns it as it was."""
    watch = get(db, name)
    with write(db):
        db.execute("DELETE FROM watch_seen WHERE watch_id = ?", (watch["_id"],))
        db.execute("DELETE FROM watches WHERE id = ?", (watch["_id"],))
    return _public(watch)


def run(db: Database, name: str | None = None, *, notify=None) -> list[dict[str, Any]]:
    """Run one watch (or all, by name) and return, for each, the matches new since its last
    run: ``[{"name", "query", "filters", "previous_run_at", "run_at", "total", "new": [hit]}]``.
    """
    targets = [get(db, name)] if name not in (None, "") else [
        get(db, w["name"]) for w in list_all(db)]
    results = []
    for watch in targets:
        hits = _matches(db, watch["query"], watch["filters"], notify)
        stamp = now_timestamp()
        new = []
        with write(db):
            for hit in hits:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO watch_seen (watch_id, item_id, first_seen_at) "
                    "VALUES (?, ?, ?)", (watch["_id"], hit["id"], stamp))
                if cursor.rowcount:
                    new.append(hit)
            db.execute("UPDATE watches SET last_run_at = ? WHERE id = ?", (stamp, watch["_id"]))
        new.sort(key=lambda h: (h["date"] or "", h["id"][0], int(h["id"][1:])), reverse=True)
        results.append({"name": watch["name"], "query": watch["query"],
                        "filters": watch["filters"], "previous_run_at": watch["last_run_at"],
                        "run_at": stamp, "total": len(hits), "new": new})
    return results
