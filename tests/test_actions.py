"""Actions: our follow-ups, their links, closing with a note, reopening, derived overdue."""

import datetime as dt
import sqlite3

import pytest

from cablemgr import actions, commitments, dialogues, events, integrity, records
from cablemgr.db import open_db
from cablemgr.errors import InvalidInput, NotFound

TODAY = dt.date(2024, 7, 1)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "s.db", create=True)
    dialogues.add(database, "US cyber dialogue", "bilateral", party_codes=["US"])
    dialogues.add(database, "UN OEWG", "multilateral")
    records.add(database, kind="meeting", title="Round 1", date="2024-03-14", dialogue="US",
                body="Met.")
    commitments.add(database, "Share POCs", dialogue="UN", by=["US"], today=TODAY)
    yield database
    database.close()


def test_links_and_inherited_dialogue(db):
    from_record = actions.add(db, "Send readout", owner="@Maria", due="+1w", record="R1",
                              today=TODAY)
    assert (from_record["id"], from_record["owner"], from_record["due"]) == \
        ("A1", "Maria", "2024-07-08")
    assert (from_record["record"], from_record["dialogue"]) == ("R1", "US cyber dialogue")
    serving = actions.add(db, "Chase POC list", commitment="C1", today=TODAY)
    assert (serving["commitment"], serving["dialogue"]) == ("C1", "UN OEWG")
    explicit = actions.add(db, "x", dialogue="US", commitment="C1", today=TODAY)
    assert explicit["dialogue"] == "US cyber dialogue"
    assert actions.add(db, "loose", today=TODAY)["dialogue"] is None
    assert [a["id"] for a in commitments.get(db, 1, today=TODAY)["actions"]] == ["A2", "A3"]


@pytest.mark.parametrize("kw, message", [
    ({"record": "R7"}, "no record R7"),
    ({"commitment": "C7"}, "no commitment C7"),
    ({"commitment": "R1"}, "not a commitment id"),
    ({"dialogue": "Nope"}, "unknown dialogue"),
    ({"due": "whenever"}, "cannot read date 'whenever'"),
])
def test_bad_links_are_refused(db, kw, message):
    with pytest.raises((InvalidInput, NotFound), match=message):
        actions.add(db, "x", today=TODAY, **kw)
    assert db.execute("SELECT count(*) FROM actions").fetchone()[0] == 0


def test_close_and_reopen_are_recorded(db):
    actions.add(db, "Send readout", today=TODAY)
    done = actions.close(db, 1, "done", "sent on 3 May", today=TODAY)
    assert (done["status"], done["note"]) == ("done", "sent on 3 May")
    with pytest.raises(InvalidInput, match="A1 is already done"):
        actions.close(db, 1, "cancelled", today=TODAY)
    reopened = actions.reopen(db, 1, today=TODAY)
    assert reopened["status"] == "open" and reopened["note"] == "sent on 3 May"
    with pytest.raises(InvalidInput, match="A1 is already open"):
        actions.reopen(db, 1, today=TODAY)
    actions.close(db, 1, "cancelled", "overtaken", today=TODAY)
    history = events.history(db, "A1")
    assert [e["action"] for e in history] == ["create", "update", "update", "update"]
    assert [e["changes"]["status"] for e in history[1:]] == [
        ["open", "done"], ["done", "open"], ["open", "cancelled"]]
    assert history[3]["changes"]["note"] == ["sent on 3 May", "overtaken"]
    assert integrity.verify(db)["ok"]


def test_overdue_and_list_filters(db):
    actions.add(db, "late", owner="maria", due="2024-06-20", today=TODAY)
    actions.add(db, "today", owner="tomas", due="2024-07-01", today=TODAY)
    actions.add(db, "undated", owner="Maria", today=TODAY)
    actions.add(db, "late but done", owner="maria", due="2024-06-01", today=TODAY)
    actions.close(db, 4, today=TODAY)

    def ids(**kw):
        return [a["id"] for a in actions.list_actions(db, today=TODAY, **kw)]

    assert ids() == ["A1", "A2", "A3"]  # open by default, soonest due first, undated last
    assert ids(status="all") == ["A4", "A1", "A2", "A3"]
    assert ids(status="done") == ["A4"]
    assert ids(owner="MARIA") == ["A1", "A3"]
    assert ids(overdue=True) == ["A1"]
    late = actions.get(db, 1, today=TODAY)
    assert late["overdue"] is True and late["days_overdue"] == 11
    assert actions.get(db, 4, today=TODAY)["overdue"] is False
    assert actions.get(db, 1, today=dt.date(2024, 6, 1))["overdue"] is False


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli_db(run):
    run("init")
    run("dialogue", "add", "US cyber dialogue", "--format", "bilateral", "--party", "US")
    run("log", "--title", "Round 1", "--date", "2024-03-14", "--dialogue", "US",
        "--body", "Met.")


def test_cli_lifecycle(run, cli_db, monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2024-07-01")
    assert run("action", "add", "Send the non-paper", "--owner", "maria", "--due",
               "2024-06-28", "--record", "R1").stdout == "A1\n"
    run("action", "add", "Brief the minister", "--owner", "tomas", "--due", "+1w",
        "--dialogue", "US")
    rows = run.json("action", "list")
    assert [(a["id"], a["due"], a["overdue"]) for a in rows] == [
        ("A1", "2024-06-28", True), ("A2", "2024-07-08", False)]
    assert [a["id"] for a in run.json("action", "list", "--owner", "tomas")] == ["A2"]
    assert [a["id"] for a in run.json("action", "list", "--overdue")] == ["A1"]
    assert "A1: done." in run("action", "done", "A1", "--note", "sent").stderr
    assert [a["id"] for a in run.json("action", "list")] == ["A2"]
    assert [a["id"] for a in run.json("action", "list", "--status", "done")] == ["A1"]
    run("action", "cancel", "A2", "--note", "not needed")
    assert [a["status"] for a in run.json("action", "list", "--status", "all")] == \
        ["done", "cancelled"]
    run("action", "reopen", "A1")
    shown = run.json("show", "A1")
    assert (shown["status"], shown["note"], shown["record"]) == ("open", "sent", "R1")
    assert "OVERDUE 3d" in run("show", "A1").stdout
    assert len(run.json("history", "A1")) == 3


@pytest.mark.parametrize("args, code, message", [
    (["done", "A1"], 1, "Error: A1 is already done"),
    (["cancel", "A1"], 1, "Error: A1 is already done"),
    (["reopen", "A2"], 1, "Error: A2 is already open"),
    (["done", "A9"], 1, "Error: no action A9"),
    (["add", "x", "--commitment", "C4"], 1, "Error: no commitment C4"),
    (["add", "x", "--due", "someday"], 1, "Error: cannot read date 'someday'"),
    (["list", "--status", "closed"], 2, "Invalid value for '--status'"),
])
def test_cli_bad_input_changes_nothing(run, cli_db, isolated_db, args, code, message):
    run("action", "add", "one")
    run("action", "done", "A1")
    run("action", "add", "two")
    before = list(sqlite3.connect(isolated_db).iterdump())
    result = run("action", *args, ok=False)
    assert result.exit_code == code and message in result.stderr
    assert list(sqlite3.connect(isolated_db).iterdump()) == before


def test_reopen_takes_a_note(run):
    run("init")
    run("action", "add", "Send the non-paper")
    run("action", "done", "A1")
    run("action", "reopen", "A1", "--note", "the reply never arrived")
    item = run.json("action", "show", "A1")
    assert (item["status"], item["note"]) == ("open", "the reply never arrived")
