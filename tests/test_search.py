"""Search: ranking, the query language, flags, snippets, suggestions, facets, related records,
and the index staying in step with the database through crashes, damage and concurrency."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablemgr import actions, commitments, dialogues, records, search
from cablemgr.cli import cli
from cablemgr.db import open_db, write
from cablemgr.errors import InvalidInput, NotFound
from cablemgr.search.outbox import depth, enqueue

TODAY = dt.date(2024, 8, 1)

CORPUS = [
    dict(kind="report", post="Geneva", date="2024-03-14", dialogue="OEWG",
         title="OEWG session: states divided on attribution",
         body="Delegations debated the attribution of cyber operations. Several states said "
              "that responsible state behaviour requires evidence before public attribution. "
              "The chair's summary notes no agreement on standards.",
         tags=["attribution", "norms"], parties_=["CN", "US"], reference="GENEVA-2024-0042"),
    dict(kind="report", post="Berlin", date="2024-03-15",
         title="Joint attribution of the ransomware campaign against hospitals",
         body="The foreign office confirmed it will join the attribution of the ransomware "
              "campaign against hospitals, naming a state-sponsored group.",
         tags=["attribution"], parties_=["DE"]),
    dict(kind="report", post="Geneva", date="2024-03-20",
         title="Geneva follow-up on the ransomware attribution",
         body="Missions in Geneva discussed the joint attribution of the ransomware campaign "
              "and hospitals as critical infrastructure.",
         tags=["attribution"], parties_=["CH"]),
    dict(kind="meeting", venue="Washington", date="2023-11-20", dialogue="US-X cyber dialogue",
         title="Hotline test with the counterpart",
         body="Both sides tested the hotline and agreed to exchange points of contact by June.",
         tags=["confidence-building"], parties_=["US"]),
    dict(kind="report", post="Tokyo", date="2022-06-01", classification_="CONFIDENTIAL",
         title="Capacity building workshop with ASEAN partners",
         body="The workshop trained incident responders from ASEAN members.",
         tags=["capacity-building"], parties_=["JP", "ASEAN"]),
    dict(kind="report", post="Vienna", date="2024-06-30",
         title="OSCE confidence-building measures review",
         body="Participating states reviewed the confidence-building measures; behaviour in "
              "cyberspace should be responsible and predictable.",
         tags=["confidence-building"], parties_=["OSCE"]),
    dict(kind="report", post="Nairobi", date="2024-07-01",
         title="Internet governance forum preparations",
         body="The host country prepares the forum on internet governance and capacity.",
         tags=["internet-governance"], parties_=["KE"]),
    dict(kind="report", post="New York", date="2021-02-02",
         title="Budapest Convention committee on cybercrime",
         body="The committee discussed the second additional protocol on electronic evidence. "
              "Ransomware was mentioned once.",
         tags=["cybercrime"], parties_=["CoE"]),
]


def build(path):
    """A small database of the kinds a unit keeps, indexed."""
    db = open_db(path, create=True)
    dialogues.add(db, "OEWG", "multilateral", party_codes=["UN"])
    dialogues.add(db, "US-X cyber dialogue", "bilateral", party_codes=["US"])
    for fields in CORPUS:
        records.add(db, **fields)
    commitments.add(db, "Both sides will share points of contact for the hotline",
                    dialogue="US-X cyber dialogue", by=["US"], today=TODAY, due="2024-06-30",
                    record=4)
    actions.add(db, "Draft talking points on attribution for the OEWG", today=TODAY,
                owner="Alice Martin", due="2024-09-15", dialogue="OEWG")
    search.sync(db)
    return db


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    db = build(tmp_path_factory.mktemp("corpus") / "cablemgr.db")
    yield db
    db.close()


@pytest.fixture
def fresh(tmp_path):
    db = build(tmp_path / "fresh.db")
    yield db
    db.close()


def ids(result):
    return [hit["id"] for hit in result["hits"]]


def find(db, query="", **flags):
    return search.search(db, query, notify=lambda m: None, **flags)


# --- ranking, words, phrases, stemming ------------------------------------------------------

@pytest.mark.parametrize("query, first", [
    ("ransomware hospitals", "R2"),
    ("hotline", "R4"),
    ('"exchange points of contact"', "R4"),
    ("budapest", "R8"),
    ("GENEVA-2024-0042", "R1"),
    ("talking points", "A1"),
])
def test_known_item_ranks_first(corpus, query, first):
    assert ids(find(corpus, query))[0] == first


def test_title_outranks_body(corpus):
    # "ransomware" is in R2's and R3's titles, only in R8's body
    found = ids(find(corpus, "ransomware"))
    assert set(found) >= {"R2", "R3", "R8"}
    assert found.index("R8") > max(found.index("R2"), found.index("R3"))


def test_stemming_attribute_finds_attribution(corpus):
    assert {"R1", "R2", "R3"} <= set(ids(find(corpus, "attribute")))


def test_phrase_versus_words(corpus):
    words = set(ids(find(corpus, "responsible behaviour")))
    phrase = set(ids(find(corpus, '"responsible state behaviour"')))
    assert words >= {"R1", "R6"}
    assert phrase == {"R1"}


def test_boolean_operators_and_parentheses(corpus):
    assert set(ids(find(corpus, "attribution AND hospitals"))) == {"R2", "R3"}
    assert set(ids(find(corpus, "hotline OR budapest"))) >= {"R4", "R8", "C1"}
    assert "R3" not in ids(find(corpus, "ransomware NOT geneva"))
    assert "R3" not in ids(find(corpus, "ransomware -geneva"))
    assert set(ids(find(corpus, "(hotline OR budapest) AND kind:report"))) == {"R8"}
    assert set(ids(find(corpus, "NOT attribution kind:report"))) == {"R4", "R5", "R6", "R7",
                                                                       "R8"} - {"R4"}


def test_prefix_and_fuzzy(corpus):
    assert {"R2", "R3", "R8"} <= set(ids(find(corpus, "ransom*")))
    # longer than the stem the index keeps (attribut): still finds attribution
    assert set(ids(find(corpus, "attributi*"))) == set(ids(find(corpus, "attribution")))
    assert ids(find(corpus, "attributionz*")) == []
    assert "R4" in ids(find(corpus, "hotlnie~2"))
    assert "R2" in ids(find(corpus, "hospitls~"))
    assert ids(find(corpus, "hospitls")) == []


def test_snippet_marks_matched_words(corpus):
    hit = find(corpus, "attribute")["hits"][0]
    assert "[[attribution]]" in hit["snippet"].lower()
    assert set(hit) == {"id", "kind", "date", "title", "post", "dialogue", "score", "snippet"}


def test_result_shape(corpus):
    result = find(corpus, "hotline", limit=1)
    assert set(result) == {"query", "total", "hits", "suggestion"}
    assert result["query"] == "hotline" and result["total"] >= 2 and len(result["hits"]) == 1
    hit = result["hits"][0]
    assert hit["id"] == "R4" and hit["kind"] == "meeting" and hit["date"] == "2023-11-20"
    assert hit["dialogue"] == "US-X cyber dialogue" and hit["post"] is None


# --- fields and flags ------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("post:geneva", {"R1", "R3"}),
    ("post:GENEVA attribution", {"R1", "R3"}),
    ('post:"new york"', {"R8"}),
    ("kind:meeting", {"R4"}),
    ("kind:commitment", {"C1"}),
    ("tag:confidence-building", {"R4", "R6"}),
    ("tag:Attribution", {"R1", "R2", "R3"}),
    ("party:cn", {"R1"}),
    ("party:germany", {"R2"}),
    ("party:asean", {"R5"}),
    ("dialogue:oewg", {"R1", "A1"}),
    ('dialogue:"us-x cyber dialogue"', {"R4", "C1"}),
    ("class:confidential", {"R5"}),
    ("class:c", {"R5"}),
    ("status:open", {"C1", "A1"}),
    ("owner:alice", {"A1"}),
    ("title:hotline", {"R4", "C1"}),
    ("venue:washington", {"R4"}),
    ("ref:geneva-2024-0042", {"R1"}),
    ("date:2021", {"R8"}),
    ("date:2024-03", {"R1", "R2", "R3"}),
    ("date:2024-03-15", {"R2"}),
    ("date:[2024-06-01 to 2024-06-30]", {"R6"}),
    ("date:[2024-06-30 to 2024-07-01]", {"R6", "R7"}),
    ("date:[to 2021-12-31]", {"R8"}),
    ("due:[2024-09-01 to 2024-09-30]", {"A1"}),
    ("post:(tokyo OR vienna)", {"R5", "R6"}),
])
def test_fields(corpus, query, expected):
    assert set(ids(find(corpus, query))) == expected


@pytest.mark.parametrize("flags, expected", [
    (dict(kind="meeting"), {"R4"}),
    (dict(post="geneva"), {"R1", "R3"}),
    (dict(post="New York"), {"R8"}),
    (dict(dialogue="oewg"), {"R1", "A1"}),
    (dict(party="DE"), {"R2"}),
    (dict(tag="norms"), {"R1"}),
    (dict(since="2024-06-30"), {"R6", "R7", "A1"}),
    (dict(until="2022"), {"R5", "R8"}),
    (dict(since="2024-03-14", until="2024-03-15"), {"R1", "R2"}),
])
def test_flags_filter_without_query(corpus, flags, expected):
    assert set(ids(find(corpus, **flags))) == expected


def test_flags_combine_with_query_and_limit(corpus):
    assert ids(find(corpus, "attribution", post="geneva", kind="report")) in (["R1", "R3"],
                                                                              ["R3", "R1"])
    limited = find(corpus, "attribution", limit=2)
    assert len(limited["hits"]) == 2 and limited["total"] >= 4


@pytest.mark.parametrize("by, expected", [
    ("post", {"Geneva": 2, "Berlin": 1, "(none)": 1}),
    ("tag", {"attribution": 3, "norms": 1, "(none)": 1}),
    ("kind", {"report": 3, "action": 1}),
    ("party", {"CN": 1, "US": 1, "DE": 1, "CH": 1, "(none)": 1}),
    ("year", {"2024": 3, str(dt.date.today().year): 1}),  # an action is dated when created
])
def test_count_by(corpus, by, expected):
    result = find(corpus, "attribution", count_by=by)
    assert result["total"] == 4 and result["hits"] == []
    assert result["count_by"] == by and result["facets"] == expected
    counts = list(result["facets"].values())
    assert counts == sorted(counts, reverse=True)


# --- suggestions -----------------------------------------------------------------------------

@pytest.mark.parametrize("typed, suggested", [
    ("atribution", "attribution"),
    ("ransomwere", "ransomware"),
    ("hotlne post:washington", None),  # would still find nothing: no suggestion
    ("hotlne", "hotline"),
    ("evidense", "evidence"),  # a word found only in bodies, shown as written there
    ("electronc evidence", "electronic evidence"),
])
def test_did_you_mean(corpus, typed, suggested):
    assert find(corpus, typed)["suggestion"] == suggested


def test_no_suggestion_when_words_are_known(corpus):
    assert find(corpus, "hotline")["suggestion"] is None


# --- bad queries -----------------------------------------------------------------------------

@pytest.mark.parametrize("query, message", [
    ('"state behaviour', "unbalanced quote"),
    ("(attribution OR norms", "unbalanced parenthesis"),
    ("attribution)", "unbalanced parenthesis"),
    ("colour:red", "unknown field 'colour:'"),
    ("date:[2024-01-01 to someday]", "cannot read the date 'someday'"),
    ("date:[2024-06-30 to 2024-01-01]", "ends before it starts"),
    ("date:2024-13", "cannot read the date"),
    ("attribution AND", "'AND' needs a term"),
    ("kind:memo", "unknown kind"),
    ("class:topsecret", "unknown classification"),
    ("", "nothing to search for"),
])
def test_bad_queries_raise_with_a_hint(corpus, query, message):
    with pytest.raises(InvalidInput) as info:
        find(corpus, query)
    assert message in str(info.value)


def test_bad_flags(corpus):
    with pytest.raises(InvalidInput, match="cannot read date"):
        find(corpus, "x", since="the other day")
    with pytest.raises(InvalidInput, match="after --until"):
        find(corpus, "x", since="2024", until="2023")
    with pytest.raises(InvalidInput, match="cannot count by"):
        find(corpus, "x", count_by="colour")


@pytest.mark.parametrize("query", ["tag:ab\udcff*", "attrib\udcffution", '"\udcff"',
                                   "post:gen\udcff~"])
def test_text_that_was_not_utf8_finds_nothing_without_failing(corpus, query):
    assert find(corpus, query)["total"] == 0
    assert find(corpus, "x", tag="\udcff")["total"] == 0
    with pytest.raises(NotFound, match="unknown party"):
        find(corpus, "x", party="\udcff")
    with pytest.raises(InvalidInput, match="has no letters or digits"):
        find(corpus, "x", post="\udcff")


def test_only_stop_words_find_nothing(corpus):
    assert find(corpus, "the of and")["total"] == 0


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list('ab:"()[]*~-_ ANDORT\\/é\x00\u202e\udcff0123') +
                                ["post:", "date:", "tag:", "AND ", "OR ", "NOT ", " to ",
                                 "2024", "attribution"]),
                max_size=20).map("".join) | st.text(max_size=30))
def test_arbitrary_text_never_crashes(corpus, text):
    try:
        result = find(corpus, text)
    except InvalidInput as exc:
        assert str(exc)
    else:
        assert isinstance(result["total"], int)


# --- related ---------------------------------------------------------------------------------

def test_related_excludes_self_and_puts_other_posts_first(corpus):
    rows = search.related(corpus, 3, limit=5, notify=lambda m: None)
    found = [r["id"] for r in rows]
    assert "R3" not in found
    assert found[0] == "R2"  # Berlin's report of the same campaign, before Geneva's own R1
    assert all(r["kind"] in ("meeting", "report") for r in rows)
    assert set(rows[0]) == {"id", "kind", "date", "title", "post", "dialogue", "score"}


def test_related_close_match_from_the_same_post_beats_a_loose_one_from_elsewhere(fresh):
    records.add(fresh, kind="report", post="Berlin", date="2024-03-18",
                title="Berlin follow-up: hospitals ransomware campaign attribution",
                body="The joint attribution of the ransomware campaign against hospitals "
                     "was debated in the Bundestag.")
    found = [r["id"] for r in search.related(fresh, 2, limit=4)]
    assert found[:2] == ["R3", "R9"]  # Geneva's close match, then Berlin's own close match


def test_related_limit_and_unknown_record(corpus):
    assert len(search.related(corpus, 1, limit=1)) == 1
    with pytest.raises(NotFound):
        search.related(corpus, 999)


# --- staying in step with the database -------------------------------------------------------

def test_undrained_outbox_is_drained_before_searching(fresh):
    # A process that wrote and died before draining leaves only the queue behind.
    records.add(fresh, kind="report", title="Quantum-safe encryption briefing", post="Paris")
    assert depth(fresh) == 1
    assert ids(find(fresh, "quantum")) == ["R9"]
    assert depth(fresh) == 0


def test_drain_is_idempotent(fresh):
    count = search.doc_count(fresh)
    with write(fresh):
        enqueue(fresh, "R1")
        enqueue(fresh, "R1")
        enqueue(fresh, "C1")
    assert search.sync(fresh) == 2
    assert search.doc_count(fresh) == count
    assert ids(find(fresh, "hotline", kind="meeting")) == ["R4"]


def test_edits_and_deletions_follow(fresh):
    records.update(fresh, 4, title="Red phone exercise")
    search.sync(fresh)
    assert ids(find(fresh, "title:hotline kind:meeting")) == []
    assert ids(find(fresh, "title:phone")) == ["R4"]
    with write(fresh):
        fresh.execute("DELETE FROM record_tags WHERE record_id = 8")
        fresh.execute("DELETE FROM record_parties WHERE record_id = 8")
        fresh.execute("DELETE FROM records WHERE id = 8")
        enqueue(fresh, "R8")
    assert ids(find(fresh, "budapest")) == []


def test_missing_index_is_rebuilt_with_a_notice(fresh):
    import shutil

    before = find(fresh, "attribution")
    shutil.rmtree(search.index_path(fresh))
    notices = []
    after = search.search(fresh, "attribution", notify=notices.append)
    assert ids(after) == ids(before)
    assert len(notices) == 1 and "missing" in notices[0] and "rebuilt" in notices[0]


@pytest.mark.parametrize("damage", ["toc", "segments", "flipped", "current"])
def test_damaged_index_is_rebuilt(fresh, damage):
    before = ids(find(fresh, "attribution"))
    folder = search.index_path(fresh)
    for entry in folder.iterdir():
        if (damage == "toc" and entry.suffix == ".toc") or \
                (damage == "segments" and entry.suffix in (".seg", ".trm", ".pst")):
            entry.write_bytes(b"\x00garbage" * 10)
        if damage == "flipped" and entry.suffix == ".seg":
            # the file opens; the damage only shows when postings are read
            data = bytearray(entry.read_bytes())
            for i in range(len(data) // 4, len(data) // 2):
                data[i] ^= 0x5A
            entry.write_bytes(bytes(data))
    if damage == "current":
        (folder / "CURRENT").write_text("../../etc\n")
    notices = []
    assert ids(search.search(fresh, "attribution", notify=notices.append)) == before
    assert len(notices) == 1 and "rebuilt" in notices[0]
    assert search.doc_count(fresh) == 10


def test_index_from_another_version_is_rebuilt(fresh):
    from whoosh import fields
    from whoosh import index as whoosh_index

    from cablemgr.search import index

    folder = search.index_path(fresh)
    old_schema = fields.Schema(id=fields.ID(stored=True, unique=True), text=fields.TEXT())
    whoosh_index.create_in(str(folder), old_schema, indexname="g000000000old")
    index._set_current(folder, "g000000000old")
    notices = []
    assert ids(search.search(fresh, "hotline", kind="meeting", notify=notices.append)) == ["R4"]
    assert notices == ["Notice: the search index was from another version of cablemgr; "
                       "rebuilt it from the database (10 documents)."]


def test_doc_count_and_status(fresh):
    assert search.doc_count(fresh) == 10  # 8 records, 1 commitment, 1 action
    info = search.status(fresh)
    assert info["ok"] and info["documents"] == 10 and info["problem"] is None


def test_reindex_reports_progress_and_keeps_hits(fresh):
    before = ids(find(fresh, "attribution"))
    seen = []
    stats = search.reindex(fresh, progress=lambda done, total: seen.append((done, total)),
                           optimize=True)
    assert stats["documents"] == 10 and seen[-1] == (10, 10)
    assert ids(find(fresh, "attribution")) == before
    files = {re.match(r"_?(g[0-9a-f]+)_", p.name)[1]
             for p in search.index_path(fresh).iterdir() if p.suffix in (".toc", ".seg")}
    assert len(files) == 1  # the old generation's files are gone


def test_writes_during_a_rebuild_are_kept_for_the_new_index(fresh):
    from whoosh.util.filelock import FileLock

    lock = FileLock(str(search.index_path(fresh) / "rebuild.lock"))
    assert lock.acquire()
    try:
        records.add(fresh, kind="report", title="Submarine cable protection", post="Oslo")
        search.sync(fresh)
        assert ids(find(fresh, "submarine")) == ["R9"]  # visible at once in the live index
        assert depth(fresh) == 1  # but still queued for the generation being built
    finally:
        lock.release()
    search.sync(fresh)
    assert depth(fresh) == 0


def test_busy_index_gives_a_clear_error(fresh, monkeypatch):
    from whoosh.util.filelock import FileLock

    from cablemgr.errors import DatabaseError
    from cablemgr.search import index

    monkeypatch.setattr(index, "LOCK_TIMEOUT", 0.2)
    lock = FileLock(str(search.index_path(fresh) / "write.lock"))
    assert lock.acquire()
    try:
        records.add(fresh, kind="report", title="Queued while locked")
        with pytest.raises(DatabaseError, match="busy in another cablemgr process"):
            search.sync(fresh)
        assert depth(fresh) == 1
    finally:
        lock.release()
    assert ids(find(fresh, "queued locked")) == ["R9"]


WRITER = textwrap.dedent("""
    import sys
    from cablemgr import records, search
    from cablemgr.db import open_db
    db = open_db(sys.argv[1])
    for i in range(int(sys.argv[3])):
        records.add(db, kind="report", title=f"Parallel {sys.argv[2]} number {i}",
                    body="concurrency check", post=sys.argv[2])
        search.sync(db, notify=lambda m: None)
