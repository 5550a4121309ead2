"""Date ranges are answered from whole years, whole months and the days left over; they must
find exactly the documents a plain day-by-day range finds."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq

from cablemgr.search.query import date_span
from cablemgr.search.schema import SCHEMA

FIRST, LAST = date(2022, 11, 20), date(2025, 2, 10)
DAYS = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    ix = whoosh_index.create_in(str(tmp_path_factory.mktemp("ix")), SCHEMA)
    writer = ix.writer()
    for day in DAYS:
        iso = day.isoformat()
        writer.add_document(id=iso, kind="report", title="cable", date=iso, year=iso[:4],
                            month=iso[:7])
    writer.commit()
    with ix.searcher() as s:
        yield s


def _found(searcher, q):
    return {hit["id"] for hit in searcher.search(q, limit=None)}


def _expected(low, high):
    return {d.isoformat() for d in DAYS
            if (low is None or d >= low) and (high is None or d <= high)}


bounds = st.one_of(st.none(), st.dates(min_value=date(2022, 10, 1), max_value=date(2025, 3, 31)))


@given(bounds, bounds)
@settings(max_examples=300, deadline=None)
def test_a_span_finds_the_same_days_as_a_day_range(searcher, low, high):
    if low is None and high is None or (low and high and low > high):
        return
    q = date_span("date", low and low.isoformat(), high and high.isoformat())
    assert _found(searcher, q) == _expected(low, high)


@pytest.mark.parametrize("low, high", [
    (date(2023, 1, 1), date(2024, 12, 31)), (date(2024, 2, 1), date(2024, 2, 29)),
    (date(2023, 12, 31), date(2024, 1, 1)), (date(2024, 3, 15), date(2024, 3, 15)),
    (None, date(2023, 12, 31)), (date(2024, 1, 1), None), (date(2023, 6, 10), None),
])
def test_edges_of_years_and_months(searcher, low, high):
    q = date_span("date", low and low.isoformat(), high and high.isoformat())
    assert _found(searcher, q) == _expected(low, high)


def test_whole_years_and_months_are_single_terms():
    q = date_span("date", "2017-01-01", "2019-12-31").child
    assert q == wq.Or([wq.Term("year", "2017"), wq.Term("year", "2018"),
                       wq.Term("year", "2019")])
    q = date_span("date", "2024-03-01", "2024-03-31").child
    assert q == wq.Term("month", "2024-03")
    # 2023-11-20 .. 2024-02-10: days of November, December as a month, January, days of February
    q = date_span("date", "2023-11-20", "2024-02-10").child
    assert [type(p).__name__ for p in q.subqueries] == ["TermRange", "Term", "Term", "TermRange"]
