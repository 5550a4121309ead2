"""Backups and restores of the database file.

A backup goes through SQLite's online backup API in a single step: that is one read
transaction, so in WAL mode other processes keep writing while it runs and the copy is the
database exactly as it was when the step began. The copy is written to a private temporary
file, checked, and renamed into place; it uses a rollback journal so it is one
self-contained file. The search index is not copied: it is derived and is rebuilt on restore.

A restore never trusts the file it is given: the backup is copied beside the database first,
and that copy must pass ``PRAGMA integrity_check``, carry a schema this cablemgr knows, and
pass ``integrity.verify`` before it replaces anything. The current database is kept aside
(hard-linked, so the switch itself is one atomic rename).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cablemgr import integrity
from cablemgr.db import latest_version, open_db
from cablemgr.errors import DatabaseError, InvalidInput

if TYPE_CHECKING:
    from sqlite_utils import Database

# How long a restore waits for another process to let go of the database before refusing:
# long enough for a command to finish, short enough to tell the person at once.
IN_USE_WAIT = 2.0


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a folder be opened.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _private_temp(folder: Path, name: str) -> Path:
    """An empty 0600 file beside the target (same file system, so the final rename is atomic)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InvalidInput(f"cannot write {folder / name}: {exc.strerror or exc}") from None
    os.close(fd)
    return Path(tmp)


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def _integrity_problem(conn: sqlite3.Connection) -> str | None:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    lines = [line for row in rows for line in str(row).splitlines() if line.strip()]
    return None if rows == ["ok"] else "; ".join(lines[:3])


def _target(path: Path | str) -> Path:
    """Where a backup goes: PATH itself, or a time-stamped file when PATH is a folder."""
    wants_folder = str(path).endswith(("/", "\\"))
    path = Path(path).expanduser()
    if wants_folder and not path.exists():
        # 'backup backups/' names a folder to keep dated copies in: make it, privately
        try:
            path.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise InvalidInput(f"cannot create folder {path}: {exc.strerror}") from None
    if path.is_dir():
        return path / f"cablemgr-{_stamp()}.db"
    if path.is_symlink():
        raise InvalidInput(f"{path} is a symbolic link; refusing to write a backup through it")
    if not path.parent.is_dir():
        raise InvalidInput(f"folder {path.parent} does not exist")
    return path


def backup(db: Database, path: Path | str) -> dict[str, Any]:
    """Copy the open database to ``path`` (a file, or a folder to put a dated file in).

    Returns ``{"path", "bytes", "seconds", "records", "events", "head", "schema"}``.
    """
    source_path = Path(getattr(db, "path", "") or "")
    target = _target(path)
    if source_path and target.exists() and target.resolve() == source_path.resolve():
        raise InvalidInput(f"{target} is the database itself; choose another file")
    started = time.monotonic()
    tmp = _private_temp(target.parent, target.name)
    try:
        copy = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            # pages=-1: everything in one step, i.e. one consistent read; a stepped copy would
            # restart whenever another process commits.
            db.conn.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode = DELETE")
            problem = _integrity_problem(copy)
            if problem:
                raise DatabaseError(f"the copy failed its integrity check ({problem}); the "
                                    "database itself may be damaged: run cablemgr doctor")
            info = _summary(copy)
        finally:
            copy.close()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_folder(target.parent)
    except OSError as exc:
        # a full disk or a folder we may not write to is the user's to fix, not a bug
        _remove(tmp)
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    info.update(path=str(target), bytes=target.stat().st_size,
                seconds=round(time.monotonic() - started, 3))
    return info


def _summary(conn: sqlite3.Connection) -> dict[str, Any]:
    head = conn.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return {
        "records": conn.execute("SELECT count(*) FROM records").fetchone()[0],
        "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
        "head": head[0] if head else None,
        "schema": conn.execute("PRAGMA user_version").fetchone()[0],
    }


def _copy_in(backup_path: Path, tmp: Path) -> None:
    """Copy the backup through SQLite (read-only), so a WAL sidecar beside it is honoured."""
    try:
        source = sqlite3.connect(f"{backup_path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot open {backup_path}: {exc}") from None
    try:
        copy = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{backup_path} is not a usable SQLite database ({exc}); "
                           "nothing was changed") from None
    finally:
        source.close()


