"""Guarded patches that make Whoosh 2.7 faster without changing what it stores or finds.

Whoosh 2.7 is pure Python and no longer released, so its slow spots are fixed here, each in
one function that checks it has not run already and keeps Whoosh's own code reachable for the
tests that compare the two:

- ``_remember_missing_lengths`` stops a file-system check per posting while a segment is written;
- ``_read_lengths_whole`` reads a field's per-document lengths once instead of once per posting;
- ``_read_segments_in_place`` stops every opened segment file from being copied into memory;
- ``_spill_runs_in_chunks`` writes the postings a large build spills to disk in blocks.
"""

from __future__ import annotations

import marshal
from itertools import islice
from typing import Any


def apply() -> None:
    _remember_missing_lengths()
    _read_lengths_whole()
    _read_segments_in_place()
    _spill_runs_in_chunks()


def _remember_missing_lengths() -> None:
    """Make Whoosh remember that a field has no lengths file.

    While writing a segment, Whoosh 2.7 asks the file system whether a lengths file exists
    for every single posting of a field that has none (ids, keywords, the spelling words),
    which made writing the index about half as fast as it needs to be. The answer cannot
    change while a segment reader is open (segments are immutable), so caching it is safe.
    """
    from whoosh.codec import whoosh3

    cls = whoosh3.W3PerDocReader
    original = getattr(cls, "_cached_reader", None)
    if original is None or getattr(original, "cablemgr_cached", False):
        return

    def cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        readers = self._readers
        if fieldname not in readers:
            readers[fieldname] = original(self, fieldname, column)
        return readers[fieldname]

    cached_reader.cablemgr_cached = True  # type: ignore[attr-defined]
    cls._cached_reader = cached_reader



def _read_lengths_whole() -> None:
    """Read each field's length column whole, on first use, instead of one seek per posting.

    Writing a segment asks for the length of the field in the document of every posting (two
    million calls for 10,000 reports), and Whoosh answers each with a seek and a one-byte read
    of the column it has just written: a tenth of indexing time. The column holds one byte per
    document (113 KB for the largest benchmark index), so reading it once costs less than a
    hundred of those reads, at search time too. Columns of another shape keep Whoosh's path.
    """
    from whoosh.codec import whoosh3

    cls = whoosh3.W3PerDocReader
    original = cls.doc_field_length
    if getattr(original, "cablemgr_whole", False):
        return
    to_length = whoosh3.byte_to_length
    lengths_column = whoosh3.LENGTHS_COLUMN
    lenfield = whoosh3._lenfield

    def doc_field_length(self: Any, docnum: int, fieldname: str, default: int = 0) -> Any:
        columns = self.__dict__.setdefault("_cablemgr_lengths", {})
        column = columns.get(fieldname, False)
        if column is False:
            reader = self._cached_reader(lenfield(fieldname), lengths_column)
            if reader is None:
                column = None
            elif getattr(reader, "_fixedlen", None) == 1:
                column = reader._dbfile.get(reader._basepos, reader._count)
            else:
                column = "whoosh"
            columns[fieldname] = column
        if column == "whoosh":
            return original(self, docnum, fieldname, default)
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        if column is None:
            return default
        lbyte = column[docnum] if docnum < len(column) else 0
        return to_length(lbyte) if lbyte else None

    doc_field_length.cablemgr_whole = True  # type: ignore[attr-defined]
    doc_field_length.whoosh_original = original  # type: ignore[attr-defined]
    cls.doc_field_length = doc_field_length


class _MemoryFile:
    """A read-only file over a buffer: reads copy only the bytes they return."""

    def __init__(self, buf: Any) -> None:
        self._buf = memoryview(buf).cast("B")
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        if start >= len(self._buf):
            return b""
        end = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        self._pos = end
        return bytes(self._buf[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        # only text pickles read lines; a line is found in short steps, not by copying the rest
        line = b""
        while size is None or size < 0 or len(line) < size:
            step = self.read(64 if size is None or size < 0 else min(64, size - len(line)))
            cut = step.find(b"\n")
            if cut >= 0:
                self._pos -= len(step) - cut - 1
                return line + step[:cut + 1]
            line += step
            if not step:
                break
        return line

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._buf))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf.release()


def _read_segments_in_place() -> None:
    """Let a segment's files be read where they are mapped, instead of copied whole first.

    Whoosh maps each segment file into memory, then wraps every file it opens inside it (the
    terms and postings above all) in a BytesIO, which copies the whole file, for a search
    that reads a few kilobytes of it: most of the time a search took on a large index (the
    10,000-record benchmark index copied 47 MB per search).
    """
    from whoosh.filedb import structfile

    cls = structfile.BufferFile
    if getattr(cls.__init__, "cablemgr_in_place", False):
        return

    def __init__(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = _MemoryFile(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    __init__.cablemgr_in_place = True  # type: ignore[attr-defined]
    __init__.whoosh_original = cls.__init__  # type: ignore[attr-defined]
    cls.__init__ = __init__


# Merging the runs holds one block of each in memory: a 100,000-record build spills dozens
# of runs per worker, so blocks stay small (about half a megabyte).
_RUN_CHUNK = 2_000


def _spill_runs_in_chunks() -> None:
    """Spill sorted runs of postings as lists of a few thousand, not one record per posting.

    A build larger than the writer's memory limit sorts its postings in runs on disk and
    merges them. Whoosh marshals and unmarshals every posting on its own (tens of millions
    at 100,000 records), which cost as much as indexing the documents; one marshal call per
    block of postings does the same work in C.
    """
    from whoosh import externalsort

    cls = externalsort.SortingPool
    if getattr(cls._write_run, "cablemgr_chunked", False):
        return

    def _write_run(self: Any, f: Any, items: Any) -> None:
        items = iter(items)
        try:
            while chunk := list(islice(items, _RUN_CHUNK)):
                data = marshal.dumps(chunk)
                f.write(len(data).to_bytes(8, "little"))
                f.write(data)
        finally:
            f.close()

    def _read_run(self: Any, path: str) -> Any:
        # Each block is read whole and unmarshalled from memory: marshal.load on a file
        # reads it object by object, which made reading runs back three times slower.
        f = self._open_run(path)
        try:
            while size := f.read(8):
                yield from marshal.loads(f.read(int.from_bytes(size, "little")))
        finally:
            f.close()
            self._remove_run(path)

    _write_run.cablemgr_chunked = True  # type: ignore[attr-defined]
    _write_run.whoosh_original = cls._write_run  # type: ignore[attr-defined]
    _read_run.whoosh_original = cls._read_run  # type: ignore[attr-defined]
    cls._write_run = _write_run
    cls._read_run = _read_run
