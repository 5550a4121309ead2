"""The query language, read by a small parser of our own into Whoosh query objects.

Whoosh's own parser forgives everything (an unbalanced quote silently becomes a word); people
searching official records need to be told when a query is not what they think it is, so the
grammar below refuses what it cannot read, with a hint.

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*
    not     := "NOT" not | "-" atom | atom
    atom    := "(" or ")" | FIELD ":" "(" or ")" | [FIELD ":"] value
    value   := word | word* | word~[N] | "a phrase" | [date to date]
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date as _date
from datetime import timedelta as _timedelta
from typing import Any

from whoosh import query as wq
from whoosh.lang.porter import stem as porter_stem

from cablemgr.classification import parse_level
from cablemgr.dates import parse_date
from cablemgr.errors import InvalidInput
from cablemgr.search.schema import PLAIN, STEM

KINDS = ("meeting", "report", "commitment", "action")
# unfielded words search these, title weighted over the rest
DEFAULT_FIELDS = {"title": 3.0, "meta": 1.5, "body": 1.0}
# field name in a query -> (index field, how its values are read)
FIELDS = {
    "title": ("title", "stem"), "body": ("body", "stem"),
    "post": ("post", "plain"), "venue": ("venue", "plain"),
    "dialogue": ("dialogue", "plain"), "owner": ("owner", "plain"),
    "kind": ("kind", "kind"), "tag": ("tag", "keyword"), "party": ("party", "keyword"),
    "class": ("classification", "class"), "status": ("status", "keyword"),
    "ref": ("ref", "keyword"), "date": ("date", "date"), "due": ("due", "date"),
}
ALIASES = {"tags": "tag", "parties": "party", "classification": "class",
           "reference": "ref", "type": "kind"}
DATE_HINT = "write date:2024, date:2024-03, date:2024-03-14 or date:[2024-01-01 to 2024-06-30]"
_FIELD = re.compile(r"^([A-Za-z_]+):(.*)$", re.S)
_FUZZY = re.compile(r"^(.*?)~(\d?)$", re.S)
_SPECIAL = '()"'


@dataclasses.dataclass
class Token:
    kind: str  # "(" ")" AND OR NOT MINUS TERM FIELDGROUP
    text: str = ""
    field: str | None = None
    form: str = "word"  # word | phrase | range
    start: int = 0
    end: int = 0


@dataclasses.dataclass
class Parsed:
    """A parsed query: the Whoosh query and the plain words a speller may correct."""

    query: Any
    words: list[Token]


def _fail(message: str, hint: str) -> InvalidInput:
    # one line, even when it quotes a query that spans several
    return InvalidInput(" ".join(f"{message}. {hint}".split()))


def _field_name(name: str, chunk: str) -> str:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in FIELDS:
        known = ", ".join(f"{f}:" for f in FIELDS)
        raise _fail(f"unknown field '{name}:' in the query",
                    f"Fields are {known}. To search for the text itself, quote it: "
                    f"\"{chunk}\"")
    return key


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token(ch, ch, start=i, end=i + 1))
            i += 1
        elif ch == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise _fail("unbalanced quote in the query",
                            "Close the phrase with a second \" or remove the quote")
            tokens.append(Token("TERM", text[i + 1:close], form="phrase", start=i, end=close + 1))
            i = close + 1
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "-":
            tokens.append(Token("MINUS", "-", start=i, end=i + 1))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            chunk = text[i:j]
            m = _FIELD.match(chunk)
            if m and m[1] and not chunk.startswith(("http:", "https:")):
                field = _field_name(m[1], chunk)
                i = _field_value(text, j, m[2], field, tokens, i)
                continue
            if chunk in ("AND", "OR", "NOT"):
                tokens.append(Token(chunk, chunk, start=i, end=j))
            else:
                tokens.append(Token("TERM", chunk, start=i, end=j))
            i = j
    return tokens


def _field_value(text: str, j: int, rest: str, field: str, tokens: list[Token],
                 start: int) -> int:
    """Read what follows ``field:``; return the position after it."""
    if rest.startswith("["):
        close = text.find("]", start)
        if close < 0:
            raise _fail(f"unbalanced '[' in {field}:", DATE_HINT)
        if FIELDS[field][1] != "date":
            raise _fail(f"ranges work only on date: and due:, not {field}:", DATE_HINT)
        tokens.append(Token("TERM", text[text.index("[", start) + 1:close], field=field,
                            form="range", start=start, end=close + 1))
        return close + 1
    if rest:
        tokens.append(Token("TERM", rest, field=field, start=start, end=j))
        return j
    if j < len(text) and text[j] == '"':
        close = text.find('"', j + 1)
        if close < 0:
            raise _fail("unbalanced quote in the query",
                        "Close the phrase with a second \" or remove the quote")
        tokens.append(Token("TERM", text[j + 1:close], field=field, form="phrase",
                            start=start, end=close + 1))
        return close + 1
    if j < len(text) and text[j] == "(":
        tokens.append(Token("FIELDGROUP", field, field=field, start=start, end=j))
        return j
    raise _fail(f"'{field}:' needs a value", f"Write it as {field}:value or {field}:\"two words\"")


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0
        self.words: list[Token] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos].kind if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Any:
        if not self.tokens:
            return None
        q = self.parse_or(None)
        if self.peek() == ")":
            raise _fail("unbalanced parenthesis: ')' without '('",
                        "Remove it or add the missing '('")
        return q

    def parse_or(self, field: str | None) -> Any:
        parts = [self.parse_and(field)]
        while self.peek() == "OR":
            self.take()
            self._need_operand("OR")
            parts.append(self.parse_and(field))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def parse_and(self, field: str | None) -> Any:
        parts = [self.parse_not(field)]
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.take()
                self._need_operand("AND")
            parts.append(self.parse_not(field))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        if all(isinstance(p, wq.Not) for p in parts):
            parts.insert(0, wq.Every())  # "NOT x" alone means everything but x
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def _need_operand(self, op: str) -> None:
        if self.peek() in (None, ")", "AND", "OR"):
            raise _fail(f"'{op}' needs a term on both sides",
                        f"Write it as: attribution {op} norms (lowercase '{op.lower()}' "
                        f"is an ordinary word)")

    def parse_not(self, field: str | None) -> Any:
        if self.peek() in ("NOT", "MINUS"):
            op = self.take()
            if self.peek() in (None, ")", "AND", "OR"):
                raise _fail(f"'{op.text}' needs a term after it",
                            "Write it as: attribution NOT china")
            inner = self.parse_not(field)
            return wq.Not(inner) if inner is not None else None
        if self.peek() == "AND" or self.peek() == "OR":
            op = self.take().text
            raise _fail(f"'{op}' needs a term on both sides",
                        f"Write it as: attribution {op} norms (lowercase '{op.lower()}' "
                        f"is an ordinary word)")
        return self.parse_atom(field)

    def parse_atom(self, field: str | None) -> Any:
        token = self.take()
        if token.kind in ("(", "FIELDGROUP"):
            if token.kind == "FIELDGROUP":
                field = token.field
                self.take()  # the "(" that follows field:
            if self.peek() is None:
                raise _fail("unbalanced parenthesis: '(' without ')'",
                            "Add the missing ')' or remove the '('")
            inner = self.parse_or(field) if self.peek() != ")" else None
            if self.peek() != ")":
                raise _fail("unbalanced parenthesis: '(' without ')'",
                            "Add the missing ')' or remove the '('")
            self.take()
            return inner
        if token.kind == ")":
            raise _fail("unbalanced parenthesis: ')' without '('",
                        "Remove it or add the missing '('")
        return self.term(token, token.field or field)

    def term(self, token: Token, field: str | None) -> Any:
        if field is None:
            if token.form == "word" and not token.text.endswith(("*", "~")) \
                    and _FUZZY.match(token.text) is None:
                self.words.append(token)
            return _text_query(DEFAULT_FIELDS, token, STEM)
        name, how = FIELDS[field]
        if how == "stem":
            return _text_query({name: 1.0}, token, STEM)
        if how == "plain":
            return _text_query({name: 1.0}, token, PLAIN)
        if how == "date":
            return date_range(name, token.text, token.form == "range", field)
        value = " ".join(token.text.split()).lower()
        if not value:
            return None
        if how == "kind":
            return kind_query(value)
        if how == "class":
            return wq.Term(name, parse_level(value).lower())
        if token.form == "word" and value.endswith("*") and len(value) > 1:
            return wq.Prefix(name, value.rstrip("*"))
        return wq.Term(name, value)


def _text_query(fields: dict[str, float], token: Token, analyzer: Any) -> Any:
    """A word, prefix, fuzzy word or phrase over one or more analysed fields."""
    text = token.text
    if token.form == "word" and text.endswith("*"):
        stem = text.rstrip("*").lower()
        words = [t.text for t in PLAIN(stem)]
        if len(words) != 1 or len(words[0]) < 2:
            raise _fail(f"'{text}' is too short a prefix",
                        "Give at least two letters before the '*'")
        prefix = words[0]
        stems = _stems_of_words_starting(prefix) if analyzer is STEM else []
        return _over(fields, lambda f: wq.Or([wq.Prefix(f, prefix)]
                                             + [wq.Term(f, s) for s in stems])
                     if stems else wq.Prefix(f, prefix))
    fuzzy = _FUZZY.match(text) if token.form == "word" else None
    if fuzzy and fuzzy[1]:
        words = [t.text for t in analyzer(fuzzy[1])]
        if not words:
            return None
        edits = min(int(fuzzy[2]) if fuzzy[2] else (1 if len(words[0]) <= 5 else 2), 2)
        if analyzer is STEM:
            # Edits are counted on the word as typed where the index keeps typed words
            # (titles) and on its stem where it keeps only stems (bodies); the engine
            # expands this against the open index before searching.
            raw = [t.text for t in PLAIN(fuzzy[1])]
            terms = [SpellingFuzzy(fields, w, edits) for w in raw]
        else:
            terms = [_over(fields, lambda f, w=w: wq.FuzzyTerm(f, w, maxdist=edits,
                                                               prefixlength=1))
                     for w in words]
        return terms[0] if len(terms) == 1 else wq.And(terms)
    words = [t.text for t in analyzer(text)]
    if not words:
        return None  # only stop words or punctuation
    if len(words) == 1:
        return _over(fields, lambda f: wq.Term(f, words[0]))
    # several words from one token ("co-operation") or a quoted phrase: words in order
    return _over(fields, lambda f: wq.Phrase(f, words))


class SpellingFuzzy(wq.FuzzyTerm):
    """A fuzzy word over stemmed fields; ``expand`` turns it into the stems of the indexed
    words within ``maxdist`` edits of it (left unexpanded it still works on stems)."""

    def __init__(self, fields: dict[str, float], word: str, maxdist: int):
        first = next(iter(fields))
        stems = [t.text for t in STEM(word)] or [word]
        super().__init__(first, stems[0], maxdist=maxdist, prefixlength=1)
        self.word = word
        self.fields = dict(fields)

    def expand(self, reader: Any) -> Any:
        stems = set(fuzzy_stems(reader, self.word, self.maxdist))
        if not stems:
            return wq.NullQuery
        return _over(self.fields, lambda f: wq.Or([wq.Term(f, s) for s in sorted(stems)]))


def stem(word: str) -> str:
    tokens = [t.text for t in STEM(word)]
    return tokens[0] if tokens else word.lower()


def fuzzy_stems(reader: Any, word: str, maxdist: int, limit: int = 64) -> list[str]:
    """Indexed stems near ``word``: words within ``maxdist`` edits of it in titles (as
    typed), and stems within ``maxdist`` of its stem in bodies. At most ``limit``."""
    found = [stem(word)]
    found += [stem(w) for w in reader.terms_within("spell_title", word, maxdist, prefix=1)]
    found += list(reader.terms_within("body", stem(word), maxdist, prefix=1))
    return list(dict.fromkeys(found))[:limit]


def expand_fuzzy(q: Any, reader: Any) -> Any:
    """``q`` with every SpellingFuzzy replaced by what it matches in this index."""
    if isinstance(q, SpellingFuzzy):
        return q.expand(reader)
    if q is None or q.is_leaf():
        return q
    return q.apply(lambda child: expand_fuzzy(child, reader))


# endings that turn a prefix into the words people shorten to it (arbitrat* for arbitration,
# arbitrate, arbitrator)
_ENDINGS = ("e", "ed", "es", "ing", "ion", "ions", "ive", "or", "on", "ent", "ment", "al", "y")


def _stems_of_words_starting(prefix: str) -> list[str]:
    """Stems, shorter than ``prefix``, of words that start with it.

    A stemmed field holds ``arbitr`` for arbitration and arbitrate, so the prefix
    ``arbitrat`` matches no term there; the stems of the prefix with common endings added
    (``arbitrate`` and ``arbitration`` stem to ``arbitr``) are the terms such words became.
    """
    found = set()
    for ending in _ENDINGS:
        stem = porter_stem(prefix + ending)
        if len(stem) < len(prefix) and prefix.startswith(stem):
            found.add(stem)
    return sorted(found)


def _over(fields: dict[str, float], make: Any) -> Any:
    queries = []
    for name, boost in fields.items():
        q = make(name)
        q.boost = boost
        queries.append(q)
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def kind_query(value: str) -> Any:
    kind = value.strip().lower()
    if kind not in KINDS:
        raise _fail(f"unknown kind '{value}'", f"Kinds are {', '.join(KINDS)}")
    return wq.Term("kind", kind)


def date_range(name: str, text: str, is_range: bool, label: str = "date") -> Any:
    """``2024``, ``2024-03``, ``14 March 2024`` or ``a to b`` as an inclusive range."""
    def read(value: str, end: bool) -> str | None:
        value = value.strip()
        if not value or value == "*":
            return None
        try:
            return parse_date(value, end=end).isoformat()
        except InvalidInput:
            raise _fail(f"cannot read the date '{value}' in {label}:", DATE_HINT) from None

    if is_range:
        parts = re.split(r"\s+to\s+|^to\s+|\s+to$|^to$", text.strip(), flags=re.I)
        if len(parts) != 2:
            raise _fail(f"cannot read the date range '[{text}]'", DATE_HINT)
        low, high = read(parts[0], False), read(parts[1], True)
        if low is None and high is None:
            raise _fail(f"the date range '[{text}]' has no dates", DATE_HINT)
    else:
        low, high = read(text, False), read(text, True)
        if low is None:
            raise _fail(f"'{label}:' needs a date", DATE_HINT)
    if low and high and low > high:
        raise _fail(f"the date range '{text}' ends before it starts", DATE_HINT)
    return date_span(name, low, high)


def date_span(name: str, low: str | None, high: str | None) -> Any:
    """Documents whose ``name`` (an ISO day) lies in [low, high]; either end may be open.

    A range of days expands to one posting list per day, and in a large index ``date:2024``
    then took seconds; on the ``date`` field the range is cut into whole years, whole months
    and the days left at either end, each a single term of the ``year`` or ``month`` field.
    """
    if name != "date":
        return _days(name, low, high)
    lo = _date.fromisoformat(low) if low else None
    hi = _date.fromisoformat(high) if high else None
    parts = []
    # an open end: every year beyond the year of the given end, then that year piece by piece
    if lo is None and hi is not None:
        parts.append(wq.TermRange("year", None, f"{hi.year - 1:04d}"))
        lo = _date(hi.year, 1, 1)
    elif hi is None and lo is not None:
        parts.append(wq.TermRange("year", f"{lo.year + 1:04d}", None))
        hi = _date(lo.year, 12, 31)
    if lo is None or hi is None:
        raise ValueError("a date span needs at least one end")
    parts.extend(_calendar_pieces(lo, hi))
    return wq.ConstantScoreQuery(wq.Or(parts) if len(parts) > 1 else parts[0])


def _calendar_pieces(lo: _date, hi: _date) -> list[Any]:
    """[lo, hi] as leading days, whole months, whole years, whole months, trailing days."""
    pieces = []
    cursor = lo
    while cursor <= hi:
        year_end = _date(cursor.year, 12, 31)
        month_end = _month_end(cursor)
        if (cursor.month, cursor.day) == (1, 1) and year_end <= hi:
            pieces.append(wq.Term("year", f"{cursor.year:04d}"))
            step_end = year_end
        elif cursor.day == 1 and month_end <= hi:
            pieces.append(wq.Term("month", cursor.isoformat()[:7]))
            step_end = month_end
        else:
            step_end = min(month_end, hi)
            pieces.append(_days("date", cursor.isoformat(), step_end.isoformat()))
        if step_end >= hi:
            break
        cursor = step_end + _timedelta(days=1)
    return pieces


def _month_end(day: _date) -> _date:
    following = _date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - _timedelta(days=1)


def _days(name: str, low: str | None, high: str | None) -> Any:
    return wq.TermRange(name, low, high, startexcl=False, endexcl=False)


def _clean(text: str) -> str:
    # Bytes that were not UTF-8 on the command line arrive as lone surrogates, which no
    # index term can hold; they become "?" and so match nothing instead of failing.
    return text.encode("utf-8", "replace").decode("utf-8") if text else text


def parse(text: str) -> Parsed:
    """Read a query string; raise InvalidInput with a hint when it cannot be read."""
    parser = _Parser(tokenize(_clean(text)))
    return Parsed(parser.parse(), parser.words)


def filters(*, kind: str | None = None, post: str | None = None, dialogue: str | None = None,
            party: str | None = None, tag: str | None = None, since: Any = None,
            until: Any = None) -> Any:
    """The flag filters as one query (None when there are none); values case-insensitive."""
    kind, post, dialogue, party, tag = (_clean(v) if isinstance(v, str) else v
                                        for v in (kind, post, dialogue, party, tag))
    parts = []
    if kind:
        parts.append(kind_query(kind))
    for name, value in (("post", post), ("dialogue", dialogue)):
        if value:
            q = _text_query({name: 1.0}, Token("TERM", value, form="phrase"), PLAIN)
            if q is None:
                raise InvalidInput(f"--{name} '{value}' has no letters or digits to match")
            parts.append(q)
    for name, value in (("party", party), ("tag", tag)):
        if value and value.strip():
            parts.append(wq.Term(name, " ".join(value.split()).lower()))
    if since or until:
        try:
            low = parse_date(since).isoformat() if since else None
            high = parse_date(until, end=True).isoformat() if until else None
        except InvalidInput as exc:
            raise InvalidInput(f"{exc} (in --since/--until)") from None
        if low and high and low > high:
            raise InvalidInput(f"--since {since} is after --until {until}")
        parts.append(date_span("date", low, high))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)
