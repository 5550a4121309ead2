"""``cablemgr doctor``: is this database healthy, and if not, what should the person do?

Each check returns ``{"name", "status", "detail", "fix"}`` with status ok, warn or fail:
fail means something is wrong now (damaged file, broken history, search missing records),
warn means something to look at that loses nothing (a queue not yet drained, loose file
permissions, little free disk). Checks only read; ``fix=True`` then drains the search outbox
and rebuilds the index where the index checks asked for it, and checks those again.
"""

from __future__ import annotations

import shutil
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cablemgr import integrity
from cablemgr.db import latest_version
from cablemgr.errors import DatabaseError

if TYPE_CHECKING:
    from sqlite_utils import Database

ORDER = {"ok": 0, "warn": 1, "fail": 2}
# How many indexed documents are looked up one by one: enough to catch an index that
# lost a batch, few enough to answer at once on 100k records.
SAMPLE = 25
MB = 1024 * 1024


def _check(name: str, status: str, detail: str, fix: str | None = None) -> dict[str, Any]:
    return {"name": name, "status": status, "detail": detail, "fix": fix}


def check_database(db: Database) -> dict[str, Any]:
    rows = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        return _check("database", "ok", "SQLite integrity check passed")
    lines = [line for row in rows for line in str(row).splitlines() if line.strip()]
    more = f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""
    return _check("database", "fail", "SQLite integrity check: " + "; ".join(lines[:3]) + more,
                  "copy the file somewhere safe, then restore the latest backup: "
                  "cablemgr restore BACKUP")


def check_schema(db: Database) -> dict[str, Any]:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    recorded = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
    latest = latest_version()
    if version != latest:
        return _check("schema", "fail", f"schema version {version}, this cablemgr expects "
                      f"{latest}", "run any cablemgr command to migrate, or upgrade cablemgr")
    missing = sorted(set(range(1, latest + 1)) - recorded)
    if missing:
        return _check("schema", "warn", f"schema version {version}, but migrations "
                      f"{', '.join(map(str, missing))} are not in schema_migrations",
                      "the file was changed outside cablemgr: run cablemgr verify")
    return _check("schema", "ok", f"schema version {version} (latest)")


def check_history(db: Database) -> dict[str, Any]:
    report = integrity.verify(db)
    if report["ok"]:
        return _check("history", "ok", report["message"])
    count = len(report["problems"]) + report["more_problems"] + (0 if report["chain"]["ok"]
                                                                  else 1)
    return _check("history", "fail", f"{report['message']} ({count} problem"
                  f"{'s' if count != 1 else ''})",
                  "see: cablemgr verify; compare the named items with a backup")


def _outbox_depth(db: Database) -> int:
    from cablemgr.search.outbox import depth

    return depth(db)


def check_outbox(db: Database) -> dict[str, Any]:
    queued = _outbox_depth(db)
    if not queued:
        return _check("outbox", "ok", "no changes waiting for the search index")
    return _check("outbox", "warn", f"{queued} change{'s' if queued != 1 else ''} not yet in "
                  "the search index (a command was interrupted, or one is running)",
                  "cablemgr doctor --fix")


def _sample_ids(db: Database) -> list[str]:
    """A random sample of documents plus the newest of each kind (the likeliest to be lost
    by a crash), leaving out those still queued."""
    queued = {row[0] for row in db.execute("SELECT DISTINCT doc_id FROM search_outbox")}
    ids: list[str] = []
    for letter, table in (("R", "records"), ("C", "commitments"), ("A", "actions")):
        rows = db.execute(f"SELECT id FROM (SELECT id FROM {table} ORDER BY random() LIMIT ?) "
                          f"UNION SELECT max(id) FROM {table}", (SAMPLE,)).fetchall()
        ids += [f"{letter}{row[0]}" for row in rows if row[0] is not None]
    return [doc_id for doc_id in ids if doc_id not in queued]


def _not_indexed(db: Database, doc_ids: list[str]) -> list[str]:
    # Reads stored ids through the search package's index object; whoosh itself is never
    # imported here.
    from cablemgr.search.index import open_index

    with open_index(db).searcher() as searcher:
        return [doc_id for doc_id in doc_ids if searcher.document_number(id=doc_id) is None]


def check_index(db: Database) -> dict[str, Any]:
    from cablemgr import search
    from cablemgr.search.documents import count_all

    expected = count_all(db)
    status = search.status(db)
    queued = _outbox_depth(db)
    if status["problem"] == "missing":
        if not expected:
            return _check("index", "ok", "no search index yet; nothing to index")
        return _check("index", "warn", f"no search index yet ({expected} documents to index)",
                      "cablemgr doctor --fix (or any search builds it)")
    if not status["ok"]:
        return _check("index", "fail", f"the search index is {status['problem']}",
                      "cablemgr doctor --fix")
    found = status["documents"]
    if found != expected:
        detail = f"the index holds {found} documents, the database {expected}"
        if queued:
            return _check("index", "warn", detail + f" ({queued} queued changes explain it)",
                          "cablemgr doctor --fix")
        return _check("index", "fail", detail + "; searches miss or show stale items",
                      "cablemgr doctor --fix")
    sample = _sample_ids(db)
    missing = _not_indexed(db, sample)
    if missing:
        return _check("index", "fail", f"{len(missing)} of {len(sample)} sampled items are not "
                      f"in the index (e.g. {', '.join(missing[:5])})", "cablemgr doctor --fix")
    return _check("index", "ok", f"{found} documents, as in the database; {len(sample)} "
                  "sampled items found")


