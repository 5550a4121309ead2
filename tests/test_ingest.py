"""Import as a new user meets it: the issue's "done when" scenarios through the CLI."""

import gzip
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SAMPLES = ROOT / "sample_records"
SHARED = Path(__file__).parents[2] / "shared"
CORPUS = SHARED / "corpus"

LONG = ("The ministry briefed partners on the incident response channel and the monitoring "
        "mechanism. Officials said the channel would carry notifications and requests for "
        "clarification between focal points, with the national CERT behind it. They expect "
        "the first test before the spring and asked for our technical contact list. The "
        "delegation restated that the channel is for incidents of any origin and that using "
        "it does not prejudge attribution. A written reply on the terms of reference for the "
        "monitoring mechanism is promised after internal consultation.")


def cable(ref, post, subject, body, date="2024-05-03", **headers):
    lines = [f"REF: {ref}", f"DATE: {date}", f"FROM: EMBASSY {post}", f"SUBJECT: {subject}"]
    lines += [f"{key.upper()}: {value}" for key, value in headers.items()]
    return "\n".join(lines) + "\n\n" + body + "\n"


def records(run):
    return run.json("list", "--limit", "1000")


@pytest.mark.skipif(not (SAMPLES / "cables").is_dir(), reason="sample_records not present")
def test_sample_records_twice_adds_nothing_the_second_time(run):
    first = run.json("import", SAMPLES)
    assert first["failed"] == [] and first["committed"] is True
    assert first["added"] > 100 and first["duplicates"] >= 1
    assert len(first["near_duplicates"]) >= 1
    count = len(records(run))
    second = run.json("import", SAMPLES)
    assert second["added"] == 0 and second["near_duplicates"] == [] and second["failed"] == []
    assert second["duplicates"] >= count
    assert len(records(run)) == count
    assert "OK" in run("verify").stdout


@pytest.fixture
def mixed(tmp_path):
    folder = tmp_path / "inbox"
    (folder / "mail").mkdir(parents=True)
    (folder / "berlin.txt").write_text(cable("BERLIN-2024-0061", "BERLIN", "Attribution",
                                             "1. (U) " + LONG, CLASSIFICATION="U"))
    (folder / "brussels.cable").write_text(cable(
        "BRUSSELS-2024-0047", "BRUSSELS", "EU declaration",
        "1. (C) The EU declaration follows BERLIN-2024-0061.", REFS="BERLIN-2024-0061"))
    (folder / "round.md").write_text("TITLE: Round 2\nDATE: 2024-05-06\nWITH: CN\n\n"
                                     "We met the delegation.\n")
    (folder / "mail" / "senders.csv").write_text("sender,post\ntallinn.example,Tallinn\n")
    (folder / "mail" / "note.eml").write_text(
        "From: Desk <desk@tallinn.example>\nDate: Mon, 06 May 2024 09:00:00 +0300\n"
        "Subject: CBM 15 practice\n\nEstonia is ready to present its practice.\n")
    (folder / "rows.csv").write_text("kind,date,subject,body,post\n"
                                     "report,2024-05-07,Tokyo update,Short note,Tokyo\n")
    (folder / ".hidden.txt").write_text("not imported")
    (folder / "README.md").write_text("# Inbox\n")
    (folder / "picture.png").write_bytes(b"\x89PNG")
    return folder


def test_mixed_folder_with_a_broken_file_fails_whole_then_continues(run, mixed):
    broken = mixed / "zz-broken.txt"
    broken.write_text("SUBJECT: no date here\n\nbody\n")
    result = run("import", mixed, ok=False)
    assert result.exit_code == 1
    assert f"{broken}:1: missing required header DATE" in result.stderr
    assert "nothing was imported" in result.stderr
    run("init")
    assert records(run) == []

    report = run.json("import", mixed, "--continue-on-error")
    assert report["committed"] is True
    assert report["added"] == 5
    assert report["failed"] == [{"file": str(broken), "line": 1,
                                 "reason": "missing required header DATE"}]
    assert f"{mixed}/picture.png: skipped (not a file type cablemgr imports)" in \
        report["warnings"]
    by_title = {r["title"]: r for r in records(run)}
    assert set(by_title) == {"Attribution", "EU declaration", "Round 2", "CBM 15 practice",
                             "Tokyo update"}
    assert by_title["CBM 15 practice"]["post"] == "Tallinn"
    assert by_title["Round 2"]["kind"] == "meeting"
    assert by_title["EU declaration"]["classification"] == "CONFIDENTIAL"


