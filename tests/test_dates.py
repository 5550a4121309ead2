import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cablemgr.dates import parse_date, parse_duration
from cablemgr.errors import InvalidInput

BASE = dt.date(2024, 5, 1)  # a Wednesday


@pytest.mark.parametrize("text,expected", [
    ("2024-03-14", "2024-03-14"),
    ("2024-03", "2024-03-01"),
    ("2024", "2024-01-01"),
    ("14 March 2024", "2024-03-14"),
    ("14 Mar 2024", "2024-03-14"),
    ("March 14, 2024", "2024-03-14"),
    ("03/04/2024", "2024-04-03"),
    ("03.04.2024", "2024-04-03"),
    ("today", "2024-05-01"),
    ("yesterday", "2024-04-30"),
    ("tomorrow", "2024-05-02"),
    ("+3d", "2024-05-04"),
    ("-2w", "2024-04-17"),
    ("+1m", "2024-06-01"),
    ("7d", "2024-04-24"),
    ("in 2 weeks", "2024-05-15"),
    ("3 days ago", "2024-04-28"),
    ("next friday", "2024-05-03"),
    ("next wednesday", "2024-05-08"),
    ("last monday", "2024-04-29"),
    ("end of month", "2024-05-31"),
    ("end of year", "2024-12-31"),
    ("  End  Of  Week ", "2024-05-05"),
])
def test_accepted_forms(text, expected):
    assert parse_date(text, base=BASE).isoformat() == expected


def test_partial_dates_as_upper_bounds_cover_the_whole_period():
    assert parse_date("2024-02", end=True) == dt.date(2024, 2, 29)
    assert parse_date("2023", end=True) == dt.date(2023, 12, 31)


def test_month_first_when_asked(monkeypatch):
    monkeypatch.setenv("CABLEMGR_DAYFIRST", "0")
    assert parse_date("03/04/2024") == dt.date(2024, 3, 4)


def test_pinned_today(monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2025-01-10")
    assert parse_date("tomorrow") == dt.date(2025, 1, 11)


@pytest.mark.parametrize("text", ["31/02/2024", "2024-13-01", "march", "soon", "", "+d",
                                  "next funday", "14 Smarch 2024", "99999-01-01"])
def test_unreadable_dates_name_the_value_and_the_accepted_forms(text):
    with pytest.raises(InvalidInput) as error:
        parse_date(text, base=BASE)
    assert f"cannot read date '{text}'" in str(error.value)
    assert "14 March 2024" in str(error.value)


def test_durations():
    assert BASE + parse_duration("14d") == dt.date(2024, 5, 15)
    assert BASE + parse_duration("2w") == dt.date(2024, 5, 15)
    with pytest.raises(InvalidInput):
        parse_duration("fortnight")


@given(st.text(max_size=60))
def test_parse_date_never_raises_anything_but_the_documented_error(text):
    try:
        result = parse_date(text, base=BASE)
    except InvalidInput:
        return
    assert isinstance(result, dt.date)
