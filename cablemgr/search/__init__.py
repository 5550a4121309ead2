"""Full-text search: a Whoosh index derived from SQLite, kept in step through an outbox.

This package is the only place that imports whoosh, and it does so lazily: importing
``cablemgr.search`` (or any CLI module) costs nothing, so ``cablemgr --help`` stays instant.

Public functions (the database first, plain data out):

- ``sync(db, progress=None)``: drain the outbox into the index. Call after every write and
  before reading.
- ``search(db, query, *, kind, post, dialogue, party, tag, since, until, limit, count_by)``
  -> ``{"query", "total", "hits": [{"id", "kind", "date", "title", "post", "dialogue",
  "score", "snippet"}], "suggestion"}``; with ``count_by`` also ``"count_by"`` and
  ``"facets": {value: count}`` (largest first) and no hits. Matched words in snippets are
  marked ``[[word]]``.
- ``related(db, record_number, limit=5)`` -> hits without snippets, other posts first.
- ``reindex(db, progress=None, optimize=False)`` -> ``{"documents", "seconds", "path"}``.
- ``doc_count(db)``, ``status(db)``, ``index_path(db)``.

Each takes an optional ``notify(message)`` callback for the one-line notice shown when a
missing or damaged index is rebuilt; the CLI passes one that writes to stderr.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

Notify = Callable[[str], None]
MARK = re.compile(r"\[\[(.*?)\]\]", re.S)


def _ignore(message: str) -> None:
    """The default notice sink: services do not print; the CLI passes its own."""


def index_path(db: Database) -> Path:
    """Where the index lives: ``<database file>.index/``."""
    path = Path(getattr(db, "path", None) or "cablemgr.db")
    return path.with_name(path.name + ".index")


def sync(db: Database, notify: Notify | None = None,
         progress: Callable[[int, int], None] | None = None) -> int:
    """Drain the outbox into the index; return how many documents were (re)written.

    The common case, nothing queued and an index present, answers without loading whoosh.
    A bulk import's queue is written by a rebuild, which calls ``progress(done, total)``.
    """
    if (index_path(db) / "CURRENT").is_file() and \
            not db.execute("SELECT 1 FROM search_outbox LIMIT 1").fetchone():
        return 0
    from cablemgr.search import index

    return index.sync(db, notify or _ignore, progress=progress)


def search(db: Database, query: str, *, kind: str | None = None, post: str | None = None,
           dialogue: str | None = None, party: str | None = None, tag: str | None = None,
           since: Any = None, until: Any = None, limit: int = 20,
           count_by: str | None = None, notify: Notify | None = None) -> dict[str, Any]:
    """Ranked hits (or facet counts) for ``query`` with the flag filters applied.

    Raises InvalidInput with a hint for a query that cannot be read.
    """
    from cablemgr import dialogues, parties
    from cablemgr.search import engine

    # an unknown or ambiguous dialogue or party is a mistake to report, as list does,
    # not a filter that silently matches nothing
    if dialogue:
        dialogue = dialogues.get(db, dialogues.resolve(db, dialogue))["name"]
    if party:
        party = parties.get(db, party)["code"]
    return engine.search(db, query, kind=kind, post=post, dialogue=dialogue, party=party,
                         tag=tag, since=since, until=until, limit=limit, count_by=count_by,
                         notify=notify or _ignore)


def related(db: Database, record_number: int, limit: int = 5,
            notify: Notify | None = None) -> list[dict[str, Any]]:
    """Records most like record ``record_number``: other posts first, never itself."""
    from cablemgr.search import engine

    return engine.related(db, record_number, limit=limit, notify=notify or _ignore)


def reindex(db: Database, progress: Callable[[int, int], None] | None = None,
            optimize: bool = False, notify: Notify | None = None) -> dict[str, Any]:
    """Rebuild the index from SQLite; ``progress(done, total)`` is called as it goes."""
    from cablemgr.search import index

    return index.reindex(db, progress=progress, optimize=optimize, notify=notify or _ignore)


def doc_count(db: Database) -> int:
    """Documents in the index (0 if there is none). Does not drain the outbox."""
    from cablemgr.search import index

    return index.doc_count(db)


def status(db: Database) -> dict[str, Any]:
    """Index health for ``doctor``: path, generation, documents, segments, ok, problem."""
    from cablemgr.search import index

    return index.status(db)


def render_marks(text: str, bold: Callable[[str], str] | None = None) -> str:
    """Snippet marks for display: ``bold(word)`` on a terminal, ``[[word]]`` left as is."""
    return MARK.sub(lambda m: bold(m[1]), text) if bold else text