def _loose(path: Path, mask: int) -> bool:
    try:
        return bool(path.stat().st_mode & mask)
    except OSError:
        return False


def check_permissions(db_path: Path, index_folder: Path) -> dict[str, Any]:
    problems, fixes = [], []
    readable = stat.S_IRWXG | stat.S_IRWXO
    for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        if _loose(path, readable):
            problems.append(f"{path.name} is {oct(path.stat().st_mode & 0o777)[2:]}")
            fixes.append(f"chmod 600 {path}")
    if _loose(index_folder, readable):
        problems.append(f"{index_folder.name}/ is {oct(index_folder.stat().st_mode & 0o777)[2:]}")
        fixes.append(f"chmod -R go-rwx {index_folder}")
    # A folder others can write to lets them replace the database file itself.
    folder = db_path.parent
    if _loose(folder, stat.S_IWGRP | stat.S_IWOTH) and not _loose(folder, stat.S_ISVTX):
        problems.append(f"folder {folder} can be written by other users")
        fixes.append(f"chmod go-w {folder}")
    if problems:
        return _check("permissions", "warn", "; ".join(problems), "; ".join(fixes))
    return _check("permissions", "ok", "database and index readable by you only")


def check_disk(db_path: Path, index_folder: Path) -> dict[str, Any]:
    used = sum(p.stat().st_size for p in (db_path, Path(f"{db_path}-wal")) if p.exists())
    if index_folder.is_dir():
        used += sum(p.stat().st_size for p in index_folder.iterdir() if p.is_file())
    free = shutil.disk_usage(db_path.parent).free
    detail = f"{free // MB} MB free; database and index use {max(1, used // MB)} MB"
    # A backup, an index rebuild and a large import each need about the database's size again.
    if free < max(50 * MB, used):
        return _check("disk", "fail", detail, "free disk space before the next import or "
                      "backup; writes may fail")
    if free < max(500 * MB, 2 * used):
        return _check("disk", "warn", detail, "free some disk space soon")
    return _check("disk", "ok", detail)


def _guarded(name: str, check: Any, db: Database) -> dict[str, Any]:
    """Run one check; a database too damaged to answer it fails that check, not doctor."""
    try:
        return check(db)
    except (sqlite3.DatabaseError, DatabaseError) as exc:
        return _check(name, "fail", f"could not check: {exc}",
                      "copy the file somewhere safe, then restore the latest backup: "
                      "cablemgr restore BACKUP")


def _index_checks(db: Database) -> list[dict[str, Any]]:
    return [_guarded("outbox", check_outbox, db), _guarded("index", check_index, db)]


def _fix(db: Database, checks: list[dict[str, Any]], fixed: list[str]) -> list[dict[str, Any]]:
    """Drain the queue first (cheap, and often all that is wrong); rebuild the index only if
    it is still missing, unreadable or incomplete after that."""
    from cablemgr import search

    by_name = {c["name"]: c for c in checks}
    if by_name["outbox"]["status"] != "ok" and by_name["index"]["status"] != "fail":
        written = search.sync(db)
        fixed.append(f"drained the search outbox ({written} documents updated)")
        by_name.update({c["name"]: c for c in _index_checks(db)})
    if by_name["index"]["status"] != "ok":
        stats = search.reindex(db)
        fixed.append(f"rebuilt the search index ({stats['documents']} documents)")
        by_name.update({c["name"]: c for c in _index_checks(db)})
    return [by_name[c["name"]] for c in checks]


def run(db: Database, *, fix: bool = False) -> dict[str, Any]:
    """Run every check; with ``fix`` repair the search side where a check asks for it.

    Returns ``{"ok", "status", "database", "checks": [...], "fixed": [...]}``; ``ok`` is
    False only when some check failed.
    """
    from cablemgr import search

    db_path = Path(db.path)
    index_folder = search.index_path(db)
    checks = [_guarded("database", check_database, db), _guarded("schema", check_schema, db),
              _guarded("history", check_history, db), _guarded("outbox", check_outbox, db),
              _guarded("index", check_index, db), check_permissions(db_path, index_folder),
              check_disk(db_path, index_folder)]
    if checks[0]["status"] == "fail":
        fix = False  # an index rebuilt from a damaged file would only copy the damage
    fixed: list[str] = []
    if fix:
        checks = _fix(db, checks, fixed)
    worst = max((c["status"] for c in checks), key=ORDER.__getitem__)
    return {"ok": worst != "fail", "status": worst, "database": str(db_path),
            "checks": checks, "fixed": fixed}