""")


def test_two_processes_writing_at_once(fresh):
    path = str(fresh.path)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, post, "12"], env=env,
                              stderr=subprocess.PIPE, text=True)
             for post in ("Rome", "Madrid")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert find(fresh, "concurrency")["total"] == 24
    assert find(fresh, "concurrency", post="rome")["total"] == 12
    assert search.doc_count(fresh) == 34
    assert depth(fresh) == 0


# --- the commands ----------------------------------------------------------------------------

def invoke(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db.path), *args])


def test_cli_search_pipe_output(corpus):
    result = invoke(corpus, "search", "attribution", "--post", "geneva")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(r"R[13]  2024-03-\d\d  report  Geneva  ", lines[0])
    assert "[[attribution]]" in lines[1].lower()
    assert lines[-1] == "2 hits"


def test_cli_search_json_and_flags(corpus):
    result = invoke(corpus, "search", "attribution", "--kind", "report", "--since", "2024-03-15",
                    "--until", "2024-03-31", "--party", "de", "--tag", "attribution",
                    "--limit", "5", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [h["id"] for h in data["hits"]] == ["R2"] and data["total"] == 1
    result = invoke(corpus, "search", "--dialogue", "oewg", "--json")
    assert {h["id"] for h in json.loads(result.stdout)["hits"]} == {"R1", "A1"}


def test_cli_suggestion_and_count_by(corpus):
    result = invoke(corpus, "search", "atribution")
    assert result.exit_code == 0
    assert "Did you mean: attribution" in result.stderr
    assert result.stdout.strip() == "0 hits"
    result = invoke(corpus, "search", "attribution", "--count-by", "post")
    assert result.stdout.splitlines() == ["POST    COUNT", "Geneva  2", "Berlin  1",
                                          "(none)  1", "4 matches"]


@pytest.mark.parametrize("args, message", [
    (["search", '"open quote'], "Error: unbalanced quote in the query."),
    (["search", "colour:red"], "Error: unknown field 'colour:' in the query."),
    (["search", "x", "--since", "whenever"], "Error: cannot read date 'whenever'."),
    (["related", "D1"], "Error: 'D1' is not a record id"),
    (["related", "R99"], "Error: no record R99"),
])
def test_cli_errors_are_one_line(corpus, args, message):
    result = invoke(corpus, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_cli_related_and_reindex(fresh):
    result = invoke(fresh, "related", "R3", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["id"] == "R2"
    assert invoke(fresh, "related", "3", "--limit", "1").stdout.splitlines()[1].startswith("R2")
    result = invoke(fresh, "reindex", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"] == 10
    result = invoke(fresh, "reindex", "--optimize")
    assert result.stdout.startswith("Indexed 10 documents in ")


def test_help_does_not_load_whoosh():
    code = ("import sys, cablemgr.cli, cablemgr.search, cablemgr.cli.search; "
            "assert not [m for m in sys.modules if m.startswith('whoosh')]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_on_a_terminal_shows_bold_and_a_progress_bar(fresh, monkeypatch):
    import cablemgr.cli.search as cli_search

    monkeypatch.setattr(cli_search, "is_terminal", lambda: True)
    result = CliRunner().invoke(cli, ["--db", str(fresh.path), "search", "hotline"], color=True)
    assert result.exit_code == 0, result.output
    assert "\x1b[1mhotline\x1b[0m" in result.stdout.lower() and "[[" not in result.stdout
    result = CliRunner().invoke(cli, ["--db", str(fresh.path), "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing" in result.stderr and result.stdout.startswith("Indexed 10 documents")


def test_render_marks():
    text = "the [[hotline]] and [[points]] of contact"
    assert search.render_marks(text) == text
    assert search.render_marks(text, str.upper) == "the HOTLINE and POINTS of contact"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_parser_reads_or_refuses_any_text(text):
    from cablemgr.search import query

    try:
        query.parse(text)
    except InvalidInput as exc:
        assert str(exc) and "\n" not in str(exc)


def test_a_large_queue_is_drained_in_one_go(tmp_path):
    db = open_db(tmp_path / "bulk.db", create=True)
    search.sync(db)
    with write(db):
        for n in range(1, 1201):
            db.execute("INSERT INTO records (uid, kind, title, body, content_hash, created_at, "
                       "updated_at) VALUES (?, 'report', ?, 'bulk body', '', "
                       "'2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
                       (f"uid-{n}", f"Bulk record {n}"))
            enqueue(db, f"R{n}")
    assert search.sync(db) == 1200
    assert search.doc_count(db) == 1200 and depth(db) == 0
    assert find(db, "bulk")["total"] == 1200
    assert find(db, '"record 1200"')["hits"][0]["id"] == "R1200"


def test_filtered_totals_count_every_match(tmp_path, monkeypatch):
    # Whoosh drops the parts of a query that can no longer reach the top hits (a word found
    # only in bodies, once a title scores higher); the total must still count their documents.
    # Whoosh does this in segments of over 5,000 documents, which this makes of any segment.
    from whoosh import query as wq

    monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
    db = open_db(tmp_path / "many.db", create=True)
    for n in range(60):
        in_title = n % 10 == 5  # reports, each scoring above every report before it
        records.add(db, kind="report" if n % 2 else "meeting", date="2024-05-01",
                    title="Minister" if in_title else f"Visit {n}",
                    body="Talks." if in_title else f"The minister spoke at session {n}. "
                                                  + "Delegates debated norms at length. " * 40)
    search.sync(db)
    assert find(db, "minister", limit=1)["total"] == 60
    assert find(db, "minister", kind="report", limit=1)["total"] == 30
    assert find(db, "minister", since="2024", limit=1)["total"] == 60
    assert find(db, "minister", kind="report", limit=100)["total"] == 30
    db.close()


def test_totals_are_exact_when_whoosh_skips_blocks(tmp_path, monkeypatch):
    # Posting lists of several blocks let Whoosh skip the ones that cannot reach the top
    # hits; a date range (a constant-score query) then left the total short. (As above, the
    # patch makes this small index's queries match as a large one's do.)
    from whoosh import query as wq

    monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
    db = open_db(tmp_path / "blocks.db", create=True)
    for n in range(600):
        records.add(db, kind="report", date="2024-05-01" if n % 2 else "2023-05-01",
                    title="Ransomware" if n % 50 == 49 else f"Cable {n}",
                    body="Ransomware " * (1 + n % 7) + "struck the ministry.")
    search.sync(db)
    assert find(db, "ransomware date:2024", limit=1)["total"] == 300
    assert find(db, "ransomware", since="2024", limit=1)["total"] == 300
    db.close()
