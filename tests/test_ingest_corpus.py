"""Bad input, one file per kind (tests/ingest_corpus/): each is refused with its file, line and
a reason a person can act on, and leaves the database exactly as it was."""

import json
import os
import sqlite3
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "ingest_corpus"

# file → (line, words the reason must contain)
REFUSED = {
    "empty.txt": (1, "empty file"),
    "binary_nul.txt": (1, "binary file (it contains NUL bytes)"),
    "utf16_without_bom.txt": (1, "binary file"),
    "missing_subject.txt": (1, "missing required header SUBJECT"),
    "missing_date.md": (1, "missing required header DATE"),
    "unreadable_date.txt": (2, "cannot read date '31/02/2024'"),
    "unknown_classification.txt": (1, "unknown classification 'TOP SECRET//NOFORN'"),
    "unknown_portion_mark.txt": (8, "portion mark (TS)"),
    "duplicate_header.txt": (5, "header DATE appears twice (lines 2 and 5)"),
    "header_only.txt": (6, "header but no body"),
    "no_header.txt": (1, "no header block"),
    "unbalanced_quotes.csv": (3, "malformed CSV row"),
    "wrong_field_count.csv": (2, "malformed CSV row: 6 fields, the header has 4"),
    "missing_column.csv": (1, "missing required column date"),
    "no_mail_headers.eml": (1, "malformed mail: no From, Date or Subject header"),
    "missing_boundary.eml": (1, "malformed mail: StartBoundaryNotFoundDefect"),
    "unreadable_mail_date.eml": (1, "cannot read the Date header"),
    "billion_laughs.xml": (2, "DOCTYPE declaration is refused"),
    "external_entity.xml": (2, "DOCTYPE declaration is refused"),
    "not_well_formed.xml": (5, "not well-formed XML"),
    "bad_json.jsonl": (2, "not valid JSON"),
}


