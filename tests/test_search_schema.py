"""The one-pass StemmedText field must index exactly what Whoosh's own analyzer chain does:
the same terms, frequencies, weights and positions, so phrases and scores do not change."""

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields

from cablemgr.search.schema import STEM, StemmedText

CHAIN = fields.TEXT(analyzer=STEM)
FAST = StemmedText()

# words that exercise each step: stop words first and between, one-letter words, dotted
# abbreviations, digits, accents, underscores, punctuation, upper case and the dotted İ
WORDS = ["The", "a", "of", "İstanbul", "İ", "secretary", "State", "U.S.", "e.g.", "x", "2024",
         "Café", "naïve", "ratification", "ratified", "snake_case", "—", "it's", "I",
         "cyber-attack", "confidence-building", "OSCE", "measures", "and", "is", "points",
         "contact", "\n"]


def _postings(field, text):
    return list(field.index(text))


@given(st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_same_postings_as_the_analyzer_chain_on_field_words(text):
    assert _postings(FAST, text) == _postings(CHAIN, text)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_same_postings_as_the_analyzer_chain_on_any_text(text):
    assert _postings(FAST, text) == _postings(CHAIN, text)


def test_positions_follow_the_stop_filter_numbering():
    # "the" and "of" are dropped; the first kept word keeps its place (1), then no gaps
    text = "The Secretary of State met the Secretary"
    postings = {term: freq for term, freq, _, _ in _postings(FAST, text)}
    assert postings == {b"secretari": 2, b"state": 1, b"met": 1}
    assert _postings(FAST, text) == _postings(CHAIN, text)


def test_field_boost_is_kept_in_the_weights():
    boosted, chain = StemmedText(field_boost=2.0), fields.TEXT(analyzer=STEM, field_boost=2.0)
    text = "attribution attribution of ransomware"
    assert _postings(boosted, text) == _postings(chain, text)
    assert dict((t, w) for t, _, w, _ in _postings(boosted, text))[b"attribut"] == 4.0


def test_lengths_read_whole_match_whooshs_own(tmp_path):
    from whoosh import index as whoosh_index
    from whoosh.codec.whoosh3 import W3PerDocReader

    from cablemgr.search.schema import SCHEMA

    ix = whoosh_index.create_in(str(tmp_path), SCHEMA)
    writer = ix.writer()
    texts = ["", "ransomware", "the secretary of state " * 40, "attribution " * 300, "x y z"]
    for number, text in enumerate(texts * 3):
        writer.add_document(id=f"R{number}", kind="report", title=text or "untitled",
                            body=text, meta="geneva")
    writer.commit()
    patched = W3PerDocReader.doc_field_length
    original = patched.whoosh_original
    with ix.reader() as reader:
        per_doc = reader._perdoc  # one segment: the reader is that segment's
        for docnum in range(len(texts) * 3):
            for field in ("title", "body", "meta", "post", "id"):
                assert patched(per_doc, docnum, field) == original(per_doc, docnum, field)
        assert patched(per_doc, 3, "body") >= 256  # long fields are stored approximately


@given(st.binary(max_size=300), st.lists(st.tuples(st.sampled_from(["read", "readline", "seek"]),
                                                   st.integers(-5, 320)), max_size=20))
@settings(max_examples=300, deadline=None)
def test_segment_files_read_in_place_read_like_bytesio(data, steps):
    from io import BytesIO

    from cablemgr.search.patches import _MemoryFile

    mine, theirs = _MemoryFile(data), BytesIO(data)
    for op, n in steps:
        if op == "seek":
            n = max(n, 0)
            assert mine.seek(n) == theirs.seek(n)
        else:
            assert getattr(mine, op)(n) == getattr(theirs, op)(n)
        assert mine.tell() == theirs.tell()


def test_segment_files_hold_pickles_and_are_not_copied():
    import pickle

    from whoosh.filedb.structfile import BufferFile

    payload = {"terms": ["attribut", "ransomwar"], "count": 3}
    raw = bytearray(b"header" + pickle.dumps(payload, protocol=0) + pickle.dumps(payload))
    f = BufferFile(memoryview(raw))
    f.seek(6)
    assert f.read_pickle() == payload and f.read_pickle() == payload
    raw[0:6] = b"HEADER"  # a view, not a copy: the file sees the buffer as it is now
    f.seek(0)
    assert f.read(6) == b"HEADER"


posting = st.tuples(st.sampled_from(["body", "title"]), st.binary(max_size=6),
                    st.integers(0, 10**6), st.floats(0, 10), st.one_of(st.none(), st.binary()))


@given(st.lists(posting, max_size=300, unique_by=lambda p: p[:3]), st.integers(1, 40))
@settings(max_examples=150, deadline=None)
def test_spilled_runs_come_back_sorted_and_whole(items, run_size):
    from whoosh.externalsort import SortingPool

    pool = SortingPool(maxsize=run_size)  # a run on disk every run_size postings
    for item in items:
        pool.add(item)
    assert list(pool.items()) == sorted(items)


def test_a_build_that_spills_finds_what_one_that_does_not_finds(tmp_path):
    from whoosh import index as whoosh_index
    from whoosh.query import Term

    from cablemgr.search.schema import SCHEMA

    words = "attribution ransomware hotline norms treaty consultations".split()
    found = []
    for limitmb in (0.01, 64):  # 10 KB: dozens of runs on disk; 64 MB: none
        folder = tmp_path / str(limitmb)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), SCHEMA)
        writer = ix.writer(limitmb=limitmb)
        for n in range(200):
            writer.add_document(id=f"R{n}", kind="report", title=words[n % 6],
                                body=" ".join(words[(n * k) % 6] for k in range(n % 13)))
        writer.commit()
        with ix.searcher() as s:
            found.append({term: sorted(hit["id"] for hit in s.search(Term("body", term),
                                                                      limit=None))
                          for term in s.lexicon("body")})
    assert found[0] == found[1] and len(found[0]) == 6


@given(st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join),
       st.sets(st.sampled_from(WORDS)))
@settings(max_examples=300, deadline=None)
def test_snippet_tokens_match_what_the_analyzer_chain_marks(text, query_words):
    from whoosh import highlight

    from cablemgr.search.engine import _marked_tokens
    from cablemgr.search.schema import index_term

    words = {term for w in query_words if (term := index_term(w.lower()))}
    chain = highlight.set_matched_filter(
        STEM(text, positions=True, chars=True, mode="query", removestops=False), words)
    expected = [(t.startchar, t.endchar, t.matched, t.matched and t.text) for t in chain]
    assert [(t.startchar, t.endchar, t.matched, t.matched and t.text)
            for t in _marked_tokens(text, words)] == expected
