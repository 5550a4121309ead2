"""The format parsers on their own: cable (with a render→parse property test), notes,
e-mail, CSV, detection and the near-duplicate measure."""

import string
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cablemgr.ingest import base, cable, detect, mail, notes, similarity, tabular
from cablemgr.ingest.base import ParseError

CABLE = """CLASSIFICATION: RESTRICTED
REF: GENEVA-2025-0042
DATE: 14 March 2025
FROM: USMISSION GENEVA
TO: HQ CYBER POLICY UNIT
SUBJECT: OEWG informal consultations
TAGS: norms, PREL
PARTIES: UN, CN
REFS: GENEVA-2025-0040, NEWYORK-2025-0017
SEEN BY: duty officer

1. (U) Summary: consultations went well.

2. (C) The Chinese delegate
spoke at length.

(SBU) Unnumbered paragraph.
"""


def test_cable_fields_portions_and_raised_classification():
    record = cable.parse(CABLE)
    assert record["title"] == "OEWG informal consultations"
    assert record["date"] == "2025-03-14"
    assert (record["post"], record["post_original"]) == ("Geneva", "USMISSION GENEVA")
    assert record["reference"] == "GENEVA-2025-0042"
    assert record["refs"] == ["GENEVA-2025-0040", "NEWYORK-2025-0017"]
    assert record["tags"] == ["norms", "PREL"] and record["parties"] == ["UN", "CN"]
    assert record["portions"] == [{"n": 1, "level": "UNCLASSIFIED"},
                                  {"n": 2, "level": "CONFIDENTIAL"},
                                  {"n": 3, "level": "RESTRICTED"}]
    assert record["metadata"] == {"to": "HQ CYBER POLICY UNIT",
                                  "headers": {"SEEN BY": "duty officer"}}
    assert record["warnings"] == ["header says RESTRICTED but paragraph 2 is CONFIDENTIAL; "
                                  "filed as CONFIDENTIAL"]
    assert cable.parse(cable.render(record)) == record


@pytest.mark.parametrize("original, post", [
    ("EMBASSY BERLIN", "Berlin"), ("AMEMBASSY THE HAGUE", "The Hague"),
    ("USMISSION GENEVA", "Geneva"), ("PERMREP NEW YORK", "New York"),
    ("CONGEN PORT-AU-PRINCE", "Port-Au-Prince"), ("Vienna", "Vienna"),
])
def test_post_names_are_normalised(original, post):
    assert cable.normalise_post(original) == post


def test_header_keys_are_case_insensitive_and_class_is_an_alias():
    record = cable.parse("subject: s\nDate: 2024-01-01\nclass: c\n\nbody")
    assert record["classification"] == "CONFIDENTIAL"


# --- render → parse round trip ------------------------------------------------------------

_WORD = st.text(string.ascii_letters + "éü", min_size=1, max_size=8)
_LINE = st.lists(_WORD, min_size=1, max_size=6).map(" ".join)
_MARK = st.sampled_from(["", "(U) ", "(SBU) ", "(R) ", "(C) ", "(S) "])


@st.composite
def cable_records(draw):
    paragraphs = []
    for n, mark in enumerate(draw(st.lists(_MARK, min_size=1, max_size=5)), start=1):
        lines = draw(st.lists(_LINE, min_size=1, max_size=3))
        numbered = draw(st.booleans())
        prefix = f"{n}. " if numbered else ""
        paragraphs.append(prefix + mark + "\n".join(lines))
    body = "\n\n".join(paragraphs)
    city = draw(st.lists(st.text(string.ascii_uppercase, min_size=2, max_size=8),
                         min_size=1, max_size=2))
    post_original = draw(st.sampled_from(["EMBASSY", "USMISSION", "PERMREP"])) + " " + \
        " ".join(city)
    extra = draw(st.dictionaries(st.sampled_from(["SEEN BY", "PRECEDENCE", "CAPTION"]),
                                 _LINE, max_size=2))
    record = base.new_record(
        title=draw(_LINE), body=body, date=draw(st.dates()).isoformat(),
        post=cable.normalise_post(post_original), post_original=post_original,
        classification=draw(st.sampled_from([None, "UNCLASSIFIED", "RESTRICTED",
                                             "CONFIDENTIAL", "SECRET"])),
        reference=draw(st.none() | st.just("BERLIN-2024-0042")),
        refs=draw(st.lists(st.sampled_from(["A-2024-01", "B-2025-02"]), unique=True)),
        tags=draw(st.lists(_WORD, unique=True, max_size=3)),
        parties=draw(st.lists(st.sampled_from(["DE", "US", "CN", "EU"]), unique=True)),
        dialogue=draw(st.none() | _LINE), author=draw(st.none() | _LINE),
        portions=cable.portions(body))
    if draw(st.booleans()):
        record["metadata"]["to"] = draw(_LINE)
    if extra:
        record["metadata"]["headers"] = extra
    raised = cable.raised_classification(record)
    if raised:
        record["warnings"].append(raised)
    return record


