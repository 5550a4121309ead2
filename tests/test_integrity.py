"""Tamper evidence: the hash chain, rows compared with their history, versions as diffs."""

from __future__ import annotations

import json
import sqlite3

import pytest

from cablemgr import integrity
from cablemgr.db import open_db


@pytest.fixture
def filed(run, isolated_db):
    """A small unit: a party, a dialogue, a meeting and a report, one of them edited."""
    run("init")
    run("party", "add", "MSFT", "Microsoft", "--type", "company")
    run("dialogue", "add", "US-X cyber dialogue", "--format", "bilateral", "--party", "US")
    run("log", "--title", "Hotline talks", "--dialogue", "D1", "--with", "US",
        "--body", "Both sides discussed the hotline.\nPoints of contact by June.")
    run("report", "--post", "Geneva", "--subject", "OEWG session", "--ref", "GENEVA-2024-0042",
        "--body", "The OEWG met.\nNorms were discussed.")
    run("edit", "R2", "--tag", "norms")
    return isolated_db


def shell(path, *statements):
    """What someone with the sqlite3 shell can do: plain SQL, triggers dropped if need be."""
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def verify(run):
    result = run("verify", "--json", ok=False)
    return result.exit_code, json.loads(result.stdout)


def test_untouched_database_verifies(run, filed):
    code, report = verify(run)
    assert code == 0
    assert report["ok"] is True
    assert report["chain"] == {"ok": True, "first_broken": None}
    assert report["checked"]["records"] == 2
    assert report["checked"]["dialogues"] == 1
    assert report["checked"]["parties"] == 1
    assert report["events"] == 5
    assert len(report["head"]) == 64
    human = run("verify")
    assert human.stdout.startswith("OK: 5 events, hash chain intact")


def test_body_changed_with_the_shell_names_the_record(run, filed):
    shell(filed, "UPDATE records SET body = 'Nothing was agreed.' WHERE id = 1")
    code, report = verify(run)
    assert code == 1
    assert report["ok"] is False
    assert report["chain"]["ok"] is True  # the events were not touched, the row was
    assert [(p["entity"], p["problem"], p["fields"]) for p in report["problems"]] == [
        ("R1", "content", ["body"])]
    human = run("verify", ok=False)
    assert human.exit_code == 1
    assert "R1: body differs from its last recorded version" in human.stdout
    assert human.stderr.startswith("Error: verification failed: 1 problem.")


@pytest.mark.parametrize("statement, entity, field", [
    ("UPDATE records SET title = 'Other' WHERE id = 2", "R2", "title"),
    ("UPDATE records SET classification = 'SECRET' WHERE id = 2", "R2", "classification"),
    ("DELETE FROM record_tags WHERE record_id = 2", "R2", "tags"),
    ("INSERT INTO record_parties VALUES (1, 'CN')", "R1", "parties"),
    ("UPDATE dialogues SET name = 'Renamed' WHERE id = 1", "D1", "name"),
    ("UPDATE parties SET name = 'Macrohard' WHERE code = 'MSFT'", "party:MSFT", "name"),
])
def test_every_kind_of_row_edit_is_named(run, filed, statement, entity, field):
    shell(filed, statement)
    code, report = verify(run)
    assert code == 1
    assert [(p["entity"], p["fields"]) for p in report["problems"]] == [(entity, [field])]


def test_rows_added_or_removed_around_cablemgr(run, filed):
    shell(filed,
          "INSERT INTO records (uid, kind, title, body, content_hash, created_at, updated_at) "
          "VALUES ('x', 'report', 'Planted', '', '', '2024-01-01', '2024-01-01')",
          "DELETE FROM record_tags WHERE record_id = 2",
          "DELETE FROM records WHERE id = 2")
    code, report = verify(run)
    assert code == 1
    found = {(p["entity"], p["problem"]) for p in report["problems"]}
    assert found == {("R3", "no_history"), ("R2", "missing_row")}


def test_event_changed_breaks_the_chain_at_that_event(run, filed):
    shell(filed, "DROP TRIGGER events_no_update",
          "UPDATE events SET who = 'someone-else' WHERE id = 3")
    code, report = verify(run)
    assert code == 1
    broken = report["chain"]["first_broken"]
    assert broken["event"] == 3
    assert broken["entity"] == "R1"
    assert "changed after it was written" in broken["problem"]


