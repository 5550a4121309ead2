"""Outputs people take into meetings: ``export commitments``, ``export calendar``, ``digest``
and the saved searches of ``watch``. Rendering only; the work is in ``cablemgr.briefing``,
``cablemgr.digest``, ``cablemgr.deadlines``, ``cablemgr.watches`` and ``cablemgr.export``.
"""

from __future__ import annotations

from typing import Any

import click

from cablemgr.cli.io import export_group, write_output
from cablemgr.export import COMMITMENT_FORMATS, DIGEST_FORMATS, MATRIX_FORMATS
from cablemgr.options import json_option, output_file_option
from cablemgr.output import emit_json, is_terminal, notice, safe, table

LEVELS_HELP = "UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET or U, R, C, S"
WATCH_EXIT_NEW = 3


def _today():
    from cablemgr.dates import today

    return today()


def class_max_option(func):
    return click.option("--class-max", "class_max", metavar="LEVEL",
                        help=f"Leave out anything classified above LEVEL ({LEVELS_HELP}); "
                             "paragraphs marked above it are replaced by a redaction "
                             "line.")(func)


def _format(fmt: str | None, as_json: bool, default: str) -> str:
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json and --format {fmt} ask for two formats; give one")
    return "json" if as_json else fmt or default


def _report_ceiling(data: dict[str, Any], fmt: str) -> None:
    """Withheld counts on stderr, so they are seen even when the output goes to a file; CSV
    has no banner, so its marking is said here too."""
    if fmt == "csv":
        notice(f"Highest classification included: {data['classification']}")
    for line in data["notices"]:
        notice(line)


# ---------------------------------------------------------------- export commitments


@export_group.command(name="commitments")
@click.option("--dialogue", metavar="REF", help="Only this dialogue (id or name).")
@click.option("--status", metavar="S", help="Only commitments with this status (as of "
              "--as-of): open, in_progress, fulfilled, partially_fulfilled, not_fulfilled, "
              "withdrawn.")