@settings(max_examples=150, deadline=None)
@given(cable_records())
def test_render_then_parse_gives_the_record_back(record):
    assert cable.parse(cable.render(record)) == record


# --- notes, CSV, e-mail ---------------------------------------------------------------------

def test_notes_with_front_matter():
    record = notes.parse("---\nTitle: Round 2\nDate: 2024-11-14\nWith: CN\nVenue: HQ\n---\n\n"
                         "We met.\nACTION: send the minutes due:+1w\n")
    assert (record["kind"], record["title"], record["venue"]) == ("meeting", "Round 2", "HQ")
    assert record["parties"] == ["CN"] and record["body"].startswith("We met.")


def test_is_meeting_rules():
    assert notes.is_meeting({"title": ("x", 1)})
    assert not notes.is_meeting({"title": ("x", 1), "from": ("EMBASSY X", 2)})
    assert notes.is_meeting({"subject": ("x", 1), "kind": ("Meeting", 2)})


def test_csv_with_excel_semicolons_and_bom(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffKind;Date;Subject;Body;Post;Tags;Parties\n"
                     "report;03/05/2024;Übersicht;Text;EMBASSY BERLIN;\"a, b\";DE\n"
                     .encode("utf-8"))
    rows = list(tabular.parse(path, []))
    assert len(rows) == 1
    row = rows[0]
    assert (row["title"], row["date"], row["post"]) == ("Übersicht", "2024-05-03", "Berlin")
    assert row["tags"] == ["a", "b"] and row["parties"] == ["DE"] and row["line"] == 2


def test_csv_reports_every_bad_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("date,title\n2024-01-01,ok\nnot a date,bad\n2024-01-02,\n")
    items = list(tabular.parse(path, []))
    assert [type(i).__name__ for i in items] == ["dict", "ParseError", "ParseError"]
    assert [i.line for i in items[1:]] == [3, 4]


def test_sender_mapping_csv_is_skipped(tmp_path):
    path = tmp_path / "senders.csv"
    path.write_text("sender,post\nberlin.example,Berlin\n")
    with pytest.raises(tabular.SkipFile):
        list(tabular.parse(path, []))


def _mail(tmp_path, **parts):
    msg = EmailMessage()
    msg["From"] = parts.get("sender", "Desk <desk@berlin.embassy.example>")
    msg["Date"] = "Fri, 03 May 2024 10:00:00 +0200"
    msg["Subject"] = "Consultations"
    msg["Message-ID"] = "<1@berlin.embassy.example>"
    msg.set_content(parts.get("text", "Plain body of the mail, long enough."))
    if "html" in parts:
        msg.add_alternative(parts["html"], subtype="html")
    for name, data in parts.get("attachments", []):
        msg.add_attachment(data.encode(), maintype="text", subtype="plain", filename=name)
    (tmp_path / "senders.csv").write_text("sender,post\nberlin.embassy.example,Berlin\n"
                                          "chief@berlin.embassy.example,Berlin Chief\n")
    return msg.as_bytes()


def test_mail_sender_mapping_address_wins_over_domain_and_domain_is_fallback(tmp_path):
    path = tmp_path / "m.eml"
    senders = mail.SenderMap()
    record = mail.parse(_mail(tmp_path), path=path, root=tmp_path, senders=senders)
    assert (record["post"], record["date"], record["title"]) == \
        ("Berlin", "2024-05-03", "Consultations")
    chief = mail.parse(_mail(tmp_path, sender="chief@berlin.embassy.example"), path=path,
                       root=tmp_path, senders=senders)
    assert chief["post"] == "Berlin Chief"
    other = mail.parse(_mail(tmp_path, sender="x@unknown.example"), path=path, root=tmp_path,
                       senders=senders)
    assert other["post"] == "unknown.example"


