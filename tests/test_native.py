"""The native format: export → import into an empty database → export gives the same."""

import json

import pytest


def _without_ids(text):
    objects = [json.loads(line) for line in text.splitlines()]
    for obj in objects:
        obj.pop("id", None)
    return objects


@pytest.fixture
def filled(run):
    run("init")
    run("party", "add", "MSFT", "Microsoft", "--type", "company")
    run("dialogue", "add", "Paris Call track", "--format", "multilateral", "--party", "MSFT")
    run("report", "--post", "Paris", "--date", "2024-02-01", "--subject", "Paris Call forum",
        "--ref", "PARIS-2024-0001", "--dialogue", "Paris", "--tag", "norms", "--class", "R",
        "--body", "Ünïcode body with \"quotes\", commas\nand lines")
    run("log", "--title", "Bilateral round", "--date", "2024-02-03", "--with", "US",
        "--body", "We agreed to meet again.")


def test_round_trip_through_an_empty_database(run, filled, tmp_path):
    first = run("export", "records").stdout
    path = tmp_path / "unit.jsonl"
    path.write_text(first, encoding="utf-8")
    other = tmp_path / "other.db"
    summary = json.loads(run("--db", other, "import", path, "--json").stdout)
    assert summary["added"] == 4 and summary["duplicates"] == 0
    second = run("--db", other, "export", "records").stdout
    assert _without_ids(second) == _without_ids(first)


def test_importing_twice_adds_nothing(run, filled, tmp_path):
    path = tmp_path / "unit.json"
    run("export", "records", "--format", "json", "-o", path)
    assert json.loads(path.read_text())[0]["type"] == "party"
    again = json.loads(run("import", path, "--json").stdout)
    assert again["added"] == 0 and again["duplicates"] == 4


def test_csv_export_opens_as_a_table(run, filled):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(run("export", "records", "--format", "csv").stdout)))
    assert [r["title"] for r in rows] == ["Paris Call forum", "Bilateral round"]
    assert rows[0]["body"].startswith("Ünïcode body with \"quotes\"")
    assert rows[0]["tags"] == "norms"


def test_bad_native_file_changes_nothing(run, filled, tmp_path, isolated_db):
    import sqlite3

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "record", "kind": "report", "title": "ok", "date": "2024-01-01"}\n'
                   '{"type": "record", "kind": "report", "title": "bad", "date": "31/02/2024"}\n')
    before = list(sqlite3.connect(isolated_db).iterdump())
    result = run("import", bad, ok=False)
    assert result.exit_code == 1
    assert "bad.jsonl:2" in result.output and "31/02/2024" in result.output
    assert list(sqlite3.connect(isolated_db).iterdump()) == before


def test_export_to_a_file_is_atomic_and_refuses_symlinks(run, filled, tmp_path):
    target = tmp_path / "real.jsonl"
    target.write_text("old")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    result = run("export", "records", "-o", link, ok=False)
    assert result.exit_code == 1 and "symbolic link" in result.output
    assert target.read_text() == "old"
    run("export", "records", "-o", target)
    assert target.read_text().count("\n") == 4
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("second, message", [
    ('{"type": "record", "title": "x", "date": "2024-01-01", "body": 5}',
     "record field 'body' must be a string, not 5"),
    ('{"type": "record", "title": ["a"], "date": "2024-01-01"}',
     "record field 'title' must be a string, not [\"a\"]"),
    ('{"type": "record", "title": "x", "date": "2024-01-01", "links": ["zz"]}',
     "a link must be a JSON object, not \"zz\""),
    ('{"type": "record", "title": "x", "date": "2024-01-01", "links": 5}',
     "record field 'links' must be a list, not 5"),
    ('{"type": "party", "code": "ZZ", "name": 5}', "party field 'name' must be a string, not 5"),
    ('{"type": "dialogue", "name": 5, "format": "bilateral"}',
     "dialogue field 'name' must be a string, not 5"),
])
def test_wrongly_typed_native_field_is_an_error_line(run, filled, tmp_path, isolated_db,
                                                       second, message):
    import sqlite3

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "record", "kind": "report", "title": "ok", "date": "2024-01-01"}\n'
                   + second + "\n")
    before = list(sqlite3.connect(isolated_db).iterdump())
    result = run("import", bad, ok=False)
    assert result.exit_code == 1, result.exception
    assert result.output.startswith("Error: ") and f"{bad}:2: {message}\n" in result.output
    assert list(sqlite3.connect(isolated_db).iterdump()) == before
