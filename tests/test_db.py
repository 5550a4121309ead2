import os
import sqlite3
import stat

import pytest

from cablemgr.db import latest_version, migrations, open_db
from cablemgr.errors import DatabaseError


def test_migrations_are_numbered_in_order_and_shipped():
    found = migrations()
    assert [m[0] for m in found] == list(range(1, len(found) + 1))
    assert found[0][1] == "0001_initial.sql"


def test_blank_database_gets_the_whole_schema(tmp_path):
    db = open_db(tmp_path / "new.db", create=True)
    tables = set(db.table_names())
    assert {"parties", "dialogues", "dialogue_parties", "records", "tags", "record_tags",
            "record_parties", "record_links", "commitments", "assessments", "actions",
            "events", "search_outbox", "schema_migrations"} <= tables
    assert db.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    applied = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert applied == [m[0] for m in migrations()]


def test_reopening_a_current_database_changes_nothing(tmp_path):
    path = tmp_path / "c.db"
    open_db(path, create=True).close()
    before = list(sqlite3.connect(path).iterdump())
    open_db(path).close()
    assert list(sqlite3.connect(path).iterdump()) == before


def test_builtin_parties(tmp_path):
    db = open_db(tmp_path / "p.db", create=True)
    codes = {r[0] for r in db.execute("SELECT code FROM parties")}
    assert {"US", "CN", "DE", "UN", "EU", "OSCE", "ASEAN", "AFU", "OAS", "NATO", "CoE", "G7",
            "G20"} <= codes
    assert len([c for c in codes if len(c) == 2 and c.isalpha() and c.isupper()]) >= 249


def test_missing_database_is_not_created_unless_asked(tmp_path):
    with pytest.raises(DatabaseError, match="cablemgr --db .* init"):
        open_db(tmp_path / "absent.db")
    assert not (tmp_path / "absent.db").exists()


def test_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    open_db(path, create=True).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 5}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="newer cablemgr"):
        open_db(path)
    assert path.read_bytes() == before


def test_file_and_folder_permissions(tmp_path):
    path = tmp_path / "private" / "unit.db"
    open_db(path, create=True).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(DatabaseError, match="cannot open"):
        open_db(path)


def test_events_are_append_only(tmp_path):
    from cablemgr import dialogues

    db = open_db(tmp_path / "e.db", create=True)
    dialogues.add(db, "OEWG", "multilateral")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE events SET who = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM events")
