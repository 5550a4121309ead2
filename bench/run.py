"""Benchmark cablemgr against SQLite FTS5, raw Whoosh and grep on the same documents.

    python bench/run.py --sizes 1000,10000,100000 --out bench/results/latest.json
    python bench/run.py --quick --out /tmp/bench.json        # CI smoke test, < 60 s

Run it with the interpreter of the environment cablemgr is installed in (for example
``.venv/bin/python bench/run.py``): the ``cablemgr`` script next to that interpreter is the
one measured. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
import measures  # noqa: E402
import queries  # noqa: E402
import report  # noqa: E402
import timing  # noqa: E402
from commands import Cablemgr, grep_tools  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="record counts to measure, comma-separated (default: %(default)s)")
    parser.add_argument("--out", default=str(BENCH / "results" / "latest.json"),
                        help="JSON file for every figure (default: %(default)s)")
    parser.add_argument("--markdown", default=None,
                        help="Markdown table (default: bench/RESULTS.md, or next to --out "
                             "in --quick mode so a smoke test leaves the checkout clean)")
    parser.add_argument("--quick", action="store_true",
                        help="1,000 records, one query per category, fewer repetitions")
    parser.add_argument("--seed", type=int, default=8, help="corpus generator seed")
    parser.add_argument("--prepare", action="store_true",
                        help="only generate the corpus files for --sizes (cached for later runs)")
    parser.add_argument("--work", default=str(BENCH / "work"),
                        help="scratch folder for corpora, databases and indexes")
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    try:
        import whoosh
        whoosh_version = whoosh.versionstring()
    except ImportError:
        whoosh_version = None
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu_count": os.cpu_count(), "cpu_model": cpu_model,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "whoosh": whoosh_version, "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg()),
            "cablemgr_command": " ".join(Cablemgr().base), "grep_tools": grep_tools(),
            "peak_rss_method": timing.RSS_METHOD,
            "bytecode_cache": "on (PYTHONPYCACHEPREFIX in the work folder)"}


def say(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def startup(quick: bool) -> dict[str, Any]:
    """Start-up of the two cheapest commands against a bare interpreter, round-robin."""
    app = Cablemgr()
    runs, warmup = (5, 1) if quick else (20, 3)
    return timing.interleaved({"version": app.argv("--version"), "help": app.argv("--help"),
                               "python": [sys.executable, "-c", "pass"]},
                              runs=runs, warmup=warmup, env=app.env, timeout=60)


def measure_size(size: int, args: argparse.Namespace, work: Path, sources: corpus.Sources,
                 res: dict[str, Any], checkpoint: Callable[[], None]) -> None:
    """Fill ``res`` with every measure at ``size``, saving after each step so an interrupted
    run keeps what it measured."""
    plan = measures.Plan(quick=args.quick, size=size, queries=queries.select(args.quick))
    say(f"{size:,}: corpus")
    files = corpus.write(work / "corpus", size, args.seed, sources)
    here = work / f"size-{size}"
    app = Cablemgr(here / "cablemgr.db")
    res["corpus"] = {k: files[k] for k in ("records", "items")}

    say(f"{size:,}: cablemgr import")
    res["import"] = measures.import_corpus(app, here, files, plan)
    imported = res["import"].get("ok")
    with_items = bool(imported and res["import"]["with_items"])
    if imported:
        say(f"{size:,}: cablemgr search (end to end, then in process)")
        res["search_cli"] = measures.search_cli(app, plan)
        res["search_engine"] = measures.search_engine(app, plan)
        res["search_cold"] = measures.search_cold(app, plan)
    checkpoint()
    say(f"{size:,}: raw Whoosh")
    index = app.db.with_name(app.db.name + ".index") if imported else None
    res["whoosh_raw"] = measures.whoosh_raw(here, files, plan, with_items, index)
    checkpoint()
    say(f"{size:,}: SQLite FTS5")
    res["fts5"] = measures.fts5(here, files, plan, with_items)
    checkpoint()
    say(f"{size:,}: grep")
    res["grep"] = measures.grep_baseline(files, plan)
    if imported:
        say(f"{size:,}: log, inbox import, exports, digest, due, reindex")
        res["log"] = measures.log_one(app, plan)
        res["import_inbox"] = measures.import_inbox(app, files)
        res["summaries"] = measures.summaries(app, plan)
        res["reindex"] = measures.reindex(app, plan)


def save(result: dict[str, Any], out: Path, markdown: Path) -> None:
    for res in result["sizes"].values():
        res["search_summary"] = report.search_summary(res)
    result["budgets"] = report.budgets(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(report.markdown(result), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    out = Path(args.out)
    markdown = Path(args.markdown) if args.markdown else (
        out.with_suffix(".md") if args.quick else BENCH / "RESULTS.md")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    timing.PYCACHE = str((work / "pycache").resolve())
    if args.prepare:
        sources = corpus.Sources()
        for size in sizes:
            say(f"{size:,}: corpus")
            corpus.write(work / "corpus", size, args.seed, sources)
        return 0
    result: dict[str, Any] = {
        "machine": machine(), "git": measures.git_state(REPO),
        "config": {"quick": args.quick, "sizes": sizes, "seed": args.seed,
                   "queries": [q.name for q in queries.select(args.quick)],
                   "today": corpus.TODAY.isoformat()},
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "sizes": {},
    }
    say(f"cablemgr: {result['machine']['cablemgr_command']}; sizes {sizes}")
    say("start-up")
    result["startup"] = startup(args.quick)
    sources = corpus.Sources()
    def checkpoint() -> None:
        _finish(result, started)
        save(result, out, markdown)

    for size in sizes:
        res = result["sizes"][str(size)] = {}
        measure_size(size, args, work, sources, res, checkpoint)
        checkpoint()
    if not args.quick:
        say("real-corpus import")
        result["import_frus"] = measures.import_frus(work)
    _finish(result, started)
    save(result, out, markdown)
    print_summary(result)
    say(f"wrote {out} and {markdown} in {result['config']['total_seconds']:.0f} s")
    return 0


def _finish(result: dict[str, Any], started: float) -> None:
    result["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result["config"]["total_seconds"] = round(time.perf_counter() - started, 1)


def print_summary(result: dict[str, Any]) -> None:
    """The budgets and headline search ratios on stdout, one line each."""
    for b in result["budgets"]:
        size = f" @{int(b['size']):,}" if b["size"] else ""
        value = "n/a" if b["value"] is None else f"{b['value']} {b['unit']}"
        print(f"{b['status']:>4}  {b['budget']}{size}: {value} (budget {b['limit']} "
              f"{b['unit']})")
    for size, res in result["sizes"].items():
        row = res.get("search_summary", {}).get("cablemgr", {})
        ratios = ", ".join(f"{k} {v['ratio']}" for k, v in row.items()
                           if k.startswith("x ") and v["ratio"] is not None)
        print(f"      search @{int(size):,}: p50 {row.get('p50_ms')} ms, "
              f"p95 {row.get('p95_ms')} ms; {ratios}")


if __name__ == "__main__":
    sys.exit(main())
