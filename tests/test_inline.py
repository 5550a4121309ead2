"""Inline capture: ACTION/COMMITMENT lines in meeting notes become items, once."""

import datetime as dt
import json
import os
import sqlite3

import click
import pytest

from cablemgr import inline
from cablemgr.cli import records as record_commands
from cablemgr.errors import InvalidInput

NOTES = """Round 2 of the dialogue.

ACTION: @maria due:2024-05-10 send our non-paper on CBMs to the delegation
  - action: due:+2w @tomas brief the minister
COMMITMENT: by:CN,US to:EU due:2024-06-30 exchange hotline points of contact
Action items were discussed at length.
"""


def test_scan_reads_tokens_in_any_order_before_the_text():
    found = inline.scan(NOTES)
    assert [(i["line"], i["kind"]) for i in found] == [
        (3, "action"), (4, "action"), (5, "commitment")]
    assert found[0]["tokens"] == {"owner": "maria", "due": "2024-05-10"}
    assert found[0]["text"] == "send our non-paper on CBMs to the delegation"
    assert found[1]["tokens"] == {"due": "+2w", "owner": "tomas"}
    assert found[1]["key"] == "- action: due:+2w @tomas brief the minister"
    assert found[2]["tokens"] == {"by": "CN,US", "to": "EU", "due": "2024-06-30"}
    # a token-looking word after the text starts is part of the text
    assert inline.scan("ACTION: call @maria due:friday")[0]["tokens"] == {}
    assert not any(i["error"] for i in found)


@pytest.mark.parametrize("line, error", [
    ("ACTION: by:CN send it", "does not belong on an ACTION line"),
    ("COMMITMENT: @maria by:CN do it", "does not belong on an COMMITMENT line"),
    ("ACTION: @maria due:+1w", "no text after the tokens"),
    ("ACTION: due:+1w due:+2w twice", "due is given twice"),
    ("COMMITMENT: due:+1w exchange POCs", "needs by:CODE"),
])
def test_scan_reports_misshapen_lines(line, error):
    assert error in inline.scan(line)[0]["error"]


@pytest.mark.parametrize("value, expected", [
    ("2024-05-10", "2024-05-10"),
    ("+2w", "2024-03-28"),
    ("next-friday", "2024-03-15"),
    ("end-of-month", "2024-03-31"),
    ("end_of_year", "2024-12-31"),
    ("14-March-2024", "2024-03-14"),
    ("in_3_days", "2024-03-17"),
])
def test_due_dates_count_from_the_meeting(value, expected):
    assert inline.line_date(value, dt.date(2024, 3, 14)) == expected


def test_unreadable_due_date_names_the_forms():
    with pytest.raises(InvalidInput, match="cannot read date 'someday'.*next-friday"):
        inline.line_date("someday", dt.date(2024, 3, 14))


@pytest.fixture
def dialogue(run):
    run("init")
    run("dialogue", "add", "US cyber dialogue", "--format", "bilateral", "--party", "US")


def _log(run, body, *extra, ok=True):
    return run("log", "--title", "Round 2", "--date", "2024-03-14", "--dialogue", "US",
               "--body", body, *extra, ok=ok)


def _items(run):
    rows = run.json("action", "list", "--status", "all") + run.json("commitment", "list")
    return sorted((r["id"], r["text"]) for r in rows)


def test_log_captures_and_prints_the_items(run, dialogue):
    result = _log(run, NOTES)
    assert result.stdout == "R1\n"
    assert "Captured A1 action @maria due 2024-05-10: send our non-paper" in result.stderr
    assert "Captured A2 action @tomas due 2024-03-28: brief the minister" in result.stderr
    assert "Captured C1 commitment by CN,US to EU due 2024-06-30" in result.stderr
    actions = run.json("action", "list")
    assert {(a["id"], a["record"], a["dialogue_id"], a["owner"]) for a in actions} == {
        ("A1", "R1", "D1", "maria"), ("A2", "R1", "D1", "tomas")}
    commitment = run.json("commitment", "show", "C1")
    assert (commitment["record"], commitment["made_on"], commitment["by"], commitment["to"]) \
        == ("R1", "2024-03-14", ["CN", "US"], "EU")


