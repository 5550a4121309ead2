"""The ``cablemgr`` command: a click group whose subcommands live one module per noun.

Errors are converted here, once: a CablemgrError becomes ``Error: …`` and exit 1.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
from pathlib import Path

import click

from cablemgr import __version__
from cablemgr.errors import CablemgrError

# Modules that register commands on the group, in the order their commands are listed.
COMMAND_MODULES = (
    "cablemgr.cli.records",
    "cablemgr.cli.dialogues",
    "cablemgr.cli.commitments",
    "cablemgr.cli.search",
    "cablemgr.cli.importing",
    "cablemgr.cli.io",
    "cablemgr.cli.briefing",
    "cablemgr.cli.admin",
)


class App:
    """Per-invocation state: where the database is, opened on first use."""

    def __init__(self, db_path: str | None) -> None:
        self._path = Path(db_path).expanduser() if db_path else None
        self._db = None

    @property
    def path(self) -> Path:
        from cablemgr.db import default_path

        return self._path or default_path()

    def db(self, *, create: bool = False):
        """The open database; ``create`` makes it on first use (log, report, init)."""
        if self._db is None:
            from cablemgr.db import loose_permissions, open_db

            path = self.path
            existed = path.exists()
            self._db = open_db(path, create=create)
            if existed and loose_permissions(path):
                click.echo(f"Warning: {path} can be read by other users; "
                           f"restrict it with: chmod 600 {path}", err=True)
        return self._db

    def close(self) -> None:
        """After the command: bring the search index up to date with what it wrote."""
        if self._db is None:
            return
        try:
            sync_index(self._db)
        finally:
            self._db.close()
            self._db = None


def sync_index(db) -> None:
    """Drain the search outbox. A failure here leaves the queue for the next command: the write
    itself already succeeded, so it is reported as a warning, not an error."""
    from cablemgr.search.outbox import depth

    try:
        if not depth(db):
            return
        from cablemgr import search
        from cablemgr.output import progress_bar

        with progress_bar("Indexing", sys.stderr.isatty()) as progress:
            search.sync(db, notify=lambda message: click.echo(message, err=True),
                        progress=progress)
    except (CablemgrError, sqlite3.DatabaseError, OSError) as exc:
        # sqlite3.DatabaseError: a damaged database file, which the command itself has
        # already reported; the index cannot be brought up to date from it. OSError: the
        # index folder cannot be used; the write is saved either way.
        click.echo(f"Warning: search index not updated ({exc}); "
                   "it will catch up on the next command.", err=True)


class CablemgrGroup(click.Group):
    """A group that turns domain errors into click's one-line error and exit code 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Bytes that are not UTF-8 arrive as lone surrogates (surrogateescape); refuse them
        # here rather than let them reach SQLite.
        for arg in args:
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                raise click.ClickException(
                    f"argument {ascii(arg)} is not valid UTF-8 text") from None
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CablemgrError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=CablemgrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cablemgr")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), envvar=None,
              help="Database file (default: $CABLEMGR_DB, else cablemgr.db in the user data "
                   "folder).")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None) -> None:
    """Keep a cyber-diplomacy unit's meetings, embassy reports, commitments and follow-ups
    in one local database.

    \b
    Start with:
      cablemgr init
      cablemgr log --title "OEWG informal consultations" --date today
      cablemgr list
    """
    app = App(db_path)
    ctx.obj = app
    ctx.call_on_close(app.close)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(cli)


def main() -> None:
    cli(prog_name="cablemgr")
