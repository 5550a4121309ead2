"""The everyday record commands, driven through the CLI as a user would."""

import sqlite3

import click
import pytest

from cablemgr.cli import records as record_commands


@pytest.fixture
def dialogue(run):
    run("init")
    run("dialogue", "add", "US-X cyber dialogue", "--format", "bilateral", "--party", "US",
        "--party", "CN", "--forum", "bilateral", "--lead", "Maria Lind", "--started", "2023-09-01")
    run("dialogue", "add", "UN OEWG on ICT security", "--format", "multilateral",
        "--party", "UN")
    return "D1"


def record_count(path):
    return sqlite3.connect(path).execute("SELECT count(*) FROM records").fetchone()[0]


def test_init_creates_once_and_prints_the_path(run, isolated_db):
    first = run("init")
    assert first.stdout.strip() == str(isolated_db)
    assert "created" in first.stderr
    second = run("init")
    assert second.stdout.strip() == str(isolated_db)
    assert "already exists" in second.stderr


def test_db_option_wins_over_environment(run, tmp_path):
    other = tmp_path / "other.db"
    assert run("--db", other, "init").stdout.strip() == str(other)
    assert other.exists()


@pytest.mark.parametrize("args", [["list"], ["show", "R1"], ["dialogue", "list"],
                                  ["party", "list"], ["history", "R1"]])
def test_missing_database_says_how_to_create_one(run, args, isolated_db):
    result = run(*args, ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: no database at {isolated_db}. Create one with: "
        f"cablemgr --db {isolated_db} init"]
    assert not isolated_db.exists()


def test_log_from_stdin_creates_the_database_and_prints_the_id(run, isolated_db):
    result = run("log", "--title", "Informal consultations", "--date", "14 March 2024",
                 "--with", "cn", "--tag", "norms", "--venue", "Geneva",
                 input="We raised the hotline.\nThey agreed to follow up.\n")
    assert result.stdout.strip() == "R1"
    record = run.json("show", "R1")
    assert record["kind"] == "meeting"
    assert record["title"] == "Informal consultations"
    assert record["date"] == "2024-03-14"
    assert record["parties"] == ["CN"]
    assert record["tags"] == ["norms"]
    assert record["venue"] == "Geneva"
    assert record["body"] == "We raised the hotline.\nThey agreed to follow up."
    assert record["classification"] == "UNCLASSIFIED"


def test_log_reads_header_lines_from_stdin_and_defaults_title_to_first_line(run, dialogue):
    run("log", input="Dialogue: US-X\nDate: 2024-02-01\n\nRound three opened.\nMore.\n")
    record = run.json("show", "1")
    assert record["dialogue"] == "US-X cyber dialogue"
    assert record["title"] == "Round three opened."
    assert record["date"] == "2024-02-01"


def test_log_through_the_editor(run, dialogue, monkeypatch):
    seen = {}

    def fake_edit(template, **kwargs):
        seen["template"] = template
        return template.replace("Title:", "Title: Round 4 readout").replace(
            "Dialogue:", "Dialogue: D1").replace("Classification:", "Classification: R") + \
            "Both sides reviewed the hotline test.\n"

    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(click, "edit", fake_edit)
    assert run("log", "--date", "2024-04-02").stdout.strip() == "R1"
    for label in ("Title:", "Date: 2024-04-02", "Dialogue:", "With:", "Venue:", "Tags:",
                  "Classification:"):
        assert label in seen["template"]
    listed = run.json("list")
    assert [(r["id"], r["title"], r["dialogue"], r["classification"]) for r in listed] == [
        ("R1", "Round 4 readout", "US-X cyber dialogue", "RESTRICTED")]


@pytest.mark.parametrize("edited", [None, "unchanged"])
def test_unchanged_or_empty_editor_template_saves_nothing(run, monkeypatch, isolated_db, edited):
    run("init")
    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(click, "edit", lambda template, **kw: template if edited else None)
    result = run("log", ok=False)
    assert result.exit_code == 1
    assert "nothing saved" in result.output
    assert record_count(isolated_db) == 0


def test_report_with_flags(run, dialogue):
    result = run("report", "--post", "Geneva", "--date", "2024-05-02", "--subject",
                 "OEWG third session", "--ref", "GENEVA-2024-0042", "--dialogue", "UN OEWG",
                 "--with", "RU", "--tag", "attribution", "--class", "c",
                 "--body", "1. (C) Delegations discussed attribution.")
    assert result.stdout.strip() == "R1"
    record = run.json("show", "R1")
    assert (record["kind"], record["post"], record["reference"], record["classification"]) == (
        "report", "Geneva", "GENEVA-2024-0042", "CONFIDENTIAL")
    assert record["dialogue"] == "UN OEWG on ICT security"


