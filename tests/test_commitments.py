"""Commitments: fields, assessments with their history, derived overdue, compliance."""

import datetime as dt
import sqlite3

import pytest

from cablemgr import commitments, dialogues, events, integrity, records
from cablemgr.db import open_db
from cablemgr.errors import InvalidInput, NotFound

TODAY = dt.date(2024, 7, 1)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "s.db", create=True)
    dialogues.add(database, "US cyber dialogue", "bilateral", party_codes=["US"])
    dialogues.add(database, "UN OEWG", "multilateral", party_codes=["UN"])
    records.add(database, kind="meeting", title="Round 1", date="2024-03-14", dialogue="US",
                body="Met.")
    yield database
    database.close()


def _add(db, text="Exchange hotline points of contact", **kw):
    kw.setdefault("dialogue", "US")
    kw.setdefault("by", ["CN", "US"])
    return commitments.add(db, text, today=TODAY, **kw)


def test_made_on_comes_from_date_then_record_then_today(db):
    assert _add(db, made_on="2024-05-02")["made_on"] == "2024-05-02"
    linked = _add(db, record="R1", dialogue=None)
    assert (linked["made_on"], linked["dialogue"], linked["record"]) == \
        ("2024-03-14", "US cyber dialogue", "R1")
    assert _add(db)["made_on"] == "2024-07-01"


def test_fields_are_normalised(db):
    item = _add(db, by=["us,cn"], to="eu", due="+2w", category="confidence-building",
                classification_="c")
    assert item["id"] == "C1" and item["by"] == ["CN", "US"] and item["to"] == "EU"
    assert item["due"] == "2024-07-15" and item["category"] == "confidence-building"
    assert item["classification"] == "CONFIDENTIAL" and item["status"] == "open"
    assert item["assessments"] == [] and item["score"] is None


@pytest.mark.parametrize("kw, message", [
    ({"due": "2024-01-01", "made_on": "2024-02-01"}, "before the date the commitment was made"),
    ({"by": ["ZZ"]}, "unknown party 'ZZ'"),
    ({"by": []}, "at least one party"),
    ({"to": "XX"}, "unknown party 'XX'"),
    ({"dialogue": "Nope"}, "unknown dialogue 'Nope'"),
    ({"category": "promise"}, "unknown category 'promise'"),
    ({"due": "someday"}, "cannot read date 'someday'"),
    ({"record": "R99"}, "no record R99"),
])
def test_bad_fields_are_refused_and_nothing_is_written(db, kw, message):
    before = db.execute("SELECT count(*) FROM events").fetchone()[0]
    with pytest.raises((InvalidInput, NotFound), match=message):
        _add(db, **kw)
    assert db.execute("SELECT count(*) FROM commitments").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == before


def test_assessments_keep_history_and_the_latest_sets_the_state(db):
    _add(db, made_on="2024-03-14", due="2024-06-30")
    _, changes = commitments.update(db, 1, today=TODAY, status="in_progress", score=0,
                                    note="MFA focal point named", date="2024-04-01")
    assert changes["status"] == ["open", "in_progress"]
    commitments.update(db, 1, today=TODAY, status="fulfilled", score="+1", evidence="R1",
                       date="2024-06-20")
    # an assessment back-dated before the latest one is history, not the current state
    commitments.update(db, 1, today=TODAY, status="partially_fulfilled", score=-1,
                       date="2024-05-01")
    item = commitments.get(db, 1, today=TODAY)
    assert [(a["date"], a["status"], a["score"]) for a in item["assessments"]] == [
        ("2024-04-01", "in_progress", 0), ("2024-05-01", "partially_fulfilled", -1),
        ("2024-06-20", "fulfilled", 1)]
    assert item["status"] == "fulfilled" and item["score"] == 1
    assert item["assessments"][2]["evidence"] == "R1"
    assert item["assessments"][0]["who"] == "tester"
    assert item["last_assessed"] == "2024-06-20"


def test_a_score_or_note_alone_is_a_review_that_keeps_the_status(db):
    _add(db)
    commitments.update(db, 1, today=TODAY, status="in_progress")
    item, changes = commitments.update(db, 1, today=TODAY, score=0, note="slow")
    assert item["status"] == "in_progress" and "status" not in changes
    assert [a["status"] for a in item["assessments"]] == ["in_progress", "in_progress"]


