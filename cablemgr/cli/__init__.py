"""The ``cablemgr`` command: a click group whose subcommands live one module per noun.

Errors are converted here, once: a CablemgrError becomes ``Error: …`` and exit 1.

Command modules are imported only when one of their commands is asked for, so that
``cablemgr --version`` or ``cablemgr list`` does not pay for the exporters, the importers and
everything they load. ``--help`` imports them all, for each command's first docstring line.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from cablemgr import __version__
from cablemgr.errors import CablemgrError

# click 8.4+ raises this for an unknown command, with close names as suggestions; before 8.4
# there were no suggestions to improve.
_NoSuchCommand = getattr(click.exceptions, "NoSuchCommand", None)

# Each top-level command and the module whose ``register(cli)`` adds it, in the order
# ``--help`` lists them (click's alphabetical order). Kept by hand so that listing commands
# imports nothing; tests/test_cli_startup.py checks it against what the modules register.
COMMANDS: dict[str, str] = {
    "action": "cablemgr.cli.commitments",
    "backup": "cablemgr.cli.admin",
    "commitment": "cablemgr.cli.commitments",
    "dialogue": "cablemgr.cli.dialogues",
    "digest": "cablemgr.cli.briefing",
    "doctor": "cablemgr.cli.admin",
    "due": "cablemgr.cli.commitments",
    "edit": "cablemgr.cli.records",
    "export": "cablemgr.cli.io",
    "history": "cablemgr.cli.records",
    "import": "cablemgr.cli.importing",
    "init": "cablemgr.cli.records",
    "list": "cablemgr.cli.records",
    "log": "cablemgr.cli.records",
    "party": "cablemgr.cli.dialogues",
    "refs": "cablemgr.cli.importing",
    "reindex": "cablemgr.cli.search",
    "related": "cablemgr.cli.search",
    "report": "cablemgr.cli.records",
    "restore": "cablemgr.cli.admin",
    "search": "cablemgr.cli.search",
    "show": "cablemgr.cli.records",
    "verify": "cablemgr.cli.admin",
    "watch": "cablemgr.cli.briefing",
}


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
    import sqlite3

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
    """A group that turns domain errors into click's one-line error and exit code 1, and
    imports a command's module only when that command is asked for.

    ``lazy_commands`` maps each command name to the module whose ``register(group)`` adds it;
    commands added directly (``add_command``) are listed too.
    """

    def __init__(self, *args, lazy_commands: Mapping[str, str] | None = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        # The table's own order, then anything added directly that it does not name.
        listed = list(self.lazy_commands)
        return listed + sorted(set(self.commands) - set(listed))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            # register() adds all of the module's commands; its siblings are then found
            # without importing it again.
            importlib.import_module(self.lazy_commands[cmd_name]).register(self)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            # click suggests close names ("Did you mean 'list'?") from the commands already
            # loaded, which here are few or none; suggest from every listed name instead.
            if _NoSuchCommand is None or not isinstance(exc, _NoSuchCommand):
                raise
            raise _NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                 ctx=ctx) from None

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


@click.group(cls=CablemgrGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
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


def main() -> None:
    cli(prog_name="cablemgr")
