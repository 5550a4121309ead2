"""The import command: files in, records out, all or nothing."""

from __future__ import annotations

import json

import click

from cablemgr.options import json_option
from cablemgr.output import emit_json


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@json_option
@click.pass_obj
def import_command(app, paths, as_json) -> None:
    """Import files in the native format (.jsonl, .json), all or nothing.

    Example: cablemgr import unit.jsonl
    """
    from cablemgr import native

    report = native.ImportReport()
    db = app.db(create=True)
    batches = []
    for path in paths:
        batches.append((path, list(_read_native(path))))
    from cablemgr.db import write

    with write(db):
        for path, objects in batches:
            native.import_objects(db, objects, source=path, report=report)
    if as_json:
        emit_json(report.as_dict())
    else:
        click.echo(f"Added {len(report.added)}, skipped {len(report.duplicates)} already on file.")


def _read_native(path: str):
    from cablemgr.errors import InvalidInput

    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"cannot read {path}: it is not UTF-8 text") from None
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, list):
            raise InvalidInput(f"{path}: expected a JSON list of objects")
        return [(0, obj) for obj in data]
    objects = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            objects.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    return objects


def register(cli: click.Group) -> None:
    cli.add_command(import_command)
