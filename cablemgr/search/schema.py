"""The index schema: its fields, their analyzers, and the two places Whoosh is made faster.

Indexing speed is what a bulk import waits for, and Whoosh 2.7 (pure Python, no longer
released) spends most of it in two avoidable places, each handled here:

- ``StemmedText`` turns text into terms in one pass instead of through the analyzer chain;
- ``_remember_missing_lengths`` stops a file-system check per posting while a segment is written;
- ``_read_lengths_whole`` reads a field's per-document lengths once instead of once per posting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import analysis, fields
from whoosh.analysis.filters import STOP_WORDS
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang.porter import stem as porter_stem

STEM = analysis.StemmingAnalyzer(cachesize=-1)
PLAIN = analysis.RegexTokenizer() | analysis.LowercaseFilter()

_WORD = default_pattern
_MIN_LENGTH = 2  # StemmingAnalyzer's StopFilter drops one-letter words too
# word -> stem, shared by every StemmedText field of the process (a few MB for a large corpus)
_stems: dict[str, str] = {}


class StemmedText(fields.TEXT):
    """A TEXT field analysed by ``STEM`` whose terms are produced in one pass at index time.

    ``STEM`` passes every word through four generators and a shared Token object; that chain
    was a third of indexing time. ``index`` does the same steps inline: tokenise, lower-case,
    drop stop words and one-letter words, Porter-stem. It yields the same terms, frequencies and
    positions as ``TEXT(analyzer=STEM)`` (a test compares the two), including the stop filter's
    numbering: the first kept word keeps its place, later ones follow it without gaps.
    Queries, snippets and spelling still go through ``STEM`` itself.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(analyzer=STEM, **kwargs)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if kwargs or not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        stems = _stems
        positions: dict[str, list[int]] = {}
        pos = -1
        first = True
        for number, match in enumerate(_WORD.finditer(value)):
            word = match.group().lower()
            if len(word) < _MIN_LENGTH or word in STOP_WORDS:
                continue
            stemmed = stems.get(word)
            if stemmed is None:
                stemmed = stems[word] = porter_stem(word)
            pos = number if first else pos + 1
            first = False
            if stemmed in positions:
                positions[stemmed].append(pos)
            else:
                positions[stemmed] = [pos]
        encode = self.format.encode
        boost = self.format.field_boost
        for term, places in positions.items():
            yield term.encode("utf-8"), len(places), len(places) * boost, encode(places)


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


def _remember_missing_lengths() -> None:
    """Make Whoosh remember that a field has no lengths file.

    While writing a segment, Whoosh 2.7 asks the file system whether a lengths file exists
    for every single posting of a field that has none (ids, keywords, the spelling words),
    which made writing the index about half as fast as it needs to be. The answer cannot
    change while a segment reader is open (segments are immutable), so caching it is safe.
    """
    from whoosh.codec import whoosh3

    cls = whoosh3.W3PerDocReader
    original = getattr(cls, "_cached_reader", None)
    if original is None or getattr(original, "cablemgr_cached", False):
        return

    def cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        readers = self._readers
        if fieldname not in readers:
            readers[fieldname] = original(self, fieldname, column)
        return readers[fieldname]

    cached_reader.cablemgr_cached = True  # type: ignore[attr-defined]
    cls._cached_reader = cached_reader


_remember_missing_lengths()


def _read_lengths_whole() -> None:
    """Read each field's length column whole, on first use, instead of one seek per posting.

    Writing a segment asks for the length of the field in the document of every posting (two
    million calls for 10,000 reports), and Whoosh answers each with a seek and a one-byte read
    of the column it has just written: a tenth of indexing time. The column holds one byte per
    document (113 KB for the largest benchmark index), so reading it once costs less than a
    hundred of those reads, at search time too. Columns of another shape keep Whoosh's path.
    """
    from whoosh.codec import whoosh3

    cls = whoosh3.W3PerDocReader
    original = cls.doc_field_length
    if getattr(original, "cablemgr_whole", False):
        return
    to_length = whoosh3.byte_to_length
    lengths_column = whoosh3.LENGTHS_COLUMN
    lenfield = whoosh3._lenfield

    def doc_field_length(self: Any, docnum: int, fieldname: str, default: int = 0) -> Any:
        columns = self.__dict__.setdefault("_cablemgr_lengths", {})
        column = columns.get(fieldname, False)
        if column is False:
            reader = self._cached_reader(lenfield(fieldname), lengths_column)
            if reader is None:
                column = None
            elif getattr(reader, "_fixedlen", None) == 1:
                column = reader._dbfile.get(reader._basepos, reader._count)
            else:
                column = "whoosh"
            columns[fieldname] = column
        if column == "whoosh":
            return original(self, docnum, fieldname, default)
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        if column is None:
            return default
        lbyte = column[docnum] if docnum < len(column) else 0
        return to_length(lbyte) if lbyte else None

    doc_field_length.cablemgr_whole = True  # type: ignore[attr-defined]
    doc_field_length.whoosh_original = original  # type: ignore[attr-defined]
    cls.doc_field_length = doc_field_length


_read_lengths_whole()
