"""Classification safety: under --class-max no withheld text reaches any format, and the
banner never exceeds the ceiling."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from briefing_data import OPEN_WORDS, SECRET_WORDS, load

from cablemgr.redaction import Tally, record_view

OUTPUTS = {
    "commitments-md": ["export", "commitments", "--format", "md"],
    "commitments-csv": ["export", "commitments", "--format", "csv"],
    "commitments-matrix": ["export", "commitments", "--format", "csv", "--matrix"],
    "commitments-json": ["export", "commitments", "--format", "json"],
    "commitments-html": ["export", "commitments", "--format", "html"],
    "digest-md": ["digest", "--format", "md"],
    "digest-html": ["digest", "--format", "html"],
    "digest-json": ["digest", "--format", "json"],
    "calendar": ["export", "calendar"],
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every output under a RESTRICTED and an UNCLASSIFIED ceiling, from one database."""
    from click.testing import CliRunner

    from cablemgr.cli import cli

    folder = tmp_path_factory.mktemp("redaction")
    patch = pytest.MonkeyPatch()
    patch.setenv("CABLEMGR_DB", str(folder / "db" / "cablemgr.db"))
    patch.setenv("CABLEMGR_USER", "tester")

    class Run:
        def __call__(self, *args):
            result = CliRunner().invoke(cli, [str(a) for a in args])
            assert result.exit_code == 0, result.output
            return result

    run = Run()
    load(run, folder, patch)
    found = {}
    for ceiling in ("RESTRICTED", "UNCLASSIFIED"):
        for name, args in OUTPUTS.items():
            out = folder / f"{name}-{ceiling}.out"
            result = run(*args, "--class-max", ceiling, "-o", out)
            found[name, ceiling] = (out.read_text(encoding="utf-8-sig"), result.stderr)
    found["digest", None] = (run("digest", "--format", "json").stdout, "")
    patch.undo()
    return found


@pytest.mark.parametrize("name", sorted(OUTPUTS))
@pytest.mark.parametrize("ceiling", ["RESTRICTED", "UNCLASSIFIED"])
def test_no_withheld_word_in_any_format(outputs, name, ceiling):
    text, _ = outputs[name, ceiling]
    leaked = [word for word in SECRET_WORDS if word in text]
    assert leaked == []
    if ceiling == "UNCLASSIFIED":
        assert "BRAVOREST" not in text


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_the_banner_never_exceeds_the_ceiling(outputs, name):
    text, stderr = outputs[name, "RESTRICTED"]
    if name.endswith("json"):
        assert json.loads(text)["classification"] == "RESTRICTED"
    elif name.endswith("md"):
        lines = text.strip().splitlines()
        assert lines[0] == lines[-1] == "**RESTRICTED**"
    elif name.endswith("html"):
        assert re.findall(r'class="banner (?:top|bottom) (\w+)"', text) == ["RESTRICTED"] * 2
    elif name == "calendar":
        assert "Highest classification included: RESTRICTED" in text
        assert not re.search(r"SUMMARY:\((C|S)\)", text)
    else:
        assert "Highest classification included: RESTRICTED" in stderr
        assert "CONFIDENTIAL" not in text and "SECRET" not in text


@pytest.mark.parametrize("name", ["digest-md", "digest-html", "digest-json"])
def test_portion_marked_records_are_shown_with_redaction_lines(outputs, name):
    text, _ = outputs[name, "RESTRICTED"]
    for word in OPEN_WORDS:
        assert word in text
    for line in ("[paragraph 2 withheld: CONFIDENTIAL]", "[paragraph 4 withheld: CONFIDENTIAL]",
                 "[paragraph 3 withheld: CONFIDENTIAL]", "[subject withheld: CONFIDENTIAL]"):
        assert line in text
    assert "(U) Hotline test results" in text
    text, _ = outputs[name, "UNCLASSIFIED"]
    assert "ALPHAOPEN" in text and "[paragraph 3 withheld: RESTRICTED]" in text


