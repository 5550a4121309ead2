"""Exports: the native record format here; summaries register their own subcommands."""

from __future__ import annotations

import csv
import io
import json

import click

from cablemgr.options import output_file_option
from cablemgr.output import notice


def write_output(text: str, output: str | None, force: bool) -> None:
    """Text to ``-o FILE`` (atomically) or to stdout."""
    if output:
        from cablemgr.fileio import atomic_write

        atomic_write(output, text, force=force)
        notice(f"Wrote {output}")
    else:
        click.echo(text, nl=False)


@click.group(name="export")
def export_group() -> None:
    """Export records and summaries (records, …)."""


@export_group.command(name="records")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "csv"]), default="jsonl",
              show_default=True, help="jsonl and json round-trip through import; csv is for "
              "spreadsheets (records only).")
@output_file_option
@click.pass_obj
def export_records(app, fmt, output, force) -> None:
    """Export everything filed in the native format (or records as CSV).

    Example: cablemgr export records -o unit.jsonl
    """
    from cablemgr import native

    objects = native.export_objects(app.db())
    if fmt == "jsonl":
        text = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    elif fmt == "json":
        text = json.dumps(list(objects), ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=[k for k in native.RECORD_KEYS
                                                    if k not in ("portions", "metadata")])
        writer.writeheader()
        for obj in objects:
            if obj["type"] == "record":
                writer.writerow(native.record_row(obj))
        text = buffer.getvalue()
    write_output(text, output, force)


def register(cli: click.Group) -> None:
    # export commitments and export calendar join this group when cablemgr.cli.briefing is
    # imported, and commands are loaded lazily: import it before the group can be used.
    import cablemgr.cli.briefing  # noqa: F401

    cli.add_command(export_group)
