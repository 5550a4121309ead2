"""Hostile and broken input: refused with one clear error, the database and index untouched.

``tests/hostile/refuse-*`` must each be refused by ``cablemgr import FILE``: exit 1, one
``Error:`` line, the file named with its reason, no traceback, and the database's logical dump
(``iterdump``) and the index files exactly as before. ``tests/hostile/accept-*`` are hostile in
content but valid records (SQL fragments, shell metacharacters, right-to-left overrides,
escape sequences): they are filed verbatim, inert, and shown escaped on the terminal.
Big or special files (10 MB lines, a gzip bomb, symlink loops, a named pipe) are made at test
time rather than committed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cablemgr.dates import parse_date, parse_duration
from cablemgr.errors import InvalidInput
from cablemgr.output import _UNSAFE

pytest.importorskip("cablemgr.ingest.runner",
                    reason="cablemgr.ingest (the import of cables, mail, CSV) is not there yet")

HOSTILE = Path(__file__).parent / "hostile"
REFUSED = sorted(HOSTILE.glob("refuse-*"))
ACCEPTED = sorted(HOSTILE.glob("accept-*"))
PWNED = Path("/tmp/cablemgr-pwned")
SEED_CABLE = """CLASSIFICATION: CONFIDENTIAL
REF: BERLIN-2024-0001
DATE: 2024-02-01
FROM: EMBASSY BERLIN
SUBJECT: Seed cable
DIALOGUE: US-X cyber dialogue
PARTIES: US
TAGS: norms

1. (C) Already on file before the hostile files arrive.
"""


def test_the_corpus_is_there():
    assert len(REFUSED) + len(ACCEPTED) >= 40


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A unit with a dialogue, a party, a meeting, a cable and a built index."""
    from click.testing import CliRunner

    from cablemgr.cli import cli

    folder = tmp_path_factory.mktemp("hostile-template")
    db = folder / "cablemgr.db"
    runner = CliRunner(env={"CABLEMGR_USER": "tester"})
    cable = folder / "seed.txt"
    cable.write_text(SEED_CABLE, encoding="utf-8")
    for args in (["init"], ["party", "add", "MSFT", "Microsoft", "--type", "company"],
                 ["dialogue", "add", "US-X cyber dialogue", "--format", "bilateral",
                  "--party", "US"],
                 ["log", "--title", "Hotline talks", "--dialogue", "D1", "--body", "notes"],
                 ["import", str(cable)]):
        result = runner.invoke(cli, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def unit(template, isolated_db):
    isolated_db.parent.mkdir(mode=0o700, exist_ok=True)
    shutil.copy(template, isolated_db)
    shutil.copytree(f"{template}.index", f"{isolated_db}.index")
    return isolated_db


def state(db: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """The database's logical dump and a fingerprint of every index file."""
    conn = sqlite3.connect(db)
    try:
        dump = list(conn.iterdump())
    finally:
        conn.close()
    index = Path(f"{db}.index")
    files = sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest())
                   for p in index.iterdir() if p.is_file() and not p.name.endswith(".lock"))
    return dump, files


