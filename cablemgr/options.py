"""Options shared by many commands, defined once."""

from __future__ import annotations

import click

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON (documented keys) instead of a table.")


def limit_option(default: int = 50):
    return click.option("--limit", type=click.IntRange(min=1), default=default,
                        show_default=True, help="Show at most this many.")


def output_file_option(func):
    func = click.option("--force", is_flag=True,
                        help="Replace an existing symbolic link at the output path.")(func)
    return click.option("-o", "--output", "output", type=click.Path(dir_okay=False),
                        help="Write to this file (atomically) instead of stdout.")(func)
