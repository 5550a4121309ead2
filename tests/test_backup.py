"""Backups taken while another process writes, and restores that check what they restore."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from cablemgr import backup, integrity, records
from cablemgr.db import open_db

# Writes records as fast as it can until the flag file disappears; prints how many.
WRITER = textwrap.dedent("""
    import os, sys
    from cablemgr import records
    from cablemgr.db import open_db
    db = open_db(sys.argv[1])
    flag = sys.argv[2]
    open(flag + ".started", "w").close()
    n = 0
    while os.path.exists(flag):
        records.add(db, kind="report", title=f"Written during backup {n}", body="x " * 200,
                    post="Geneva")
        n += 1
    print(n)
""")


def seed(path, count):
    db = open_db(path, create=True)
    for i in range(count):
        records.add(db, kind="meeting", title=f"Meeting {i}", body=f"Notes {i}\n" * 20,
                    tags=["norms"])
    return db


def dump(path):
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def count(path, table="records"):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_process_writes_then_restore(run, isolated_db, tmp_path):
    db = seed(isolated_db, 300)
    flag = tmp_path / "writing"
    flag.touch()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(isolated_db), str(flag)],
                              stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "writing.started").exists():
            assert time.monotonic() < deadline, "writer did not start"
            time.sleep(0.02)
        time.sleep(0.2)
        copies = []
        for n in range(3):
            before = count(isolated_db)
            info = backup.backup(db, tmp_path / f"copy{n}.db")
            after = count(isolated_db)
            copies.append((info, before, after))
    finally:
        flag.unlink()
        written = int(writer.communicate(timeout=30)[0])
    assert writer.returncode == 0
    assert written > 0
    for info, before, after in copies:
        # one consistent moment between the counts taken before and after
        assert before <= info["records"] <= after
        assert info["events"] == info["records"]
        copy = open_db(info["path"])
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert integrity.verify(copy)["ok"]
        copy.close()
    db.close()

    chosen = copies[1][0]
    run("log", "--title", "After the backup", "--body", "will be set aside")
    result = run("restore", chosen["path"])
    assert "the backup's history verified" in result.stderr
    assert count(isolated_db) == chosen["records"]
    aside = [p for p in isolated_db.parent.iterdir() if ".before-restore-" in p.name]
    assert len(aside) == 1
    assert count(aside[0]) == 300 + written + 1
    assert stat.S_IMODE(aside[0].stat().st_mode) == 0o600
    assert run.json("verify")["ok"]
    hits = run.json("search", "written during backup", "--limit", "1")
    assert hits["total"] == chosen["records"] - 300
    doctor = run.json("doctor")
    assert doctor["status"] == "ok", doctor


def test_backup_file_is_private_self_contained_and_named_in_a_folder(run, tmp_path):
    run("log", "--title", "One", "--body", "text")
    folder = tmp_path / "backups"
    folder.mkdir()
    result = run("backup", str(folder))
    path = result.stdout.strip()
    assert os.path.dirname(path) == str(folder)
    assert os.path.basename(path).startswith("cablemgr-") and path.endswith("Z.db")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(folder)) == [os.path.basename(path)]  # no -wal or temp file
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert "Backed up 1 records" in result.stderr


def test_backup_refuses_to_write_through_a_symlink(run, tmp_path):
    run("log", "--title", "One", "--body", "text")
    target = tmp_path / "elsewhere.db"
    target.write_text("keep me")
    link = tmp_path / "link.db"
    link.symlink_to(target)
    result = run("backup", str(link), ok=False)
    assert result.exit_code == 1
    assert "symbolic link" in result.stderr
    assert target.read_text() == "keep me"


def _tampered_backup(run, isolated_db, tmp_path):
    run("log", "--title", "One", "--body", "text")
    path = tmp_path / "tampered.db"
    run("backup", str(path))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE records SET body = 'changed in the backup'")
    conn.commit()
    conn.close()
    return path


def _newer_backup(run, isolated_db, tmp_path):
    run("log", "--title", "One", "--body", "text")
    path = tmp_path / "newer.db"
    run("backup", str(path))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    return path


def _not_sqlite(run, isolated_db, tmp_path):
    run("log", "--title", "One", "--body", "text")
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    return path


def _other_sqlite(run, isolated_db, tmp_path):
    run("log", "--title", "One", "--body", "text")
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    return path


def _truncated(run, isolated_db, tmp_path):
    run("init")
    seed(isolated_db, 150).close()
    path = tmp_path / "whole.db"
    run("backup", str(path))
    cut = tmp_path / "cut.db"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return cut


@pytest.mark.parametrize("make, message", [
    (_tampered_backup, "fails verification (R1: body differs"),
    (_newer_backup, "written by a newer cablemgr"),
    (_not_sqlite, "is not a usable SQLite database"),
    (_other_sqlite, "is not a cablemgr database"),
    (_truncated, "SQLite"),
])
def test_restore_refuses_a_bad_backup_and_changes_nothing(run, isolated_db, tmp_path,
                                                         make, message):
    path = make(run, isolated_db, tmp_path)
    before = dump(isolated_db)
    result = run("restore", str(path), ok=False)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "Traceback" not in result.output
    assert dump(isolated_db) == before
    leftovers = [p.name for p in isolated_db.parent.iterdir()
                 if p.name.startswith(".") or "before-restore" in p.name]
    assert leftovers == []


def test_restore_onto_a_new_machine(run, isolated_db, tmp_path):
    run("log", "--title", "Carried over", "--body", "text")
    path = tmp_path / "carry.db"
    run("backup", str(path))
    fresh = tmp_path / "new-laptop" / "cablemgr.db"
    result = run("--db", str(fresh), "restore", str(path))
    assert "kept at" not in result.stderr
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    assert [r["title"] for r in run.json("--db", str(fresh), "list")] == ["Carried over"]
    assert run.json("--db", str(fresh), "search", "carried")["total"] == 1


@pytest.mark.parametrize("reading", [True, False])
def test_restore_refuses_while_another_process_has_it_open(run, isolated_db, tmp_path,
                                                           monkeypatch, reading):
    monkeypatch.setattr(backup, "IN_USE_WAIT", 0.1)
    run("log", "--title", "One", "--body", "text")
    path = tmp_path / "copy.db"
    run("backup", str(path))
    run("log", "--title", "Two", "--body", "text")
    other = sqlite3.connect(isolated_db, isolation_level=None)
    other.execute("SELECT count(*) FROM records").fetchone()  # open, idle
    if reading:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM records").fetchone()
    try:
        result = run("restore", str(path), ok=False)
    finally:
        if reading:
            other.execute("COMMIT")
        other.close()
    assert result.exit_code == 1
    assert "in use by another cablemgr process" in result.stderr
    assert count(isolated_db) == 2