@pytest.mark.parametrize("args,message", [
    (["log", "--title", "x", "--date", "31/02/2024", "--body", "b"],
     "Error: cannot read date '31/02/2024'"),
    (["log", "--title", "x", "--dialogue", "Nope", "--body", "b"],
     "Error: unknown dialogue 'Nope'. Known: US-X cyber dialogue, UN OEWG on ICT security"),
    (["log", "--title", "x", "--with", "XX1", "--body", "b"], "Error: unknown party 'XX1'"),
    (["log", "--title", "x", "--class", "TOP SECRET//NOFORN", "--body", "b"],
     "Error: unknown classification 'TOP SECRET//NOFORN'"),
    (["report", "--subject", "x", "--file", "/nonexistent/cable.txt"],
     "Error: cannot read /nonexistent/cable.txt"),
    (["show", "R99"], "Error: no record R99"),
    (["show", "X1"], "Error: 'X1' is not an id"),
    (["edit", "R42", "--title", "t"], "Error: no record R42"),
    (["dialogue", "show", "U"], "Error: 'U' matches several dialogues"),
    (["list", "--since", "someday"], "Error: cannot read date 'someday'"),
])
def test_bad_input_gives_one_clear_line_and_changes_nothing(run, dialogue, isolated_db, args,
                                                            message):
    before = list(sqlite3.connect(isolated_db).iterdump())
    result = run(*args, ok=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output
    assert "Traceback" not in result.output
    assert list(sqlite3.connect(isolated_db).iterdump()) == before


def test_usage_errors_exit_2(run, dialogue):
    assert run("list", "--kind", "memo", ok=False).exit_code == 2
    assert run("party", "add", "MSFT", "Microsoft", "--type", "bank", ok=False).exit_code == 2
    assert run("log", "--body", "a", "--file", "b", ok=False).exit_code == 2


def _seed(run):
    run("report", "--post", "Geneva", "--date", "2024-01-10", "--subject", "Geneva early",
        "--tag", "norms", "--with", "CN", "--body", "a")
    run("report", "--post", "Berlin", "--date", "2024-03-05", "--subject", "Berlin march",
        "--tag", "attribution", "--dialogue", "D2", "--body", "b")
    run("log", "--title", "Hotline round", "--date", "2024-02-20", "--dialogue", "D1",
        "--with", "US", "--body", "c")
    run("report", "--post", "geneva", "--date", "2024-03-05", "--subject", "Geneva march",
        "--body", "d")


def test_list_is_newest_first_with_filters(run, dialogue):
    _seed(run)
    titles = [r["title"] for r in run.json("list")]
    # same day: the one filed later comes first
    assert titles == ["Geneva march", "Berlin march", "Hotline round", "Geneva early"]

    def ids(*args):
        return [r["title"] for r in run.json("list", *args)]

    assert ids("--kind", "meeting") == ["Hotline round"]
    assert ids("--post", "GENEVA") == ["Geneva march", "Geneva early"]
    assert ids("--dialogue", "us-x") == ["Hotline round"]
    assert ids("--party", "cn") == ["Geneva early"]
    assert ids("--tag", "Attribution") == ["Berlin march"]
    assert ids("--since", "2024-02") == ["Geneva march", "Berlin march", "Hotline round"]
    assert ids("--until", "2024-02") == ["Hotline round", "Geneva early"]
    assert ids("--limit", "1") == ["Geneva march"]


def test_list_table_is_aligned(run, dialogue):
    _seed(run)
    lines = run("list").stdout.splitlines()
    assert lines[0].split() == ["ID", "DATE", "KIND", "POST/VENUE", "CL", "TITLE"]
    title_column = lines[0].index("TITLE")
    assert all(line[title_column - 2:title_column] == "  " for line in lines[1:])
    assert lines[1][title_column:] == "Geneva march"


def test_edit_with_flags_and_history(run, dialogue):
    run("log", "--title", "First title", "--date", "2024-01-01", "--body", "line one\nline two")
    result = run("edit", "R1", "--title", "Better title", "--tag", "norms", "--class", "R")
    assert "changed classification, tags, title" in result.stderr
    run("edit", "R1", "--body", "line one\nline 2")
    assert "nothing changed" in run("edit", "R1", "--title", "Better title").stderr
    history = run.json("history", "R1")
    assert [e["action"] for e in history] == ["create", "update", "update"]
    assert history[1]["changes"]["title"] == ["First title", "Better title"]
    assert history[1]["who"] == "tester"
    text = run("history", "R1").stdout
    assert "title: First title → Better title" in text
    assert "-line two" in text and "+line 2" in text


def test_edit_in_the_editor(run, dialogue, monkeypatch):
    run("log", "--title", "Draft", "--date", "2024-01-01", "--body", "old body")
    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(click, "edit", lambda t, **kw: t.replace("Draft", "Final").replace(
        "old body", "new body"))
    run("edit", "R1")
    record = run.json("show", "R1")
    assert (record["title"], record["body"]) == ("Final", "new body")


def test_show_renders_a_record_and_escapes_control_characters(run, dialogue):
    run("report", "--post", "Vienna", "--subject", "evil\u202etxt.exe", "--date", "2024-01-01",
        "--body", "text")
    out = run("show", "R1").stdout
    assert "\u202e" not in out
    assert "evil\\u202etxt.exe" in out
    assert "Post:     Vienna" in out


def test_parties(run):
    run("init")
    assert run("party", "add", "MSFT", "Microsoft", "--type", "company").stdout.strip() == "MSFT"
    assert "MSFT" in run("party", "list").stdout
    parties = {p["code"]: p for p in run.json("party", "list")}
    assert parties["MSFT"]["type"] == "company"
    assert parties["CN"]["type"] == "state" and parties["CN"]["builtin"]
    result = run("party", "add", "msft", "Again", "--type", "company", ok=False)
    assert result.exit_code == 1 and "already exists" in result.output


def test_dialogues(run, dialogue):
    listed = run.json("dialogue", "list")
    assert [(d["id"], d["name"], d["format"]) for d in listed] == [
        ("D1", "US-X cyber dialogue", "bilateral"),
        ("D2", "UN OEWG on ICT security", "multilateral")]
    shown = run.json("dialogue", "show", "us-x")
    assert shown["parties"] == ["CN", "US"] and shown["lead"] == "Maria Lind"
    assert shown["started"] == "2023-09-01"
    assert run.json("show", "D2")["name"] == "UN OEWG on ICT security"
    result = run("dialogue", "add", "us-x cyber dialogue", "--format", "bilateral", ok=False)
    assert result.exit_code == 1 and "already exists" in result.output


def test_help_does_not_import_whoosh():
    import subprocess
    import sys

    code = ("import sys; from cablemgr.cli import cli\n"
            "try:\n    cli(['--help'], prog_name='cablemgr')\nexcept SystemExit:\n    pass\n"
            "print('whoosh' in ' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().endswith("False")


def test_show_lists_what_a_meeting_produced_and_related_reports(run, dialogue):
    run("log", "--title", "Hotline consultations", "--date", "2024-03-01", "--dialogue", "D1",
        "--body", "We discussed the hotline test schedule.\n"
        "ACTION: @maria due:2024-03-15 send the hotline test schedule\n"
        "COMMITMENT: by:CN due:2024-06-30 answer hotline tests within 24 hours\n")
    run("report", "--post", "Beijing", "--date", "2024-03-04", "--subject",
        "MFA on the hotline test schedule", "--body", "The MFA confirmed the hotline test "
        "schedule and the 24 hours answer time.")
    run("report", "--post", "Nairobi", "--date", "2024-03-05", "--subject", "Budget",
        "--body", "Unrelated text about the embassy budget cycle.")
    shown = run.json("show", "R1")
    assert [(a["id"], a["owner"], a["due"]) for a in shown["actions"]] == [
        ("A1", "maria", "2024-03-15")]
    assert [(c["id"], c["by"]) for c in shown["commitments"]] == [("C1", ["CN"])]
    assert shown["related"][0]["id"] == "R2"
    assert "R1" not in [r["id"] for r in shown["related"]]
    text = run("show", "R1").stdout
    assert "Captured" in text and "A1" in text and "C1" in text
    assert "Related" in text and "MFA on the hotline test schedule" in text


def test_editing_a_report_shows_its_subject_post_and_reference(run, dialogue, monkeypatch):
    run("report", "--post", "Vienna", "--subject", "OSCE CBM review", "--date", "2024-01-01",
        "--ref", "VIENNA-2024-0001", "--body", "old text")
    shown = []

    def edit(template, **kw):
        shown.append(template)
        return (template.replace("Post: Vienna", "Post: Geneva")
                .replace("VIENNA-2024-0001", "VIENNA-2024-0002").replace("old text", "new text"))

    monkeypatch.setattr(record_commands, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(click, "edit", edit)
    run("edit", "R1")
    assert shown[0].startswith("Subject: OSCE CBM review\nDate: 2024-01-01\nPost: Vienna\n"
                               "Ref: VIENNA-2024-0001\n")
    assert "Venue:" not in shown[0]
    record = run.json("show", "R1")
    assert (record["title"], record["post"], record["reference"], record["body"]) == (
        "OSCE CBM review", "Geneva", "VIENNA-2024-0002", "new text")
    run("edit", "R1", "--ref", "GENEVA-2024-0003")
    assert run.json("show", "R1")["reference"] == "GENEVA-2024-0003"
