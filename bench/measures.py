"""The measures taken at one corpus size, end to end and against the baselines.

Every function returns plain JSON-able data. A measure whose cablemgr command has not landed
yet returns ``{"ok": False, "error": "not available: …"}`` instead of failing, so the
harness keeps working while the project grows and picks the command up once it exists.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import corpus
import queries
import timing
from commands import Cablemgr, grep_command, grep_tools

WORKER = Path(__file__).resolve().parent / "worker.py"
# A bulk import or rebuild that takes longer than this is reported as a failure, so one
# pathological command cannot eat the whole run.
IMPORT_TIMEOUT = 1800
LOG_BODY = (
    "Informal consultations on the implementation of the agreed norms. Both delegations "
    "reviewed the points of contact directory and the hotline test results. The other side "
    "raised supply chain security and asked for a briefing on our capacity-building "
    "programme for the region. " * 6
)


@dataclass
class Plan:
    """How many repetitions each kind of measure gets at one size."""

    quick: bool
    size: int
    queries: list[queries.Query]

    @property
    def query_runs(self) -> int:
        return 2 if self.quick else 3 if self.size >= 50_000 else 5

    @property
    def command_runs(self) -> int:
        return 2 if self.quick else 5

    @property
    def cold_runs(self) -> int:
        """Each cold search is a new process, the costliest repetition there is."""
        return 1 if self.quick else 3

    @property
    def heavy_runs(self) -> int:
        """Imports and rebuilds write every document, so their rate is already an average
        over thousands of operations: above a few thousand records one run is enough."""
        return 2 if self.size <= 2_000 and not self.quick else 1

    @property
    def heavy_warmup(self) -> int:
        return 1 if self.size <= 2_000 and not self.quick else 0


def not_available(what: str) -> dict[str, Any]:
    return {"ok": False, "error": f"not available: `cablemgr {what}` is missing"}


def worker(task: str, args: dict[str, Any], timeout: float = 3600) -> dict[str, Any]:
    """Run a worker task in a child process; its result plus its peak RSS."""
    result = timing.run([sys.executable, str(WORKER), task, json.dumps(args)], timeout=timeout)
    if result.returncode != 0:
        return {"ok": False, "error": timing._first_line(result.stderr)}
    data = json.loads(result.stdout)
    return {"ok": True, "result": data, "peak_rss_mb": round(result.peak_rss_mb, 1),
            "seconds": round(result.seconds, 3)}


# --- cablemgr --------------------------------------------------------------------------------

def import_corpus(app: Cablemgr, work: Path, files: dict[str, Any],
                  plan: Plan) -> dict[str, Any]:
    """Bulk import with indexing into a fresh database, ``heavy_runs`` times.

    One file holds records, then commitments and actions (when this cablemgr has them), the
    way a unit's whole export moves between databases. The time includes draining the search
    outbox into Whoosh, which cablemgr does before the command exits: a record is not
    usable until it can be found.
    """
    with_items = app.has("commitment") and app.has("action")
    documents = files["records"] + (files["items"] if with_items else 0)
    out: dict[str, Any] = {"records": files["records"], "documents": documents,
                           "with_items": with_items}
    if not app.has("import"):
        return {**out, **not_available("import")}
    path = files["all_path"] if with_items else files["records_path"]
    stats, rss, tree = timing.Stats(), 0.0, 0.0
    for i in range(plan.heavy_warmup + plan.heavy_runs):
        fresh_database(app.db)
        init = app.run("init", timeout=120)
        if init.returncode != 0:
            return {**out, "ok": False, "error": timing._first_line(init.stderr)}
        result = app.run("import", path, timeout=IMPORT_TIMEOUT, tree=True)
        if result.returncode != 0:
            return {**out, "ok": False, "error": timing._first_line(result.stderr)}
        if i >= plan.heavy_warmup:
            stats.add(result.seconds)
            rss = max(rss, result.peak_rss_mb)
            tree = max(tree, result.tree_rss_mb or 0.0)
    summary = stats.summary(scale=1.0, digits=3)
    out.update(ok=True, seconds=summary, peak_rss_mb=round(rss, 1),
               tree_peak_mb=round(tree, 1) or None,
               records_per_s=round(files["records"] / summary["p50"], 1),
               docs_per_s=round(documents / summary["p50"], 1))
    return out


def fresh_database(db: Path) -> None:
    for path in db.parent.glob(db.name + "*"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    db.parent.mkdir(parents=True, exist_ok=True)


def import_inbox(app: Cablemgr, files: dict[str, Any]) -> dict[str, Any]:
    """A week's intake (50 records and their commitments and actions) into the full database:
    the incremental path, where each document is updated in an index that already exists."""
    if not (app.has("commitment") and app.has("action")):
        return not_available("commitment / action")
    count = sum(1 for _ in corpus.read_objects(files["inbox_path"]))
    result = app.run("import", files["inbox_path"], timeout=IMPORT_TIMEOUT, tree=True)
    if result.returncode != 0:
        return {"ok": False, "error": timing._first_line(result.stderr)}
    return {"ok": True, "documents": count, "seconds": round(result.seconds, 3),
            "docs_per_s": round(count / result.seconds, 1),
            "peak_rss_mb": round(result.peak_rss_mb, 1), "tree_peak_mb": _mb(result.tree_rss_mb)}


def search_cli(app: Cablemgr, plan: Plan) -> dict[str, Any]:
    """``cablemgr search QUERY --json`` per query: latency and hit count."""
    if not app.has("search"):
        return not_available("search")
    out = {}
    for q in plan.queries:
        measured = timing.repeat(app.argv("search", q.cablemgr, "--json"), runs=plan.query_runs,
                                 warmup=1, env=app.env, timeout=600)
        stdout = measured.pop("stdout", "")
        if measured["ok"]:
            try:
                measured["hits"] = json.loads(stdout)["total"]
            except (ValueError, KeyError):
                measured["hits"] = None
        out[q.name] = measured
    return {"ok": True, "queries": out}


def search_engine(app: Cablemgr, plan: Plan) -> dict[str, Any]:
    """cablemgr's search function in one process: what the command costs minus start-up."""
    if not app.has("search"):
        return not_available("search")
    return worker("engine-query", {"db": str(app.db), "queries": [q.name for q in plan.queries],
                                   "runs": plan.query_runs, "warmup": 1})


