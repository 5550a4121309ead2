"""Derived figures, budget verdicts and the Markdown table of a benchmark run.

Ratios compare figures taken in the same run on the same machine, which is what keeps them
meaningful on a busy two-core box: a slow moment slows both sides of a ratio alike.
A search ratio is the p50 of all timed runs of engine A divided by the p50 of all timed runs
of engine B, over the queries both can answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import timing

NOTES = Path(__file__).resolve().parent / "notes.md"


def _pooled(per_query: dict[str, Any], names: set[str]) -> list[float]:
    samples: list[float] = []
    for name in names:
        samples.extend(per_query[name].get("samples", []))
    return samples


def _answered(per_query: dict[str, Any] | None) -> set[str]:
    if not per_query:
        return set()
    return {name for name, m in per_query.items() if m.get("ok") and m.get("samples")}


def p50(samples: list[float]) -> float | None:
    return round(timing.percentile(sorted(samples), 50), 2) if samples else None


def p95(samples: list[float]) -> float | None:
    return round(timing.percentile(sorted(samples), 95), 2) if samples else None


def search_engines(size_result: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """Per-query results of every search engine measured at one size, by engine name."""
    engines: dict[str, dict[str, Any] | None] = {}
    cli = size_result.get("search_cli", {})
    engines["cablemgr"] = cli.get("queries") if cli.get("ok") else None
    engine = size_result.get("search_engine", {})
    engines["cablemgr engine"] = engine.get("result") if engine.get("ok") else None
    raw = size_result.get("whoosh_raw", {}).get("search", {})
    engines["raw Whoosh"] = raw.get("result") if raw.get("ok") else None
    fts = size_result.get("fts5", {}).get("search", {})
    engines["SQLite FTS5"] = fts.get("result") if fts.get("ok") else None
    for tool, per_query in size_result.get("grep", {}).items():
        engines[f"{tool} -il"] = per_query
    return engines


def ratio(engines: dict[str, Any], a: str, b: str) -> tuple[float | None, int]:
    """p50(a) / p50(b) over the queries both answered; and how many queries that was."""
    common = _answered(engines.get(a)) & _answered(engines.get(b))
    if not common:
        return None, 0
    top, bottom = p50(_pooled(engines[a], common)), p50(_pooled(engines[b], common))
    return (round(top / bottom, 2) if bottom else None), len(common)


def search_summary(size_result: dict[str, Any]) -> dict[str, Any]:
    engines = search_engines(size_result)
    out: dict[str, Any] = {}
    for name, per_query in engines.items():
        answered = _answered(per_query)
        samples = _pooled(per_query, answered) if per_query else []
        out[name] = {"queries": len(answered), "p50_ms": p50(samples), "p95_ms": p95(samples)}
    for a in ("cablemgr", "cablemgr engine"):
        for b in engines:
            if b != a and not (a == "cablemgr engine" and b == "cablemgr"):
                value, n = ratio(engines, a, b)
                out[a][f"x {b}"] = {"ratio": value, "queries": n}
    return out


# --- budgets ---------------------------------------------------------------------------------

def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def budgets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every budget of issue 8 with its measured value and pass/miss (never asserted)."""
    sizes = result["sizes"]
    lines: list[dict[str, Any]] = []

    def check(name: str, value: float | None, limit: float, unit: str, lower_is_better: bool,
              size: str | None, note: str = "") -> None:
        if value is None:
            status = "n/a"
        elif lower_is_better:
            status = "pass" if value <= limit else "MISS"
        else:
            status = "pass" if value >= limit else "MISS"
        op = "≤" if lower_is_better else "≥"
        lines.append({"budget": name, "size": size, "value": value, "limit": f"{op} {limit}",
                      "unit": unit, "status": status, "note": note})

    check("startup `--version` p50", _get(result, "startup", "version", "p50"), 150, "ms", True,
          None)
    for size, res in sizes.items():
        summary = res.get("search_summary", {})
        p = _get(summary, "cablemgr", "p50_ms")
        if int(size) == 10_000:
            check("search p50 (end to end)", p, 250, "ms", True, size)
        if int(size) == 100_000:
            check("search p50 (end to end)", p, 700, "ms", True, size)
        engine_ratio = _get(summary, "cablemgr engine", "x raw Whoosh", "ratio")
        check("search engine time / raw Whoosh", engine_ratio, 1.3, "×", True, size)
        if int(size) == 100_000 or size == max(sizes, key=int):
            grep_ratio = _get(summary, "cablemgr", "x grep -il", "ratio")
            note = "" if int(size) == 100_000 else "budget is set at 100k; largest size run"
            check("search end to end / grep -ril (< 1 = faster)", grep_ratio, 1.0, "×", True,
                  size, note)
        if int(size) == 100_000:
            check("log one record p50", _get(res, "log", "p50"), 400, "ms", True, size)
            check("import records/s", _get(res, "import", "records_per_s"), 700, "rec/s",
                  False, size)
            peak = max(_get(res, "import", "peak_rss_mb") or 0,
                       _get(res, "import", "tree_peak_mb") or 0) or None
            check("import peak memory (largest process, or all its processes together)", peak,
                  400, "MB", True, size)
            for name in ("export-commitments-md", "export-commitments-html", "digest-30d"):
                value = _get(res, "summaries", name, "p50")
                check(f"{name} p50", round(value / 1000, 3) if value else None, 2, "s", True,
                      size)
        check("reindex docs/s", _get(res, "reindex", "docs_per_s"), 700, "docs/s", False, size)
    return lines


