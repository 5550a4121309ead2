"""Several officers at once: 4 processes × 50 ``log`` commands and a reader searching meanwhile.

Each worker process runs the real command 50 times in a row (``cablemgr log`` through the
click entry point, opening and closing the database and draining the search outbox each
time, as separate invocations would) without paying interpreter start-up 200 times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

from click.testing import CliRunner

from cablemgr import integrity, search
from cablemgr.cli import cli
from cablemgr.db import BUSY_TIMEOUT_MS, open_db

WORKERS = 4
LOGS = 50

WRITER = textwrap.dedent("""
    import json, sys, time
    from click.testing import CliRunner
    from cablemgr.cli import cli
    db, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    runner = CliRunner()
    ids, failures, slowest = [], [], 0.0
    for n in range(count):
        started = time.monotonic()
        result = runner.invoke(cli, ["--db", db, "log", "--title", f"Worker {worker} meeting {n}",
                                     "--body", f"concurrency hotline w{worker}n{n}",
                                     "--tag", "norms"])
        slowest = max(slowest, time.monotonic() - started)
        if result.exit_code != 0 or result.stderr:
            failures.append(result.output + repr(result.exception))
        else:
            ids.append(result.stdout.strip())
    print(json.dumps({"ids": ids, "failures": failures, "slowest": slowest}))
""")

READER = textwrap.dedent("""
    import json, os, sys
    from click.testing import CliRunner
    from cablemgr.cli import cli
    db, flag = sys.argv[1], sys.argv[2]
    runner = CliRunner()
    searches, failures, seen = 0, [], []
    while os.path.exists(flag):
        result = runner.invoke(cli, ["--db", db, "search", "concurrency", "--json",
                                     "--limit", "1"])
        searches += 1
        if result.exit_code != 0 or result.exception is not None:
            failures.append(result.output + repr(result.exception))
        else:
            seen.append(json.loads(result.stdout)["total"])
    print(json.dumps({"searches": searches, "failures": failures, "seen": seen}))
""")


def test_four_writers_and_a_reader(tmp_path):
    db_path = tmp_path / "unit.db"
    env = {**os.environ, "CABLEMGR_USER": "tester"}
    result = CliRunner().invoke(cli, ["--db", str(db_path), "init"])
    assert result.exit_code == 0
    flag = tmp_path / "reading"
    flag.touch()
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db_path), str(flag)],
                              stdout=subprocess.PIPE, env=env, text=True)
    started = time.monotonic()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(n), str(LOGS)],
                                stdout=subprocess.PIPE, env=env, text=True)
               for n in range(WORKERS)]
    results = [json.loads(w.communicate(timeout=300)[0]) for w in writers]
    elapsed = time.monotonic() - started
    flag.unlink()
    read = json.loads(reader.communicate(timeout=60)[0])

    assert all(w.returncode == 0 for w in writers)
    failures = [f for r in results for f in r["failures"]]
    assert failures == []  # in particular no "database is locked"
    ids = [i for r in results for i in r["ids"]]
    assert len(ids) == len(set(ids)) == WORKERS * LOGS
    slowest = max(r["slowest"] for r in results)
    assert slowest < BUSY_TIMEOUT_MS / 1000

    assert read["failures"] == []
    assert read["searches"] > 0
    assert read["seen"] == sorted(read["seen"])  # a reader never sees records disappear

    db = open_db(db_path)
    try:
        assert db.execute("SELECT count(*) FROM records").fetchone()[0] == WORKERS * LOGS
        found = search.search(db, "concurrency", limit=1)
        assert found["total"] == WORKERS * LOGS
        assert search.doc_count(db) == WORKERS * LOGS
        assert integrity.verify(db)["ok"]
    finally:
        db.close()
    print(f"\n{WORKERS}×{LOGS} log commands in {elapsed:.1f} s "
          f"({WORKERS * LOGS / elapsed:.0f}/s); slowest single log {slowest:.2f} s; "
          f"{read['searches']} searches meanwhile, none failed")
