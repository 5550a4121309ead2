"""Running queries: ranked hits with snippets, facet counts, "did you mean", related records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from whoosh import collectors, highlight, scoring, sorting
from whoosh import query as wq
from whoosh.analysis import Token

from cablemgr.errors import InvalidInput, NotFound
from cablemgr.search import documents
from cablemgr.search import query as qmod
from cablemgr.search.index import Notify, is_damage, open_index, rebuild_if_broken, sync
from cablemgr.search.schema import WORD, index_term

if TYPE_CHECKING:
    from sqlite_utils import Database

COUNT_BY = {"post": "post_name", "tag": "tag", "kind": "kind", "party": "party_code",
            "year": "year"}
# Below this many hits a misspelling is the likely reason, so the speller is consulted.
FEW_HITS = 3
MARK_OPEN, MARK_CLOSE = "[[", "]]"
_TEXT_FIELDS = ("title", "body", "meta")
_SNIPPET_CHARS = 220
_WINDOW = 1500
# how many of the most frequent near stems are turned back into words and compared
_SUGGEST_CANDIDATES = 8
# related records scoring at least this share of the best one count as close matches
_CLOSE = 0.5


class _Marker(highlight.Formatter):
    """Marks matched words as [[word]]; the CLI turns the marks into bold on a terminal."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"{MARK_OPEN}{highlight.get_text(text, token, replace)}{MARK_CLOSE}"


def _weighting() -> Any:
    # BM25F with stronger length normalisation on titles: a word in a short title says more
    return scoring.BM25F(B=0.75, K1=1.2, title_B=0.9)


def _with_repair(db: Database, notify: Notify | None, run: Any) -> Any:
    """Run ``run(index)``; a damaged index is rebuilt once and the run repeated."""
    ix = open_index(db, notify)
    try:
        return run(ix)
    except Exception as exc:
        if not is_damage(exc):
            raise
        rebuild_if_broken(db, exc, notify, failed=ix.indexname)
        return run(open_index(db, notify))


def search(db: Database, query: str, *, kind: str | None = None, post: str | None = None,
           dialogue: str | None = None, party: str | None = None, tag: str | None = None,
           since: Any = None, until: Any = None, limit: int = 20,
           count_by: str | None = None, notify: Notify | None = None) -> dict[str, Any]:
    """Search the index; see ``cablemgr.search`` for the result's shape."""
    if limit is None or int(limit) < 1:
        raise InvalidInput("--limit must be 1 or more")
    if count_by is not None and count_by not in COUNT_BY:
        raise InvalidInput(f"cannot count by '{count_by}'. Use one of: {', '.join(COUNT_BY)}")
    text = query or ""
    parsed = qmod.parse(text)
    filt = qmod.filters(kind=kind, post=post, dialogue=dialogue, party=party, tag=tag,
                        since=since, until=until)
    q = parsed.query
    if q is None:
        if not text.strip() and filt is None:
            raise InvalidInput("nothing to search for. Give words, a field such as post:geneva, "
                               "or a filter such as --kind report")
        if text.strip():
            # only stop words or punctuation: nothing can match
            return _empty(text, count_by)
        q = wq.Every()
    sync(db, notify)

    def run(ix: Any) -> dict[str, Any]:
        with ix.searcher(weighting=_weighting()) as searcher:
            if count_by:
                return _facets(searcher, text, q, filt, count_by)
            return _hits(db, searcher, text, parsed, q, filt, int(limit))

    return _with_repair(db, notify, run)


def _empty(text: str, count_by: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"query": text, "total": 0, "hits": [], "suggestion": None}
    if count_by:
        out.update({"count_by": count_by, "facets": {}})
    return out


def _hits(db: Database, searcher: Any, text: str, parsed: qmod.Parsed, q: Any, filt: Any,
          limit: int) -> dict[str, Any]:
    q = qmod.expand_fuzzy(q, searcher.reader())
    results = _top(searcher, q, filt, limit)
    total = len(results)
    rows = []
    for hit in results:
        stored = hit.fields()
        rows.append({"id": stored["id"], "kind": stored["kind"], "date": stored.get("date"),
                     "title": stored.get("title", ""), "post": stored.get("post"),
                     "dialogue": stored.get("dialogue"), "score": round(hit.score, 4),
                     "snippet": ""})
    if rows:
        # the query's words as indexed (prefixes and fuzzy words expanded), for marking;
        # cheaper than having Whoosh record the matched terms of every matching document
        words = _query_words(q, searcher.reader())
        texts = documents.bodies(db, [row["id"] for row in rows])
        for row in rows:
            row["snippet"] = snippet(texts.get(row["id"], ""), words)
    suggestion = None
    if total < FEW_HITS and parsed.words:
        suggestion = _suggest(db, searcher, text, parsed, filt, total)
    return {"query": text, "total": total, "hits": rows, "suggestion": suggestion}