def assert_refused(result, name: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    reasons = [line for line in result.stderr.splitlines() if name in line]
    assert reasons, f"the error does not name {name}: {result.stderr}"
    assert all(not _UNSAFE.search(line) for line in result.stderr.splitlines())


@pytest.mark.parametrize("path", REFUSED, ids=lambda p: p.name)
def test_refused_and_nothing_changes(run, unit, path):
    before = state(unit)
    result = run("import", str(path), ok=False)
    assert_refused(result, path.name)
    assert state(unit) == before
    assert not PWNED.exists()


def test_every_refused_file_is_skipped_with_continue_on_error(run, unit, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in REFUSED:
        shutil.copy(path, inbox / path.name)
    before = state(unit)
    result = run("import", "--continue-on-error", "--json", str(inbox), ok=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added"] == 0
    named = {Path(f["file"]).name for f in report["failed"]}
    named |= {Path(w.split(":")[0]).name for w in report["warnings"]}
    assert {p.name for p in REFUSED} <= named
    assert state(unit) == before


@pytest.mark.parametrize("path", ACCEPTED, ids=lambda p: p.name)
def test_hostile_content_is_filed_verbatim_and_shown_escaped(run, unit, path):
    before = run.json("list", "--limit", "100")
    report = run.json("import", str(path))
    assert report["added"] == 1 and report["failed"] == []
    (new_id,) = report["ids"]
    record = run.json("show", new_id)
    # nothing else moved: the other records, parties and dialogues are as they were
    assert [r for r in run.json("list", "--limit", "100") if r["id"] != new_id] == before
    assert [p["code"] for p in run.json("party", "list") if not p["builtin"]] == ["MSFT"]
    assert run.json("verify")["ok"]
    for args in (("show", new_id), ("list",), ("history", new_id),
                 ("search", "body OR paragraph OR alert OR invoice")):
        out = run(*args, ok=False).output
        assert not _UNSAFE.search(out), (args, out)
    if _UNSAFE.search(record["title"]):
        assert "\\u" in run("show", new_id).stdout
    assert run.json("import", str(path))["added"] == 0  # the same file again adds nothing
    assert not PWNED.exists()


def test_sql_and_shell_text_is_stored_exactly(run, unit):
    report = run.json("import", str(HOSTILE / "accept-sql-fragments.txt"))
    record = run.json("show", report["ids"][0])
    assert record["title"] == "x'); DROP TABLE records; -- and \" OR 1=1 --"
    assert "'; DELETE FROM tags; --" in record["tags"]
    assert "UPDATE records SET body = '' ; --" in record["body"]
    report = run.json("import", str(HOSTILE / "accept-shell-metacharacters.txt"))
    record = run.json("show", report["ids"][0])
    assert record["title"] == "$(touch /tmp/cablemgr-pwned) `id` ; rm -rf ~ && echo $HOME"
    assert run.json("search", "DROP")["total"] >= 1


def test_bidi_override_is_kept_in_data_and_escaped_on_screen(run, unit):
    report = run.json("import", str(HOSTILE / "accept-rtl-override-title.txt"))
    record = run.json("show", report["ids"][0])
    assert record["title"] == "Invoice \u202efdp.exe\u202c from post"  # JSON keeps the data
    shown = run("show", report["ids"][0]).stdout
    assert "Invoice \\u202efdp.exe\\u202c from post" in shown
    listed = run("list").stdout
    assert "\\u202e" in listed and "\u202e" not in listed


# --- made at test time ---------------------------------------------------------------------

def _ten_mb_line_txt(folder: Path) -> Path:
    path = folder / "ten-mb-line.txt"
    path.write_bytes(b"SUBJECT: " + b"A" * (10 * 1024 * 1024) + b"\n")
    return path


def _ten_mb_line_jsonl(folder: Path) -> Path:
    path = folder / "ten-mb-line.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"type": "record", "kind": "report", "title": "')
        handle.write(b"a" * (10 * 1024 * 1024))
        handle.write(b'", "date": "2024-01-01"}\n')
    return path


def _gzip_bomb(folder: Path) -> Path:
    path = folder / "bomb.txt.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        chunk = b"SUBJECT: x\n" + b" " * (1024 * 1024)
        for _ in range(12):
            handle.write(chunk)
    return path


def _symlink_to_itself(folder: Path) -> Path:
    path = folder / "loop.txt"
    path.symlink_to(path)
    return path


def _hostile_file_name(folder: Path) -> Path:
    path = folder / "report\u202etxt.exe\x1b[2J.txt"
    path.write_bytes(b"\x00\x01binary")
    return path


@pytest.mark.parametrize("make", [_ten_mb_line_txt, _ten_mb_line_jsonl, _gzip_bomb,
                                  _symlink_to_itself, _hostile_file_name],
                         ids=lambda f: f.__name__.strip("_"))
def test_generated_hostile_files_are_refused(run, unit, tmp_path, make):
    path = make(tmp_path)
    before = state(unit)
    result = run("import", str(path), ok=False)
    assert_refused(result, path.name[:6])
    assert state(unit) == before


def test_symlink_loops_in_an_import_folder_are_skipped(run, unit, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "sub" / "up").symlink_to("..")
    (inbox / "self.txt").symlink_to("self.txt")
    before = state(unit)
    result = run("import", str(inbox), ok=False)
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output
    assert "up" in result.stderr and "self.txt" in result.stderr
    assert state(unit) == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("given", ["folder", "file"])
def test_named_pipe_is_not_read(unit, tmp_path, given):
    """Opening a named pipe blocks until someone writes to it: it must be skipped or refused,
    never read (run in a subprocess so a regression fails instead of hanging the suite)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "pipe.txt")
    before = state(unit)
    target = inbox if given == "folder" else inbox / "pipe.txt"
    command = [sys.executable, "-m", "cablemgr", "--db", str(unit), "import", str(target)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20,
                                env={**os.environ, "CABLEMGR_USER": "tester"})
    except subprocess.TimeoutExpired:
        pytest.fail("import blocked on a named pipe")
    assert "Traceback" not in result.stderr
    assert "pipe.txt" in result.stderr
    assert result.returncode == (0 if given == "folder" else 1)
    assert state(unit) == before


# --- property-based ------------------------------------------------------------------------

DATE_WORDS = st.sampled_from(["today", "yesterday", "tomorrow", "next friday", "last monday",
                              "this sunday", "end of week", "end of month", "start of year",
                              "end of year", "in 2 weeks", "3 days ago", "+1d", "-2w", "7d",
                              "+9999y", "-9999y", "in 9999 months", "9999 weeks ago"])
NUMERIC = st.builds(lambda a, sep, b, y: f"{a}{sep}{b}{sep}{y}",
                    st.integers(-1, 99), st.sampled_from(["/", ".", "-", " "]),
                    st.integers(-1, 99), st.integers(0, 99999))
BASES = st.dates(min_value=dt.date.min, max_value=dt.date.max)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=50), DATE_WORDS, NUMERIC), base=BASES,
       end=st.booleans())
def test_parse_date_raises_only_invalid_input_even_at_the_calendar_edges(text, base, end):
    try:
        result = parse_date(text, base=base, end=end)
    except InvalidInput as exc:
        assert "cannot read date" in str(exc)
        return
    assert isinstance(result, dt.date)


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(0, 9999), unit=st.sampled_from(["d", "w", "m", "y", "days", "years"]),
       base=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_a_duration_either_is_refused_or_can_be_added_to_a_date(amount, unit, base):
    try:
        window = parse_duration(f"{amount}{unit}")
    except InvalidInput:
        return
    assert isinstance(base + window, dt.date)


@pytest.mark.parametrize("args", [("due", "--within", "9999y"), ("list", "--since", "+9999y"),
                                  ("list", "--until", "31/02/2024"),
                                  ("search", "x", "--since", "9999-12-31 next friday")])
def test_out_of_range_dates_on_the_command_line(run, unit, args):
    result = run(*args, ok=False)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output


@pytest.mark.parametrize("how", ["argument", "stdin"])
def test_text_that_is_not_utf8_on_the_command_line(unit, how):
    command = [sys.executable.encode(), b"-m", b"cablemgr", b"--db", bytes(unit), b"log"]
    feed = None
    if how == "argument":
        command += [b"--title", b"bad \xff title", b"--body", b"x"]
    else:
        command += [b"--title", b"ok"]
        feed = b"bad \xff body\n"
    result = subprocess.run(command, input=feed, capture_output=True, timeout=60,
                            env={**os.environ, "LC_ALL": "C", "PYTHONUTF8": "1"})
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("Error: ")