@pytest.mark.parametrize("kw, message", [
    ({}, "nothing to change"),
    ({"date": "2024-06-01"}, "--date dates an assessment"),
    ({"score": 2}, "not on the compliance scale"),
    ({"score": "0.5"}, "not on the compliance scale"),
    ({"status": "done"}, "unknown commitment status 'done'"),
    ({"evidence": "R42", "score": 1}, "no record R42"),
    ({"due": "2024-01-01"}, "before the date the commitment was made"),
    ({"status": "fulfilled", "date": "2024-01-01"}, "before the commitment was made"),
])
def test_bad_updates_change_nothing(db, kw, message):
    _add(db, made_on="2024-03-14")
    before = db.execute("SELECT count(*) FROM events").fetchone()[0]
    with pytest.raises((InvalidInput, NotFound), match=message):
        commitments.update(db, 1, today=TODAY, **kw)
    assert db.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == before
    assert commitments.get(db, 1, today=TODAY)["status"] == "open"


@pytest.mark.parametrize("status, due, overdue", [
    ("open", "2024-06-30", True),
    ("in_progress", "2024-06-30", True),
    ("fulfilled", "2024-06-30", False),
    ("not_fulfilled", "2024-06-30", False),
    ("withdrawn", "2024-06-30", False),
    ("open", "2024-07-01", False),  # due today is not late yet
    ("open", None, False),
])
def test_overdue_is_derived_from_today_and_status(db, status, due, overdue):
    _add(db, made_on="2024-03-14", due=due)
    if status != "open":
        commitments.update(db, 1, today=TODAY, status=status, date="2024-06-01")
    item = commitments.get(db, 1, today=TODAY)
    assert item["overdue"] is overdue
    assert item["days_overdue"] == (1 if overdue else None)
    # the same row on another day: nothing stored changes, only the derivation
    assert commitments.get(db, 1, today=dt.date(2024, 1, 1))["overdue"] is False
    assert "overdue" not in [c[1] for c in db.execute("PRAGMA table_info(commitments)")]


def test_list_filters(db):
    _add(db, "a", due="2024-06-01", made_on="2024-01-01")
    _add(db, "b", dialogue="UN", by=["BR"], due="2024-09-01")
    _add(db, "c", by=["US"])
    commitments.update(db, 3, today=TODAY, status="fulfilled")

    def ids(**kw):
        return [c["id"] for c in commitments.list_commitments(db, today=TODAY, **kw)]

    assert ids() == ["C1", "C2", "C3"]  # soonest due first, undated last
    assert ids(dialogue="UN") == ["C2"]
    assert ids(by="cn") == ["C1"]
    assert ids(status="fulfilled") == ["C3"]
    assert ids(overdue=True) == ["C1"]


def test_compliance_means_latest_scores_per_party(db):
    _add(db, "a", by=["CN", "US"])
    _add(db, "b", by=["CN"])
    _add(db, "c", by=["CN"], due="2024-06-01", made_on="2024-01-01")
    commitments.update(db, 1, today=TODAY, status="fulfilled", score=1)
    commitments.update(db, 2, today=TODAY, status="partially_fulfilled", score=0)
    rows = {r["party"]: r for r in commitments.compliance(
        commitments.list_commitments(db, today=TODAY))}
    assert rows["CN"]["mean_score"] == 0.5 and rows["CN"]["percent"] == 75
    assert rows["CN"]["scored"] == 2 and rows["CN"]["commitments"] == 3
    assert rows["CN"]["by_status"] == {"open": 1, "fulfilled": 1, "partially_fulfilled": 1}
    assert rows["CN"]["overdue"] == 1
    assert rows["US"]["mean_score"] == 1.0 and rows["US"]["percent"] == 100


