"""In-process measures, each run in its own child process by run.py.

Running every engine in a fresh process gives each one a clean heap, so its peak RSS is its
own, and a crash in one baseline cannot take the harness down.

    python bench/worker.py TASK JSON-ARGS      prints one JSON object on stdout

Tasks:
- ``fts-build``:    load the documents into an SQLite FTS5 table (porter tokenizer);
- ``fts-query``:    the query set against it, engine time only (count and top 20 by bm25);
- ``whoosh-build``: a Whoosh index with cablemgr's schema, built by Whoosh alone;
- ``whoosh-query``: the query set through Whoosh's own parser and searcher;
- ``engine-query``: the query set through ``cablemgr.search.search`` in this process, i.e.
  cablemgr's search without process start-up, click and rendering;
- ``engine-cold``: one query as the first call of a fresh process, with its import time.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
import queries  # noqa: E402
from timing import Stats  # noqa: E402

LIMIT = 20
# cablemgr searches these by default, title weighted over the rest (cablemgr.search.query)
DEFAULT_FIELDS = {"title": 3.0, "meta": 1.5, "body": 1.0}


def documents(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The benchmark documents as flat dicts, the same for every baseline.

    Commitments and actions are included only when cablemgr imported them (``with_items``),
    so every engine always holds the same documents.
    """
    docs = []
    post: dict[str, str] = {}
    for obj in corpus.read_objects(args["path"]):
        if obj["type"] == "record":
            post[obj["uid"]] = obj.get("post") or ""
            meta = [obj.get("post"), obj.get("venue"), obj.get("dialogue"),
                    obj.get("reference"), obj.get("author"), " ".join(obj["tags"]),
                    " ".join(obj["parties"])]
            docs.append({"id": obj["uid"], "kind": obj["kind"], "title": obj["title"],
                         "body": obj["body"], "post": obj.get("post") or "",
                         "date": obj.get("date") or "", "tags": obj["tags"],
                         "parties": obj["parties"], "meta": " ".join(m for m in meta if m)})
        elif obj["type"] in ("commitment", "action") and args.get("with_items"):
            # an action is indexed with the post of the record it follows up, as in cablemgr
            item_post = post.get(obj.get("record"), "") if obj["type"] == "action" else ""
            meta = [obj.get("dialogue"), obj.get("owner"), obj.get("category"), item_post,
                    " ".join(obj.get("by") or [])]
            docs.append({"id": obj["uid"], "kind": obj["type"], "title": obj["text"][:90],
                         "body": obj["text"], "post": item_post,
                         "date": corpus.item_date(obj),
                         "tags": [obj["category"]] if obj.get("category") else [],
                         "parties": obj.get("by") or [],
                         "meta": " ".join(m for m in meta if m)})
    return docs


def _measured(fn, args: dict[str, Any]) -> dict[str, Any]:
    """Run a query function ``warmup`` times untimed, then ``runs`` times per query."""
    out = {}
    for q in queries.by_name(args["queries"]):
        stats = Stats()
        hits = None
        try:
            for i in range(args["warmup"] + args["runs"]):
                started = time.perf_counter()
                hits = fn(q)
                if hits is None:
                    break
                if i >= args["warmup"]:
                    stats.add(time.perf_counter() - started)
        except Exception as exc:  # a baseline failing on one query is a result, not a crash
            out[q.name] = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
            continue
        if hits is None:
            out[q.name] = {"ok": False, "error": "not applicable"}
        else:
            out[q.name] = {"ok": True, "hits": hits, **stats.summary(digits=2)}
    return out


# --- SQLite FTS5 -------------------------------------------------------------------------

def fts_build(args: dict[str, Any]) -> dict[str, Any]:
    docs = documents(args)
    path = Path(args["db"])
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, meta, post, "
                 "date UNINDEXED, kind UNINDEXED, tokenize='porter unicode61')")
    with conn:
        conn.executemany("INSERT INTO docs (title, body, meta, post, date, kind) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         ((d["title"], d["body"], d["meta"], d["post"], d["date"], d["kind"])
                          for d in docs))
    conn.close()
    seconds = time.perf_counter() - started
    return {"documents": len(docs), "seconds": round(seconds, 3),
            "docs_per_s": round(len(docs) / seconds, 1)}


def fts_query(args: dict[str, Any]) -> dict[str, Any]:
    conn = sqlite3.connect(args["db"])
    # title weighted over meta over body, like the other engines
    rank = "bm25(docs, 3.0, 1.0, 1.5, 1.5)"

    def one(q: queries.Query) -> int | None:
        if q.fts is None and q.date_range is None:
            return None
        where, params = [], []
        if q.fts is not None:
            where.append("docs MATCH ?")
            params.append(q.fts)
        if q.date_range:
            where.append("date BETWEEN ? AND ?")
            params.extend(q.date_range)
        clause = " AND ".join(where)
        total = conn.execute(f"SELECT count(*) FROM docs WHERE {clause}", params).fetchone()[0]
        order = f" ORDER BY {rank}" if q.fts is not None else ""
        conn.execute(f"SELECT rowid, title, date, post FROM docs WHERE {clause}{order} "
                     f"LIMIT {LIMIT}", params).fetchall()
        return total

    return _measured(one, args)


