"""The due agenda and the dialogue page; the issue's "done when" scenario end to end."""

import datetime as dt

import pytest

from cablemgr import actions, agenda, commitments, dialogues
from cablemgr.db import open_db
from cablemgr.errors import InvalidInput

TODAY = dt.date(2024, 7, 1)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "s.db", create=True)
    dialogues.add(database, "US cyber dialogue", "bilateral", party_codes=["US"])
    dialogues.add(database, "UN OEWG", "multilateral")
    add_action = actions.add
    add_action(database, "a bit late", owner="maria", due="2024-06-28", dialogue="US",
               today=TODAY)
    add_action(database, "very late", owner="tomas", due="2024-05-01", dialogue="UN",
               today=TODAY)
    add_action(database, "soon", owner="maria", due="2024-07-10", today=TODAY)
    add_action(database, "too far", owner="maria", due="2024-08-30", dialogue="US", today=TODAY)
    add_action(database, "done late", owner="maria", due="2024-05-01", today=TODAY)
    actions.close(database, 5, today=TODAY)
    add_action(database, "no date", owner="maria", today=TODAY)
    commitments.add(database, "late promise", dialogue="US", by=["US"], due="2024-06-01",
                    made_on="2024-01-01", today=TODAY)
    commitments.add(database, "kept promise", dialogue="US", by=["US"], due="2024-06-01",
                    made_on="2024-01-01", today=TODAY)
    commitments.update(database, 2, status="fulfilled", score=1, today=TODAY)
    commitments.add(database, "due today", dialogue="UN", by=["BR"], due="2024-07-01",
                    today=TODAY)
    yield database
    database.close()


def test_overdue_first_most_overdue_first_then_the_window(db):
    data = agenda.due(db, today=TODAY)
    assert [(i["id"], i["overdue"]) for i in data["items"]] == [
        ("A2", True), ("C1", True), ("A1", True), ("C3", False), ("A3", False)]
    assert [i["days_overdue"] for i in data["items"][:3]] == [61, 30, 3]
    assert [i["days_left"] for i in data["items"][3:]] == [0, 9]
    assert (data["overdue"], data["upcoming"], data["until"]) == (3, 2, "2024-07-15")
    assert data["groups"] == [
        {"dialogue": "UN OEWG", "dialogue_id": "D2", "items": ["A2", "C3"]},
        {"dialogue": "US cyber dialogue", "dialogue_id": "D1", "items": ["C1", "A1"]},
        {"dialogue": None, "dialogue_id": None, "items": ["A3"]}]


def test_window_owner_and_dialogue_filters(db):
    def ids(**kw):
        return [i["id"] for i in agenda.due(db, today=TODAY, **kw)["items"]]

    assert ids(within="2m") == ["A2", "C1", "A1", "C3", "A3", "A4"]
    assert ids(within="0d") == ["A2", "C1", "A1", "C3"]
    # commitments are other parties' promises: an owner filter leaves them out
    assert ids(owner="Maria") == ["A1", "A3"]
    assert ids(dialogue="US") == ["C1", "A1"]
    with pytest.raises(InvalidInput, match="cannot read duration 'soon'"):
        agenda.due(db, today=TODAY, within="soon")


def test_the_same_data_on_another_day(db):
    assert agenda.due(db, today=dt.date(2024, 1, 1))["items"] == []


def test_cli_nothing_due_exits_0_and_says_so(run):
    run("init")
    result = run("due")
    assert result.exit_code == 0
    assert result.stdout.startswith("Nothing overdue or due by ")
    assert run.json("due")["items"] == []