def test_every_change_is_one_event_and_verify_agrees(db):
    _add(db)
    commitments.update(db, 1, today=TODAY, status="in_progress", score=0, due="2024-12-31")
    history = events.history(db, "C1")
    assert [e["action"] for e in history] == ["create", "update"]
    assert history[1]["changes"]["due"] == [None, "2024-12-31"]
    assert history[1]["changes"]["assessment"][1]["score"] == 0
    assert integrity.verify(db)["ok"]


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli_db(run):
    run("init")
    run("dialogue", "add", "US cyber dialogue", "--format", "bilateral", "--party", "US")
    run("log", "--title", "Round 1", "--date", "2024-03-14", "--dialogue", "US",
        "--body", "Met.")


def test_cli_add_update_show(run, cli_db, monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2024-07-01")
    result = run("commitment", "add", "Exchange points of contact", "--dialogue", "US",
                 "--by", "CN,US", "--to", "EU", "--due", "2024-06-30", "--record", "R1",
                 "--category", "confidence-building", "--class", "R")
    assert result.stdout == "C1\n"
    run("commitment", "update", "C1", "--status", "in_progress", "--score", "0",
        "--note", "half", "--date", "2024-04-02")
    result = run("commitment", "update", "C1", "--status", "fulfilled", "--score", "1",
                 "--evidence", "R1", "--date", "2024-06-05")
    assert "in_progress → fulfilled" in result.stderr
    shown = run.json("commitment", "show", "C1")
    assert [(a["date"], a["status"], a["score"]) for a in shown["assessments"]] == [
        ("2024-04-02", "in_progress", 0), ("2024-06-05", "fulfilled", 1)]
    assert shown["made_on"] == "2024-03-14" and shown["by"] == ["CN", "US"]
    assert shown["overdue"] is False and shown["classification"] == "RESTRICTED"
    assert run.json("show", "C1") == shown
    text = run("show", "C1").stdout
    assert "Assessments" in text and "fulfilled" in text and "+1" in text


def test_cli_list_and_overdue(run, cli_db, monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2024-07-01")
    run("commitment", "add", "late one", "--dialogue", "US", "--by", "CN",
        "--due", "2024-06-01", "--date", "2024-05-01")
    run("commitment", "add", "later", "--dialogue", "US", "--by", "US", "--due", "2025-01-01")
    rows = run.json("commitment", "list")
    assert [(r["id"], r["overdue"], r["days_overdue"]) for r in rows] == [
        ("C1", True, 30), ("C2", False, None)]
    assert [r["id"] for r in run.json("commitment", "list", "--overdue")] == ["C1"]
    assert [r["id"] for r in run.json("commitment", "list", "--by", "US")] == ["C2"]
    assert [r["id"] for r in run.json("commitment", "list", "--status", "fulfilled")] == []
    assert "OVERDUE 30d" in run("commitment", "list").stdout


@pytest.mark.parametrize("args, code, message", [
    (["update", "C1", "--score", "2"], 1, "Error: score '2' is not on the compliance scale"),
    (["update", "C1", "--score", "-2"], 1, "not on the compliance scale"),
    (["update", "C1", "--evidence", "R9"], 1, "Error: no record R9"),
    (["update", "C1"], 1, "Error: nothing to change"),
    (["update", "C9", "--score", "1"], 1, "Error: no commitment C9"),
    (["update", "C1", "--status", "kept"], 2, "Invalid value for '--status'"),
    (["add", "x", "--dialogue", "US", "--by", "US", "--category", "vague"], 2, "--category"),
    (["add", "x", "--dialogue", "US", "--by", "XX"], 1, "Error: unknown party 'XX'"),
    (["add", "x", "--dialogue", "US", "--by", "US", "--due", "2024-01-01", "--date",
      "2024-02-01"], 1, "Error: due date 2024-01-01 is before"),
])
def test_cli_bad_input(run, cli_db, isolated_db, args, code, message):
    run("commitment", "add", "x", "--dialogue", "US", "--by", "US")
    before = list(sqlite3.connect(isolated_db).iterdump())
    result = run("commitment", *args, ok=False)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert list(sqlite3.connect(isolated_db).iterdump()) == before


def test_negative_score_is_read_as_a_value(run, cli_db):
    run("commitment", "add", "x", "--dialogue", "US", "--by", "US")
    run("commitment", "update", "C1", "--status", "not_fulfilled", "--score", "-1")
    assert run.json("commitment", "show", "C1")["score"] == -1
