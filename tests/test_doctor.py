"""``cablemgr doctor``: each check, its advice, the exit code, and what --fix repairs."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections import namedtuple

import pytest

from cablemgr import doctor, records
from cablemgr.db import open_db

KEYS = {"ok", "status", "database", "checks", "fixed"}
NAMES = ["database", "schema", "history", "outbox", "index", "permissions", "disk"]


@pytest.fixture
def unit(run, isolated_db):
    for i in range(5):
        run("log", "--title", f"Meeting {i}", "--body", f"hotline points of contact {i}")
    return isolated_db


def report(run, *extra):
    result = run("doctor", "--json", *extra, ok=False)
    data = __import__("json").loads(result.stdout)
    assert set(data) == KEYS
    assert [c["name"] for c in data["checks"]] == NAMES
    for check in data["checks"]:
        assert set(check) == {"name", "status", "detail", "fix"}
        assert check["status"] in ("ok", "warn", "fail")
        assert check["status"] == "ok" or check["fix"]
    return result.exit_code, data, {c["name"]: c for c in data["checks"]}


def test_healthy(run, unit):
    code, data, checks = report(run)
    assert code == 0
    assert data["ok"] is True and data["status"] == "ok" and data["fixed"] == []
    assert data["database"] == str(unit)
    assert "5 documents, as in the database" in checks["index"]["detail"]
    human = run("doctor")
    assert human.stdout.splitlines()[-1] == "Healthy."
    assert human.stdout.splitlines()[0].split() == ["ok", "database", "SQLite", "integrity",
                                                    "check", "passed"]


def test_queued_changes_warn_and_fix_drains_them(run, unit):
    db = open_db(unit)
    records.add(db, kind="meeting", title="Written, not yet indexed", body="x")
    db.close()  # as a process killed after its commit leaves it
    code, data, checks = report(run)
    assert code == 0 and data["status"] == "warn"
    assert checks["outbox"]["status"] == "warn"
    assert checks["outbox"]["detail"].startswith("1 change not yet in the search index")
    assert checks["outbox"]["fix"] == "cablemgr doctor --fix"
    assert checks["index"]["status"] == "warn"  # 5 of 6, explained by the queue
    db = open_db(unit)
    records.add(db, kind="meeting", title="Another one", body="x")
    db.close()
    human = run("doctor")
    assert human.exit_code == 0
    assert human.stdout.splitlines()[-1].startswith("Healthy; the search index is catching up")
    # the doctor command itself drained the queue on the way out, like every command
    code, data, checks = report(run, "--fix")
    assert data["status"] == "ok" and data["fixed"] == []


def test_fix_drains_then_reports_healthy(unit):
    db = open_db(unit)
    records.add(db, kind="meeting", title="Written, not yet indexed", body="x")
    result = doctor.run(db, fix=True)
    db.close()
    assert result["status"] == "ok"
    assert result["fixed"] == ["drained the search outbox (1 documents updated)"]


def test_index_that_lost_documents_fails_until_fixed(run, unit):
    db = open_db(unit)
    records.add(db, kind="meeting", title="Lost from the index", body="x")
    db.close()
    conn = sqlite3.connect(unit)
    conn.execute("DELETE FROM search_outbox")
    conn.commit()
    conn.close()
    code, data, checks = report(run)
    assert code == 1 and data["ok"] is False
    assert checks["index"]["status"] == "fail"
    assert "the index holds 5 documents, the database 6" in checks["index"]["detail"]
    human = run("doctor", ok=False)
    assert "FAIL  index" in human.stdout
    assert "→ cablemgr doctor --fix" in human.stdout
    code, data, checks = report(run, "--fix")
    assert code == 0 and data["status"] == "ok"
    assert data["fixed"] == ["rebuilt the search index (6 documents)"]
    assert run.json("search", "lost")["total"] == 1


@pytest.mark.parametrize("damage", ["delete", "garble"])
def test_missing_or_damaged_index(run, unit, damage):
    folder = unit.with_name(unit.name + ".index")
    if damage == "delete":
        shutil.rmtree(folder)
    else:
        for entry in folder.iterdir():
            if entry.suffix in (".toc", ".seg"):
                entry.write_bytes(b"\0garbage" * 10)
    code, data, checks = report(run)
    expected = "warn" if damage == "delete" else "fail"
    assert checks["index"]["status"] == expected, checks["index"]
    code, data, checks = report(run, "--fix")
    assert data["status"] == "ok", data
    assert data["fixed"] == ["rebuilt the search index (5 documents)"]


def test_changed_body_fails_the_history_check(run, unit):
    conn = sqlite3.connect(unit)
    conn.execute("UPDATE records SET body = 'rewritten' WHERE id = 3")
    conn.commit()
    conn.close()
    code, data, checks = report(run)
    assert code == 1
    assert checks["history"]["status"] == "fail"
    assert checks["history"]["detail"].startswith("R3: body differs")
    assert "cablemgr verify" in checks["history"]["fix"]


def test_loose_permissions_warn_with_the_command_to_fix_them(run, unit):
    os.chmod(unit, 0o644)
    code, data, checks = report(run)
    assert code == 0
    assert checks["permissions"]["status"] == "warn"
    assert f"chmod 600 {unit}" in checks["permissions"]["fix"]


def test_little_free_disk(unit, monkeypatch):
    usage = namedtuple("usage", "total used free")
    db = open_db(unit)
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 10**6))
    low = {c["name"]: c for c in doctor.run(db)["checks"]}["disk"]
    monkeypatch.setattr(doctor.shutil, "disk_usage",
                        lambda path: usage(10**10, 10**9, 200 * doctor.MB))
    some = {c["name"]: c for c in doctor.run(db)["checks"]}["disk"]
    db.close()
    assert low["status"] == "fail" and low["detail"].startswith("0 MB free")
    assert some["status"] == "warn"


def test_schema_bookkeeping_removed(run, unit):
    conn = sqlite3.connect(unit)
    conn.execute("DELETE FROM schema_migrations WHERE version = 1")
    conn.commit()
    conn.close()
    code, data, checks = report(run)
    assert checks["schema"]["status"] == "warn"
    assert "migrations 1 are not in schema_migrations" in checks["schema"]["detail"]


def _damage(path):
    """Overwrite a few pages in the middle of the file, as a failing disk would."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        for offset in range(size // 2, size // 2 + 8 * 4096, 4096):
            handle.seek(offset + 100)
            handle.write(b"\xde\xad\xbe\xef" * 200)


def test_damaged_file_fails_cleanly(run, isolated_db):
    db = open_db(isolated_db, create=True)
    for i in range(300):
        records.add(db, kind="meeting", title=f"Meeting {i}", body="text " * 200)
    db.close()
    run("reindex")  # a built index and an empty queue, as after normal use
    _damage(isolated_db)
    code, data, checks = report(run)
    assert code == 1
    assert checks["database"]["status"] == "fail"
    assert checks["database"]["detail"].startswith("SQLite integrity check: ")
    assert "\n" not in checks["database"]["detail"]
    assert "cablemgr restore" in checks["database"]["fix"]
    result = run("verify", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot read ")
    assert "the file is damaged" in result.stderr
    assert "Traceback" not in result.output
