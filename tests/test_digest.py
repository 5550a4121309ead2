"""digest: the period, copies collapsed, related reports together, commitments and actions."""

from __future__ import annotations

import json

import pytest
from briefing_data import load

from cablemgr.export import DIGEST_FORMATS


@pytest.fixture
def unit(run, tmp_path, monkeypatch):
    load(run, tmp_path, monkeypatch)
    return run


def _digest(run, *args):
    return json.loads(run("digest", "--format", "json", *args).stdout)


def _ids(group):
    return [[e["id"] for e in story["items"]] for story in group["stories"]]


def test_period_and_counts(unit):
    data = _digest(unit)
    assert (data["since"], data["until"], data["by"]) == ("2025-09-24", "2025-10-01", "post")
    assert data["counts"] == {"records": 7, "stories": 5, "duplicates_collapsed": 1,
                              "filed_dated_outside": 1, "filed_dated_outside_total": 1,
                              "commitments_new": 1,
                              "commitments_changed": 2, "actions_due": 2}
    assert data["classification"] == "CONFIDENTIAL" and data["notices"] == []


def test_copies_collapse_into_one_entry_naming_every_post(unit):
    group = next(g for g in _digest(unit)["groups"] if g["key"] == "Several posts")
    story = next(s for s in group["stories"] if s["items"][0]["id"] == "R3")
    assert story["posts"] == ["Geneva", "New York"] and len(story["items"]) == 1
    assert story["items"][0]["duplicates"] == [
        {"id": "R4", "post": "New York", "reference": "NEWYORK-2025-0200",
         "date": "2025-09-29"}]
    text = unit("digest").stdout
    assert "Also received as: R4 New York NEWYORK-2025-0200" in text
    assert text.count("Delegations welcomed the reply box") == 1


def test_related_reports_from_different_posts_are_placed_together(unit):
    groups = _digest(unit)["groups"]
    assert [g["key"] for g in groups] == ["Several posts", "Testville",
                                         "(no post: meetings and notes)"]
    assert _ids(groups[0]) == [["R5", "R6"], ["R3"]]
    assert groups[0]["stories"][0]["posts"] == ["Berlin", "Brussels"]
    assert _ids(groups[1]) == [["R9"], ["R10"]] and _ids(groups[2]) == [["R2"]]
    assert "**Related reports from Berlin, Brussels**" in unit("digest").stdout


def test_grouping_by_dialogue_tag_and_party(unit):
    keys = {by: [g["key"] for g in _digest(unit, "--by", by)["groups"]]
            for by in ("dialogue", "tag", "party")}
    assert keys["dialogue"] == ["Alpha bilateral", "Beta forum", "(no dialogue)"]
    assert keys["tag"] == ["attribution", "confidence-building", "norms", "(no tag)"]
    assert keys["party"] == ["CN", "(no party)"]


def test_late_filings_are_listed_apart_and_old_ones_left_out(unit):
    data = _digest(unit)
    assert [(e["id"], e["date"], e["filed"]) for e in data["filed_dated_outside"]] == \
        [("R7", "2025-01-15", "2025-09-30")]
    every = json.dumps(data)
    assert "R8" not in [e["id"] for g in data["groups"] for s in g["stories"]
                        for e in s["items"]] and "An old report" not in every


def test_new_and_changed_commitments_and_actions_that_fell_due(unit):
    data = _digest(unit)
    assert [c["id"] for c in data["commitments"]["new"]] == ["C5"]
    changed = {c["id"]: c["assessments"] for c in data["commitments"]["changed"]}
    assert changed["C3"] == [{"date": "2025-09-29", "from": "open", "to": "in_progress",
                              "score": 0, "note": "First tranche paid.", "evidence": None}]
    assert [(a["id"], a["status"], a["overdue"]) for a in data["actions"]] == \
        [("A3", "open", True), ("A1", "open", True)]


def test_an_explicit_window(unit):
    data = _digest(unit, "--since", "2025-01-01", "--until", "2025-01-31")
    assert [e["id"] for g in data["groups"] for s in g["stories"] for e in s["items"]] == \
        ["R7", "R8"]
    assert data["counts"]["commitments_new"] == 1 and data["counts"]["commitments_changed"] == 1


def test_an_empty_period_says_so(unit):
    text = unit("digest", "--since", "2020-01-01", "--until", "2020-01-31").stdout
    assert "No records dated or filed in this period." in text
    assert text.startswith("**UNCLASSIFIED**")


@pytest.mark.parametrize("fmt", sorted(DIGEST_FORMATS))
def test_every_format(unit, tmp_path, fmt):
    out = tmp_path / f"digest.{fmt}"
    unit("digest", "--format", fmt, "-o", out)
    text = out.read_text(encoding="utf-8")
    assert "Template circulated" in text and "CONFIDENTIAL" in text


@pytest.mark.parametrize("args, message", [
    (["--since", "2025-10-01", "--until", "2025-09-01"], "--since 2025-10-01 is after --until"),
    (["--since", "whenever"], "cannot read date 'whenever'"),
    (["--class-max", "Q"], "unknown classification 'Q'"),
])
def test_bad_input(unit, tmp_path, args, message):
    out = tmp_path / "d.md"
    result = unit("digest", *args, "-o", out, ok=False)
    assert result.exit_code == 1 and f"Error: {message}" in result.stderr
    assert not out.exists()


def test_json_and_format_conflict_is_a_usage_error(unit):
    result = unit("digest", "--json", "--format", "html", ok=False)
    assert result.exit_code == 2 and "two formats" in result.output


def test_a_bulk_import_of_old_records_is_listed_shortened_with_a_total(run, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2025-10-01")
    run("init")
    rows = [{"type": "record", "uid": f"t-bulk-{n}", "kind": "report", "post": "Vienna",
             "title": f"Archive report {n}", "body": f"Archived text {n}.",
             "date": f"2024-03-{n:02d}", "classification": "UNCLASSIFIED",
             "created_at": f"2025-10-01T09:{n:02d}:00.000000Z"} for n in range(1, 30)]
    rows.append({"type": "record", "uid": "t-bulk-secret", "kind": "report", "post": "Vienna",
                 "title": "Archive report KILOSECRET", "body": "KILOSECRET.",
                 "date": "2024-04-01", "classification": "CONFIDENTIAL",
                 "created_at": "2025-10-01T10:00:00.000000Z"})
    (tmp_path / "bulk").mkdir()
    (tmp_path / "bulk" / "bulk.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run("import", str(tmp_path / "bulk"))
    data = _digest(run)
    late = data["filed_dated_outside"]
    assert len(late) == 20 and data["counts"]["filed_dated_outside_total"] == 30
    assert data["counts"]["filed_dated_outside"] == 30 and data["counts"]["records"] == 0
    assert late[0]["title"] == "Archive report KILOSECRET"  # the newest filed first
    text = run("digest").stdout
    assert ("\u2026 and 10 more filed in this period but dated earlier (see: cablemgr list)"
            in text)
    assert "Archive report 9" not in text
    ceiling = _digest(run, "--class-max", "RESTRICTED")
    assert "KILOSECRET" not in json.dumps(ceiling)
    assert len(ceiling["filed_dated_outside"]) == 20
    assert ceiling["counts"]["filed_dated_outside_total"] == 29
    assert ceiling["withheld"]["record"] == 1
    text = run("digest", "--class-max", "RESTRICTED", "--format", "html").stdout
    assert "\u2026 and 9 more filed in this period but dated earlier" in text
    assert "KILOSECRET" not in text