def dump(path) -> list[str]:
    """The database's logical content (what must not change when an import is refused)."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def empty_db(run, isolated_db):
    run("init")
    return isolated_db


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_bad_file_is_refused_with_file_line_and_reason(run, empty_db, name):
    before = dump(empty_db)
    path = CORPUS / name
    result = run("import", path, "--json", ok=False)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    line, reason = REFUSED[name]
    assert report["added"] == 0 and report["committed"] is False
    assert report["failed"][0]["file"] == str(path)
    assert report["failed"][0]["line"] == line
    assert reason in report["failed"][0]["reason"]
    assert dump(empty_db) == before
    # the human form: one line naming file:line, no traceback
    text = run("import", path, ok=False)
    assert f"{path}:{line}: " in text.stderr
    assert "Traceback" not in text.output


def test_missing_path_is_named(run, empty_db, tmp_path):
    missing = tmp_path / "nowhere.txt"
    report = json.loads(run("import", missing, "--json", ok=False).stdout)
    assert report["failed"] == [{"file": str(missing), "line": None,
                                 "reason": "no such file or folder"}]


def test_windows_1252_is_read_with_a_warning(run, empty_db):
    path = CORPUS / "cp1252.txt"
    report = run.json("import", path)
    assert report["added"] == 1
    assert report["warnings"] == [f"{path}: not UTF-8; read as Windows-1252 "
                                  "(check accented letters)"]
    record = run.json("show", report["ids"][0])
    assert record["title"] == "Ministère des Affaires étrangères: réunion"
    assert "« bientôt »" in record["body"]


def test_file_over_the_size_limit_is_refused(run, empty_db, tmp_path):
    from cablemgr.ingest.base import MAX_DOCUMENT_BYTES

    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.write(b"SUBJECT: big\nDATE: 2024-01-01\n\n")
        handle.write(b"x" * (MAX_DOCUMENT_BYTES + 1))
    report = json.loads(run("import", path, "--json", ok=False).stdout)
    assert "over the 8.0 MiB limit" in report["failed"][0]["reason"]


def test_overlong_line_in_a_streamed_file_is_refused(run, empty_db, tmp_path):
    from cablemgr.ingest.base import MAX_LINE_BYTES

    path = tmp_path / "long.csv"
    path.write_bytes(b"kind,date,title,body\nreport,2024-01-01,t," + b"y" * (MAX_LINE_BYTES + 1))
    report = json.loads(run("import", path, "--json", ok=False).stdout)
    assert report["failed"][0]["line"] == 2
    assert "longer than the 4.0 MiB limit" in report["failed"][0]["reason"]


def test_gzip_bomb_stops_at_the_limit(run, empty_db, tmp_path, monkeypatch):
    import gzip

    from cablemgr.ingest import base

    monkeypatch.setattr(base, "MAX_GZIP_BYTES", 1024 * 1024)
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        for _ in range(40):
            handle.write(b"\n" * 65536)
    report = json.loads(run("import", path, "--json", ok=False).stdout)
    assert "expands beyond" in report["failed"][0]["reason"]


def test_symlink_loop_in_a_folder_does_not_hang(run, empty_db, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    os.symlink(folder, folder / "again")
    os.symlink(folder / "b.txt", folder / "a.txt")
    os.symlink(folder / "a.txt", folder / "b.txt")
    (folder / "ok.txt").write_text("SUBJECT: fine\nDATE: 2024-01-01\n\nbody\n")
    report = json.loads(run("import", folder, "--json", "--continue-on-error").stdout)
    assert report["added"] == 1
    assert {f["file"] for f in report["failed"]} == {f"{folder}/a.txt", f"{folder}/b.txt"}
    assert any("links to folders are not followed" in w for w in report["warnings"])


def test_unknown_party_and_dialogue_are_refused(run, empty_db, tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("SUBJECT: s\nDATE: 2024-01-01\nPARTIES: DE, Atlantis\n\nbody\n")
    report = json.loads(run("import", path, "--json", ok=False).stdout)
    assert "unknown party 'Atlantis'" in report["failed"][0]["reason"]
    path.write_text("SUBJECT: s\nDATE: 2024-01-01\nDIALOGUE: Nowhere talks\n\nbody\n")
    report = json.loads(run("import", path, "--json", ok=False).stdout)
    assert "unknown dialogue 'Nowhere talks'" in report["failed"][0]["reason"]


def test_control_and_bidi_characters_are_escaped_on_the_terminal(run, empty_db, tmp_path):
    path = tmp_path / "evil\u202etxt.txt"
    path.write_text("SUBJECT: s\n\nbody\n")
    result = run("import", path, ok=False)
    assert "\u202e" not in result.stderr and "\\u202e" in result.stderr


def test_damaged_gzip_is_refused(run, empty_db, tmp_path):
    import gzip

    line = b'{"type": "party", "code": "XQ", "name": "Q", "party_type": "state"}\n'
    data = gzip.compress(line * 5000)
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    report = json.loads(run("import", path, "--json", ok=False).stdout)
    assert any("damaged gzip file" in f["reason"] for f in report["failed"])


def test_deeply_nested_input_is_read_or_refused_without_a_traceback(run, empty_db, tmp_path):
    xml = tmp_path / "deep.xml"
    xml.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>'
                   '<div type="document" xml:id="d1"><head>Deep</head><p>'
                   + "<hi>" * 5000 + "text" + "</hi>" * 5000 + "</p></div></body></text></TEI>")
    assert run.json("import", xml)["added"] == 1
    deep_json = tmp_path / "deep.jsonl"
    deep_json.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    report = json.loads(run("import", deep_json, "--json", ok=False).stdout)
    assert "not valid JSON" in report["failed"][0]["reason"]


def test_csv_cell_longer_than_the_csv_default_is_accepted(run, empty_db, tmp_path):
    path = tmp_path / "long.csv"
    body = "word " * 60_000
    path.write_text(f'date,title,body\n2024-01-01,Long,"{body}"\n')
    report = run.json("import", path)
    assert report["added"] == 1


def test_hostile_text_in_every_field_is_stored_verbatim_and_shown_escaped(run, empty_db,
                                                                         tmp_path):
    evil = "'; DROP TABLE records; -- $(rm -rf ~) `id` | && \u202egnp.exe \u200bzw"
    path = tmp_path / "evil.txt"
    path.write_bytes(("SUBJECT: " + evil + "\r\nDATE: 2024-01-01\rTO: " + evil +
                      "\nTAGS: " + evil.replace(",", "") + "\n\n" + evil + "\r\n").encode())
    report = run.json("import", path)
    record = run.json("show", report["ids"][0])
    assert record["title"] == evil and record["metadata"]["to"] == evil
    assert record["body"] == evil
    shown = run("show", report["ids"][0]).stdout
    assert "\u202e" not in shown and "\\u202e" in shown and "\\u200b" in shown
    assert run.json("list")[0]["id"] == report["ids"][0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_skipped_in_a_folder_and_refused_by_name(run, empty_db, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")
    report = run.json("import", folder)
    assert report["warnings"] == [f"{folder}/pipe.txt: skipped (not a regular file: a named "
                                  "pipe)"]
    result = run("import", folder / "pipe.txt", "--json", ok=False)
    assert json.loads(result.stdout)["failed"][0]["reason"] == \
        "not a regular file (a named pipe)"
