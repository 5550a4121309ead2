"""A small unit with known answers for the briefing outputs (summaries, digest, calendar,
redaction), loaded through ``cablemgr import`` as a user would.

Today is 2025-10-01. Figures the tests rely on:

- Dialogue "Alpha bilateral" (CN): K1 fulfilled +1 (three assessments), K2 not fulfilled −1.
  CN: mean 0.00, 50 %.
- Dialogue "Beta forum" (US, KE): K3 by US and KE in progress 0, K4 by US fulfilled +1,
  K5 by KE open and overdue since 2025-08-31 (CONFIDENTIAL, text NOVEMBERCOMMIT).
  US: mean +0.50, 75 %; KE: one of two scored, mean 0.00, 50 %.
- Records in the week to 2025-10-01: the same report from Geneva and New York (one text),
  a Brussels report citing a Berlin one, a portion-marked CONFIDENTIAL cable, a CONFIDENTIAL
  meeting; a report dated in January but filed in the week; an old report filed long ago.
"""

from __future__ import annotations

import json
from pathlib import Path

TODAY = "2025-10-01"
FILED = "2025-09-30T10:00:00.000000Z"
OLD = "2025-01-05T10:00:00.000000Z"

# words that appear only in text above RESTRICTED: none may appear under --class-max R
SECRET_WORDS = ("KILOSECRET", "LIMASECRET", "ZULUTITLE", "MIKEMEETING", "NOVEMBERCOMMIT",
                "PAPASECRET", "OSCARACTION", "UNMARKEDTAIL")
# words in paragraphs at or below RESTRICTED of the portion-marked cables
OPEN_WORDS = ("ALPHAOPEN", "BRAVOREST", "CHARLIEOPEN")

CABLE_MARKED_SUBJECT = """CLASSIFICATION: CONFIDENTIAL
REF: TESTVILLE-2025-0001
DATE: 2025-09-29
FROM: EMBASSY TESTVILLE
TO: HQ CYBER POLICY UNIT
SUBJECT: (U) Hotline test results
DIALOGUE: Alpha bilateral
PARTIES: CN
TAGS: confidence-building

1. (U) Summary: the hotline answered within a day ALPHAOPEN. End summary.

2. (C) A source said KILOSECRET about the test.

3. (R) The restricted paragraph BRAVOREST | with a pipe.

4. (C) Comment: LIMASECRET recommends patience.
"""

CABLE_UNMARKED_SUBJECT = """CLASSIFICATION: CONFIDENTIAL
REF: TESTVILLE-2025-0002
DATE: 2025-09-30
FROM: EMBASSY TESTVILLE
TO: HQ CYBER POLICY UNIT
SUBJECT: Follow-up on ZULUTITLE
DIALOGUE: Alpha bilateral
PARTIES: CN

1. (U) The ministry confirmed the date CHARLIEOPEN.

2. (C) Its reasons were KILOSECRET as well.

An unmarked closing paragraph UNMARKEDTAIL.
"""


def _assessment(date, status, score, note, evidence=None):
    return {"date": date, "status": status, "score": score, "note": note,
            "evidence": evidence, "who": "tester"}


