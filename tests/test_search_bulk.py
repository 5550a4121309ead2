"""Building the index with worker processes: the same answers as one process, a failed worker
fails the build and leaves the live index alone, and workers never outlive their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from cablemgr import records, search
from cablemgr.db import open_db
from cablemgr.errors import DatabaseError
from cablemgr.search import bulk
from cablemgr.search.outbox import depth

POSTS = ["Geneva", "Vienna", "Nairobi", "Tokyo", "Berlin"]
WORDS = ("attribution ransomware hospitals hotline confidence-building measures points of "
         "contact capacity building norms responsible state behaviour submarine cables").split()


def _fill(db, count):
    for number in range(count):
        words = [WORDS[(number * 7 + k * 3) % len(WORDS)] for k in range(40 + number % 30)]
        records.add(db, kind="report", title=f"Report {number} on {words[0]}",
                    body=" ".join(words) + (" to exchange points of contact" * (number % 3 == 0)),
                    post=POSTS[number % len(POSTS)],
                    date=f"2024-{number % 12 + 1:02d}-{number % 27 + 1:02d}")


def _answers(db):
    queries = ["attribution", '"points of contact"', "post:geneva hotline", "ransom*",
               "capacity AND norms", "date:2024-03", "cabels~"]
    found = {}
    for query in queries:
        result = search.search(db, query, limit=1000, notify=lambda m: None)
        found[query] = (result["total"], sorted(hit["id"] for hit in result["hits"]))
    return found


@pytest.fixture
def filled(tmp_path):
    db = open_db(tmp_path / "bulk.db", create=True)
    _fill(db, 120)
    search.sync(db)
    yield db
    db.close()


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setattr(bulk, "MIN_DOCUMENTS", 10)
    monkeypatch.setattr(bulk, "BATCH", 25)  # several batches, so both workers get some
    monkeypatch.setattr(bulk, "worker_count", lambda: 2)


def test_parallel_rebuild_answers_like_a_serial_one(filled, two_workers):
    serial = _answers(filled)
    stats = search.reindex(filled)
    assert stats["documents"] == 120
    assert search.status(filled)["segments"] == 2  # one per worker
    assert _answers(filled) == serial
    assert serial["attribution"][0] > 0 and serial['"points of contact"'][0] > 0


def test_parallel_rebuild_reports_progress_to_the_end(filled, two_workers):
    seen = []
    search.reindex(filled, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (120, 120)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_bulk_queue_is_written_by_a_rebuild(filled, two_workers):
    _fill(filled, 200)  # a queue larger than the index: an import
    assert depth(filled) == 200
    seen = []
    written = search.sync(filled, progress=lambda done, total: seen.append(total))
    assert written == 320 and depth(filled) == 0
    assert search.doc_count(filled) == 320 and seen and seen[-1] == 320


def test_a_small_queue_is_drained_in_place(filled, two_workers):
    before = search.status(filled)["generation"]
    _fill(filled, 5)
    assert search.sync(filled) == 5
    assert search.status(filled)["generation"] == before


def test_a_failed_worker_fails_the_build_and_keeps_the_live_index(filled, two_workers,
                                                                  monkeypatch):
    from cablemgr.search import index

    live = search.status(filled)["generation"]
    good = index._index_fields
    # a field the schema does not have makes Whoosh raise inside the worker
    monkeypatch.setattr(index, "_index_fields",
                        lambda doc: {**good(doc), "no_such_field": "x"})
    with pytest.raises(DatabaseError, match="search indexing process failed.*no_such_field"):
        search.reindex(filled)
    monkeypatch.setattr(index, "_index_fields", good)
    assert search.status(filled)["generation"] == live
    assert search.doc_count(filled) == 120
    assert not bulk.multiprocessing.active_children()


WORKERS_OUTLIVE = textwrap.dedent("""
    import sys, time
    from whoosh import index as whoosh_index
    from cablemgr.search import bulk
    from cablemgr.search.schema import SCHEMA

    ix = whoosh_index.create_in(sys.argv[1], SCHEMA, indexname="g000000000abc")

    def documents():
        yield from ({"id": f"R{n}", "kind": "report", "title": "t", "body": "b"}
                    for n in range(bulk.BATCH))
        import multiprocessing
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        time.sleep(60)  # the parent is killed here, mid-build
        yield {"id": "R0", "kind": "report"}

    bulk.build(ix, documents(), 0, 2)
""")


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", WORKERS_OUTLIVE, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # reaped by init once it exits; a zombie has no state file lines worth reading
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


def test_the_indexing_bar_is_drawn_only_once_there_is_progress(capsys):
    from cablemgr.output import progress_bar

    with progress_bar("Indexing", True) as progress:
        pass  # a quick sync: nothing to report
    assert capsys.readouterr().err == ""
    with progress_bar("Indexing", True) as progress:
        progress(50, 100)
        progress(100, 100)
    assert "Indexing" in capsys.readouterr().err
    with progress_bar("Indexing", False) as progress:
        assert progress is None