# --- Markdown --------------------------------------------------------------------------------

def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _status(measure: dict[str, Any] | None) -> str:
    if not measure:
        return "–"
    return "n/a: " + measure.get("error", "?") if not measure.get("ok", True) else ""


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    dirty = " + uncommitted changes" if result["git"]["dirty"] else ""
    out = [
        "# Benchmark results",
        "",
        f"Written by `bench/run.py` on {result['finished']} "
        f"({'quick' if result['config']['quick'] else 'full'} run, sizes "
        f"{', '.join(result['sizes'])}, seed {result['config']['seed']}, "
        f"{result['config']['total_seconds']:.0f} s).",
        f"Machine: {m['cpu_count']} CPUs ({m.get('cpu_model') or '?'}), Python {m['python']}, "
        f"SQLite {m['sqlite']}, Whoosh {m['whoosh']}, {m['platform']}. cablemgr "
        f"{result['git']['commit'][:10]}{dirty}"
        f" ({result['git']['subject']}).",
        "Times are p50 / p95 in ms over the timed runs after one warm-up run; ratios are taken "
        "within this run (see bench/README.md).",
        "",
        "## Budgets",
        "",
        "| budget | size | measured | limit | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for b in result["budgets"]:
        note = f" ({b['note']})" if b["note"] else ""
        out.append(f"| {b['budget']}{note} | {b['size'] or '–'} | {_fmt(b['value'], 2)} "
                   f"{b['unit']} | {b['limit']} {b['unit']} | {b['status']} |")
    s = result["startup"]
    py = _get(s, "python", "p50")
    out += ["", "## Start-up", "", "| command | p50 ms | p95 ms | × `python -c pass` |",
            "|---|---:|---:|---:|"]
    for key, label in (("version", "cablemgr --version"), ("help", "cablemgr --help"),
                       ("python", "python -c pass")):
        meas = s.get(key, {})
        ratio_py = round(meas["p50"] / py, 2) if meas.get("p50") and py else None
        out.append(f"| `{label}` | {_fmt(meas.get('p50'))} | {_fmt(meas.get('p95'))} | "
                   f"{_fmt(ratio_py, 2)} |")
    for size, res in result["sizes"].items():
        out += _size_section(int(size), res)
    if result.get("import_frus"):
        f = result["import_frus"]
        out += ["", "## Real-corpus import (`cablemgr import corpus/ --format frus`)", ""]
        out.append(f"{_fmt(f.get('docs_per_s'))} docs/s, {_fmt(f.get('seconds'), 1)} s, peak "
                   f"RSS {_fmt(f.get('peak_rss_mb'))} MB {_status(f)}")
    if NOTES.exists():
        out += ["", NOTES.read_text(encoding="utf-8").strip()]
    return "\n".join(out) + "\n"


def _tree(measure: dict[str, Any]) -> str:
    """The whole process tree's peak, when the command forked helpers that add to it."""
    tree, own = measure.get("tree_peak_mb"), measure.get("peak_rss_mb")
    if tree and own and tree > own * 1.1:
        return f"; all its processes together {_fmt(tree)} MB"
    return ""


def _size_section(size: int, res: dict[str, Any]) -> list[str]:
    out = ["", f"## {size:,} records", ""]
    imp, inbox = res.get("import", {}), res.get("import_inbox", {})
    fts_b = _get(res, "fts5", "build") or {}
    raw_b = _get(res, "whoosh_raw", "build") or {}
    fts_rate = _get(fts_b, "result", "docs_per_s")
    raw_rate = _get(raw_b, "result", "docs_per_s")
    rate = imp.get("records_per_s")
    reidx = res.get("reindex", {})
    out += ["| bulk load | docs/s | peak RSS MB | × FTS5 | × raw Whoosh | note |",
            "|---|---:|---:|---:|---:|---|"]

    def rel(a: float | None, b: float | None) -> str:
        return _fmt(round(a / b, 3), 3) if a and b else "–"

    what = "records, commitments, actions" if imp.get("with_items") else "records"
    out.append(f"| cablemgr import, fresh database ({what}; indexing included) | "
               f"{_fmt(imp.get('docs_per_s'))} | {_fmt(imp.get('peak_rss_mb'))} | "
               f"{rel(imp.get('docs_per_s'), fts_rate)} | {rel(imp.get('docs_per_s'), raw_rate)}"
               f" | {_fmt(rate)} records/s{_tree(imp)} {_status(imp)} |")
    out.append(f"| cablemgr import of a week's inbox into it ({_fmt(inbox.get('documents'))} "
               f"docs) | {_fmt(inbox.get('docs_per_s'))} | {_fmt(inbox.get('peak_rss_mb'))} | "
               f"{rel(inbox.get('docs_per_s'), fts_rate)} | "
               f"{rel(inbox.get('docs_per_s'), raw_rate)} | {_fmt(inbox.get('seconds'), 2)} s "
               f"{_status(inbox)} |")
    out.append(f"| cablemgr reindex | {_fmt(reidx.get('docs_per_s'))} | "
               f"{_fmt(reidx.get('peak_rss_mb'))} | {rel(reidx.get('docs_per_s'), fts_rate)} | "
               f"{rel(reidx.get('docs_per_s'), raw_rate)} | {_tree(reidx)} {_status(reidx)} |")
    out.append(f"| SQLite FTS5 insert | {_fmt(fts_rate)} | {_fmt(fts_b.get('peak_rss_mb'))} "
               f"| | | {_status(fts_b)} |")
    out.append(f"| raw Whoosh add_document | {_fmt(raw_rate)} | "
               f"{_fmt(raw_b.get('peak_rss_mb'))} | | | {_status(raw_b)} |")

    summary = res.get("search_summary", {})
    others = [k for k in summary if k not in ("cablemgr", "cablemgr engine")]
    out += ["", "| search (all queries pooled) | queries | p50 ms | p95 ms | "
            + " | ".join(f"× {o}" for o in others) + " |",
            "|---|---:|---:|---:|" + "---:|" * len(others)]
    for name, label in (("cablemgr", "cablemgr search (end to end)"),
                        ("cablemgr engine", "cablemgr engine (in process)")):
        row = summary.get(name, {})
        cells = [_fmt(_get(row, f"x {o}", "ratio"), 2) for o in others]
        out.append(f"| {label} | {_fmt(row.get('queries'))} | {_fmt(row.get('p50_ms'))} | "
                   f"{_fmt(row.get('p95_ms'))} | " + " | ".join(cells) + " |")
    for o in others:
        row = summary.get(o, {})
        out.append(f"| {o} | {_fmt(row.get('queries'))} | {_fmt(row.get('p50_ms'))} | "
                   f"{_fmt(row.get('p95_ms'))} |" + " |" * len(others))
    cold = res.get("search_cold", {})
    if cold.get("ok"):
        out.append(f"\nWhere one search command's time goes (one query of each kind, each the "
                   f"first call of a fresh process; p50 ms): imports {_fmt(cold['import']['p50'])},"
                   f" opening the database {_fmt(cold['open_db']['p50'])}, the first search "
                   f"{_fmt(cold['search']['p50'])}; interpreter start-up is `python -c pass` "
                   f"above.")
    index = _get(res, "whoosh_raw", "search", "index")
    if index:
        out.append(f"\nRaw Whoosh queries ran on {index}.")

    engines = search_engines(res)
    names = list(engines)
    out += ["", "| query | " + " | ".join(f"{n} hits / p50 ms" for n in names) + " |",
            "|---|" + "---:|" * len(names)]
    all_queries: list[str] = []
    for per_query in engines.values():
        for q in per_query or {}:
            if q not in all_queries:
                all_queries.append(q)
    for q in all_queries:
        cells = []
        for n in names:
            meas = (engines[n] or {}).get(q)
            if not meas or not meas.get("ok"):
                cells.append("n/a")
            else:
                cells.append(f"{_fmt(meas.get('hits'))} / {_fmt(meas.get('p50'))}")
        out.append(f"| {q} | " + " | ".join(cells) + " |")

    out += ["", "| command | p50 ms | p95 ms | peak RSS MB | note |", "|---|---:|---:|---:|---|"]
    log = res.get("log", {})
    out.append(f"| log one record | {_fmt(log.get('p50'))} | {_fmt(log.get('p95'))} | "
               f"{_fmt(log.get('peak_rss_mb'))} | {_status(log)} |")
    for name, meas in res.get("summaries", {}).items():
        out.append(f"| {name} | {_fmt(meas.get('p50'))} | {_fmt(meas.get('p95'))} | "
                   f"{_fmt(meas.get('peak_rss_mb'))} | {_status(meas)} |")
    return out
