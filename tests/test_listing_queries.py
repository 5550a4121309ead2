"""Listings read their commitments' parties and assessments in bulk: the number of SQL
statements must not grow with the number of rows (one query per row made ``due`` take
seconds on a 100,000-record database)."""

import datetime as dt

import pytest

from cablemgr import actions, agenda, briefing, commitments, dialogues, digest, overview
from cablemgr import db as db_module
from cablemgr.db import open_db

TODAY = dt.date(2024, 7, 1)


def _database(path, rows: int):
    db = open_db(path, create=True)
    dialogues.add(db, "US cyber dialogue", "bilateral", party_codes=["US"])
    for n in range(rows):
        # due and made inside the digest's week and the agenda's fortnight, so every row
        # is listed by every reader below
        commitments.add(db, f"promise {n}", dialogue="US", by=["US", "CN"],
                        due=f"2024-06-{25 + n % 6:02d}", made_on="2024-06-25", today=TODAY,
                        assessments=[{"date": "2024-06-29", "status": "in_progress",
                                      "score": 0},
                                     {"date": "2024-06-30", "status": "in_progress",
                                      "note": "still working"}])
        actions.add(db, f"follow up {n}", owner="maria", due="2024-06-30", dialogue="US",
                    today=TODAY)
    return db


READERS = {
    "commitment list": lambda db: commitments.list_commitments(db, today=TODAY),
    "action list": lambda db: actions.list_actions(db, today=TODAY, status="all"),
    "due": lambda db: agenda.due(db, today=TODAY),
    "export commitments": lambda db: briefing.summary(db, today=TODAY),
    "export commitments as of": lambda db: briefing.summary(db, today=TODAY,
                                                            as_of=dt.date(2024, 6, 29)),
    "digest": lambda db: digest.digest(db, today=TODAY, since="7d"),
    "dialogue show": lambda db: overview.dialogue_overview(db, 1, today=TODAY),
}


def _statements(db, reader) -> tuple[int, object]:
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        result = reader(db)
    finally:
        db.conn.set_trace_callback(None)
    return len(seen), result


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("listing")
    small, large = _database(folder / "small.db", 2), _database(folder / "large.db", 50)
    yield small, large
    small.close()
    large.close()


@pytest.mark.parametrize("name", list(READERS))
def test_statement_count_does_not_grow_with_rows(databases, name):
    small, large = databases
    few, _ = _statements(small, READERS[name])
    many, result = _statements(large, READERS[name])
    assert many == few, f"{name}: {few} statements for 2 commitments, {many} for 50"
    assert result  # the readers saw the rows, so the count measured real work


def test_chunked_reads_give_the_same_items(databases, monkeypatch):
    """Chunk boundaries (here every 7 commitments) must not lose, repeat or mix rows."""
    _, large = databases
    whole = commitments.list_commitments(large, today=TODAY)
    summary = briefing.summary(large, today=TODAY)
    monkeypatch.setattr(db_module, "CHUNK", 7)
    assert commitments.list_commitments(large, today=TODAY) == whole
    assert briefing.summary(large, today=TODAY) == summary
    assert all(c["by"] == ["CN", "US"] and c["score"] == 0 and c["last_assessed"] == "2024-06-30"
               for c in whole)
    many, _ = _statements(large, lambda db: commitments.list_commitments(db, today=TODAY))
    # 50 commitments in chunks of 7: 8 chunks, one parties and one assessments query each
    assert many == 1 + 2 * 8


def test_late_filed_listing_searches_the_filing_index(databases):
    """The digest's "filed in the period, dated outside it" reads records_filed, not every
    record: a table scan there cost a tenth of a second at 100,000 records."""
    _, large = databases
    seen: list[str] = []
    large.conn.set_trace_callback(seen.append)
    try:
        digest.digest(large, today=TODAY, since="7d")
    finally:
        large.conn.set_trace_callback(None)
    late = [sql for sql in seen if "ORDER BY created_at DESC" in sql]
    assert len(late) == 1
    plan = " ".join(row[3] for row in large.execute(f"EXPLAIN QUERY PLAN {late[0]}"))
    assert "SEARCH records USING INDEX records_filed (created_at>? AND created_at<?)" in plan
