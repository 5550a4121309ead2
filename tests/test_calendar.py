"""export calendar: RFC 5545 read back with icalendar, item by item."""

from __future__ import annotations

import datetime as dt

import pytest
from briefing_data import load, objects
from hypothesis import given
from hypothesis import strategies as st

from cablemgr.export.ical import escape, fold

icalendar = pytest.importorskip("icalendar")


@pytest.fixture
def unit(run, tmp_path, monkeypatch):
    load(run, tmp_path, monkeypatch, cables=False)
    return run


def _export(run, tmp_path, *args, name="cal.ics"):
    out = tmp_path / name
    run("export", "calendar", "-o", out, *args)
    return out.read_bytes()


def _items(raw: bytes):
    cal = icalendar.Calendar.from_ical(raw)
    components = [c for c in cal.walk() if c.name in ("VTODO", "VEVENT")]
    items = {str(c["UID"]): c for c in components}
    assert len(items) == len(components), "a UID is used twice"
    return cal, items


def test_every_item_reads_back(unit, tmp_path):
    cal, items = _items(_export(unit, tmp_path))
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"]).startswith("-//cablemgr//")
    assert sorted(items) == sorted(
        [f"t-act-{n}@cablemgr" for n in ("1", "2", "secret")]
        + [f"t-com-k{n}@cablemgr" for n in range(1, 6)]
        + ["t-mtg-alpha-1@cablemgr", "t-mtg-secret@cablemgr"])
    # every item against the row it came from: kind, date and classification mark
    rows = {f"{o['uid']}@cablemgr": o for o in objects() if o["type"] != "dialogue"}
    for uid, item in items.items():
        row = rows[uid]
        assert item.decoded("DTSTAMP").tzinfo is not None
        assert str(item["SUMMARY"])[:4] in ("(U) ", "(R) ", "(C) ")
        if row["type"] == "action":
            assert item.name == "VTODO" and item.decoded("DUE").isoformat() == row["due"]
            assert row["text"] in str(item["SUMMARY"])
        else:
            day = row["due"] if row["type"] == "commitment" else row["date"]
            assert item.name == "VEVENT" and item.decoded("DTSTART").isoformat() == day
            assert item.decoded("DTEND") - item.decoded("DTSTART") == dt.timedelta(days=1)

    todo = items["t-act-1@cablemgr"]
    assert todo.name == "VTODO"
    assert str(todo["SUMMARY"]) == "(U) Send the draft; with commas, semicolons"
    assert todo.decoded("DUE") == dt.date(2025, 9, 30) and str(todo["STATUS"]) == "NEEDS-ACTION"
    assert "Action A1, owner ines\nDialogue: Alpha bilateral" in str(todo["DESCRIPTION"])
    done = items["t-act-2@cablemgr"]
    assert str(done["STATUS"]) == "COMPLETED" and int(done["PERCENT-COMPLETE"]) == 100
    # an action is as classified as the meeting it came from
    assert str(items["t-act-secret@cablemgr"]["SUMMARY"]).startswith("(C) ")

    deadline = items["t-com-k1@cablemgr"]
    assert deadline.name == "VEVENT"
    assert deadline.decoded("DTSTART") == dt.date(2025, 3, 31)
    assert deadline.decoded("DTEND") == dt.date(2025, 4, 1)
    assert str(deadline["SUMMARY"]) == "(R) Due: CN: Name a hotline contact | CERT level"
    assert "Status: fulfilled, score +1" in str(deadline["DESCRIPTION"])
    assert "3 days overdue" in str(items["t-com-k5@cablemgr"]["DESCRIPTION"])

    meeting = items["t-mtg-alpha-1@cablemgr"]
    assert meeting.decoded("DTSTART") == dt.date(2024, 12, 1)
    assert str(meeting["SUMMARY"]) == "(R) Alpha round 1" and str(meeting["LOCATION"]) == "HQ"
    assert [str(c) for c in meeting["CATEGORIES"].cats] == ["cablemgr", "meeting"]


def test_lines_are_crlf_and_folded_at_75_octets(unit, tmp_path):
    raw = _export(unit, tmp_path)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)


def test_uids_are_stable_so_a_new_export_updates(unit, tmp_path):
    _, first = _items(_export(unit, tmp_path, name="a.ics"))
    unit("action", "done", "A1", "--note", "sent")
    _, second = _items(_export(unit, tmp_path, name="b.ics"))
    assert sorted(first) == sorted(second)
    assert str(second["t-act-1@cablemgr"]["STATUS"]) == "COMPLETED"


def test_owner_and_dialogue_filters(unit, tmp_path):
    _, items = _items(_export(unit, tmp_path, "--owner", "ines", name="o.ics"))
    assert sorted(items) == ["t-act-1@cablemgr", "t-act-secret@cablemgr"]
    _, items = _items(_export(unit, tmp_path, "--dialogue", "Beta", name="d.ics"))
    # the action from the Beta meeting belongs to Beta through its record
    assert sorted(items) == ["t-act-2@cablemgr", "t-act-secret@cablemgr", "t-com-k3@cablemgr",
                             "t-com-k4@cablemgr", "t-com-k5@cablemgr", "t-mtg-secret@cablemgr"]


def test_class_max_leaves_items_out(unit, tmp_path):
    raw = _export(unit, tmp_path, "--class-max", "R")
    cal, items = _items(raw)
    assert "t-com-k5@cablemgr" not in items and "t-act-secret@cablemgr" not in items
    assert "t-mtg-secret@cablemgr" not in items and b"MIKEMEETING" not in raw
    assert "Highest classification included: RESTRICTED" in str(cal["X-WR-CALDESC"])


def test_stdout_and_bad_dialogue(unit, tmp_path):
    assert unit("export", "calendar").stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")
    out = tmp_path / "x.ics"
    result = unit("export", "calendar", "--dialogue", "Nope", "-o", out, ok=False)
    assert result.exit_code == 1 and "Error: unknown dialogue 'Nope'" in result.stderr
    assert not out.exists()


@given(st.text(max_size=300))
def test_escaped_and_folded_text_reads_back(text):
    line = fold("DESCRIPTION:" + escape(text))
    for part in line.split("\r\n"):
        assert len(part.encode("utf-8")) <= 75
    calendar = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VTODO\r\n"
                "UID:x\r\nDTSTAMP:20250101T000000Z\r\n" + line + "\r\nEND:VTODO\r\n"
                "END:VCALENDAR\r\n")
    todo = icalendar.Calendar.from_ical(calendar).walk("VTODO")[0]
    expected = "".join(" " if (ch < " " and ch not in "\t\n") or ch == "\x7f" else ch
                       for ch in text.replace("\r\n", "\n").replace("\r", "\n"))
    assert str(todo["DESCRIPTION"]) == expected


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "é" * 100 + "中" * 40
    folded = fold(line)
    assert all(len(p.encode("utf-8")) <= 75 for p in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_last_modified_only_from_a_well_formed_timestamp():
    from cablemgr.export.ical import _utc

    assert _utc("2026-11-23T09:13:17.123456Z") == "20261123T091317Z"
    assert _utc("2025-09-30") is None and _utc(None) is None
