"""Opening the database: where it lives, its pragmas, its migrations and write transactions."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cablemgr.errors import DatabaseError

if TYPE_CHECKING:
    from sqlite_utils import Database

# How long a writer waits for another cablemgr process to finish before giving up (documented
# in the README): long enough for a bulk import's transaction, short enough to answer a person.
BUSY_TIMEOUT_MS = 30_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def default_path() -> Path:
    """``CABLEMGR_DB`` if set, else ``cablemgr.db`` in the user data directory."""
    env = os.environ.get("CABLEMGR_DB")
    if env:
        return Path(env).expanduser()
    import click

    return Path(click.get_app_dir("cablemgr")) / "cablemgr.db"


def migrations() -> list[tuple[int, str, str]]:
    """The shipped migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("cablemgr.schema").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m[1]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def _create_file(path: Path) -> None:
    """Create the database file (0600) and any missing folder (0700) before SQLite opens it."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def open_db(path: Path | str | None = None, *, create: bool = False) -> Database:
    """Open (and if ``create``, make) the database at ``path`` and bring its schema up to date.

    A missing database without ``create`` and a database written by a newer cablemgr are
    refused with a DatabaseError before anything is changed.
    """
    from sqlite_utils import Database

    path = Path(path) if path is not None else default_path()
    if not path.exists():
        if not create:
            raise DatabaseError(
                f"no database at {path}. Create one with: cablemgr --db {path} init"
            )
        try:
            _create_file(path)
        except OSError as exc:
            raise DatabaseError(f"cannot create database at {path}: {exc.strerror}") from None
    elif path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot open {path} as a cablemgr database: {exc}") from None
    if version > latest_version():
        conn.close()
        raise DatabaseError(
            f"{path} was written by a newer cablemgr (schema {version}; this one knows up to "
            f"{latest_version()}). Upgrade cablemgr to use it; nothing was changed."
        )
    db = Database(conn, execute_plugins=False)
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, version)
    except sqlite3.OperationalError as exc:
        conn.close()
        raise _operational(exc, path) from None
    db.path = path
    return db


def _operational(exc: sqlite3.OperationalError, path: Path) -> DatabaseError:
    if "locked" in str(exc) or "busy" in str(exc):
        return DatabaseError(
            f"the database {path} is locked by another cablemgr process; "
            f"waited {BUSY_TIMEOUT_MS // 1000} s. Try again when it has finished."
        )
    return DatabaseError(f"database error on {path}: {exc}")


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Apply each pending migration in its own transaction together with its bookkeeping."""
    pending = [m for m in migrations() if m[0] > version]
    for number, name, sql in pending:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
                (number, name),
            )
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(sql: str) -> Iterator[str]:
    """Split a migration into statements; ``executescript`` would commit on its own."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        yield buffer


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One write transaction. Nested calls become savepoints.

    BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on the busy
    timeout instead of failing when a read transaction tries to upgrade.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _operational(exc, getattr(db, "path", Path("?"))) from None
    try:
        yield db
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        # A full disk, a read-only file or a lock timeout on a later statement is the
        # user's to fix, not a bug: say so in one line once the transaction is undone.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise _operational(exc, getattr(db, "path", Path("?"))) from None
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# SQLite builds before 3.32 allow 999 host parameters; 500 a query stays inside that anywhere.
CHUNK = 500


def in_chunks(values: list) -> Iterator[tuple[list, str]]:
    """``values`` in slices of at most CHUNK, each with its ``?,?,…`` placeholders, for
    ``WHERE x IN (…)`` queries that fetch many rows' details at once instead of one by one."""
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def loose_permissions(path: Path) -> bool:
    """True when the database file can be read by group or others."""
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False
