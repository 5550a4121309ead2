"""export commitments: figures on a unit with known answers, --as-of, every format, errors."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from briefing_data import load

from cablemgr.export import COMMITMENT_FORMATS


@pytest.fixture
def unit(run, tmp_path, monkeypatch):
    load(run, tmp_path, monkeypatch, cables=False)
    return run


def _summary(run, *args):
    return json.loads(run("export", "commitments", "--format", "json", *args).stdout)


def _block(data, name):
    return next(b for b in data["dialogues"] if b["dialogue"] == name)


def _row(block, party):
    return next(r for r in block["matrix"]["rows"] if r["party"] == party)


def test_counts_overdue_and_matrix_per_dialogue(unit):
    data = _summary(unit)
    assert data["as_of"] == data["today"] == "2025-10-01"
    assert data["classification"] == "CONFIDENTIAL" and data["notices"] == []
    assert data["totals"] == {"commitments": 5, "overdue": 1, "by_status": {
        "open": 1, "in_progress": 1, "fulfilled": 2, "not_fulfilled": 1}}
    alpha, beta = _block(data, "Alpha bilateral"), _block(data, "Beta forum")
    assert [b["dialogue"] for b in data["dialogues"]] == ["Alpha bilateral", "Beta forum"]
    assert alpha["by_status"] == {"fulfilled": 1, "not_fulfilled": 1} and alpha["overdue"] == []
    assert beta["by_status"] == {"open": 1, "in_progress": 1, "fulfilled": 1}
    assert [(o["id"], o["days_overdue"]) for o in beta["overdue"]] == [("C5", 3)]
    assert alpha["matrix"] == {"commitments": ["C1", "C2"], "rows": [
        {"party": "CN", "scores": {"C1": 1, "C2": -1}, "commitments": 2, "scored": 2,
         "mean": 0.0, "percent": 50}]}
    assert _row(beta, "US") == {"party": "US", "scores": {"C4": 1, "C3": 0}, "commitments": 2,
                                "scored": 2, "mean": 0.5, "percent": 75}
    # a party's unscored commitment is in its row but not in its mean
    assert _row(beta, "KE") == {"party": "KE", "scores": {"C5": None, "C3": 0},
                                "commitments": 2, "scored": 1, "mean": 0.0, "percent": 50}
    assert {p["party"]: p["percent"] for p in data["parties"]} == {"CN": 50, "KE": 50, "US": 75}


def test_each_commitment_carries_its_latest_assessment(unit):
    first = _block(_summary(unit), "Alpha bilateral")["commitments"][0]
    assert {k: first[k] for k in ("id", "by", "due", "status", "score", "last_assessed",
                                  "note", "evidence", "assessments", "classification")} == {
        "id": "C1", "by": ["CN"], "due": "2025-03-31", "status": "fulfilled", "score": 1,
        "last_assessed": "2025-04-20", "note": "Test call answered.", "evidence": "R3",
        "assessments": 3, "classification": "RESTRICTED"}


@pytest.mark.parametrize("as_of, status, score, note, overdue", [
    ("2024-12-31", "open", None, None, False),
    ("2025-01-10", "in_progress", 0, "Focal point named.", False),
    ("2025-03-01", "partially_fulfilled", 0, "Contact named, untested.", False),
    # partially fulfilled is settled, so not overdue after the due date
    ("2025-04-01", "partially_fulfilled", 0, "Contact named, untested.", False),
    ("2025-04-20", "fulfilled", 1, "Test call answered.", False),
])
def test_as_of_rebuilds_a_commitment_from_its_three_assessments(unit, as_of, status, score,
                                                               note, overdue):
    data = _summary(unit, "--dialogue", "Alpha", "--as-of", as_of)
    item = next(i for i in _block(data, "Alpha bilateral")["commitments"] if i["id"] == "C1")
    assert (item["status"], item["score"], item["note"], item["overdue"]) == \
        (status, score, note, overdue)
    assert data["as_of"] == as_of


def test_as_of_computes_overdue_on_that_day(unit):
    block = _block(_summary(unit, "--as-of", "2025-07-02"), "Alpha bilateral")
    assert [(o["id"], o["days_overdue"]) for o in block["overdue"]] == [("C2", 2)]
    assert _block(_summary(unit, "--as-of", "2025-07-05"), "Alpha bilateral")["overdue"] == []


def test_as_of_leaves_out_commitments_not_yet_made_and_rescores(unit):
    data = _summary(unit, "--as-of", "2025-03-01")
    assert [i["id"] for b in data["dialogues"] for i in b["commitments"]] == \
        ["C1", "C2", "C4", "C3"]
    # C1 partial (0), C2 not yet assessed: CN's mean is 0 from one scored commitment
    assert _block(data, "Alpha bilateral")["matrix"]["rows"][0]["scored"] == 1
    assert _summary(unit, "--as-of", "2025-03-01", "--status", "open")["totals"][
        "by_status"] == {"open": 3}


def test_filters_by_status_party_and_dialogue(unit):
    assert [i["id"] for b in _summary(unit, "--by", "ke")["dialogues"]
            for i in b["commitments"]] == ["C5", "C3"]
    assert _summary(unit, "--status", "fulfilled")["totals"]["commitments"] == 2
    data = _summary(unit, "--dialogue", "D2")
    assert [b["dialogue_id"] for b in data["dialogues"]] == ["D2"]
    assert data["filters"] == {"dialogue": "D2", "status": None, "by": None}


def test_class_max_leaves_out_and_counts_and_lowers_the_banner(unit):
    data = _summary(unit, "--class-max", "RESTRICTED")
    assert data["classification"] == "RESTRICTED"
    assert data["withheld"]["commitment"] == 1
    assert data["notices"] == ["1 commitment withheld above RESTRICTED"]
    assert _row(_block(data, "Beta forum"), "KE")["scores"] == {"C3": 0}
    data = _summary(unit, "--class-max", "u")
    assert data["classification"] == "UNCLASSIFIED" and data["withheld"]["commitment"] == 2


def test_markdown_tables_escape_pipes_and_keep_their_shape(unit):
    text = unit("export", "commitments").stdout
    assert text.startswith("**CONFIDENTIAL**") and text.rstrip().endswith("**CONFIDENTIAL**")
    assert "Name a hotline contact \\| CERT level" in text
    for table in re.findall(r"(?:^\|.*\|$\n?)+", text, flags=re.M):
        rows = [re.split(r"(?<!\\)\|", line)[1:-1] for line in table.strip().split("\n")]
        assert len({len(r) for r in rows}) == 1, table
    assert "| CN | +1 | \u22121 | 0.00 | 50 % |" in text
    # at a glance: total, open, in progress, fulfilled, partly, not fulfilled, withdrawn, overdue
    assert "| Beta forum | 3 | 1 | 1 | 1 |  |  |  | 1 |" in text


def test_csv_has_one_row_per_commitment(unit, tmp_path):
    out = tmp_path / "c.csv"
    result = unit("export", "commitments", "--format", "csv", "-o", out)
    assert "Highest classification included: CONFIDENTIAL" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["C1", "C2", "C4", "C5", "C3"]
    first = rows[0]
    assert (first["dialogue"], first["text"], first["score"], first["status"],
            first["overdue"]) == ("Alpha bilateral", "Name a hotline contact | CERT level", "1",
                                  "fulfilled", "no")
    assert rows[4]["by"] == "KE, US" and rows[3]["days_overdue"] == "3"


def test_csv_matrix(unit):
    text = unit("export", "commitments", "--format", "csv", "--matrix").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:4] == ["dialogue", "dialogue_id", "party", "party_name"]
    us = next(r for r in rows if r["party"] == "US" and r["dialogue_id"] == "D2")
    assert (us["C4"], us["C3"], us["C1"], us["percent"], us["mean"]) == ("1", "0", "", "75",
                                                                          "0.5")
    overall = [r for r in rows if r["dialogue"] == "(all dialogues)"]
    assert [(r["party"], r["percent"]) for r in overall] == [("CN", "50"), ("KE", "50"),
                                                             ("US", "75")]


def test_csv_cells_that_would_be_formulas_are_neutralised(run, tmp_path, monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2025-10-01")
    run("init")
    run("dialogue", "add", "Gamma", "--format", "bilateral")
    run("commitment", "add", "=HYPERLINK(\"http://x.example\")", "--dialogue", "Gamma",
        "--by", "US")
    rows = list(csv.reader(io.StringIO(run("export", "commitments", "--format", "csv").stdout)))
    assert rows[1][3] == "'=HYPERLINK(\"http://x.example\")"


def test_html_is_self_contained_with_banners(unit):
    page = unit("export", "commitments", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>")
    assert '<div class="banner top CONFIDENTIAL" id="banner-top">CONFIDENTIAL</div>' in page
    assert '<div class="banner bottom CONFIDENTIAL" id="banner-bottom">CONFIDENTIAL</div>' \
        in page
    assert "<script" not in page and not re.search(r"(src|href)=", page)
    assert "http://" not in page and "https://" not in page
    assert 'id="matrix-D1"' in page and 'id="matrix-D2"' in page


def test_html_escapes_what_people_typed(run, tmp_path, monkeypatch):
    monkeypatch.setenv("CABLEMGR_TODAY", "2025-10-01")
    run("init")
    run("dialogue", "add", "Gamma", "--format", "bilateral")
    run("commitment", "add", "<script>alert(1)</script> & <img src=x>", "--dialogue", "Gamma",
        "--by", "US")
    page = run("export", "commitments", "--format", "html").stdout
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x&gt;" in page


def test_json_flag_is_the_json_format(unit):
    assert json.loads(unit("export", "commitments", "--json").stdout) == _summary(unit)


@pytest.mark.parametrize("fmt", sorted(COMMITMENT_FORMATS))
def test_every_format_writes_its_file_atomically(unit, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    result = unit("export", "commitments", "--format", fmt, "-o", out)
    assert result.stdout == "" and f"Wrote {out}" in result.stderr
    assert out.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


@pytest.mark.parametrize("args, message", [
    (["--as-of", "someday"], "cannot read date 'someday'"),
    (["--as-of", "2025-12-01"], "--as-of 2025-12-01 is after today (2025-10-01)"),
    (["--dialogue", "Nope"], "unknown dialogue 'Nope'"),
    (["--status", "done"], "unknown commitment status 'done'"),
    (["--by", "ZZ"], "unknown party 'ZZ'"),
    (["--class-max", "TOPSECRET"], "unknown classification 'TOPSECRET'"),
])
def test_bad_input_is_an_error_and_nothing_is_written(unit, tmp_path, args, message):
    out = tmp_path / "never.md"
    result = unit("export", "commitments", *args, "-o", out, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Error: {message}" in result.stderr
    assert not out.exists()


def test_matrix_needs_csv_and_output_refuses_symlinks(unit, tmp_path):
    result = unit("export", "commitments", "--matrix", ok=False)
    assert result.exit_code == 2 and "--matrix is for --format csv" in result.output
    target = tmp_path / "elsewhere.md"
    link = tmp_path / "link.md"
    link.symlink_to(target)
    result = unit("export", "commitments", "-o", link, ok=False)
    assert result.exit_code == 1 and "symbolic link" in result.stderr and not target.exists()
