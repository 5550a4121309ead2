"""The Whoosh index beside the database: its schema, its folder, locks, outbox drain, rebuild.

Layout of ``<db>.index/``::

    CURRENT        name of the live index generation (replaced atomically on rebuild)
    write.lock     held by whoever writes to the index or removes outbox rows
    rebuild.lock   held for the whole of a rebuild
    _g…_N.toc, g…_*.seg   Whoosh files of one or more generations

A rebuild writes a new generation next to the live one and switches ``CURRENT`` when it is
complete, so searches keep working during a rebuild and a crash mid-rebuild leaves the old
index in place.  Lock order is always rebuild.lock, then write.lock.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import secrets
import shutil
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index as whoosh_index
from whoosh import query
from whoosh.util.filelock import FileLock

from cablemgr.errors import DatabaseError
from cablemgr.search import bulk, documents, index_path
from cablemgr.search.schema import SCHEMA

if TYPE_CHECKING:
    from sqlite_utils import Database

Notify = Callable[[str], None]
Progress = Callable[[int, int], None]

# How long a process waits for another one to finish writing the index. Matches the
# database's busy timeout: the same person is waiting for the same reasons.
LOCK_TIMEOUT = 30.0
# Above this many segments a drain merges everything into one; Whoosh's default policy only
# merges small segments, so a long run of single-record commits stays cheap but not bounded.
MAX_SEGMENTS = 24
_DRAIN_SLICE = 500
_GENERATION = re.compile(r"^g[0-9a-z]{12}$")
# the generation a file in the folder belongs to: _g…_N.toc, g…_x.seg, g….tmp, CURRENT.g…
_OWNER = re.compile(r"^(?:_|CURRENT\.)?(g[0-9a-z]{12})(?:[_.]|$)")

# What a damaged index raises while being opened or read. The index is derived data, so any
# of these means "rebuild from SQLite", never "give up".
DAMAGE = (whoosh_index.IndexError, OSError, EOFError, ValueError, KeyError, IndexError,
          struct.error, pickle.UnpicklingError, zlib.error)


def is_damage(exc: BaseException) -> bool:
    """True for what unreadable index files raise. Whoosh reports some (a bad block tag) as a
    plain ``Exception``; only that exact class is taken as damage, so a bug in our own code
    (a subclass) still surfaces."""
    return isinstance(exc, DAMAGE) or type(exc) is Exception


class OtherVersion(ValueError):
    """The index has other fields than this cablemgr writes: rebuilt like a damaged one."""


class IndexBusy(DatabaseError):
    """Another process kept the index locked for longer than the bound."""


def _ensure_folder(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


@contextlib.contextmanager
def _locked(path: Path, name: str, timeout: float) -> Iterator[None]:
    """Hold ``path/name`` exclusively, polling up to ``timeout`` seconds.

    fcntl/msvcrt locks die with their process, so a killed cablemgr never leaves the index
    locked.
    """
    lock = FileLock(str(path / name))
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not _try_lock(path, lock):
        if time.monotonic() >= deadline:
            raise IndexBusy(
                f"the search index {path} is busy in another cablemgr process (waited "
                f"{timeout:.0f} s). Your change is saved and queued; run the command again "
                f"when the other one has finished."
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    try:
        yield
    finally:
        lock.release()


def _try_lock(path: Path, lock: FileLock) -> bool:
    # The folder may be a plain file, unwritable or on a full disk: name it, so the user can
    # fix it, rather than fail with an OSError traceback.
    try:
        _ensure_folder(path)
        return lock.acquire(blocking=False)
    except OSError as exc:
        raise DatabaseError(f"cannot use the search index at {path}: "
                            f"{exc.strerror or exc}") from None


def _rebuild_running(path: Path) -> bool:
    lock = FileLock(str(path / "rebuild.lock"))
    if lock.acquire(blocking=False):
        lock.release()
        return False
    return True


def _current(path: Path) -> str | None:
    try:
        name = (path / "CURRENT").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if _GENERATION.match(name) else None


def _set_current(path: Path, name: str) -> None:
    tmp = path / f"CURRENT.{name}"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path / "CURRENT")


def _open(path: Path) -> Any:
    """Open the live generation; what it raises when unusable passes ``is_damage``."""
    name = _current(path)
    if name is None:
        raise FileNotFoundError(path / "CURRENT")
    ix = whoosh_index.open_dir(str(path), indexname=name)
    if set(ix.schema.names()) != set(SCHEMA.names()):
        raise OtherVersion("index written by another version of cablemgr")
    return ix


def open_index(db: Database, notify: Notify | None = None) -> Any:
    """The live index, rebuilt first if it is missing or damaged."""
    path = index_path(db)
    problem: BaseException | None = None
    # A concurrent rebuild or merge can delete files between reading CURRENT and opening
    # them; a short retry tells that apart from real damage.
    for attempt in range(3):
        try:
            return _open(path)
        except FileNotFoundError as exc:
            problem = exc
            if _current(path) is None:
                break
        except Exception as exc:
            if not is_damage(exc):
                raise
            problem = exc
        time.sleep(0.02 * (attempt + 1))
    rebuild_if_broken(db, problem, notify)
    return _open(path)


def rebuild_if_broken(db: Database, problem: BaseException | None,
                      notify: Notify | None = None, *, failed: str | None = None) -> bool:
    """Rebuild the index after ``problem``; True if rebuilt.

    Without ``failed`` the live index is first checked with every writer kept out (another
    process may have repaired it while we waited, or the problem was a file removed under
    us). With ``failed``, the generation a search just failed on, that check is skipped
    unless the live generation has changed since: opening can succeed on damaged files.
    """
    path = index_path(db)
    with _locked(path, "rebuild.lock", LOCK_TIMEOUT):
        live = _current(path)
        if live is not None and (failed is None or live != failed):
            try:
                with _locked(path, "write.lock", LOCK_TIMEOUT):
                    with _open(path).searcher() as searcher:
                        searcher.search(query.Every(), limit=1)
                return False
            except Exception as exc:
                if not is_damage(exc):
                    raise
        existed = live is not None
        queued = _queued_ids(db)
        stats = _rebuild(db, path, progress=None, optimize=False)
    if notify and (existed or stats["documents"] > len(queued)):
        if isinstance(problem, OtherVersion):
            state, reason = "from another version of cablemgr", ""
        else:
            state = "unreadable" if existed else "missing"
            reason = f" ({problem.__class__.__name__})" if existed and problem else ""
        notify(f"Notice: the search index was {state}{reason}; rebuilt it from the database "
               f"({stats['documents']} documents).")
    return True


def _queued_ids(db: Database) -> set[str]:
    return {row[0] for row in db.execute("SELECT DISTINCT doc_id FROM search_outbox")}


def _index_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """A search document as Whoosh field values (empty fields left out)."""
    parties = doc["parties"]
    out = {
        "id": doc["id"], "kind": doc["kind"], "title": doc["title"], "body": doc["body"],
        "meta": doc["meta"], "date": doc["date"], "year": doc["date"][:4],
        "month": doc["date"][:7],
        "classification": (doc["class"] or "").lower(),
        "tag": ",".join(t.replace(",", " ") for t in doc["tags"]),
        "party": ",".join(f"{code},{name.replace(',', ' ')}" for code, name in parties),
        "party_code": ",".join(code for code, _ in parties),
    }
    for key in ("post", "venue", "dialogue", "owner"):
        if doc[key]:
            out[key] = doc[key]
    if doc["post"]:
        out["post_name"] = doc["post"]
    if doc["status"]:
        out["status"] = doc["status"].lower()
    if doc["ref"]:
        out["ref"] = doc["ref"].replace(",", " ")
    if doc["due"]:
        out["due"] = doc["due"]
    return {key: value for key, value in out.items() if value}


def sync(db: Database, notify: Notify | None = None, timeout: float | None = None,
         progress: Progress | None = None) -> int:
    """Drain the outbox into the index; return how many documents were written.

    Outbox rows are removed only after the Whoosh commit, so a crash at any point leaves them
    to be drained again (updates are idempotent: the id is the unique key). A queue larger
    than the index itself (a bulk import) is cheaper to absorb by rebuilding, which uses
    every core; ``progress(done, total)`` is then called as documents are written.
    """
    path = index_path(db)
    if _current(path) is None:
        open_index(db, notify)  # creates (and fills) the index; drains the outbox too
    queued = db.execute("SELECT count(DISTINCT doc_id) FROM search_outbox").fetchone()[0]
    if bulk.workers_for(queued) and queued > status(db)["documents"]:
        return reindex(db, progress=progress, notify=notify)["documents"]
    for attempt in range(2):
        if not db.execute("SELECT 1 FROM search_outbox LIMIT 1").fetchone():
            return 0
        with _locked(path, "write.lock", LOCK_TIMEOUT if timeout is None else timeout):
            try:
                ix = _open(path)
            except Exception as exc:
                if not is_damage(exc):
                    raise
                problem: BaseException = exc
            else:
                return _drain(db, path, ix)
        if attempt == 0:
            rebuild_if_broken(db, problem, notify)
    raise DatabaseError(f"the search index {path} cannot be opened ({problem}). "
                        f"Rebuild it with: cablemgr reindex")


def _drain(db: Database, path: Path, ix: Any) -> int:
    """Write every queued document; call with write.lock held."""
    conn = db.conn
    own_read = not conn.in_transaction
    if own_read:
        conn.execute("BEGIN")  # the queue and the rows it names, read from one snapshot
    try:
        rows = db.execute("SELECT id, doc_id FROM search_outbox ORDER BY id").fetchall()
        if not rows:
            return 0
        doc_ids = list(dict.fromkeys(doc_id for _, doc_id in rows))
        writer = ix.writer(limitmb=128)
        try:
            # One searcher finds every old version to delete: update_document would open a
            # searcher over all segments per document, which made a week's inbox of 65
            # documents take 18 s against a 100,000-record index.
            with writer.searcher() as existing:
                # in slices, so a bulk import's queue never sits in memory all at once
                for start in range(0, len(doc_ids), _DRAIN_SLICE):
                    docs = documents.load(db, doc_ids[start:start + _DRAIN_SLICE])
                    for doc_id, doc in docs.items():
                        writer.delete_by_term("id", doc_id, searcher=existing)
                        if doc is not None:
                            writer.add_document(**_index_fields(doc))
        except BaseException:
            writer.cancel()
            raise
    finally:
        if own_read:
            conn.execute("COMMIT")
    writer.commit(optimize=len(ix._segments()) >= MAX_SEGMENTS)
    # During a rebuild the new generation has not seen these changes yet; leave the rows
    # for the rebuild to drain into it after the switch.
    if not _rebuild_running(path):
        from cablemgr.db import write

        with write(db):
            db.execute("DELETE FROM search_outbox WHERE id <= ?", (rows[-1][0],))
    return len(doc_ids)


def reindex(db: Database, progress: Progress | None = None, optimize: bool = False,
            notify: Notify | None = None) -> dict[str, Any]:
    """Rebuild the index from SQLite; return ``{"documents", "seconds", "path"}``."""
    path = index_path(db)
    started = time.monotonic()
    with _locked(path, "rebuild.lock", LOCK_TIMEOUT):
        stats = _rebuild(db, path, progress=progress, optimize=optimize)
    sync(db, notify)  # what was written while the new generation was being built
    stats["seconds"] = round(time.monotonic() - started, 3)
    return stats


def _rebuild(db: Database, path: Path, progress: Progress | None,
             optimize: bool) -> dict[str, Any]:
    """Build a new generation and switch to it; call with rebuild.lock held."""
    conn = db.conn
    if conn.in_transaction:
        raise DatabaseError("cannot rebuild the search index inside a write transaction")
    with _locked(path, "write.lock", LOCK_TIMEOUT):
        _remove_generations(path, keep=_current(path))
        # The snapshot starts while no one drains the outbox: every row up to `mark` is
        # reflected in what we read; later rows stay queued until after the switch.
        conn.execute("BEGIN")
        conn.execute("SELECT 1 FROM records LIMIT 1").fetchall()  # pins the snapshot now
        mark = db.execute("SELECT coalesce(max(id), 0) FROM search_outbox").fetchone()[0]
    try:
        total = documents.count_all(db)
        name = "g" + secrets.token_hex(6)
        ix = whoosh_index.create_in(str(path), SCHEMA, indexname=name)
        fields = (_index_fields(doc) for doc in documents.iter_all(db))
        workers = bulk.workers_for(total)
        if workers:
            done = bulk.build(ix, fields, total, workers, progress)
            if optimize:
                ix.optimize()
        else:
            done = _build_serially(ix, fields, total, progress, optimize)
    finally:
        conn.execute("COMMIT")
    if progress and done != total:
        progress(done, total)
    with _locked(path, "write.lock", LOCK_TIMEOUT):
        old = _current(path)
        _set_current(path, name)
        from cablemgr.db import write

        with write(db):
            db.execute("DELETE FROM search_outbox WHERE id <= ?", (mark,))
        if old:
            _remove_generations(path, keep=name)
    return {"documents": done, "path": str(path)}


def _build_serially(ix: Any, fields: Iterator[dict[str, Any]], total: int,
                    progress: Progress | None, optimize: bool) -> int:
    writer = ix.writer(limitmb=128)
    done = 0
    try:
        for doc in fields:
            writer.add_document(**doc)
            done += 1
            if progress and (done % 200 == 0 or done == total):
                progress(done, total)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=optimize)
    return done


def _remove_generations(path: Path, keep: str | None) -> None:
    """Delete the files of every generation but ``keep``: the previous index after a switch,
    or what a rebuild killed halfway left behind (segments, Whoosh's temporary folders)."""
    for entry in path.iterdir():
        m = _OWNER.match(entry.name)
        owner = m[1] if m else None
        if owner is None or owner == keep:
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def doc_count(db: Database) -> int:
    """Documents in the live index (0 when there is none); does not drain the outbox."""
    path = index_path(db)
    if _current(path) is None:
        return 0
    try:
        return _open(path).doc_count()
    except Exception as exc:
        if not is_damage(exc):
            raise
        raise DatabaseError(
            f"the search index {path} cannot be read ({exc.__class__.__name__}). "
            f"Rebuild it with: cablemgr reindex"
        ) from None


def status(db: Database) -> dict[str, Any]:
    """What ``doctor`` reports: path, generation, documents, segments, readable or not."""
    path = index_path(db)
    info: dict[str, Any] = {"path": str(path), "generation": _current(path),
                            "documents": 0, "segments": 0, "ok": False, "problem": None}
    if info["generation"] is None:
        info["problem"] = "missing"
        return info
    try:
        ix = _open(path)
        info["documents"] = ix.doc_count()
        info["segments"] = len(ix._segments())
        info["ok"] = True
    except Exception as exc:
        if not is_damage(exc):
            raise
        info["problem"] = f"unreadable ({exc.__class__.__name__})"
    return info