def _top(searcher: Any, q: Any, filt: Any, limit: int) -> Any:
    """The best ``limit`` hits of ``q`` within ``filt``; ``len()`` of the result counts all.

    Whoosh's own shortcuts miscount. Skipping blocks of postings that cannot reach the top
    hits leaves the total to a second pass that ignores the filter, or to no pass at all when
    the last matcher cannot skip (``ransomware date:2024`` counted 398 of 1,933 at 100,000
    records); dropping the parts of a query that can no longer reach the top hits (a word
    only in bodies, once titles score higher) leaves their documents out. Scoring every match
    in one pass is exact, and on the 100,000-record index about as fast overall.
    """
    collector = collectors.TopCollector(limit=limit, usequality=False, replace=0)
    if filt is not None:
        collector = collectors.FilterCollector(collector, allow=filt)
    searcher.search_with_collector(q, collector)
    return collector.results()


def _query_words(q: Any, reader: Any) -> set[str]:
    # Query.existing_terms would do, but in Whoosh 2.7 it skips every field after the first
    # (a loop variable shadows its ``fieldname`` argument).
    words = set()
    for leaf in q.leaves():
        for field, term in leaf.expanded_terms(reader, phrases=True):
            if field in _TEXT_FIELDS:
                words.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    return words


def snippet(text: str, words: set[str]) -> str:
    """Up to two passages of ``text`` around matched words, marked; else its opening."""
    if not text:
        return ""
    marked = ""
    if words:
        # Analysing a whole long cable for every hit is the slow part of a search; a regular
        # expression finds where the words may occur (a stem less its last letter is a prefix
        # of nearly every word it stems from: whal- for whaling/whale) and only a window
        # around that is analysed.
        heads = {w[:-1] if len(w) > 4 else w for w in words}
        alternatives = "|".join(re.escape(w) for w in sorted(heads, key=len, reverse=True))
        fragmenter = highlight.ContextFragmenter(maxchars=_SNIPPET_CHARS, surround=60)
        for tries, found in enumerate(re.finditer(rf"\b(?:{alternatives})", text, re.I)):
            begin = max(0, found.start() - _WINDOW // 3)
            window = text[begin:begin + _WINDOW]
            marked = _mark(window, words, fragmenter)
            if marked or tries >= 4:
                break
        if marked and begin > 0:
            marked = "… " + marked
    if not marked:
        flat = " ".join(text.split())
        if len(flat) <= _SNIPPET_CHARS:
            return flat
        return flat[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return " ".join(marked.split())


def _mark(text: str, words: set[str], fragmenter: Any) -> str:
    """The two best passages of ``text`` with ``words`` marked.

    Whoosh's own ``highlight`` breaks ties between equally good passages by object id, so
    the same search could show different snippets; here the earlier passage wins.
    """
    fragments = list(fragmenter.fragment_tokens(text, _marked_tokens(text, words)))
    scorer = highlight.BasicFragmentScorer()
    scored = sorted(((scorer(f), f.startchar, f) for f in fragments),
                    key=lambda item: (-item[0], item[1]))
    best = sorted((f for score, _, f in scored[:2] if score >= 1), key=lambda f: f.startchar)
    return _Marker()(text, best) if best else ""


def _marked_tokens(text: str, words: set[str]) -> Iterator[Token]:
    """The words of ``text`` as the highlighter reads them, matched when indexed as one of
    ``words``: in one pass, where running the ``STEM`` chain took a third of a search."""
    # Stemming changes at most a word's last letter (ponies: poni), so a word can only be
    # indexed as one of ``words`` if it starts with one of them less that letter.
    heads = tuple({w[:-1] or w for w in words})
    token = Token(chars=True)  # one token, updated in place, as Whoosh's analyzers do
    for found in WORD.finditer(text):
        word = found.group().lower()
        term = index_term(word) if word.startswith(heads) else None
        token.matched = term in words
        token.text = term if token.matched else word
        token.startchar, token.endchar = found.span()
        yield token


def _suggest(db: Database, searcher: Any, text: str, parsed: qmod.Parsed, filt: Any,
             total: int) -> str | None:
    """The query with unknown words replaced by the closest indexed words, if that finds more."""
    reader = searcher.reader()
    replaced = text
    changed = False
    # right to left so earlier offsets stay valid as words change length
    for token in sorted(parsed.words, key=lambda t: t.start, reverse=True):
        word = token.text.lower()
        if not word.isalpha() or len(word) < 3 or _known(reader, word):
            continue
        better = _closest(db, searcher, word)
        if better:
            replaced = replaced[:token.start] + better + replaced[token.end:]
            changed = True
    if not changed:
        return None
    again = qmod.parse(replaced).query
    if again is None:
        return None
    again = qmod.expand_fuzzy(again, reader)
    found = _top(searcher, again, filt, 1)
    return replaced if len(found) > total else None


def _known(reader: Any, word: str) -> bool:
    root = qmod.stem(word)
    return any(reader.doc_frequency(field, root) for field in ("body", "title", "meta"))


def _closest(db: Database, searcher: Any, word: str) -> str | None:
    """The indexed word nearest to ``word`` as typed (at most two edits), the most used one
    among equals.

    The index holds stems, and a typo often sits in the part stemming cuts off (evidense:
    stem "evidens", far from "evid"), so candidates are stems near the word's stem or near
    its first letters; each is then turned back into a word someone wrote, and those words
    are compared with what was typed.
    """
    reader = searcher.reader()
    root = qmod.stem(word)
    typed: dict[str, str] = {}  # stem -> a title word with that stem
    for title_word in reader.terms_within("spell_title", word, 2, prefix=1):
        typed.setdefault(qmod.stem(title_word), title_word)
    candidates = set(typed) | set(reader.terms_within("body", root, 2, prefix=1))
    for length in range(max(4, len(word) - 3), len(word)):
        candidates.update(reader.terms_within("body", word[:length], 1, prefix=1))
    candidates.discard(root)
    freq = {c: reader.doc_frequency("body", c) + reader.doc_frequency("title", c)
            for c in candidates}
    best: tuple[int, int, str] | None = None
    for candidate in sorted(freq, key=lambda c: (-freq[c], c))[:_SUGGEST_CANDIDATES]:
        shown = typed.get(candidate) or _surface(db, searcher, candidate, word)
        key = (_edits(shown, word), -freq[candidate], shown)
        if key[0] <= 2 and shown != word and (best is None or key < best):
            best = key
    return best[2] if best else None


def _edits(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (cabel → cable)."""
    table = [list(range(len(b) + 1))] + [[i] + [0] * len(b) for i in range(1, len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,
                              table[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


def _surface(db: Database, searcher: Any, root: str, typed: str) -> str:
    """The word with stem ``root`` closest to ``typed``, from a title or else a body."""
    reader = searcher.reader()
    head = root[:-1] if len(root) > 4 else root
    words = set()
    for term in reader.expand_prefix("spell_title", head):
        words.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    if not words:
        doc_id = searcher.stored_fields(reader.postings("body", root).id())["id"]
        body = documents.bodies(db, [doc_id]).get(doc_id, "")
        words = {m[0].lower() for m in re.finditer(rf"\b{re.escape(head)}\w*", body, re.I)}
    words = {w for w in words if qmod.stem(w) == root}
    return min(words, key=lambda w: (_edits(w, typed), w)) if words else root


def _facets(searcher: Any, text: str, q: Any, filt: Any, count_by: str) -> dict[str, Any]:
    q = qmod.expand_fuzzy(q, searcher.reader())
    field = COUNT_BY[count_by]
    facet = sorting.FieldFacet(field, allow_overlap=field in ("tag", "party_code"))
    results = searcher.search(q, filter=filt, limit=1, groupedby={count_by: facet},
                              maptype=sorting.Count, scored=False, optimize=False)
    counts: dict[str, int] = {}
    for key, count in results.groups(count_by).items():
        if isinstance(key, bytes):
            key = key.decode("utf-8")
        label = key if key not in (None, "") else "(none)"
        counts[label] = counts.get(label, 0) + count
    ordered = dict(sorted(counts.items(),
                          key=lambda kv: (-kv[1], kv[0] == "(none)", kv[0].lower())))
    return {"query": text, "total": len(results), "hits": [], "suggestion": None,
            "count_by": count_by, "facets": ordered}


def related(db: Database, record_number: int, limit: int = 5,
            notify: Notify | None = None) -> list[dict[str, Any]]:
    """Records about the same thing, other posts first; never the record itself."""
    if limit < 1:
        raise InvalidInput("--limit must be 1 or more")
    doc_id = f"R{int(record_number)}"
    source = documents.load(db, [doc_id])[doc_id]
    if source is None:
        raise NotFound(f"no record {doc_id}")
    sync(db, notify)
    text = f"{source['title']} {source['title']} {source['body']}"
    own_post = (source["post"] or "").strip().lower()

    def run(ix: Any) -> list[dict[str, Any]]:
        with ix.searcher(weighting=_weighting()) as searcher:
            keys = searcher.key_terms_from_text("body", text, numterms=15, normalize=True)
            if not keys:
                return []
            q = wq.Or([wq.Term(field, word, boost=weight)
                       for word, weight in keys for field in ("body", "title")])
            mask = {n for n in [searcher.document_number(id=doc_id)] if n is not None}
            only_records = wq.Or([wq.Term("kind", "meeting"), wq.Term("kind", "report")])
            results = searcher.search(q, filter=only_records, mask=mask or None,
                                      limit=max(limit * 4, 20))
            rows = [{"id": hit["id"], "kind": hit["kind"], "date": hit.get("date"),
                     "title": hit.get("title", ""), "post": hit.get("post"),
                     "dialogue": hit.get("dialogue"), "score": round(hit.score, 4)}
                    for hit in results if hit["id"] != doc_id]
            # "Who else reported on this?": among the close matches another post's view comes
            # before our own post's; a loose match from elsewhere does not outrank a close one
            # from here.
            best = rows[0]["score"] if rows else 0
            rows.sort(key=lambda r: (r["score"] < best * _CLOSE,
                                     (r["post"] or "").strip().lower() == own_post != ""))
            return rows[:limit]

    return _with_repair(db, notify, run)