def test_withheld_items_are_counted(outputs):
    data = json.loads(outputs["digest-json", "RESTRICTED"][0])
    assert data["withheld"] == {"record": 1, "commitment": 1, "action": 1}
    assert data["notices"] == ["1 record withheld above RESTRICTED",
                               "1 commitment withheld above RESTRICTED",
                               "1 action withheld above RESTRICTED",
                               "2 records shown with paragraphs withheld above RESTRICTED"]
    _, stderr = outputs["digest-md", "RESTRICTED"]
    assert "1 record withheld above RESTRICTED" in stderr
    marked = next(e for g in data["groups"] for s in g["stories"] for e in s["items"]
                  if e["id"] == "R9")
    assert marked["classification"] == "RESTRICTED"
    assert marked["redacted"] == [{"n": 2, "level": "CONFIDENTIAL"},
                                  {"n": 4, "level": "CONFIDENTIAL"}]
    data = json.loads(outputs["digest-json", "UNCLASSIFIED"][0])
    assert data["withheld"]["record"] == 2 and data["classification"] == "UNCLASSIFIED"


def test_without_a_ceiling_everything_is_shown_as_filed(outputs):
    text, _ = outputs["digest", None]
    data = json.loads(text)
    assert data["class_max"] is None and data["classification"] == "CONFIDENTIAL"
    assert all(word in text for word in SECRET_WORDS if word not in ("NOVEMBERCOMMIT",
                                                                     "PAPASECRET"))


def _record(body, level="CONFIDENTIAL", title="Subject"):
    return {"title": title, "body": body, "classification": level}


def test_a_record_without_marks_is_shown_whole_or_left_out():
    record = _record("First.\n\nSecond.", "RESTRICTED")
    assert record_view(record, "RESTRICTED")["body"] == "First.\n\nSecond."
    assert record_view(record, "UNCLASSIFIED") is None
    assert record_view(record, None)["classification"] == "RESTRICTED"


def test_unmarked_paragraphs_and_subjects_take_the_overall_level():
    view = record_view(_record("1. (U) Open.\n\nLoose text.\n\n3. (C) Closed."), "RESTRICTED")
    assert view["body"] == ("1. (U) Open.\n\n[paragraph 2 withheld: CONFIDENTIAL]\n\n"
                            "[paragraph 3 withheld: CONFIDENTIAL]")
    assert view["title"] == "[subject withheld: CONFIDENTIAL]" and view["title_withheld"]
    assert view["classification"] == "UNCLASSIFIED"
    marked = record_view(_record("1. (U) Open.", title="(U) Open subject"), "UNCLASSIFIED")
    assert marked["title"] == "(U) Open subject"


def test_a_record_with_nothing_at_or_below_the_ceiling_is_left_out():
    assert record_view(_record("1. (C) Closed.\n\n2. (S) Closed."), "RESTRICTED") is None


def test_a_foreign_mark_is_always_withheld():
    record = _record("1. (U) Open.\n\n2. (TS) Beyond our scheme.", "SECRET")
    view = record_view(record, "SECRET")
    assert "Beyond" not in view["body"]
    assert "[paragraph 2 withheld: unknown marking]" in view["body"]


def test_marks_are_read_from_the_body_as_it_is_now():
    # portions stored at import can go stale after an edit; the body is what is shown
    record = {**_record("1. (U) Open.\n\n2. (C) Added later.", "RESTRICTED"), "portions": []}
    view = record_view(record, "RESTRICTED")
    assert "Added later" not in view["body"]


def test_numbering_follows_the_printed_numbers_else_the_position():
    view = record_view(_record("(U) Intro.\n\n7. (C) Seventh.\n\n(C) Third position."),
                       "UNCLASSIFIED")
    assert view["redacted"] == [{"n": 7, "level": "CONFIDENTIAL"},
                                {"n": 3, "level": "CONFIDENTIAL"}]


