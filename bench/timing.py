"""Running commands and summarising their timings.

Peak RSS is the child's own high-water mark. Linux carries a process's high-water mark
across exec, so a child forked from the harness (which holds the corpus in memory) would
report at least the harness's size; the command therefore runs under ``/usr/bin/time -f %M``,
a small C program whose own children start small. Without it, ``os.wait4`` on the direct
child is the fallback and the figure is marked as an upper bound.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# ru_maxrss is in kilobytes on Linux, in bytes on macOS
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) and sys.platform == "linux" \
    else None
RSS_METHOD = "/usr/bin/time -f %M" if TIME else "os.wait4 (upper bound: includes the harness)"


# Children compile Python modules once and then reuse the bytecode, as an installed package
# does; a PYTHONDONTWRITEBYTECODE inherited from a developer's shell would make every command
# recompile every module it imports. run.py points this at the work folder, so the bytecode
# stays out of the checkout.
PYCACHE: str | None = None


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if PYCACHE:
        env["PYTHONPYCACHEPREFIX"] = PYCACHE
    env.update(extra or {})
    return env


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    tree_rss_mb: float | None = None


class TreeSampler(threading.Thread):
    """Samples the summed memory of every process in one session, four times a second.

    A command that forks workers (a multi-process index writer, say) needs the sum of its
    processes at one moment; ``time -f %M`` reports the largest single process only. Each
    process counts its proportional set size (PSS), so pages a forked worker still shares
    with its parent are not counted twice. Linux only (reads /proc).
    """

    def __init__(self, session: int) -> None:
        super().__init__(daemon=True)
        self.session = session
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        while not self.done.wait(0.25):
            total = 0
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as fh:
                        # fields after the command name, which may itself hold spaces
                        fields = fh.read().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[3]) == self.session:  # field 6: session id
                    total += _pss_kb(entry.name) or int(fields[21]) * page_kb  # 24: rss
            self.peak_kb = max(self.peak_kb, total)


def _pss_kb(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run(cmd: list[str], env: dict[str, str] | None = None, stdin: str | None = None,
        timeout: float | None = None, tree: bool = False) -> Run:
    """Run ``cmd`` to completion; wall time, the child's peak RSS, exit code and output.

    ``tree`` also samples the summed RSS of the command's whole process tree.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as inp, tempfile.NamedTemporaryFile("r") as rss:
        if TIME:
            cmd = [TIME, "-f", "%M", "-o", rss.name, *cmd]
        if stdin is not None:
            inp.write(stdin.encode("utf-8"))
            inp.seek(0)
        started = time.perf_counter()
        # its own session, so a timeout can kill the whole tree (time, bash, grep, xargs…)
        proc = subprocess.Popen(cmd, stdin=inp, stdout=out, stderr=err,
                                env=child_env(env), start_new_session=True)
        # a timer kills a runaway child; the blocking wait4 keeps the timing exact
        sampler = TreeSampler(proc.pid) if tree and os.path.isdir("/proc") else None
        if sampler:
            sampler.start()
        killer = threading.Timer(timeout, _kill_group, (proc.pid,)) if timeout else None
        if killer:
            killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if killer:
                killer.cancel()
            if sampler:
                sampler.done.set()
                sampler.join()
        elapsed = time.perf_counter() - started
        # wait4 has reaped the child; tell Popen so it does not try again
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak = usage.ru_maxrss * _RSS_UNIT / 2**20
        if TIME:
            lines = [line for line in rss.read().split() if line.isdigit()]
            peak = int(lines[-1]) / 1024 if lines else peak
        return Run(elapsed, peak, proc.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   sampler.peak_kb / 1024 if sampler else None)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Stats:
    """p50/p95 of repeated runs (after warm-up runs that are not counted)."""

    samples: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.samples.append(value)

    def summary(self, scale: float = 1000.0, digits: int = 1) -> dict[str, Any]:
        """Milliseconds by default."""
        if not self.samples:
            return {"n": 0}
        ordered = sorted(self.samples)
        return {"n": len(ordered), "p50": round(percentile(ordered, 50) * scale, digits),
                "p95": round(percentile(ordered, 95) * scale, digits),
                "mean": round(statistics.fmean(ordered) * scale, digits),
                "min": round(ordered[0] * scale, digits),
                "samples": [round(v * scale, digits) for v in self.samples]}


def percentile(ordered: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted data."""
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def repeat(cmd: list[str], *, runs: int, warmup: int, env: dict[str, str] | None = None,
           stdin: str | None = None, timeout: float | None = None) -> dict[str, Any]:
    """Time ``cmd`` ``runs`` times after ``warmup`` untimed runs; stop at the first failure."""
    times, rss = Stats(), 0.0
    last: Run | None = None
    for i in range(warmup + runs):
        last = run(cmd, env=env, stdin=stdin, timeout=timeout)
        if last.returncode != 0:
            return {"ok": False, "error": _first_line(last.stderr or last.stdout),
                    "returncode": last.returncode}
        if i >= warmup:
            times.add(last.seconds)
            rss = max(rss, last.peak_rss_mb)
    return {"ok": True, **times.summary(), "peak_rss_mb": round(rss, 1),
            "stdout": last.stdout if last else ""}


def interleaved(cmds: dict[str, list[str]], *, runs: int, warmup: int,
                env: dict[str, str] | None = None,
                timeout: float | None = None) -> dict[str, dict[str, Any]]:
    """Time several commands round-robin, so a busy moment on the machine hits all of them
    alike and their ratios hold."""
    times = {key: Stats() for key in cmds}
    rss = dict.fromkeys(cmds, 0.0)
    failed: dict[str, dict[str, Any]] = {}
    for i in range(warmup + runs):
        for key, cmd in cmds.items():
            if key in failed:
                continue
            last = run(cmd, env=env, timeout=timeout)
            if last.returncode != 0:
                failed[key] = {"ok": False, "error": _first_line(last.stderr or last.stdout),
                               "returncode": last.returncode}
            elif i >= warmup:
                times[key].add(last.seconds)
                rss[key] = max(rss[key], last.peak_rss_mb)
    return {key: failed.get(key) or {"ok": True, **times[key].summary(),
                                      "peak_rss_mb": round(rss[key], 1)} for key in cmds}


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"