def test_dry_run_reports_and_writes_nothing(run, mixed):
    run("init")
    report = run.json("import", mixed, "--dry-run")
    assert report["added"] == 5 and report["dry_run"] is True and report["committed"] is False
    assert records(run) == []
    text = run("import", mixed, "--dry-run").stdout
    assert text.startswith("Would add 5, skipped 0 already on file")


def test_summary_is_plain_in_a_pipe(run, mixed):
    result = run("import", mixed)
    assert result.stdout == ("Added 5, skipped 0 already on file, linked 0 near-duplicates, "
                             "0 failed.\n")


def test_same_event_from_two_posts_is_linked_even_when_the_cited_cable_comes_later(run, mixed,
                                                                                 tmp_path):
    run.json("import", mixed / "brussels.cable")
    brussels = records(run)[0]
    pending = run.json("refs", brussels["id"])
    assert pending["cites"] == [{"record": None, "reference": "BERLIN-2024-0061",
                                 "title": None, "date": None, "post": None, "note": None}]
    assert "BERLIN-2024-0061  (not on file yet)" in run("refs", brussels["id"]).stdout

    run.json("import", mixed / "berlin.txt")
    berlin = next(r for r in records(run) if r["reference"] == "BERLIN-2024-0061")
    refs = run.json("refs", berlin["id"])
    assert [e["record"] for e in refs["cited_by"]] == [brussels["id"]]
    assert run.json("refs", brussels["id"])["cites"][0]["record"] == berlin["id"]
    shown = run("show", brussels["id"]).stdout
    assert f"cites {berlin['id']}" in shown


def test_exact_duplicate_is_stored_once_with_both_sources(run, tmp_path):
    body = "1. (U) " + LONG
    (tmp_path / "a.txt").write_text(cable("GENEVA-2025-0131", "GENEVA", "Dialogue", body,
                                          TO="HQ"))
    (tmp_path / "b.txt").write_text(cable("GENEVA-2025-0131", "GENEVA", "Dialogue",
                                          "  " + body.replace(". ", ".\n"), TO="HQ, INFO X"))
    report = run.json("import", tmp_path)
    assert (report["added"], report["duplicates"]) == (1, 1)
    record = run.json("show", report["ids"][0])
    assert record["metadata"]["sources"] == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    again = run.json("import", tmp_path)
    assert (again["added"], again["duplicates"]) == (0, 2)
    assert run.json("show", report["ids"][0])["metadata"] == record["metadata"]
    assert "OK" in run("verify").stdout


def test_near_duplicate_is_filed_and_linked(run, tmp_path):
    edited = LONG.replace("before the spring", "in April").replace(
        "asked for our technical contact list", "want our list of contacts")
    (tmp_path / "geneva.txt").write_text(cable("GENEVA-2025-0200", "GENEVA", "Channel",
                                               "1. (U) " + LONG, date="2025-03-01"))
    (tmp_path / "vienna.txt").write_text(cable("VIENNA-2025-0201", "VIENNA", "FWD: Channel",
                                               "1. (R) " + edited, date="2025-03-04"))
    report = run.json("import", tmp_path)
    assert report["added"] == 2
    [near] = report["near_duplicates"]
    by_ref = {r["reference"]: r["id"] for r in records(run)}
    assert (near["record"], near["duplicate_of"]) == (by_ref["VIENNA-2025-0201"],
                                                      by_ref["GENEVA-2025-0200"])
    assert near["similarity"] >= 0.7
    shown = run("show", by_ref["VIENNA-2025-0201"]).stdout
    assert f"possible duplicate of {by_ref['GENEVA-2025-0200']}" in shown
    text = run("import", tmp_path / "geneva.txt").stdout
    assert text.startswith("Added 0, skipped 1")


def test_forced_format(run, tmp_path):
    report = tmp_path / "r.txt"
    report.write_text("SUBJECT: Update\nDATE: 2024-01-01\n\nbody\n")
    result = run("import", report, "--format", "notes", "--json", ok=False)
    assert "missing required header TITLE" in result.stdout
    notes = tmp_path / "n.txt"
    notes.write_text("TITLE: Round\nDATE: 2024-01-01\n\nbody\n")
    added = run.json("import", notes, "--format", "cable")["ids"]
    assert run.json("show", added[0])["kind"] == "report"