def test_reports_do_not_capture(run, dialogue):
    run("report", "--post", "Geneva", "--subject", "x", "--body", "ACTION: @x do it")
    assert _items(run) == []


@pytest.mark.parametrize("line, message", [
    ("ACTION: due:someday send it", "line 2: ACTION: due:someday send it — cannot read date"),
    ("COMMITMENT: by:ZZ share it", "line 2: COMMITMENT: by:ZZ share it — unknown party 'ZZ'"),
    ("COMMITMENT: by:CN due:2024-01-01 share it", "before the date the commitment was made"),
])
def test_malformed_line_saves_nothing_without_force(run, dialogue, isolated_db, line, message):
    before = list(sqlite3.connect(isolated_db).iterdump())
    result = _log(run, f"Notes\n{line}\nACTION: @ok fine", ok=False)
    assert result.exit_code == 1
    assert "Error: nothing saved: 1 ACTION/COMMITMENT line cannot be read" in result.stderr
    assert message in result.stderr and "--force" in result.stderr
    assert list(sqlite3.connect(isolated_db).iterdump()) == before

    forced = _log(run, f"Notes\n{line}\nACTION: @ok fine", "--force")
    assert forced.stdout == "R1\n"
    assert f"Not tracked: line 2: {line} — " in forced.stderr
    assert _items(run) == [("A1", "fine")]


def test_commitment_lines_need_a_dialogue(run, dialogue):
    result = run("log", "--title", "x", "--body", "COMMITMENT: by:CN share", ok=False)
    assert "a commitment belongs to a dialogue" in result.stderr


@pytest.mark.parametrize("answer, saved", [("y\n", True), ("n\n", False)])
def test_on_a_terminal_the_user_is_asked(run, dialogue, monkeypatch, answer, saved):
    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    result = run("log", "--title", "t", "--date", "2024-03-14", "--body",
                 "ACTION: due:someday x\nACTION: @ok fine", input=answer, ok=False)
    assert "Cannot read line 1: ACTION: due:someday x" in result.stderr
    assert "Save anyway" in result.stderr
    assert (result.exit_code == 0) is saved
    assert len(run.json("list")) == (1 if saved else 0)
    assert _items(run) == ([("A1", "fine")] if saved else [])


def test_editing_the_notes_does_not_duplicate(run, dialogue):
    _log(run, NOTES)
    before = _items(run)
    result = run("edit", "R1", "--body", NOTES + "\nA further paragraph.\n")
    assert "changed body" in result.stderr
    run("edit", "R1", "--title", "Round 2 (final)")
    assert _items(run) == before
    assert len(run.json("history", "A1")) == 1  # the item itself was not touched


def test_a_changed_line_updates_its_untouched_item(run, dialogue):
    _log(run, NOTES)
    changed = NOTES.replace("due:2024-05-10", "due:2024-05-17")
    result = run("edit", "R1", "--body", changed)
    assert "Updated A1 action @maria due 2024-05-17" in result.stderr
    assert run.json("show", "A1")["due"] == "2024-05-17"
    assert len(_items(run)) == 3


def test_a_removed_line_deletes_an_untouched_item_but_keeps_one_with_history(run, dialogue):
    _log(run, NOTES)
    run("action", "done", "A1", "--note", "sent")
    run("commitment", "update", "C1", "--status", "in_progress", "--score", "0")
    result = run("edit", "R1", "--body", "All lines gone.")
    assert "Removed A2: its line is no longer in the notes." in result.stderr
    assert "Kept A1: its line is no longer in the notes, but it has a history" in result.stderr
    assert "Kept C1" in result.stderr
    assert [i[0] for i in _items(run)] == ["A1", "C1"]
    assert [e["action"] for e in run.json("history", "A2")] == ["create", "delete"]
    # a new item never takes the number of a deleted one
    assert run("action", "add", "new").stdout == "A3\n"
    # putting the line back links the kept item again instead of capturing it twice
    run("edit", "R1", "--body", NOTES)
    assert [i[0] for i in _items(run)] == ["A1", "A3", "A4", "C1"]


