"""Regression tests for bugs found in review: each failed before its fix."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest

from cablemgr import actions, events, integrity, records
from cablemgr.db import open_db

TODAY = dt.date(2026, 3, 2)


def _interleave(monkeypatch, module, first, second):
    """Run ``first`` on one connection and ``second`` on another, the second starting right
    after the first has read its row (the first then waits briefly before writing)."""
    real_get = module.get
    read, done = threading.Event(), threading.Event()
    main = threading.get_ident()

    def get(*args, **kwargs):
        row = real_get(*args, **kwargs)
        if threading.get_ident() == main and not read.is_set():
            read.set()
            done.wait(0.5)
        return row

    monkeypatch.setattr(module, "get", get)
    errors = []

    def other():
        read.wait(5)
        try:
            second()
        except Exception as exc:  # reported to the test thread below
            errors.append(exc)
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    first()
    thread.join()
    monkeypatch.setattr(module, "get", real_get)
    return errors


def test_concurrent_record_edits_both_kept(isolated_db, monkeypatch):
    db = open_db(isolated_db, create=True)
    record = records.add(db, kind="meeting", title="Start", body="Body text", date="2026-03-01")
    number = record["number"]

    def second():
        other = open_db(isolated_db)
        records.update(other, number, venue="Geneva")
        other.close()

    errors = _interleave(monkeypatch, records,
                         lambda: records.update(db, number, title="Renamed"), second)
    assert errors == []
    row = records.get(db, number)
    assert (row["title"], row["venue"]) == ("Renamed", "Geneva")
    changes = [e["changes"] for e in events.history(db, record["id"]) if e["action"] == "update"]
    assert len(changes) == 2
    assert integrity.verify(db)["ok"]


def test_concurrent_action_closes_one_wins(isolated_db, monkeypatch):
    db = open_db(isolated_db, create=True)
    action = actions.add(db, "Send the note", today=TODAY)

    def second():
        other = open_db(isolated_db)
        try:
            actions.close(other, action["number"], "cancelled", today=TODAY)
        finally:
            other.close()

    errors = _interleave(monkeypatch, actions,
                         lambda: actions.close(db, action["number"], today=TODAY), second)
    assert [str(e) for e in errors] == [
        f"{action['id']} is already done; reopen it first with: "
        f"cablemgr action reopen {action['id']}"]
    updates = [e for e in events.history(db, action["id"]) if e["action"] == "update"]
    assert len(updates) == 1
    assert integrity.verify(db)["ok"]


def test_parallel_dialogue_adds_one_wins(isolated_db, run):
    run("init")
    env = {**os.environ, "CABLEMGR_DB": str(isolated_db)}
    procs = [subprocess.Popen([sys.executable, "-m", "cablemgr", "dialogue", "add", "Same",
                               "--format", "bilateral"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(p.wait(60), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 1, 1, 1]
    for code, err in results:
        if code:
            assert err == "Error: a dialogue named 'Same' already exists\n"


def _race_before_write(monkeypatch, module, race):
    """Make ``race`` run on another connection just before ``module`` opens its transaction."""
    real_write = module.write

    def write(db):
        if not getattr(write, "raced", False):
            write.raced = True
            race()
        return real_write(db)

    monkeypatch.setattr(module, "write", write)


@pytest.mark.parametrize("command", [
    ("dialogue", "add", "Same", "--format", "bilateral"),
    ("party", "add", "ZZ", "Zedland", "--type", "state"),
    ("watch", "add", "mine", "norms"),
])
def test_create_racing_another_says_already_exists(isolated_db, run, monkeypatch, command):
    from cablemgr import dialogues, parties, watches

    run("init")
    module = {"dialogue": dialogues, "party": parties, "watch": watches}[command[0]]

    def race():
        other = open_db(isolated_db)
        if module is dialogues:
            dialogues.add(other, "Same", "bilateral")
        elif module is parties:
            parties.add(other, "ZZ", "Zedland", "state")
        else:
            other.execute("INSERT INTO watches (name, query, filters, created_at) "
                          "VALUES ('mine', 'norms', '{}', '2026-01-01T00:00:00Z')")
            other.conn.commit()
        other.close()

    _race_before_write(monkeypatch, module, race)
    result = run(*command, ok=False)
    assert result.exit_code == 1, result.exception
    assert result.output.startswith("Error: ") and "exist" in result.output


def test_disk_full_during_write_is_an_error_line(isolated_db, run, monkeypatch):
    from cablemgr import db as db_module

    run("init")
    real_open = db_module.open_db

    def read_only(*args, **kwargs):
        database = real_open(*args, **kwargs)
        # a full disk, as seen by SQLite: no page may be added to the file
        pages = database.execute("PRAGMA page_count").fetchone()[0]
        database.execute(f"PRAGMA max_page_count = {pages}")
        return database

    monkeypatch.setattr(db_module, "open_db", read_only)
    result = run("log", "--title", "Refused", "--body", "text " * 20000, ok=False)
    assert result.exit_code == 1, result.exception
    assert result.output.startswith("Error: database error on ")
    assert result.output.endswith("database or disk is full\n")


@pytest.mark.parametrize("args, target", [
    (("export", "records", "-o"), "/proc/x.jsonl"),
    (("backup",), "/proc/x.db"),
])
def test_unwritable_output_file_is_an_error_line(run, args, target):
    run("init")
    result = run(*args, target, ok=False)
    assert result.exit_code == 1, result.exception
    assert result.output.startswith(f"Error: cannot write {target}: ")
    assert result.output.count("\n") == 1


def test_index_folder_that_is_a_file(run, isolated_db):
    run("init")
    folder = isolated_db.parent / (isolated_db.name + ".index")
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    folder.write_text("not a folder")
    result = run("log", "--title", "Saved anyway", "--body", "text")
    assert result.stderr.startswith("Warning: search index not updated (")
    assert result.stderr.count("\n") == 1
    result = run("search", "saved", ok=False)
    assert result.exit_code == 1, result.exception
    # the catch-up before searching warns as any command does; the search itself fails
    assert result.output.splitlines()[-1] == (
        f"Error: cannot use the search index at {folder}: File exists")


def test_action_found_by_its_records_new_post(run):
    run("init")
    run("report", "--post", "Geneva", "--subject", "Working group", "--date", "2024-05-02",
        "--body", "Text of the report.")
    run("action", "add", "Brief the delegation", "--record", "R1")
    run("edit", "R1", "--post", "Vienna")
    found = run.json("search", "--kind", "action", "--post", "Vienna")
    assert [hit["id"] for hit in found["hits"]] == ["A1"]


def test_edited_body_gets_a_fresh_sketch(run, isolated_db):
    from cablemgr.ingest import similarity

    run("init")
    run("log", "--title", "Talks", "--body", "the old wording of these notes, long enough")
    new = "entirely different text about another meeting on another day"
    run("edit", "R1", "--body", new)
    db = open_db(isolated_db)
    stored = sorted(row[0] for row in db.execute(
        "SELECT hash FROM record_sketches WHERE record_id = 1"))
    assert stored == sorted(similarity.sketch(similarity.shingles(new)) or [similarity.NO_SKETCH])


def test_related_help_names_the_argument_id(run):
    assert "related [OPTIONS] ID\n" in run("related", "--help").output


def test_relative_date_in_an_imported_header_is_refused(run, tmp_path):
    run("init")
    cable = tmp_path / "cable.txt"
    cable.write_text("SUBJECT: Talks\nDATE: yesterday\nFROM: Geneva\n\n1. (U) Text.\n")
    result = run("import", cable, ok=False)
    assert result.exit_code == 1, result.exception
    assert "date 'yesterday' is relative" in result.output
    assert run.json("list") == []


def test_edits_with_tags_and_parties_out_of_order_still_verify(run):
    run("log", "--title", "t", "--tag", "b", "--tag", "a", "--body", "x")
    run("edit", "R1", "--tag", "z", "--tag", "a")
    run("edit", "R1", "--with", "US", "--with", "FR")
    result = run.json("verify")
    assert result["ok"], result["problems"]
    assert run.json("show", "R1")["tags"] == ["a", "z"]


def test_search_filters_name_unknown_dialogues_and_parties(run):
    run("init")
    run("dialogue", "add", "China bilateral cyber dialogue", "--format", "bilateral")
    run("log", "--title", "Hotline", "--dialogue", "china", "--with", "CN", "--body", "hotline")
    assert run.json("search", "hotline", "--dialogue", "china")["total"] == 1
    assert run.json("search", "hotline", "--party", "cn")["total"] == 1
    for args in (["--dialogue", "chinaa"], ["--party", "XX"]):
        result = run("search", "hotline", *args, ok=False)
        assert result.exit_code == 1 and result.output.startswith("Error: unknown")
    assert run("watch", "add", "w", "hotline", "--dialogue", "nope", ok=False).exit_code == 1


def test_portion_marks_typed_in_a_report_raise_its_level_and_posts_are_normalised(run):
    result = run("report", "--post", "EMBASSY BERLIN", "--subject", "APT28", "--class", "c",
                 "--date", "2024-05-03", "--body", "1. (U) open para.\n\n2. (S) secret para.")
    assert "filed as SECRET" in result.stderr
    record = run.json("show", "R1")
    assert record["classification"] == "SECRET"
    assert record["portions"] == [{"n": 1, "level": "UNCLASSIFIED"}, {"n": 2, "level": "SECRET"}]
    assert (record["post"], record["post_original"]) == ("Berlin", "EMBASSY BERLIN")
    assert [r["id"] for r in run.json("list", "--post", "berlin")] == ["R1"]
    run("edit", "R1", "--body", "1. (U) all open now.")
    assert run.json("show", "R1")["portions"] == [{"n": 1, "level": "UNCLASSIFIED"}]
    assert run.json("verify")["ok"]
    refused = run("log", "--title", "x", "--body", "1. (TS) top secret", ok=False)
    assert refused.exit_code == 1 and "(TS)" in refused.output


def test_backup_to_a_new_folder_with_a_trailing_slash(run, tmp_path):
    run("log", "--title", "t", "--body", "x")
    run("backup", f"{tmp_path}/backups/")
    (copy,) = (tmp_path / "backups").iterdir()
    assert copy.name.startswith("cablemgr-") and copy.suffix == ".db"