def test_mail_attachment_becomes_a_linked_record(run, tmp_path):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "registry@tallinn.example"
    msg["Date"] = "Tue, 17 Nov 2026 12:03:01 +0200"
    msg["Subject"] = "Cable attached"
    msg.set_content("Please find the cable attached.")
    msg.add_attachment(cable("TALLINN-2026-0058", "TALLINN", "CBM 15", "1. (U) Ready.")
                       .encode(), maintype="text", subtype="plain",
                       filename="TALLINN-2026-0058.txt")
    (tmp_path / "m.eml").write_bytes(msg.as_bytes())
    report = run.json("import", tmp_path / "m.eml")
    assert report["added"] == 2
    mail_record, attached = (run.json("show", i) for i in report["ids"])
    assert mail_record["post"] == "tallinn.example"
    assert mail_record["metadata"]["attachments"] == [
        {"name": "TALLINN-2026-0058.txt", "type": "text/plain", "size": 93}]
    assert attached["reference"] == "TALLINN-2026-0058" and attached["post"] == "Tallinn"
    assert {"direction": "out", "kind": "attachment", "record": mail_record["id"],
            "reference": None, "note": None} in attached["links"]


@pytest.mark.skipif(not (CORPUS / "raw" / "frus1894Nicaragua.xml").is_file(),
                    reason="the FRUS corpus (../shared/corpus) is not present")
def test_frus_tei_volume_and_jsonl_slice_import_and_are_searchable(run, tmp_path):
    tei = CORPUS / "raw" / "frus1894Nicaragua.xml"
    report = run.json("import", tei)
    assert report["added"] == 138 and report["failed"] == []
    # the same volume as JSONL is the same documents: all skipped by their FRUS ids
    again = run.json("import", CORPUS / "frus1894Nicaragua.jsonl.gz")
    assert (again["added"], again["duplicates"]) == (0, 138)

    slice_path = tmp_path / "slice.jsonl.gz"
    with gzip.open(CORPUS / "frus1934v04.jsonl.gz", "rt", encoding="utf-8") as source, \
            gzip.open(slice_path, "wt", encoding="utf-8") as target:
        for _ in range(30):
            target.write(source.readline())
    report = run.json("import", slice_path)
    assert report["added"] == 30
    first = run.json("show", report["ids"][0])
    assert first["reference"].startswith("frus1934v04/")
    assert first["tags"] == ["FRUS"]
    subject = first["title"]
    hits = run.json("search", f'"{subject}"')["hits"]
    assert first["id"] in [hit["id"] for hit in hits]
    hits = run.json("search", "Bluefields")["hits"]
    assert hits and all(hit["kind"] == "report" for hit in hits)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the FRUS corpus is not present")
def test_frus_jsonl_objects_keep_their_provenance(tmp_path):
    from cablemgr.ingest import frus

    with gzip.open(CORPUS / "frus1934v04.jsonl.gz", "rt", encoding="utf-8") as source:
        obj = json.loads(source.readline())
    record = frus.record_from_object(obj, 1)
    assert record["uid"] == f"frus:{obj['id']}" and record["reference"] == obj["id"]
    assert record["metadata"]["volume_id"] == "frus1934v04"
    assert record["author"] == obj["origin"]
    assert frus.frus_level("Strictly confidential") == "CONFIDENTIAL"
    assert frus.frus_level("Secret") == "SECRET" and frus.frus_level("Personal") == \
        "UNCLASSIFIED"


def test_near_duplicate_of_a_record_filed_by_hand(run, tmp_path):
    run("report", "--post", "Geneva", "--date", "2025-03-01", "--subject", "Channel",
        "--body", LONG)
    (tmp_path / "vienna.txt").write_text(cable("VIENNA-2025-0201", "VIENNA", "FWD: Channel",
                                               LONG.replace("spring", "summer"),
                                               date="2025-03-02"))
    report = run.json("import", tmp_path)
    assert [n["duplicate_of"] for n in report["near_duplicates"]] == ["R1"]