def objects() -> list[dict]:
    body = ("The Chair circulated the draft request-for-assistance template. Delegations "
            "welcomed the reply box and asked for a technical annex.")
    return [
        {"type": "dialogue", "uid": "t-dlg-alpha", "name": "Alpha bilateral",
         "format": "bilateral", "lead": "Ines", "parties": ["CN"]},
        {"type": "dialogue", "uid": "t-dlg-beta", "name": "Beta forum",
         "format": "multilateral", "forum": "Beta", "lead": "Tomas",
         "parties": ["US", "KE", "CN"]},
        {"type": "record", "uid": "t-mtg-alpha-1", "kind": "meeting",
         "title": "Alpha round 1", "body": "Round 1 held.", "date": "2024-12-01",
         "venue": "HQ", "dialogue": "Alpha bilateral", "parties": ["CN"],
         "classification": "RESTRICTED", "created_at": OLD},
        {"type": "record", "uid": "t-mtg-secret", "kind": "meeting",
         "title": "Restricted-room meeting MIKEMEETING", "body": "We said MIKEMEETING.",
         "date": "2025-09-29", "venue": "HQ", "dialogue": "Beta forum",
         "classification": "CONFIDENTIAL", "created_at": FILED},
        {"type": "record", "uid": "t-rep-geneva", "kind": "report", "post": "Geneva",
         "title": "Template circulated", "body": body, "date": "2025-09-28",
         "reference": "GENEVA-2025-0100", "dialogue": "Beta forum", "tags": ["norms"],
         "classification": "UNCLASSIFIED", "created_at": FILED},
        {"type": "record", "uid": "t-rep-newyork", "kind": "report", "post": "New York",
         "title": "Template circulated (NY)", "body": body.upper(), "date": "2025-09-29",
         "reference": "NEWYORK-2025-0200", "dialogue": "Beta forum", "tags": ["norms"],
         "classification": "UNCLASSIFIED", "created_at": FILED},
        {"type": "record", "uid": "t-rep-berlin", "kind": "report", "post": "Berlin",
         "title": "Germany attributes a campaign", "body": "Berlin attributed the campaign.",
         "date": "2025-09-26", "reference": "BERLIN-2025-0050", "tags": ["attribution"],
         "classification": "UNCLASSIFIED", "created_at": FILED},
        {"type": "record", "uid": "t-rep-brussels", "kind": "report", "post": "Brussels",
         "title": "EU supports the attribution", "body": "The EU declaration backs Berlin.",
         "date": "2025-09-27", "reference": "BRUSSELS-2025-0060", "tags": ["attribution"],
         "classification": "RESTRICTED", "created_at": FILED,
         "links": [{"kind": "cites", "to": "t-rep-berlin"}]},
        {"type": "record", "uid": "t-rep-late", "kind": "report", "post": "Nairobi",
         "title": "A January report that arrived late", "body": "Late but useful.",
         "date": "2025-01-15", "classification": "UNCLASSIFIED", "created_at": FILED},
        {"type": "record", "uid": "t-rep-old", "kind": "report", "post": "Vienna",
         "title": "An old report", "body": "Long ago.", "date": "2025-01-02",
         "classification": "UNCLASSIFIED", "created_at": OLD},
        {"type": "commitment", "uid": "t-com-k1", "text": "Name a hotline contact | CERT level",
         "dialogue": "Alpha bilateral", "by": ["CN"], "record": "t-mtg-alpha-1",
         "made_on": "2024-12-01", "due": "2025-03-31", "category": "confidence-building",
         "classification": "RESTRICTED", "assessments": [
             _assessment("2025-01-10", "in_progress", 0, "Focal point named."),
             _assessment("2025-02-15", "partially_fulfilled", 0, "Contact named, untested."),
             _assessment("2025-04-20", "fulfilled", 1, "Test call answered.",
                         "t-rep-geneva")]},
        {"type": "commitment", "uid": "t-com-k2", "text": "Act against the servers",
         "dialogue": "Alpha bilateral", "by": ["CN"], "made_on": "2025-01-10",
         "due": "2025-06-30", "classification": "UNCLASSIFIED", "assessments": [
             _assessment("2025-07-05", "not_fulfilled", -1, "No action.")]},
        {"type": "commitment", "uid": "t-com-k3", "text": "Co-fund the training cycle",
         "dialogue": "Beta forum", "by": ["US", "KE"], "to": "CN", "made_on": "2025-02-01",
         "due": "2026-01-31", "classification": "UNCLASSIFIED", "assessments": [
             _assessment("2025-09-29", "in_progress", 0, "First tranche paid.")]},
        {"type": "commitment", "uid": "t-com-k4", "text": "Share indicators",
         "dialogue": "Beta forum", "by": ["US"], "made_on": "2025-02-01",
         "due": "2025-05-31", "classification": "UNCLASSIFIED", "assessments": [
             _assessment("2025-05-20", "fulfilled", 1, "Shared.")]},
        {"type": "commitment", "uid": "t-com-k5", "text": "Brief on NOVEMBERCOMMIT",
         "dialogue": "Beta forum", "by": ["KE"], "made_on": "2025-09-27",
         "due": "2025-09-28", "classification": "CONFIDENTIAL", "assessments": [
             _assessment("2025-09-27", "open", None, "Agreed PAPASECRET.")]},
        {"type": "action", "uid": "t-act-1", "text": "Send the draft; with commas, semicolons",
         "owner": "ines", "due": "2025-09-30", "status": "open",
         "dialogue": "Alpha bilateral"},
        {"type": "action", "uid": "t-act-2", "text": "Brief the minister", "owner": "tomas",
         "due": "2025-10-20", "status": "done", "dialogue": "Beta forum"},
        {"type": "action", "uid": "t-act-secret", "text": "Follow up OSCARACTION",
         "owner": "ines", "due": "2025-09-29", "status": "open", "record": "t-mtg-secret"},
    ]


def write(folder: Path, *, cables: bool = True) -> Path:
    """The unit's files in ``folder`` (created); returns the folder to import."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "unit.jsonl").write_text(
        "".join(json.dumps(o) + "\n" for o in objects()), encoding="utf-8")
    if cables:
        (folder / "testville-0001.txt").write_text(CABLE_MARKED_SUBJECT, encoding="utf-8")
        (folder / "testville-0002.txt").write_text(CABLE_UNMARKED_SUBJECT, encoding="utf-8")
    return folder


def load(run, tmp_path: Path, monkeypatch, *, cables: bool = True) -> None:
    """Import the unit into the test's database with today pinned to TODAY."""
    monkeypatch.setenv("CABLEMGR_TODAY", TODAY)
    run("init")
    run("import", str(write(tmp_path / "unit", cables=cables)))