# --- raw Whoosh ----------------------------------------------------------------------------

def _schema():
    """cablemgr's fields and analyzers, declared with stock Whoosh classes only.

    Not imported from cablemgr: importing its schema also applies its Whoosh patches
    (cablemgr/search/patches.py), and this baseline measures the engine as shipped.
    """
    from whoosh import analysis, fields
    stem = analysis.StemmingAnalyzer(cachesize=-1)
    plain = analysis.RegexTokenizer() | analysis.LowercaseFilter()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True), kind=fields.ID(stored=True, sortable=True),
        title=fields.TEXT(analyzer=stem, stored=True, spelling=True),
        body=fields.TEXT(analyzer=stem), meta=fields.TEXT(analyzer=stem),
        post=fields.TEXT(analyzer=plain, stored=True), post_name=fields.ID(sortable=True),
        venue=fields.TEXT(analyzer=plain), dialogue=fields.TEXT(analyzer=plain, stored=True),
        tag=fields.KEYWORD(lowercase=True, commas=True),
        party=fields.KEYWORD(lowercase=True, commas=True),
        party_code=fields.KEYWORD(commas=True), classification=fields.ID(),
        status=fields.ID(), owner=fields.TEXT(analyzer=plain),
        ref=fields.KEYWORD(lowercase=True, commas=True),
        date=fields.ID(stored=True, sortable=True), year=fields.ID(sortable=True),
        month=fields.ID(), due=fields.ID(),
    ), "stock Whoosh fields, as cablemgr.search.schema declares them"


def whoosh_build(args: dict[str, Any]) -> dict[str, Any]:
    import shutil

    from whoosh import index

    schema, origin = _schema()
    names = set(schema.names())
    docs = documents(args)
    folder = Path(args["dir"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    ix = index.create_in(str(folder), schema)
    writer = ix.writer(limitmb=128)
    for d in docs:
        values = {"id": d["id"], "kind": d["kind"], "title": d["title"], "body": d["body"],
                  "meta": d["meta"], "post": d["post"], "date": d["date"],
                  "tag": ",".join(d["tags"]), "party": ",".join(d["parties"]),
                  "year": d["date"][:4], "month": d["date"][:7], "post_name": d["post"]}
        writer.add_document(**{k: v for k, v in values.items() if v and k in names})
    writer.commit()
    seconds = time.perf_counter() - started
    return {"documents": len(docs), "seconds": round(seconds, 3),
            "docs_per_s": round(len(docs) / seconds, 1), "schema": origin}


def whoosh_query(args: dict[str, Any]) -> dict[str, Any]:
    from whoosh import index
    from whoosh.qparser import FuzzyTermPlugin, MultifieldParser

    folder, indexname = args["dir"], args.get("indexname")

    def one(q: queries.Query) -> int:
        # opened per query, as each cablemgr command must
        ix = index.open_dir(folder, indexname=indexname) if indexname else \
            index.open_dir(folder)
        parser = MultifieldParser(list(DEFAULT_FIELDS), ix.schema, fieldboosts=DEFAULT_FIELDS)
        parser.add_plugin(FuzzyTermPlugin())
        with ix.searcher() as searcher:
            results = searcher.search(parser.parse(q.whoosh), limit=LIMIT)
            for hit in results:
                hit.fields()
            return len(results)

    return _measured(one, args)


# --- cablemgr's engine, in process ---------------------------------------------------------

def engine_query(args: dict[str, Any]) -> dict[str, Any]:
    from cablemgr import search
    from cablemgr.db import open_db

    db = open_db(Path(args["db"]))

    def one(q: queries.Query) -> int:
        return search.search(db, q.cablemgr, limit=LIMIT, notify=lambda message: None)["total"]

    return _measured(one, args)


def engine_cold(args: dict[str, Any]) -> dict[str, Any]:
    """One query as the first thing a fresh process does: import time, then the first call.

    Set against the warm in-process figure, this splits what a command pays beyond the
    engine into imports and cold caches (index files opened and read for the first time).
    """
    started = time.perf_counter()
    import cablemgr.cli  # noqa: F401  (what the command imports before running)
    from cablemgr import search
    from cablemgr.db import open_db
    from cablemgr.search import engine  # noqa: F401  (imported lazily by the first search)
    imported = time.perf_counter()
    db = open_db(Path(args["db"]))
    opened = time.perf_counter()
    total = search.search(db, queries.by_name([args["query"]])[0].cablemgr, limit=LIMIT,
                          notify=lambda message: None)["total"]
    done = time.perf_counter()
    return {"import_s": imported - started, "open_db_s": opened - imported,
            "search_s": done - opened, "hits": total}


TASKS = {"fts-build": fts_build, "fts-query": fts_query, "whoosh-build": whoosh_build,
         "whoosh-query": whoosh_query, "engine-query": engine_query,
         "engine-cold": engine_cold}

if __name__ == "__main__":
    task, raw = sys.argv[1], sys.argv[2]
    print(json.dumps(TASKS[task](json.loads(raw))))