def test_an_old_malformed_line_does_not_block_other_edits(run, dialogue):
    _log(run, "ACTION: due:someday x", "--force")
    assert "Not tracked" in run("edit", "R1", "--tag", "norms").stderr
    result = run("edit", "R1", "--body", "ACTION: due:someday x\nACTION: due:never y", ok=False)
    assert result.exit_code == 1 and "line 2: ACTION: due:never y" in result.stderr
    assert "line 1" not in result.stderr


def test_editing_in_the_editor_captures_too(run, dialogue, monkeypatch):
    _log(run, "Notes")
    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(click, "edit", lambda t, **kw: t + "\nACTION: @ines due:+1w draft ToR")
    result = run("edit", "R1")
    assert "Captured A1 action @ines due 2024-03-21: draft ToR" in result.stderr


def test_native_import_captures_once_and_round_trips(run, dialogue, tmp_path):
    _log(run, NOTES)
    run("commitment", "update", "C1", "--status", "in_progress", "--score", "0")
    exported = run("export", "records").stdout
    objects = [json.loads(line) for line in exported.splitlines()]
    assert [o["type"] for o in objects].count("action") == 2
    path = tmp_path / "unit.jsonl"
    path.write_text(exported, encoding="utf-8")
    other = tmp_path / "other.db"
    summary = json.loads(run("--db", other, "import", path, "--json").stdout)
    assert summary["added"] == 5 and summary["warnings"] == []
    again = run("--db", other, "export", "records").stdout
    strip = [{k: v for k, v in json.loads(line).items() if k != "id"}
             for line in again.splitlines()]
    assert strip == [{k: v for k, v in o.items() if k != "id"} for o in objects]


def test_native_import_of_notes_alone_captures_their_lines(run, dialogue, tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text(json.dumps({
        "type": "record", "uid": "m1", "kind": "meeting", "title": "Round", "date": "2024-03-14",
        "dialogue": "US cyber dialogue", "body": NOTES + "ACTION: due:someday broken\n"}) + "\n")
    summary = json.loads(run("import", path, "--json").stdout)
    assert summary["ids"] == ["R1", "A1", "A2", "C1"]
    assert any("line 7: ACTION: due:someday broken" in w for w in summary["warnings"])
    assert json.loads(run("import", path, "--json").stdout)["added"] == 0
    assert len(_items(run)) == 3


def test_line_numbers_count_the_header_lines_of_a_file(run, dialogue, tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("Title: Round 2\nDate: 2024-03-14\nDialogue: US\n\nNotes\n"
                    "ACTION: due:someday x\n")
    result = run("log", "--file", path, ok=False)
    assert "line 6: ACTION: due:someday x" in result.stderr


def test_notes_typed_in_the_editor_survive_a_refused_save(run, dialogue, monkeypatch):
    typed = "Title: Round 2\nDate: 2024-03-14\n\nACTION: due:someday x\n"
    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(click, "edit", lambda template, **kw: typed)
    result = run("log", input="n\n", ok=False)
    assert "Cannot read line 4: ACTION: due:someday x" in result.stderr
    assert result.exit_code == 1 and "Error: nothing saved" in result.stderr
    kept = result.stderr.split("Your notes are kept in ")[1].split(";")[0]
    with open(kept, encoding="utf-8") as handle:
        assert handle.read() == typed
    os.unlink(kept)


def test_editor_edits_report_lines_as_shown_in_the_editor(run, dialogue, monkeypatch):
    _log(run, "Notes")
    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(click, "edit", lambda t, **kw: t + "\nACTION: due:never y")
    result = run("edit", "R1", input="n\n", ok=False)
    # seven header lines and a blank one come before the notes in the editor
    assert "Cannot read line 10: ACTION: due:never y" in result.stderr
    kept = result.stderr.split("Your notes are kept in ")[1].splitlines()[0]
    os.unlink(kept)
    assert run.json("show", "R1")["body"] == "Notes"