def test_cli_due_renders_sections_by_dialogue(run, monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2024-07-01")
    run("init")
    run("dialogue", "add", "US cyber dialogue", "--format", "bilateral")
    run("action", "add", "late", "--owner", "maria", "--due", "2024-06-20", "--dialogue", "US")
    run("action", "add", "soon", "--due", "2024-07-03")
    lines = run("due").stdout.splitlines()
    assert lines[0] == "Overdue (1)" and lines[1] == "  US cyber dialogue"
    assert lines[2].split()[:4] == ["A1", "2024-06-20", "11d", "late"]
    assert lines[4] == "Due by 2024-07-15 (1)" and lines[5] == "  (no dialogue)"
    assert "in 2d" in lines[6]
    assert run("due", "--within", "forever", ok=False).exit_code == 1


def test_done_when_scenario(run, monkeypatch):
    """Log a meeting with two ACTION and one COMMITMENT lines, assess the commitment twice,
    ask what is due, re-edit the notes: three linked items, history in order, overdue first,
    no duplicates."""
    monkeypatch.setenv("CABLEMGR_TODAY", "2024-07-01")
    run("init")
    run("dialogue", "add", "US cyber dialogue", "--format", "bilateral", "--party", "US")
    notes = ("Round 3.\n\n"
             "ACTION: @maria due:2024-06-10 send our non-paper on CBMs\n"
             "ACTION: @tomas due:+4w brief the minister\n"
             "COMMITMENT: by:CN,US due:2024-06-30 exchange hotline points of contact\n")
    logged = run("log", "--title", "Round 3", "--date", "2024-06-03", "--dialogue", "US",
                 "--body", notes)
    assert logged.stderr.count("Captured") == 3
    items = run.json("action", "list") + run.json("commitment", "list")
    assert sorted(i["id"] for i in items) == ["A1", "A2", "C1"]
    assert {i["record"] for i in items} == {"R1"}

    run("commitment", "update", "C1", "--status", "in_progress", "--score", "0",
        "--note", "POC named on their side", "--date", "2024-06-20")
    run("commitment", "update", "C1", "--status", "partially_fulfilled", "--score", "0",
        "--note", "technical POC still missing", "--date", "2024-06-30")
    shown = run.json("commitment", "show", "C1")
    assert [(a["date"], a["status"]) for a in shown["assessments"]] == [
        ("2024-06-20", "in_progress"), ("2024-06-30", "partially_fulfilled")]

    due = run.json("due")
    assert [(i["id"], i["overdue"]) for i in due["items"]] == [("A1", True), ("A2", False)]
    # a partially fulfilled commitment is settled, so it no longer falls due
    run("commitment", "update", "C1", "--status", "in_progress", "--note", "reopened")
    due = run.json("due")
    assert [(i["id"], i["overdue"]) for i in due["items"]] == [
        ("A1", True), ("C1", True), ("A2", False)]

    run("edit", "R1", "--body", notes + "\nFollow-up call agreed for July.\n")
    after = run.json("action", "list", "--status", "all") + run.json("commitment", "list")
    assert sorted(i["id"] for i in after) == ["A1", "A2", "C1"]


def test_dialogue_show_grows_commitments_actions_and_compliance(run, monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2024-07-01")
    run("init")
    run("dialogue", "add", "US cyber dialogue", "--format", "bilateral", "--party", "US")
    run("log", "--title", "Round 1", "--date", "2024-03-14", "--dialogue", "US", "--body",
        "COMMITMENT: by:US due:2024-06-01 share indicators\nACTION: @ines due:+1m send list")
    run("commitment", "add", "Name a POC", "--dialogue", "US", "--by", "CN,US",
        "--date", "2024-04-01")
    run("commitment", "update", "C2", "--status", "fulfilled", "--score", "1")
    run("action", "add", "closed", "--dialogue", "US")
    run("action", "done", "A2")
    data = run.json("dialogue", "show", "US")
    assert [(t["id"], t["kind"]) for t in data["timeline"]] == [
        ("R1", "meeting"), ("C1", "commitment"), ("C2", "commitment")]
    c1 = data["timeline"][1]
    assert (c1["status"], c1["score"], c1["overdue"], c1["days_overdue"]) == \
        ("open", None, True, 30)
    assert [a["id"] for a in data["open_actions"]] == ["A1"]
    assert data["open_actions"][0]["overdue"] is True
    compliance = {c["party"]: c for c in data["compliance"]}
    assert compliance["US"]["by_status"] == {"open": 1, "fulfilled": 1}
    assert compliance["US"]["mean_score"] == 1.0 and compliance["US"]["overdue"] == 1
    assert compliance["CN"]["percent"] == 100
    text = run("dialogue", "show", "US").stdout
    assert "open, OVERDUE 30d" in text and "fulfilled +1" in text
    assert "Open actions" in text and "Compliance" in text and "+1.00 (100%)" in text