def search_cold(app: Cablemgr, plan: Plan) -> dict[str, Any]:
    """Where the end-to-end time goes: imports, opening the database, the first search of a
    process (cold index files), for one query of each kind."""
    if not app.has("search"):
        return not_available("search")
    parts = {key: timing.Stats() for key in ("import_s", "open_db_s", "search_s")}
    for q in queries.select(quick=True):
        if q not in plan.queries:
            continue
        for i in range(1 + plan.cold_runs):
            done = worker("engine-cold", {"db": str(app.db), "query": q.name}, timeout=600)
            if not done["ok"]:
                return done
            if i:
                for key, stats in parts.items():
                    stats.add(done["result"][key])
    return {"ok": True, **{key.removesuffix("_s"): stats.summary()
                           for key, stats in parts.items()}}


def log_one(app: Cablemgr, plan: Plan) -> dict[str, Any]:
    """``cablemgr log`` of one meeting into the database as it stands (index included)."""
    if not app.has("log"):
        return not_available("log")
    measured = timing.repeat(
        app.argv("log", "--title", "Bench: informal consultations on norms", "--date",
                 "2026-06-01", "--tag", "norms", "--venue", "Video conference",
                 "--body", LOG_BODY),
        runs=plan.command_runs, warmup=1, env=app.env, timeout=600)
    measured.pop("stdout", None)
    return measured


def summaries(app: Cablemgr, plan: Plan) -> dict[str, Any]:
    """Exports of commitments, the digest and the due agenda, each as the user runs it."""
    calls = {
        "export-commitments-md": (("export", "commitments"),
                                  ("export", "commitments", "--format", "md")),
        "export-commitments-html": (("export", "commitments"),
                                    ("export", "commitments", "--format", "html")),
        "digest-30d": (("digest",), ("digest", "--since", "30d")),
        "due": (("due",), ("due",)),
    }
    out = {}
    for name, (command, argv) in calls.items():
        if not app.has(*command):
            out[name] = not_available(" ".join(command))
            continue
        measured = timing.repeat(app.argv(*argv), runs=plan.command_runs, warmup=1,
                                 env=app.env, timeout=600)
        stdout = measured.pop("stdout", "")
        if measured["ok"]:
            measured["output_bytes"] = len(stdout.encode("utf-8"))
        out[name] = measured
    return out


