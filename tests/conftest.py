"""Every test gets its own database and a fixed user; nothing touches the real data folder."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cablemgr.cli import cli


@pytest.fixture(autouse=True)
def isolated_db(tmp_path, monkeypatch):
    path = tmp_path / "data" / "cablemgr.db"
    monkeypatch.setenv("CABLEMGR_DB", str(path))
    monkeypatch.setenv("CABLEMGR_USER", "tester")
    monkeypatch.delenv("CABLEMGR_TODAY", raising=False)
    monkeypatch.delenv("CABLEMGR_DAYFIRST", raising=False)
    return path


class Runner:
    """Invoke the CLI as a user would; ``json`` parses stdout of a ``--json`` call."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True):
        result = self.runner.invoke(cli, [str(a) for a in args], input=input)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"cablemgr {' '.join(map(str, args))} exited {result.exit_code}:\n"
                f"{result.output}\n{result.exception!r}")
        return result

    def json(self, *args: str, input: str | None = None):
        result = self(*args, "--json", input=input)
        return json.loads(result.stdout)


@pytest.fixture
def run():
    return Runner()