def test_tally_banner_and_counts():
    tally = Tally("RESTRICTED")
    assert tally.admit("commitment", "UNCLASSIFIED") and not tally.admit("action", "SECRET")
    assert tally.record(_record("x", "SECRET")) is None
    assert tally.banner == "UNCLASSIFIED"
    assert tally.notices() == ["1 record withheld above RESTRICTED",
                               "1 action withheld above RESTRICTED"]
    assert Tally(None).banner == "UNCLASSIFIED"


SAMPLE = Path(__file__).resolve().parent.parent / "sample_records"


def _readable(name: str, text: str) -> str:
    """The output as a reader sees it: escapes undone, lines unfolded, spaces collapsed."""
    if name == "calendar":
        text = text.replace("\r\n ", "").replace("\\n", "\n").replace("\\,", ",") \
            .replace("\\;", ";").replace("\\\\", "\\")
    elif name.endswith("html"):
        text = html.unescape(text)
    elif name.endswith("md"):
        text = html.unescape(re.sub(r"\\(.)", r"\1", text))
    elif name.endswith("json"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return " ".join(text.split())


def _title_mark(title: str) -> str | None:
    from cablemgr.redaction import _mark

    level, marked = _mark(title)
    return level if marked else None


def _confidential_texts(db, today) -> list[str]:
    """Every paragraph, subject, commitment, note and action above RESTRICTED, without its
    portion mark."""
    from cablemgr import actions, commitments, records
    from cablemgr.redaction import UNKNOWN, action_level, commitment_level, paragraphs

    above = ("CONFIDENTIAL", "SECRET", UNKNOWN)
    texts = []
    for (number,) in db.execute("SELECT id FROM records").fetchall():
        record = records.get(db, number)
        texts += [p["text"] for p in paragraphs(record["body"], record["classification"])
                  if p["level"] in above]
        if record["classification"] in above or _title_mark(record["title"]) in above:
            texts.append(record["title"])
    for item in commitments.list_commitments(db, today=today):
        if commitment_level(db, item) in above:
            texts.append(item["text"])
            texts += [a["note"] for a in commitments.assessments(db, item["number"])
                      if a["note"]]
    texts += [a["text"] for a in actions.list_actions(db, today=today, status="all")
              if action_level(db, a) in above]
    marks = re.compile(r"^(\d+\.\s*)?\([A-Z/ ]+\)\s*")
    return [marks.sub("", " ".join(t.split())) for t in texts]


def test_sample_records_under_a_restricted_ceiling_carry_no_confidential_text(
        run, tmp_path, monkeypatch):
    import datetime as dt

    from cablemgr.db import open_db

    monkeypatch.setenv("CABLEMGR_TODAY", "2026-11-23")
    run("import", SAMPLE)
    found = {}
    for name, args in OUTPUTS.items():
        if name.startswith("digest"):
            # every record, not only this week's
            args = [*args, "--since", "2000-01-01"]
        out = tmp_path / name
        run(*args, "--class-max", "RESTRICTED", "-o", out)
        found[name] = _readable(name, out.read_text(encoding="utf-8-sig"))
    db = open_db(tmp_path / "data" / "cablemgr.db")
    secrets = _confidential_texts(db, dt.date(2026, 11, 23))
    db.close()
    assert len(secrets) > 80
    leaks = [(name, text[:60]) for text in secrets for name, output in found.items()
             if len(text) >= 20 and text[:60] in output]
    assert leaks == []
    # and the portion-marked CONFIDENTIAL cables are there, redacted
    assert "[paragraph 4 withheld: CONFIDENTIAL]" in found["digest-md"]
    assert "The MFA confirmed 15 December in Beijing" in found["digest-html"]


def test_confidential_subject_on_an_unclassified_body_is_withheld(run):
    from cablemgr import redaction

    record = {"title": "(C) Talks on the new channel", "body": "(U) An open paragraph.",
              "classification": "UNCLASSIFIED"}
    view = redaction.record_view(record, "UNCLASSIFIED")
    assert view is None or view["title_withheld"]
    assert view is None or "Talks on the new channel" not in view["title"]