def reindex(app: Cablemgr, plan: Plan) -> dict[str, Any]:
    """``cablemgr reindex``: a full rebuild of the index from SQLite."""
    if not app.has("reindex"):
        return not_available("reindex")
    stats, rss, tree, documents = timing.Stats(), 0.0, 0.0, None
    for i in range(plan.heavy_warmup + plan.heavy_runs):
        result = app.run("reindex", "--json", timeout=IMPORT_TIMEOUT, tree=True)
        if result.returncode != 0:
            return {"ok": False, "error": timing._first_line(result.stderr)}
        try:
            documents = json.loads(result.stdout).get("documents")
        except ValueError:
            documents = None
        if i >= plan.heavy_warmup:
            stats.add(result.seconds)
            rss = max(rss, result.peak_rss_mb)
            tree = max(tree, result.tree_rss_mb or 0.0)
    summary = stats.summary(scale=1.0, digits=3)
    out = {"ok": True, "seconds": summary, "documents": documents,
           "peak_rss_mb": round(rss, 1), "tree_peak_mb": round(tree, 1) or None}
    if documents:
        out["docs_per_s"] = round(documents / summary["p50"], 1)
    return out


def import_frus(work: Path) -> dict[str, Any]:
    """``cablemgr import --format frus`` of the 25 real volumes, where the importer exists.

    This is the path a user takes with the real files (duplicate and near-duplicate
    detection, links), so it is measured once beside the native bulk import.
    """
    app = Cablemgr(work / "frus" / "cablemgr.db")
    text = app.help_text("import")
    if "--format" not in text or "frus" not in text:
        return not_available("import --format frus")
    fresh_database(app.db)
    app.run("init", timeout=120)
    volumes = [str(p) for p in sorted(corpus.CORPUS_DIR.glob("*.jsonl.gz"))]
    result = app.run("import", *volumes, "--format", "frus", "--json", timeout=3600, tree=True)
    if result.returncode != 0:
        return {"ok": False, "error": timing._first_line(result.stderr or result.stdout)}
    try:
        added = json.loads(result.stdout).get("added")
        added = len(added) if isinstance(added, list) else added
    except ValueError:
        added = None
    return {"ok": True, "documents": 10_690, "added": added,
            "seconds": round(result.seconds, 3), "docs_per_s": round(10_690 / result.seconds, 1),
            "peak_rss_mb": round(result.peak_rss_mb, 1), "tree_peak_mb": _mb(result.tree_rss_mb)}


def _mb(value: float | None) -> float | None:
    return round(value, 1) if value else None


# --- baselines ---------------------------------------------------------------------------

def fts5(work: Path, files: dict[str, Any], plan: Plan, with_items: bool) -> dict[str, Any]:
    db = work / "fts5.db"
    args = {"path": files["all_path"], "db": str(db), "with_items": with_items}
    built = worker("fts-build", args)
    if not built["ok"]:
        return {"build": built}
    searched = worker("fts-query", {"db": str(db), "queries": [q.name for q in plan.queries],
                                    "runs": plan.query_runs, "warmup": 1})
    return {"build": built, "search": searched}


def whoosh_raw(work: Path, files: dict[str, Any], plan: Plan, with_items: bool,
               cablemgr_index: Path | None) -> dict[str, Any]:
    """Whoosh alone: a bulk build of the same documents, and the queries on the same index
    cablemgr searches (its own build when cablemgr has none)."""
    folder = work / "whoosh-raw"
    built = worker("whoosh-build", {"path": files["all_path"], "dir": str(folder),
                                    "with_items": with_items})
    args = {"queries": [q.name for q in plan.queries], "runs": plan.query_runs, "warmup": 1,
            "dir": str(folder)}
    searched_index = "raw build"
    current = cablemgr_index / "CURRENT" if cablemgr_index else None
    if current and current.is_file():
        args.update(dir=str(cablemgr_index), indexname=current.read_text().strip())
        searched_index = "cablemgr's index"
    searched = worker("whoosh-query", args)
    searched["index"] = searched_index
    return {"build": built, "search": searched}


def grep_baseline(files: dict[str, Any], plan: Plan) -> dict[str, Any]:
    out = {}
    for tool in grep_tools():
        per_query = {}
        for q in plan.queries:
            if not q.grep:
                per_query[q.name] = {"ok": False, "error": "not applicable"}
                continue
            cmd = grep_command(tool, q.grep, files["docs_dir"])
            measured = timing.repeat(cmd, runs=plan.query_runs, warmup=1, timeout=600)
            stdout = measured.pop("stdout", "")
            measured["hits"] = len([line for line in stdout.splitlines() if line.strip()])
            per_query[q.name] = measured
        out[tool] = per_query
    return out


def git_state(repo: Path) -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", "cablemgr",
                              "schema"))}


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))
