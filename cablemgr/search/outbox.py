"""Queueing rows for the search index. No whoosh here: this runs inside every write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cablemgr.dates import now_timestamp

if TYPE_CHECKING:
    from sqlite_utils import Database


def enqueue(db: Database, doc_id: str) -> None:
    """Queue ``doc_id`` (R12, C3, A7) for (re)indexing, inside the caller's transaction."""
    db.execute("INSERT INTO search_outbox (doc_id, queued_at) VALUES (?, ?)",
               (doc_id, now_timestamp()))


def depth(db: Database) -> int:
    return db.execute("SELECT count(*) FROM search_outbox").fetchone()[0]
