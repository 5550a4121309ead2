"""Commands are loaded lazily from a hand-kept table (cablemgr.cli.COMMANDS). These tests keep
that table honest against what the command modules register, and keep start-up light: each
invocation should import only the command module it runs.

Whatever must be seen in a fresh process runs in a subprocess; in this one, earlier tests have
already loaded most modules.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from importlib import import_module

import click
import pytest
from click.testing import CliRunner

import cablemgr.cli
from cablemgr.cli import COMMANDS, CablemgrGroup, cli

# Never needed to print the version or a command's help, nor to run an unrelated command.
HEAVY = ("cablemgr.export", "cablemgr.ingest", "cablemgr.search", "icalendar", "whoosh")


def _registered() -> dict[str, str]:
    """Every command name the cli modules register eagerly, with the module registering it."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(cablemgr.cli.__path__, "cablemgr.cli."):
        module = import_module(info.name)
        group = click.Group()
        module.register(group)
        for name in group.commands:
            assert name not in found, f"{name} registered by {found[name]} and {info.name}"
            found[name] = info.name
    return found


def _eager_cli() -> click.Group:
    """The cablemgr group as it was built before commands were loaded lazily."""
    group = CablemgrGroup(name=cli.name, params=cli.params, callback=cli.callback,
                          help=cli.help, context_settings=cli.context_settings)
    for module in sorted(set(COMMANDS.values())):
        import_module(module).register(group)
    return group


def _cablemgr(*args: str) -> subprocess.CompletedProcess:
    """``cablemgr ARGS`` in a fresh process, its help 78 columns wide like _eager_help's."""
    return subprocess.run([sys.executable, "-m", "cablemgr", *args], capture_output=True,
                          text=True, check=True, env={**os.environ, "COLUMNS": "80"})


def _eager_help(*args: str) -> str:
    # CliRunner forces 80 columns where a process on an 80-column terminal uses 78
    result = CliRunner().invoke(_eager_cli(), [*args, "--help"], prog_name="cablemgr",
                                terminal_width=78)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_command_table_names_what_each_module_registers():
    assert _registered() == COMMANDS
    # an eager click group lists commands alphabetically; the table keeps that order
    assert list(COMMANDS) == sorted(COMMANDS)


def test_help_lists_the_same_commands_and_help_as_eager_registration():
    eager = _eager_help()
    assert all(f"\n  {name} " in eager for name in COMMANDS)
    # a fresh process, so that nothing is loaded before --help asks for it
    assert _cablemgr("--help").stdout == eager


@pytest.mark.parametrize("group", [name for name, command in _eager_cli().commands.items()
                                   if isinstance(command, click.Group)])
def test_each_subgroup_lists_its_commands_in_a_fresh_process(group):
    assert _cablemgr(group, "--help").stdout == _eager_help(group)


def test_export_has_the_briefing_subcommands_in_a_fresh_process():
    # export commitments and export calendar are defined in cablemgr.cli.briefing, not in
    # cablemgr.cli.io where the export group is
    listed = _cablemgr("export", "--help").stdout
    assert all(f"\n  {name} " in listed for name in ("calendar", "commitments", "records"))


def _fails(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "cablemgr", *args], capture_output=True,
                            text=True)
    assert result.returncode == 2, result.stderr
    return result


def test_unknown_command_still_suggests_a_close_name():
    if not hasattr(click.exceptions, "NoSuchCommand"):
        pytest.skip("click before 8.4 suggests no command names")
    # in a fresh process no command is loaded yet, and click suggests from loaded ones
    assert "Error: No such command 'lst'. Did you mean 'list'?" in _fails("lst").stderr
    assert "Error: No such command 'bogus'.\n" in _fails("--", "bogus").stderr


def test_an_unknown_option_where_a_command_belongs_is_a_usage_error():
    assert "Error: No such option '--bogus'" in _fails("--", "--bogus").stderr


def _modules_after(tmp_path, *args: str) -> list[str]:
    """The modules loaded by running ``cablemgr ARGS`` in a fresh process."""
    out = tmp_path / "modules.json"
    code = ("import json, sys\n"
            "from cablemgr.cli import main\n"
            f"sys.argv = ['cablemgr', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return json.loads(out.read_text())


def _loaded(modules: list[str], prefixes) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_version_loads_no_command_module_and_no_library(tmp_path):
    modules = _modules_after(tmp_path, "--version")
    assert _loaded(modules, HEAVY) == []
    assert [m for m in modules if m.startswith("cablemgr.cli.")] == []
    assert _loaded(modules, ("sqlite_utils", "dateutil", "sqlite3")) == []


def test_search_help_loads_only_the_search_commands(tmp_path):
    modules = _modules_after(tmp_path, "search", "--help")
    assert _loaded(modules, HEAVY) == []
    assert [m for m in modules if m.startswith("cablemgr.cli.")] == ["cablemgr.cli.search"]


def test_list_loads_only_the_record_commands(run, tmp_path):
    run("init")
    run("log", "--title", "Round 1", "--date", "2024-03-14", "--body", "Met.")
    # the autouse fixture's CABLEMGR_DB is in the environment the subprocess inherits
    modules = _modules_after(tmp_path, "list", "--limit", "1")
    assert _loaded(modules, ("cablemgr.export", "cablemgr.ingest", "icalendar", "whoosh")) == []
    assert [m for m in modules if m.startswith("cablemgr.cli.")] == ["cablemgr.cli.records"]


def test_show_finds_every_kind_of_id_in_a_fresh_process(run):
    run("init")
    run("dialogue", "add", "US cyber dialogue", "--format", "bilateral", "--party", "US")
    run("log", "--title", "Round 1", "--date", "2024-03-14", "--dialogue", "D1", "--body", "Met.")
    run("commitment", "add", "Exchange points of contact", "--by", "US", "--record", "R1")
    run("action", "add", "Send the list", "--commitment", "C1")
    # each in its own process, so that show must load the module that shows that kind
    for item_id in ("R1", "D1", "C1", "A1"):
        assert json.loads(_cablemgr("show", item_id, "--json").stdout) == run.json(
            "show", item_id)