def test_mail_html_only_attachments_and_cable_header_in_body(tmp_path):
    html = "<html><head><style>p{}</style></head><body><p>First &amp; <b>bold</b></p>" \
           "<p>Second</p><script>x()</script></body></html>"
    msg = EmailMessage()
    msg["From"] = "desk@berlin.embassy.example"
    msg["Date"] = "Fri, 03 May 2024 10:00:00 +0200"
    msg["Subject"] = "HTML"
    msg.set_content(html, subtype="html")
    record = mail.parse(msg.as_bytes(), path=tmp_path / "m.eml", root=tmp_path,
                        senders=mail.SenderMap())
    assert record["body"] == "First & bold\n\nSecond"

    data = _mail(tmp_path, text="REF: BERLIN-2024-0200\nCLASSIFICATION: C\n\n1. (C) Text.",
                 attachments=[("cable.txt", "SUBJECT: Attached\nDATE: 2024-05-01\n\nBody\n"),
                              ("notes.txt", "plain attached notes")])
    record = mail.parse(data, path=tmp_path / "m.eml", root=tmp_path, senders=mail.SenderMap())
    assert (record["reference"], record["classification"], record["title"]) == \
        ("BERLIN-2024-0200", "CONFIDENTIAL", "Consultations")
    assert [a["name"] for a in record["metadata"]["attachments"]] == ["cable.txt", "notes.txt"]
    assert [c["title"] for c in record["attachments"]] == ["Attached", "notes.txt"]


@pytest.mark.parametrize("name, content, fmt", [
    ("a.txt", b"SUBJECT: x\n", "text"), ("a.md", b"TITLE: x\n", "text"),
    ("a.eml", b"", "eml"), ("a.csv", b"", "csv"), ("a.json", b"[]", "json"),
    ("a.jsonl", b'{"type": "party"}\n', "jsonl"),
    ("a.jsonl", b'{"volume_id": "v", "doc_id": "d1"}\n', "frus"),
    ("a.xml", b"<TEI/>", "frus"), ("noext", b"SUBJECT: x\nDATE: y\n", "text"),
    ("noext", b"From: a@b\nDate: x\nSubject: y\nTo: z\n\nbody", "eml"),
    ("noext", b'{"type": "record"}', "jsonl"),
])
def test_detection(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_bytes(content)
    assert detect.detect(path) == fmt


def test_detection_refuses_what_it_cannot_place(tmp_path):
    path = tmp_path / "photo"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ParseError, match="unknown file type"):
        detect.detect(path)


# --- near duplicates ----------------------------------------------------------------------

SAMPLE = Path(__file__).parents[1] / "sample_records" / "cables"


def test_near_duplicate_measure():
    text = " ".join(f"word{i} common text here" for i in range(60))
    edited = text.replace("word10 common", "changed common").replace("word40", "other")
    assert similarity.jaccard(similarity.shingles(text), similarity.shingles(edited)) >= \
        similarity.THRESHOLD
    unrelated = " ".join(f"other{i} words entirely" for i in range(60))
    assert similarity.jaccard(similarity.shingles(text), similarity.shingles(unrelated)) < 0.1
    assert similarity.shingles("too short to compare") == set()
    # portion marks and paragraph numbers do not count
    marked = "1. (C) " + text
    assert similarity.shingles(marked) == similarity.shingles("(U) " + text)


def test_cable_subject_marked_above_the_header_raises_the_record():
    record = cable.parse("CLASSIFICATION: UNCLASSIFIED\nSUBJECT: (C) Channel talks\n"
                         "DATE: 2025-03-14\n\n1. (U) An open paragraph.\n")
    assert record["classification"] == "CONFIDENTIAL"
    assert record["warnings"] == ["header says UNCLASSIFIED but the subject is CONFIDENTIAL; "
                                  "filed as CONFIDENTIAL"]
