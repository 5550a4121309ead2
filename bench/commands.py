"""The cablemgr command under test: where it is, which subcommands it has, how to call it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import corpus
import timing


def cablemgr_command() -> list[str]:
    """The console script a user runs, next to the interpreter running the harness.

    Falling back to ``python -m cablemgr`` keeps the harness usable from a checkout without
    an installed script, at the cost of a slightly different start-up.
    """
    script = Path(sys.executable).parent / "cablemgr"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "cablemgr"]


class Cablemgr:
    """Calls ``cablemgr --db PATH …`` with a pinned "today" and a fixed user name."""

    def __init__(self, db: Path | None = None) -> None:
        self.base = cablemgr_command()
        self.db = db
        self.env = {"CABLEMGR_TODAY": corpus.TODAY.isoformat(), "CABLEMGR_USER": "bench",
                    "NO_COLOR": "1"}
        self._available: dict[tuple[str, ...], bool] = {}

    def argv(self, *args: str) -> list[str]:
        db = ["--db", str(self.db)] if self.db else []
        return [*self.base, *db, *args]

    def run(self, *args: str, stdin: str | None = None, timeout: float | None = None,
            tree: bool = False) -> timing.Run:
        return timing.run(self.argv(*args), env=self.env, stdin=stdin, timeout=timeout,
                          tree=tree)

    def has(self, *command: str) -> bool:
        """Whether ``cablemgr COMMAND --help`` succeeds, i.e. the command has landed."""
        if command not in self._available:
            result = timing.run([*self.base, *command, "--help"], env=self.env, timeout=60)
            self._available[command] = result.returncode == 0
        return self._available[command]

    def help_text(self, *command: str) -> str:
        result = timing.run([*self.base, *command, "--help"], env=self.env, timeout=60)
        return result.stdout if result.returncode == 0 else ""


def grep_tools() -> dict[str, str]:
    """grep always; ripgrep only where it is already installed."""
    tools = {}
    for name in ("grep", "rg"):
        path = shutil.which(name)
        if path:
            tools[name] = path
    return tools


def grep_command(tool: str, patterns: tuple[str, ...], folder: str) -> list[str]:
    """A shell pipeline listing the files that match every pattern, case-insensitively.

    The first pattern walks the folder; each further one filters the files listed so far,
    which is how someone searches a shared drive for two words with grep.
    """
    import shlex

    if tool == "rg":
        first = f"rg -il -e {shlex.quote(patterns[0])} {shlex.quote(folder)}"
        more = "rg -il -e {}"
    else:
        first = f"grep -rilE -e {shlex.quote(patterns[0])} {shlex.quote(folder)}"
        more = "grep -ilE -e {}"
    stages = [first] + [f"xargs -r -d '\\n' {more.format(shlex.quote(p))}" for p in patterns[1:]]
    # grep exits 1 and xargs 123 when nothing matched: an answer, not a failure
    return ["bash", "-c", " | ".join(stages) + '; rc=$?; [ $rc -le 1 ] || [ $rc -eq 123 ]']
