"""The ``import`` and ``refs`` commands: files in, records out, all or nothing."""

from __future__ import annotations

import os
import sys

import click

from cablemgr.ingest.detect import FORMATS
from cablemgr.options import json_option
from cablemgr.output import emit_json, is_terminal, safe

# A progress bar is worth drawing only when the run takes a while.
_PROGRESS_MIN_FILES = 20
_PROGRESS_MIN_BYTES = 8 * 1024 * 1024
# Near-duplicates named in the human summary; --json lists them all.
_LISTED = 10


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Read every file as this format instead of detecting it.")
@click.option("--dry-run", is_flag=True, help="Parse and report, write nothing.")
@click.option("--continue-on-error", is_flag=True,
              help="Import the good files and skip the bad ones (default: all or nothing).")
@json_option
@click.pass_context
def import_command(ctx, paths, fmt, dry_run, continue_on_error, as_json) -> None:
    """Import cables, meeting notes, e-mail, CSV, JSON/JSONL and FRUS files or folders.

    Folders are read recursively (hidden files skipped). Records already on file are skipped,
    near-duplicates are filed and linked, REF/REFS become links. By default nothing is
    written when any file fails.

    Example: cablemgr import inbox/ --dry-run
    """
    from cablemgr.ingest import runner

    app = ctx.obj
    db = app.db(create=not dry_run)
    progress = None
    bar = None
    if is_terminal() and not as_json:
        count, size = _measure(paths)
        if count >= _PROGRESS_MIN_FILES or size >= _PROGRESS_MIN_BYTES:
            bar = click.progressbar(length=count, label="Importing", file=sys.stderr)
            bar.__enter__()
            progress = lambda _name: bar.update(1)  # noqa: E731
    try:
        report = runner.run(db, list(paths), fmt=fmt, dry_run=dry_run,
                            continue_on_error=continue_on_error, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    failed = bool(report.failed) and not continue_on_error
    if as_json:
        emit_json(report.as_dict())
    else:
        _render(report, dry_run=dry_run, failed=failed)
    if failed:
        ctx.exit(1)


def _measure(paths) -> tuple[int, int]:
    """Files and bytes a run will read (a quick walk, only for the progress bar)."""
    from cablemgr.ingest import runner

    count = size = 0
    for _display, path, _root, _explicit in runner.walk(list(paths), runner.ImportReport()):
        count += 1
        try:
            size += os.path.getsize(path)
        except OSError:
            pass
    return count, size


def _where(failure: dict) -> str:
    line = failure.get("line")
    return f"{failure['file']}:{line}" if line else failure["file"]


def _render(report, *, dry_run: bool, failed: bool) -> None:
    for warning in report.warnings:
        click.echo(f"Warning: {safe(warning, keep_newlines=False)}", err=True)
    if failed:
        files = len({f["file"] for f in report.failed})
        click.echo(f"Error: nothing was imported: {files} file{'s' if files != 1 else ''} "
                   "failed.", err=True)
        for failure in report.failed:
            click.echo(f"  {safe(_where(failure), keep_newlines=False)}: "
                       f"{safe(failure['reason'], keep_newlines=False)}", err=True)
        click.echo("Fix them, or run again with --continue-on-error to import the others.",
                   err=True)
        return
    verb = "Would add" if dry_run else "Added"
    near = len(report.near_duplicates)
    click.echo(f"{verb} {len(report.added)}, skipped {len(report.duplicates)} already on file, "
               f"linked {near} near-duplicate{'s' if near != 1 else ''}, "
               f"{len(report.failed)} failed." + (" Nothing was written (dry run)."
                                                  if dry_run else ""))
    for item in report.near_duplicates[:_LISTED]:
        click.echo(f"  {item['record']} possible duplicate of {item['duplicate_of']} "
                   f"(similarity {item['similarity']:.2f}) from "
                   f"{safe(item['file'], keep_newlines=False)}")
    if near > _LISTED:
        click.echo(f"  … and {near - _LISTED} more near-duplicates (all of them with --json)")
    for failure in report.failed:
        click.echo(f"  skipped {safe(_where(failure), keep_newlines=False)}: "
                   f"{safe(failure['reason'], keep_newlines=False)}")


@click.command(name="refs")
@click.argument("record_id", metavar="ID")
@json_option
@click.pass_obj
def refs_command(app, record_id, as_json) -> None:
    """Show what a record cites and what cites it.

    Citations of a cable that arrived later are shown resolved.

    Example: cablemgr refs R12
    """
    from cablemgr.ids import parse_id
    from cablemgr.ingest.links import references

    number = parse_id(record_id, "record")[1]
    result = references(app.db(), number)
    if as_json:
        emit_json(result)
        return
    ref = f"  {result['reference']}" if result["reference"] else ""
    click.echo(f"{result['record']}{safe(ref, keep_newlines=False)}  "
               f"{safe(result['title'], keep_newlines=False)}")
    for label, entries in (("Cites", result["cites"]), ("Cited by", result["cited_by"])):
        click.echo(f"{label}:" + ("" if entries else " nothing"))
        for entry in entries:
            if entry["record"] is None:
                click.echo(f"  -     {safe(entry['reference'], keep_newlines=False)}  "
                           "(not on file yet)")
                continue
            parts = [entry["record"].ljust(5), entry["reference"] or "", entry["date"] or "",
                     entry["title"] or ""]
            click.echo("  " + "  ".join(safe(p, keep_newlines=False) for p in parts if p))


def register(cli: click.Group) -> None:
    cli.add_command(import_command)
    cli.add_command(refs_command)
