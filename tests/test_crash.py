"""Crash safety: SIGKILL at seeded random moments during import, log and reindex.

After every kill: SQLite's integrity check passes, the killed command left all of its work or
none of it, the next command drains the search outbox, the index holds exactly the documents
the database holds, and the history still verifies.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from cablemgr import integrity, search
from cablemgr.cli import cli
from cablemgr.db import open_db
from cablemgr.search.documents import count_all
from cablemgr.search.outbox import depth

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

SEED = 20240314
IMPORT_RUNS = 20
CABLES = 60
POSTS = ("BERLIN", "GENEVA", "PARIS", "TOKYO", "NAIROBI", "BRASILIA")


def cable(i: int) -> str:
    post = POSTS[i % len(POSTS)]
    return (f"CLASSIFICATION: UNCLASSIFIED\nREF: {post}-2024-{i:04d}\n"
            f"DATE: 2024-03-{i % 28 + 1:02d}\nFROM: EMBASSY {post}\n"
            f"SUBJECT: Cyber consultations, round {i}\nTAGS: norms, confidence-building\n\n"
            f"1. (U) The hotline exercise number {i} went as planned; marker{i} noted.\n\n"
            f"2. (U) Both sides will exchange points of contact before round {i + 1}.\n")


def cablemgr(db, *args):
    return [sys.executable, "-m", "cablemgr", "--db", str(db), *map(str, args)]


def env():
    return {**os.environ, "CABLEMGR_USER": "tester"}


def counts(path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("records", "events", "record_tags")}
    finally:
        conn.close()


def next_command_heals(path) -> dict:
    """Run doctor the way a person would after the crash, then check what it left."""
    result = CliRunner().invoke(cli, ["--db", str(path), "doctor", "--json"])
    first = json.loads(result.stdout)
    problems = [c for c in first["checks"] if c["status"] != "ok"]
    if result.exit_code != 0:
        shutil.copy(path, f"/tmp/crash-failure-{os.getpid()}.db")
    assert result.exit_code == 0, (problems, result.stderr)
    # at worst a search queue left to drain: never a damaged file, a broken history or an
    # index missing committed records with nothing queued
    assert {c["name"] for c in problems} <= {"outbox", "index"}, problems
    assert all(c["status"] == "warn" for c in problems), problems
    db = open_db(path)
    try:
        assert depth(db) == 0, "the command did not drain the search outbox"
        assert search.doc_count(db) == count_all(db)
        assert integrity.verify(db)["ok"]
    finally:
        db.close()
    return first


def kill_after(command, delay: float) -> tuple[bool, float]:
    """Start ``command``, SIGKILL it after ``delay`` s; (was it still running, its run time)."""
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return False, time.monotonic() - started
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True, time.monotonic() - started


def timed(command) -> float:
    started = time.monotonic()
    subprocess.run(command, env=env(), check=True, capture_output=True)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A database with a few records and a built index, and an inbox of cables."""
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.db"
    runner = CliRunner()
    for i in range(3):
        result = runner.invoke(cli, ["--db", str(base), "log", "--title", f"Meeting {i}",
                                     "--body", "hotline talks"], env={"CABLEMGR_USER": "tester"})
        assert result.exit_code == 0, result.output
    inbox = folder / "inbox"
    inbox.mkdir()
    for i in range(CABLES):
        (inbox / f"cable-{i:04d}.txt").write_text(cable(i), encoding="utf-8")
    return base, inbox


def fresh_copy(base, path):
    for suffix in ("", ".index"):
        target = f"{path}{suffix}"
        if os.path.isdir(target):
            shutil.rmtree(target)
        elif os.path.exists(target):
            os.unlink(target)
    shutil.copy(base, path)
    shutil.copytree(f"{base}.index", f"{path}.index")


def test_kill_during_bulk_import(seeded, tmp_path):
    base, inbox = seeded
    before = counts(base)
    probe = tmp_path / "probe.db"
    fresh_copy(base, probe)
    whole = timed(cablemgr(probe, "import", inbox))
    assert counts(probe)["records"] == before["records"] + CABLES
    rng = random.Random(SEED)
    delays = [rng.uniform(0.05, whole) for _ in range(IMPORT_RUNS)]
    outcomes = {"nothing": 0, "everything": 0}
    killed = 0
    # two runs at a time, each on its own copy: the kills land just as well and the wall
    # time halves on two cores
    with ThreadPoolExecutor(max_workers=2) as pool:
        for pair in range(0, IMPORT_RUNS, 2):
            dbs = [tmp_path / f"unit{n}.db" for n in range(2)]
            for db in dbs:
                fresh_copy(base, db)
            runs = pool.map(lambda job: kill_after(cablemgr(job[0], "import", inbox), job[1]),
                            zip(dbs, delays[pair:pair + 2], strict=True))
            for db, (was_running, _elapsed) in zip(dbs, list(runs), strict=True):
                killed += was_running
                after = counts(db)
                added = {key: after[key] - before[key] for key in after}
                # all or nothing: every cable with its event and its tags, or none of them
                assert added in ({"records": 0, "events": 0, "record_tags": 0},
                                 {"records": CABLES, "events": CABLES,
                                  "record_tags": 2 * CABLES}), added
                outcomes["everything" if added["records"] else "nothing"] += 1
                next_command_heals(db)
    print(f"\nimport of {CABLES} cables: {whole:.2f} s uninterrupted; {killed} of "
          f"{IMPORT_RUNS} runs killed while running; outcomes {outcomes}")
    # the delays are drawn inside the uninterrupted run time, so most land mid-run even on a
    # busy machine
    assert killed >= IMPORT_RUNS // 4


def test_kill_during_log(seeded, tmp_path):
    base, _inbox = seeded
    before = counts(base)
    db = tmp_path / "unit.db"
    fresh_copy(base, db)
    log = cablemgr(db, "log", "--title", "Killed meeting", "--body",
                   "line one\nACTION: @maria send the non-paper\n", "--tag", "norms")
    whole = timed(log)
    rng = random.Random(SEED + 1)
    for _ in range(6):
        fresh_copy(base, db)
        kill_after(log, rng.uniform(0.05, whole * 1.1))
        after = counts(db)
        assert after["records"] - before["records"] in (0, 1)
        assert after["record_tags"] - before["record_tags"] == after["records"] - before["records"]
        next_command_heals(db)


def test_kill_during_reindex(seeded, tmp_path):
    base, inbox = seeded
    db = tmp_path / "unit.db"
    fresh_copy(base, db)
    result = CliRunner().invoke(cli, ["--db", str(db), "import", str(inbox)],
                                env={"CABLEMGR_USER": "tester"})
    assert result.exit_code == 0, result.output
    grown = tmp_path / "grown.db"
    shutil.copy(db, grown)
    shutil.copytree(f"{db}.index", f"{grown}.index")
    before = counts(grown)
    whole = timed(cablemgr(db, "reindex"))
    rng = random.Random(SEED + 2)
    for _ in range(6):
        fresh_copy(grown, db)
        kill_after(cablemgr(db, "reindex"), rng.uniform(0.05, whole * 1.1))
        assert counts(db) == before
        next_command_heals(db)
        hits = CliRunner().invoke(cli, ["--db", str(db), "search", "marker7", "--json"])
        assert json.loads(hits.stdout)["total"] == 1
