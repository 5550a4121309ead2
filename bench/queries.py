"""The fixed query set, each written once per engine.

A query is the same question put to every engine in the form it understands. Where an engine
cannot express it (FTS5 has no fuzzy matching; grep knows neither fuzzy matching nor ranking),
the translation is ``None`` and the figure is reported as not applicable rather than faked.

- ``cablemgr``: the query language of ``cablemgr search``;
- ``whoosh``: Whoosh's own query parser over title/body/meta, the fields and boosts cablemgr
  searches by default, with fuzzy terms enabled; edit distances and the one-letter fixed
  prefix match cablemgr's (1 edit for words of up to five letters, else 2);
- ``fts``: an FTS5 MATCH expression, plus an optional inclusive date range applied in SQL;
- ``grep``: extended regular expressions, all of which must match (case-insensitive) in a
  document's file; the file starts with ``Title:``/``Date:``/``Post:`` header lines.

Terms were chosen from the real corpus's frequency ranks: "government" is the 20th most
frequent word, "zanzibar" appears in 9 of 10,690 FRUS documents; generated records draw from
the same frequencies, so the same terms stay rare or common at every size.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    name: str
    category: str
    cablemgr: str
    whoosh: str
    fts: str | None
    grep: tuple[str, ...] | None
    date_range: tuple[str, str] | None = None


QUERIES = [
    # single rare term
    Query("rare-zanzibar", "rare", "zanzibar", "zanzibar", "zanzibar", ("zanzibar",)),
    Query("rare-guano", "rare", "guano", "guano", "guano", ("guano",)),
    Query("rare-whaling", "rare", "whaling", "whaling", "whaling", ("whaling",)),
    # single common term
    Query("common-government", "common", "government", "government", "government",
          ("government",)),
    Query("common-minister", "common", "minister", "minister", "minister", ("minister",)),
    Query("common-consul", "common", "consul", "consul", "consul", ("consul",)),
    # two terms, both required
    Query("and-treaty-ratification", "and", "treaty AND ratification",
          "treaty AND ratification", "treaty AND ratification", ("treaty", "ratification")),
    Query("and-railway-concession", "and", "railway concession", "railway AND concession",
          "railway AND concession", ("railway", "concession")),
    Query("and-boundary-arbitration", "and", "boundary AND arbitration",
          "boundary AND arbitration", "boundary AND arbitration", ("boundary", "arbitration")),
    # exact phrase
    Query("phrase-most-favored-nation", "phrase", '"most favored nation"',
          '"most favored nation"', '"most favored nation"', (r"most[ -]favored[ -]nation",)),
    Query("phrase-critical-infrastructure", "phrase", '"critical infrastructure"',
          '"critical infrastructure"', '"critical infrastructure"',
          ("critical infrastructure",)),
    Query("phrase-secretary-of-state", "phrase", '"secretary of state"',
          '"secretary of state"', '"secretary of state"', ("secretary of state",)),
    # fielded post:
    Query("post-geneva", "post", "post:geneva", "post:geneva", "post:geneva",
          ("^Post: .*geneva",)),
    Query("post-paris-treaty", "post", "treaty post:paris", "treaty post:paris",
          "treaty AND post:paris", ("^Post: .*paris", "treaty")),
    Query("post-berlin-attribution", "post", "attribution post:berlin",
          "attribution post:berlin", "attribution AND post:berlin",
          ("^Post: .*berlin", "attribution")),
    # date ranges
    Query("date-1900s", "date", "date:[1900-01-01 to 1910-12-31]",
          "date:[1900-01-01 TO 1910-12-31]", None, ("^Date: (190[0-9]|1910)-",),
          ("1900-01-01", "1910-12-31")),
    Query("date-treaty-1917-1919", "date", "treaty date:[1917-01-01 to 1919-12-31]",
          "treaty date:[1917-01-01 TO 1919-12-31]", "treaty", ("^Date: 191[7-9]-", "treaty"),
          ("1917-01-01", "1919-12-31")),
    Query("date-ransomware-2024", "date", "ransomware date:2024",
          "ransomware date:[2024-01-01 TO 2024-12-31]", "ransomware",
          ("^Date: 2024-", "ransomware"), ("2024-01-01", "2024-12-31")),
    # fuzzy (misspelt)
    Query("fuzzy-goverment", "fuzzy", "goverment~", "goverment~2/1", None, None),
    Query("fuzzy-arbitraton", "fuzzy", "arbitraton~", "arbitraton~2/1", None, None),
    Query("fuzzy-tretay", "fuzzy", "tretay~", "tretay~2/1", None, None),
    # prefix
    Query("prefix-arbitrat", "prefix", "arbitrat*", "arbitrat*", "arbitrat*", ("arbitrat",)),
    Query("prefix-telegra", "prefix", "telegra*", "telegra*", "telegra*", ("telegra",)),
    Query("prefix-cyber", "prefix", "cyber*", "cyber*", "cyber*", ("cyber",)),
]
CATEGORIES = ("rare", "common", "and", "phrase", "post", "date", "fuzzy", "prefix")


def select(quick: bool) -> list[Query]:
    """All queries, or in quick mode the first of each category."""
    if not quick:
        return list(QUERIES)
    seen: set[str] = set()
    chosen = []
    for q in QUERIES:
        if q.category not in seen:
            seen.add(q.category)
            chosen.append(q)
    return chosen


def by_name(names: list[str]) -> list[Query]:
    index = {q.name: q for q in QUERIES}
    return [index[n] for n in names]
