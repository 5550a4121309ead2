"""Commands for finding things: search, related, reindex. Rendering only; the work is in
``cablemgr.search`` (which loads whoosh when a command runs, not when this module is imported).
"""

from __future__ import annotations

from typing import Any

import click

from cablemgr.options import json_option
from cablemgr.output import emit_json, is_terminal, notice, progress_bar, safe, table

KIND_CHOICES = ("meeting", "report", "commitment", "action")
COUNT_CHOICES = ("post", "tag", "kind", "party", "year")


def _bold(word: str) -> str:
    return click.style(word, bold=True)


def _snippet(text: str, terminal: bool) -> str:
    from cablemgr.search import render_marks

    return render_marks(safe(text, keep_newlines=False), _bold if terminal else None)


def _where(hit: dict[str, Any]) -> str:
    return hit.get("post") or hit.get("dialogue") or ""


@click.command(name="search")
@click.argument("query", nargs=-1)
@click.option("--kind", type=click.Choice(KIND_CHOICES, case_sensitive=False),
              help="Only this kind of item.")
@click.option("--post", help="Only records from this post (embassy or mission).")
@click.option("--dialogue", help="Only items of this dialogue.")
@click.option("--party", help="Only items naming this party (code or name).")
@click.option("--tag", help="Only items with this tag.")
@click.option("--since", metavar="DATE", help="Only items dated on or after DATE.")
@click.option("--until", metavar="DATE", help="Only items dated on or before DATE.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show at most this many hits.")
@click.option("--count-by", type=click.Choice(COUNT_CHOICES, case_sensitive=False),
              help="Print how many matches fall under each value instead of the hits.")
@json_option
@click.pass_obj
def search_command(app, query: tuple[str, ...], kind: str | None, post: str | None,
                   dialogue: str | None, party: str | None, tag: str | None,
                   since: str | None, until: str | None, limit: int, count_by: str | None,
                   as_json: bool) -> None:
    """Find records, commitments and actions by their text and fields.

    \b
    Words match every text field (stemmed: attribute finds attribution);
    "an exact phrase"; AND, OR, NOT and parentheses; prefix*; fuzzy~;
    fields post: kind: tag: party: dialogue: class: status: owner: title: body:
    venue: ref:; dates date:2024, date:2024-03, date:[2024-01-01 to 2024-06-30]
    (due: the same). Field values are case-insensitive.

    \b
    Examples:
      cablemgr search attribution --post geneva
      cablemgr search '"points of contact" AND dialogue:hotline date:2024'
      cablemgr search norms --count-by post
    """
    from cablemgr import search

    result = search.search(app.db(), " ".join(query), kind=kind and kind.lower(), post=post,
                           dialogue=dialogue, party=party, tag=tag, since=since, until=until,
                           limit=limit, count_by=count_by and count_by.lower(), notify=notice)
    if as_json:
        emit_json(result)
        return
    if count_by:
        _print_facets(result)
        return
    _print_hits(result)


def _print_hits(result: dict[str, Any]) -> None:
    terminal = is_terminal()
    for hit in result["hits"]:
        head = "  ".join(part for part in (hit["id"], hit["date"] or "", hit["kind"],
                                           safe(_where(hit), keep_newlines=False)) if part)
        title = safe(hit["title"], keep_newlines=False)
        click.echo(f"{click.style(head, bold=True) if terminal else head}  {title}")
        if hit["snippet"]:
            click.echo(f"    {_snippet(hit['snippet'], terminal)}")
    shown, total = len(result["hits"]), result["total"]
    summary = f"{total} hit{'s' if total != 1 else ''}"
    if shown < total:
        summary += f", showing {shown} (use --limit for more)"
    click.echo(summary)
    if result["suggestion"]:
        notice(f"Did you mean: {safe(result['suggestion'], keep_newlines=False)}")


def _print_facets(result: dict[str, Any]) -> None:
    rows = [(safe(value, keep_newlines=False), count)
            for value, count in result["facets"].items()]
    if rows:
        click.echo(table(rows, [result["count_by"].upper(), "COUNT"]))
    click.echo(f"{result['total']} match{'es' if result['total'] != 1 else ''}")


@click.command(name="related")
@click.argument("record_id", metavar="ID")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="Show at most this many records.")
@json_option
@click.pass_obj
def related_command(app, record_id: str, limit: int, as_json: bool) -> None:
    """Show records about the same thing as ID, other posts first.

    Example: cablemgr related R12
    """
    from cablemgr import search
    from cablemgr.ids import parse_id

    _, number = parse_id(record_id, expect="record")
    rows = search.related(app.db(), number, limit=limit, notify=notice)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        notice("No related records.")
        return
    click.echo(table([(r["id"], r["date"] or "", r["kind"], _where(r), r["title"])
                      for r in rows], ["ID", "DATE", "KIND", "WHERE", "TITLE"],
                     max_widths={3: 24, 4: 80}))


@click.command(name="reindex")
@click.option("--optimize", is_flag=True,
              help="Also merge the index into one segment (slower to write, a bit faster to "
                   "search).")
@json_option
@click.pass_obj
def reindex_command(app, optimize: bool, as_json: bool) -> None:
    """Rebuild the search index from the database.

    Safe at any time: searches keep using the old index until the new one is complete.

    Example: cablemgr reindex --optimize
    """
    from cablemgr import search

    db = app.db()
    with progress_bar("Indexing", is_terminal() and not as_json) as progress:
        stats = search.reindex(db, progress=progress, optimize=optimize, notify=notice)
    if as_json:
        emit_json(stats)
        return
    rate = stats["documents"] / stats["seconds"] if stats["seconds"] else 0
    click.echo(f"Indexed {stats['documents']} documents in {stats['seconds']:.1f} s "
               f"({rate:.0f}/s) into {stats['path']}")


COMMANDS = (search_command, related_command, reindex_command)


def register(cli: click.Group) -> None:
    for command in COMMANDS:
        cli.add_command(command)