@click.option("--by", "by", metavar="CODE", help="Only commitments made by this party.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="The state on a past date, rebuilt from the assessment history.")
@click.option("--format", "fmt", type=click.Choice(list(COMMITMENT_FORMATS)),
              help="md (default), csv, json or html (a printable page).")
@click.option("--matrix", is_flag=True,
              help="With --format csv: the compliance matrix (party × commitment) instead of "
                   "one row per commitment.")
@class_max_option
@output_file_option
@json_option
@click.pass_obj
def export_commitments(app, dialogue, status, by, as_of, fmt, matrix, class_max, output, force,
                       as_json) -> None:
    """Commitment status summary per dialogue, with the compliance matrix.

    \b
    Examples:
      cablemgr export commitments --format html -o briefing.html
      cablemgr export commitments --dialogue China --as-of 2025-12-31
      cablemgr export commitments --format csv --matrix -o matrix.csv
      cablemgr export commitments --class-max RESTRICTED --format md
    """
    from cablemgr import briefing
    from cablemgr.dates import parse_date

    fmt = _format(fmt, as_json, "md")
    if matrix and fmt != "csv":
        raise click.UsageError("--matrix is for --format csv; the other formats always "
                               "include the matrix")
    today = _today()
    day = parse_date(as_of, base=today) if as_of not in (None, "") else None
    data = briefing.summary(app.db(), today=today, as_of=day, dialogue=dialogue, status=status,
                            by=by, class_max=class_max)
    render = MATRIX_FORMATS[fmt] if matrix else COMMITMENT_FORMATS[fmt]
    text = render(data)
    if fmt == "csv" and output:
        # a byte-order mark tells Excel the file is UTF-8 (names such as Türkiye, the − sign)
        text = "\ufeff" + text
    _report_ceiling(data, fmt)
    write_output(text, output, force)


# ---------------------------------------------------------------- export calendar


@export_group.command(name="calendar")
@click.option("--owner", metavar="NAME", help="Only this person's actions (no deadlines or "
              "meetings, which belong to no one person).")
@click.option("--dialogue", metavar="REF", help="Only this dialogue (id or name).")
@class_max_option
@output_file_option
@click.pass_obj
def export_calendar(app, owner, dialogue, class_max, output, force) -> None:
    """Actions, commitment deadlines and meetings as an iCalendar (.ics) file.

    Actions become to-dos, commitment deadlines and meetings all-day events. Each keeps its
    uid, so importing a newer export updates the calendar instead of duplicating entries.

    Example: cablemgr export calendar --owner ines -o ines.ics
    """
    import datetime as dt

    from cablemgr import deadlines
    from cablemgr.export import CALENDAR

    data = deadlines.calendar_items(app.db(), today=_today(), owner=owner, dialogue=dialogue,
                                    class_max=class_max)
    text = CALENDAR(data, stamp=dt.datetime.now(dt.timezone.utc))
    _report_ceiling(data, "ics")
    write_output(text, output, force)
    if output:
        notice(f"{len(data['todos'])} actions, {len(data['deadlines'])} deadlines, "
               f"{len(data['meetings'])} meetings")


# ---------------------------------------------------------------- digest


@click.command(name="digest")
@click.option("--since", default="7d", show_default=True, metavar="DATE",
              help="First day of the period (a date or 7d, 2w, 1m ago).")
@click.option("--until", metavar="DATE", help="Last day of the period (default: today).")
@click.option("--by", "by", type=click.Choice(["post", "dialogue", "tag", "party"]),
              default="post", show_default=True, help="How to group the reports.")
@click.option("--format", "fmt", type=click.Choice(list(DIGEST_FORMATS)),
              help="md (default), html (a printable page) or json.")
@class_max_option
@output_file_option
@json_option
@click.pass_obj
def digest_command(app, since, until, by, fmt, class_max, output, force, as_json) -> None:
    """One picture of what the posts reported in a period, copies collapsed.

    Records dated or filed in the period, grouped; the same report from several channels
    shown once with every post that sent it; related reports from different posts placed
    together; new and changed commitments; actions that fell due.

    \b
    Examples:
      cablemgr digest
      cablemgr digest --since 30d --by dialogue --format html -o week.html
      cablemgr digest --since 2026-11-01 --until 2026-11-15 --class-max R
    """
    from cablemgr import digest

    fmt = _format(fmt, as_json, "md")
    data = digest.digest(app.db(), today=_today(), since=since, until=until, by=by,
                         class_max=class_max)
    text = DIGEST_FORMATS[fmt](data)
    _report_ceiling(data, fmt)
    write_output(text, output, force)


# ---------------------------------------------------------------- watch


@click.group(name="watch")
def watch_group() -> None:
    """Saved searches: see what is new since the last look."""


@watch_group.command(name="add")
@click.argument("name")
@click.argument("query", nargs=-1)
@click.option("--kind", type=click.Choice(["meeting", "report", "commitment", "action"],
                                          case_sensitive=False), help="Only this kind of item.")
@click.option("--post", help="Only records from this post.")
@click.option("--dialogue", help="Only items of this dialogue.")
@click.option("--party", help="Only items naming this party (code or name).")
@click.option("--tag", help="Only items with this tag.")
@click.option("--since", metavar="DATE", help="Only items dated on or after DATE (a relative "
              "date such as 30d is read again at every run).")
@click.option("--until", metavar="DATE", help="Only items dated on or before DATE.")
@json_option
@click.pass_obj
def watch_add(app, name, query, kind, post, dialogue, party, tag, since, until,
              as_json) -> None:
    """Save the search QUERY (as `cablemgr search` reads it) under NAME.

    \b
    Examples:
      cablemgr watch add apt28 'APT28 OR "Fancy Bear"'
      cablemgr watch add geneva-attribution attribution --post geneva --since 30d
    """
    from cablemgr import watches

    watch = watches.add(app.db(), name, " ".join(query), kind=kind and kind.lower(), post=post,
                        dialogue=dialogue, party=party, tag=tag, since=since, until=until,
                        notify=notice)
    if as_json:
        emit_json(watch)
        return
    click.echo(f"Saved watch {safe(watch['name'], keep_newlines=False)}. "
               f"See what matches with: cablemgr watch run {watch['name']}")


def _filters_text(filters: dict[str, str]) -> str:
    return " ".join(f"--{key} {value}" for key, value in filters.items())


@watch_group.command(name="list")
@json_option
@click.pass_obj
def watch_list(app, as_json) -> None:
    """List the saved searches and when each last ran.

    Example: cablemgr watch list
    """
    from cablemgr import watches

    rows = watches.list_all(app.db())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        notice("No saved searches. Add one with: cablemgr watch add NAME QUERY")
        return
    click.echo(table([(w["name"], w["query"], _filters_text(w["filters"]),
                       (w["last_run_at"] or "never")[:16].replace("T", " "), w["seen"])
                      for w in rows], ["NAME", "QUERY", "FILTERS", "LAST RUN", "SEEN"],
                     max_widths={1: 50, 2: 40}))


@watch_group.command(name="remove")
@click.argument("name")
@click.pass_obj
def watch_remove(app, name) -> None:
    """Delete the saved search NAME and what it has seen.

    Example: cablemgr watch remove apt28
    """
    from cablemgr import watches

    watch = watches.remove(app.db(), name)
    click.echo(f"Removed watch {safe(watch['name'], keep_newlines=False)}.")


@watch_group.command(name="run")
@click.argument("name", required=False)
@click.option("--exit-code", "exit_code", is_flag=True,
              help=f"Exit with {WATCH_EXIT_NEW} when there is something new (for cron and "
                   "scripts); 0 otherwise.")
@json_option
@click.pass_context
def watch_run(ctx, name, exit_code, as_json) -> None:
    """Show what matches each saved search (or NAME) that did not at its last run.

    The first run of a watch shows everything that matches; each run remembers what it
    showed.

    \b
    Examples:
      cablemgr watch run
      cablemgr watch run apt28 --exit-code || mail -s "new on APT28" me@example.org
    """
    from cablemgr import watches

    results = watches.run(ctx.obj.db(), name, notify=notice)
    if as_json:
        emit_json(results)
    elif not results:
        notice("No saved searches. Add one with: cablemgr watch add NAME QUERY")
    else:
        _print_runs(results)
    if exit_code and any(r["new"] for r in results):
        ctx.exit(WATCH_EXIT_NEW)


def _print_runs(results: list[dict[str, Any]]) -> None:
    terminal = is_terminal()
    for result in results:
        count = len(result["new"])
        first = " (first run)" if result["previous_run_at"] is None else ""
        head = (f"{result['name']}: {count} new{first}, {result['total']} "
                f"match{'es' if result['total'] != 1 else ''} in all")
        click.echo(click.style(safe(head, keep_newlines=False), bold=True) if terminal
                   else safe(head, keep_newlines=False))
        for hit in result["new"]:
            where = hit.get("post") or hit.get("dialogue") or ""
            click.echo("  " + "  ".join(safe(p, keep_newlines=False) for p in (
                hit["id"], hit["date"] or "", hit["kind"], where, hit["title"]) if p))


def register(cli: click.Group) -> None:
    # export commitments and export calendar joined the export group when this module loaded
    cli.add_command(digest_command)
    cli.add_command(watch_group)