def _check_copy(tmp: Path, backup_path: Path) -> int:
    """Refuse a copy that is damaged, not cablemgr's, or newer than this program."""
    conn = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        problem = _integrity_problem(conn)
        if problem:
            raise InvalidInput(f"{backup_path} fails SQLite's integrity check ({problem}); "
                               "nothing was changed")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    if version < 1 or not {"records", "events"} <= tables:
        raise InvalidInput(f"{backup_path} is not a cablemgr database; nothing was changed")
    if version > latest_version():
        raise InvalidInput(
            f"{backup_path} was written by a newer cablemgr (schema {version}; this one knows "
            f"up to {latest_version()}). Upgrade cablemgr to restore it; nothing was changed.")
    return version


@contextlib.contextmanager
def _sole_user(db_path: Path) -> Iterator[None]:
    """Hold the current database exclusively, its WAL folded in, while it is swapped.

    In WAL mode an exclusive locking-mode transaction is refused while any other connection
    has the file open, even an idle one: a process that would go on writing into the file
    being set aside is turned away here instead of losing its work.
    """
    try:
        conn = sqlite3.connect(str(db_path), timeout=IN_USE_WAIT, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open {db_path} ({exc}); nothing was changed") from None
    try:
        try:
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")  # the lock stays: that is what exclusive mode is for
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            # Out of WAL mode, so closing this connection after the swap cannot delete a
            # -wal file that by then belongs to the restored database.
            conn.execute("PRAGMA journal_mode = DELETE").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseError(
                    f"{db_path} is in use by another cablemgr process; close it and run the "
                    "restore again. Nothing was changed.") from None
            raise DatabaseError(f"cannot prepare {db_path} for the restore ({exc}); "
                                "nothing was changed") from None
        yield
    finally:
        conn.close()


def _keep_aside(db_path: Path) -> Path:
    aside = db_path.with_name(f"{db_path.name}.before-restore-{_stamp()}")
    try:
        os.link(db_path, aside)
    except OSError:
        # file systems without hard links: a copy is slower but keeps the same promise
        shutil.copy2(db_path, aside)
    os.chmod(aside, 0o600)
    return aside


def restore(db_path: Path | str, backup_path: Path | str) -> dict[str, Any]:
    """Replace the database at ``db_path`` with a verified copy of ``backup_path``.

    Returns ``{"database", "backup", "kept_aside", "records", "events", "head",
    "schema_from", "schema"}``; ``kept_aside`` is where the previous database now is (None if
    there was none). The caller rebuilds the search index afterwards.
    """
    db_path = Path(db_path).expanduser()
    backup_path = Path(backup_path).expanduser()
    if not backup_path.is_file():
        raise InvalidInput(f"no backup file at {backup_path}")
    if db_path.exists() and backup_path.resolve() == db_path.resolve():
        raise InvalidInput(f"{backup_path} is the database itself; give a backup file")
    if db_path.is_symlink():
        raise InvalidInput(f"{db_path} is a symbolic link; refusing to replace it")
    if not db_path.parent.exists():
        db_path.parent.mkdir(mode=0o700, parents=True)
    tmp = _private_temp(db_path.parent, db_path.name + ".restore")
    try:
        _copy_in(backup_path, tmp)
        schema_from = _check_copy(tmp, backup_path)
        restored = open_db(tmp)  # brings an older backup's schema up to date
        try:
            report = integrity.verify(restored)
            info = _summary(restored.conn)
        finally:
            restored.close()
        if not report["ok"]:
            raise InvalidInput(f"{backup_path} fails verification ({report['message']}); "
                               "nothing was changed")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        aside = None
        if db_path.exists():
            with _sole_user(db_path):
                aside = _keep_aside(db_path)
                os.replace(tmp, db_path)
        else:
            os.replace(tmp, db_path)
        _fsync_folder(db_path.parent)
    except BaseException:
        _remove(tmp)
        raise
    info.update(database=str(db_path), backup=str(backup_path),
                kept_aside=str(aside) if aside else None, schema_from=schema_from)
    return info
