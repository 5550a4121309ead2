"""The index schema: its fields and their analyzers.

Indexing speed is what a bulk import waits for, and Whoosh 2.7 (pure Python, no longer
released) spends much of it analysing text: ``StemmedText`` turns text into terms in one pass
instead of through the analyzer chain. The other places Whoosh is made faster are in
``patches``, applied whenever the schema is imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pickle import dumps
from typing import Any

from whoosh import analysis, fields
from whoosh.analysis.filters import STOP_WORDS
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang.porter import stem as porter_stem
from whoosh.system import pack_uint

from cablemgr.search import patches

STEM = analysis.StemmingAnalyzer(cachesize=-1)
PLAIN = analysis.RegexTokenizer() | analysis.LowercaseFilter()

WORD = default_pattern  # what a word is, for indexing and for snippets
_WHOLE_WORD = re.compile(r"\w+(?:\.?\w+)*")  # the same, with findall returning whole words
_MIN_LENGTH = 2  # StemmingAnalyzer's StopFilter drops one-letter words too
# word -> stem, shared by every StemmedText field of the process (a few MB for a large corpus)
_stems: dict[str, str] = {}


def index_term(word: str) -> str | None:
    """The term a lower-cased word is indexed as in a StemmedText field; None if it is not:
    stop words and one-letter words are dropped, the rest Porter-stemmed (cached)."""
    if len(word) < _MIN_LENGTH or word in STOP_WORDS:
        return None
    stemmed = _stems.get(word)
    if stemmed is None:
        stemmed = _stems[word] = porter_stem(word)
    return stemmed


class StemmedText(fields.TEXT):
    """A TEXT field analysed by ``STEM`` whose terms are produced in one pass at index time.

    ``STEM`` passes every word through four generators and a shared Token object; that chain
    was a third of indexing time. ``index`` does the same steps in one loop: tokenise,
    lower-case, then ``index_term`` for each word. It yields the same terms, frequencies and
    positions as ``TEXT(analyzer=STEM)`` (a test compares the two), including the stop filter's
    numbering: the first kept word keeps its place, later ones follow it without gaps.
    Queries and spelling still go through ``STEM`` itself; snippets use ``index_term``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(analyzer=STEM, **kwargs)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if kwargs or not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        positions: dict[str, list[int]] = {}
        pos = -1
        first = True
        if "\u0130" in value:
            # İ is the one character whose lower case (i and a combining dot) splits a word
            words = [match.group().lower() for match in WORD.finditer(value)]
        else:
            # lower-casing first moves no word's edges, and findall hands back strings
            words = _WHOLE_WORD.findall(value.lower())
        for number, word in enumerate(words):
            stemmed = index_term(word)
            if stemmed is None:
                continue
            pos = number if first else pos + 1
            first = False
            if stemmed in positions:
                positions[stemmed].append(pos)
            else:
                positions[stemmed] = [pos]
        boost = self.format.field_boost
        for term, places in positions.items():
            # what Positions.encode writes (the count, then the pickled gaps between places)
            gaps = [b - a for a, b in zip([0, *places], places, strict=False)]
            count = len(places)
            yield term.encode("utf-8"), count, count * boost, pack_uint(count) + dumps(gaps, 2)


SCHEMA = fields.Schema(
    id=fields.ID(stored=True, unique=True),
    kind=fields.ID(stored=True, sortable=True),
    # Titles keep their words as typed (spell_title) for "did you mean"; bodies do not, as
    # that would cost 40% of indexing speed: body suggestions are rebuilt from stems instead.
    title=StemmedText(stored=True, spelling=True),
    body=StemmedText(),
    # post, venue, dialogue, parties, tags, reference, author: found by unfielded words
    meta=StemmedText(),
    post=fields.TEXT(analyzer=PLAIN, stored=True),
    post_name=fields.ID(sortable=True),
    venue=fields.TEXT(analyzer=PLAIN),
    dialogue=fields.TEXT(analyzer=PLAIN, stored=True),
    tag=fields.KEYWORD(lowercase=True, commas=True),
    party=fields.KEYWORD(lowercase=True, commas=True),
    party_code=fields.KEYWORD(commas=True),
    classification=fields.ID(),
    status=fields.ID(),
    owner=fields.TEXT(analyzer=PLAIN),
    ref=fields.KEYWORD(lowercase=True, commas=True),
    date=fields.ID(stored=True, sortable=True),
    year=fields.ID(sortable=True),
    month=fields.ID(),
    due=fields.ID(),
)


patches.apply()
