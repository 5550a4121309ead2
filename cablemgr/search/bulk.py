"""Writing a whole new index generation with one worker process per core.

Whoosh is pure Python, so one process indexes at the speed of one core. For a rebuild (and a
bulk import, which is drained as one) this module hands batches of documents to worker
processes, each writing its own segment of the new generation, then lists those segments in
the generation's table of contents. The result is an ordinary multi-segment index.

Whoosh ships a multi-process writer, but its workers are forked and block on a shared queue:
they inherit the index lock and outlive a killed parent, and a worker that dies loses its
documents without an error. Here workers are spawned (they inherit no locks), each has its
own pipe (it exits when the parent goes away), and a failed worker fails the build.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from typing import Any

from cablemgr.errors import DatabaseError

Progress = Callable[[int, int], None]

BATCH = 200
# Below this many documents starting the workers is not worth it; above it they win: the
# 1,000-record benchmark database (1,368 documents) rebuilds in 1.3 s with two workers and
# in 2.0 s in one process.
MIN_DOCUMENTS = 1000
# Each worker sorts this much of its postings in memory before spilling a run to disk
# (about 120 MB per worker in all); spilled runs are written in blocks, so a smaller pool
# costs little time: a 10,000-record rebuild took the same 11 s with 64 MB as with 96 MB.
WORKER_LIMIT_MB = 64


def worker_count() -> int:
    """Cores this process may use: one worker each, at most four (then the disk is the limit)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return min(cores, 4)


def workers_for(documents: int) -> int:
    """How many worker processes to build ``documents`` with; 0 means build in this process."""
    workers = worker_count()
    return workers if workers > 1 and documents >= MIN_DOCUMENTS else 0


def build(ix: Any, fields: Iterable[dict[str, Any]], total: int, workers: int,
          progress: Progress | None = None) -> int:
    """Index every document of ``fields`` into the empty index ``ix``; return how many.

    Raises DatabaseError if a worker fails; the generation is then incomplete and the caller
    discards it.
    """
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    processes = []
    for _ in range(workers):
        ours, theirs = context.Pipe()
        process = context.Process(target=_work, args=(theirs, ix.storage.folder, ix.indexname),
                                  daemon=True)
        process.start()
        theirs.close()
        pipes.append(ours)
        processes.append(process)
    done = 0
    try:
        batch: list[dict[str, Any]] = []
        idle = list(pipes)  # each worker's first batch goes to it in turn
        for doc in fields:
            batch.append(doc)
            if len(batch) == BATCH:
                _send(pipes, batch, idle)
                done += len(batch)
                batch = []
                if progress:
                    progress(done, total)
        if batch:
            _send(pipes, batch, idle)
            done += len(batch)
        for pipe in pipes:  # all stop taking work, then each finishes its segment
            _expect(pipe, "ready")
            pipe.send(None)
        segments = [_expect(pipe, "done") for pipe in pipes]
    except BaseException:
        for process in processes:
            process.terminate()
        raise
    finally:
        for process in processes:
            process.join()
    _commit(ix, [segment for segment in segments if segment is not None])
    if progress:
        progress(done, total)
    return done


def _send(pipes: list[Connection], batch: list[dict[str, Any]], idle: list[Connection]) -> None:
    """Give ``batch`` to a worker that has none yet, else to the first that asks for more
    (so a slow one never holds up the others)."""
    pipe = idle.pop(0) if idle else wait(pipes)[0]
    _expect(pipe, "ready")
    pipe.send(batch)


def _expect(pipe: Connection, wanted: str) -> Any:
    try:
        kind, value = pipe.recv()
    except (EOFError, OSError):
        raise DatabaseError("a search indexing process ended unexpectedly; "
                            "run: cablemgr reindex") from None
    if kind == "error":
        raise DatabaseError(f"a search indexing process failed: {value}")
    if kind != wanted:  # a protocol bug, not a user mistake
        raise RuntimeError(f"indexing worker said {kind!r}, expected {wanted!r}")
    return value


def _commit(ix: Any, segments: list[Any]) -> None:
    """Write the generation's table of contents listing the workers' segments."""
    writer = ix.writer()  # takes Whoosh's own lock on the new generation
    writer._close_segment()  # the parent wrote no documents of its own
    writer._commit_toc(segments)
    writer._finish()


def _work(pipe: Connection, folder: str, indexname: str) -> None:
    """A worker: add the batches it is sent to one segment, then hand the segment back."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.writing import SegmentWriter

    import cablemgr.search.schema  # noqa: F401  (the speed-ups, and the schema's field classes)

    writer = None
    try:
        ix = FileStorage(folder).open_index(indexname)
        # _lk=False: the generation is not live yet and only this build writes to it
        writer = SegmentWriter(ix, _lk=False, limitmb=WORKER_LIMIT_MB)
        while True:
            pipe.send(("ready", None))
            batch = pipe.recv()
            if batch is None:
                break
            for doc in batch:
                writer.add_document(**doc)
        # Not commit(): that would write a table of contents and clear the temporary
        # folder the other workers are still using.
        segment = writer._finalize_segment() if writer._added else None
        if segment is None:
            writer._close_segment()
        pipe.send(("done", segment))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return  # the parent has gone or is cancelling: its generation is discarded
    except BaseException as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            pipe.send(("error", detail))
        except OSError:
            pass