def test_event_removed_breaks_the_chain_after_it(run, filed):
    shell(filed, "DROP TRIGGER events_no_delete", "DELETE FROM events WHERE id = 2")
    code, report = verify(run)
    assert code == 1
    assert report["chain"]["first_broken"]["event"] == 3
    assert "does not follow" in report["chain"]["first_broken"]["problem"]
    # the dialogue lost its only event, so its row has no history any more
    assert {p["entity"] for p in report["problems"]} == {"D1"}


def test_history_rewritten_to_match_a_changed_row_still_breaks_the_chain(run, filed):
    """Changing both the row and its event (the careful forger) is caught by the chain."""
    conn = sqlite3.connect(filed)
    changes = json.loads(conn.execute("SELECT changes FROM events WHERE id = 3").fetchone()[0])
    changes["body"][1] = "Nothing was agreed."
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET changes = ? WHERE id = 3", (json.dumps(changes),))
    conn.execute("UPDATE records SET body = 'Nothing was agreed.' WHERE id = 1")
    conn.commit()
    conn.close()
    code, report = verify(run)
    assert code == 1
    assert report["problems"] == []
    assert report["chain"]["first_broken"]["event"] == 3


def test_history_shows_versions_as_diffs_and_keeps_the_old_text(run, filed):
    run("edit", "R1", "--body", "Both sides discussed the hotline.\nPoints of contact by July.")
    run("edit", "R1", "--title", "Hotline talks, round 2")
    out = run("history", "R1").stdout
    assert "v1 " in out and "v2 " in out and "v3 " in out
    assert "    -Points of contact by June." in out
    assert "    +Points of contact by July." in out
    assert "title: Hotline talks → Hotline talks, round 2" in out
    db = open_db(filed)
    versions = integrity.versions(db, "R1")
    db.close()
    assert [v["action"] for v in versions] == ["create", "update", "update"]
    assert versions[0]["fields"]["body"].endswith("by June.")
    assert versions[-1]["fields"]["body"].endswith("by July.")
    assert versions[-1]["fields"]["title"] == "Hotline talks, round 2"


def test_history_escapes_control_characters(run, filed):
    run("edit", "R1", "--title", "Hotline \u202etalks\x1b[31m")
    out = run("history", "R1").stdout
    assert "\u202e" not in out and "\x1b" not in out
    assert "\\u202e" in out and "\\u001b" in out


def test_verify_reads_while_another_connection_writes(filed):
    """verify runs in one read transaction: a write in between changes nothing it sees."""
    db = open_db(filed)
    writer = open_db(filed)
    db.conn.execute("BEGIN")
    before = integrity.verify(db)
    from cablemgr import records

    records.add(writer, kind="meeting", title="Later", body="x")
    during = integrity.verify(db)
    db.conn.execute("COMMIT")
    after = integrity.verify(db)
    writer.close()
    db.close()
    assert before["ok"] and during["ok"] and after["ok"]
    assert before["events"] == during["events"] == after["events"] - 1


def test_commitments_and_actions_are_checked_too(run, filed):
    run("log", "--title", "Round 2", "--dialogue", "D1", "--body",
        "Notes\nACTION: @maria due:+2w send the non-paper\n"
        "COMMITMENT: by:US due:+1m exchange points of contact\n")
    run("commitment", "update", "C1", "--status", "in_progress", "--score", "0", "--note", "slow")
    run("action", "done", "A1", "--note", "sent")
    code, report = verify(run)
    assert code == 0, report
    assert report["checked"]["commitments"] == 1 and report["checked"]["actions"] == 1
    shell(filed, "UPDATE assessments SET score = 1", "UPDATE actions SET owner = 'eve'",
          "DELETE FROM commitment_parties")
    code, report = verify(run)
    assert code == 1
    assert sorted((p["entity"], tuple(p["fields"])) for p in report["problems"]) == [
        ("A1", ("owner",)), ("C1", ("by", "assessments"))]
