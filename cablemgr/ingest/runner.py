"""The import run: walk the paths, parse each file, file its records once, link them.

One write transaction holds the whole run and each file gets a savepoint inside it:

- by default a failure anywhere rolls the whole run back (all or nothing);
- with ``continue_on_error`` a failing file's savepoint is rolled back and the others commit;
- ``dry_run`` does all the work, reports it, and rolls everything back.

Files are streamed one at a time (folders are walked lazily, twice: native JSON/JSONL first so
the parties and dialogues they define exist before reports name them, then everything else),
so memory does not grow with the number of files.

**Duplicates.** A record whose uid is on file, or whose normalised body hashes the same as a
record on file (``records.content_hash``), is not filed again; the new source is added to the
existing record's ``metadata.sources``. Bodies under ``similarity.MIN_WORDS`` words must also
match title and date, so two one-line notes do not collapse into one. A near-duplicate (see
``similarity``) is filed and linked to the record it resembles.

**References.** ``REF`` is the record's own reference; ``REFS`` and references written in the
body become ``cites`` links. A ``REFS`` citation of a cable not on file yet is kept with its
reference and resolved when that cable arrives, in this run or a later one. A reference only
*mentioned* in the text is linked when the record is on file by the end of the run.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cablemgr import events, native, records
from cablemgr.dates import now_timestamp
from cablemgr.db import write
from cablemgr.errors import CablemgrError
from cablemgr.ingest import base, cable, detect, frus, mail, notes, similarity, tabular
from cablemgr.ingest.base import ParseError

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_FAILURES_PER_FILE = 20
MENTION_NOTE = "mentioned in the text"
_MAYBE_REFERENCE = re.compile(r"-\d{4}-\d")
_SKIPPED_NAMES = ("readme", "license", "licence", "changelog")


class ImportReport(native.ImportReport):
    """The native report plus what only file import knows: near-duplicates linked and whether
    the run was committed. ``as_dict`` gives the documented ``--json`` keys."""

    def __init__(self) -> None:
        super().__init__()
        # {"record", "duplicate_of", "similarity", "file"} for each near-duplicate linked
        self.near_duplicates: list[dict[str, Any]] = []
        # False when the run was rolled back (a failure without --continue-on-error, or
        # --dry-run)
        self.committed = True
        self.dry_run = False

    def as_dict(self) -> dict[str, Any]:
        return {"added": len(self.added), "duplicates": len(self.duplicates),
                "near_duplicates": self.near_duplicates, "failed": self.failed,
                "warnings": self.warnings, "committed": self.committed,
                "dry_run": self.dry_run, "ids": self.added}


class _FileFailed(Exception):
    """Unwinds one file's savepoint."""


class _Rollback(Exception):
    """Unwinds the whole run (dry run, or a failure without continue_on_error)."""


@dataclass
class _Run:
    db: Database
    report: ImportReport
    fmt: str
    senders: mail.SenderMap = field(default_factory=mail.SenderMap)
    party_codes: dict[str, str] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    # whether records filed without a near-duplicate sketch (native imports, `log`) have been
    # sketched in this run: done once, before the first comparison, so a native-only import
    # (a restore, the benchmark's bulk load) does not pay for it
    sketched: bool = False


def run(db: Database, paths: list[str], *, fmt: str = "auto", dry_run: bool = False,
        continue_on_error: bool = False,
        progress: Callable[[str], None] | None = None) -> ImportReport:
    """Import ``paths`` (files and folders) and return what was done.

    ``report.committed`` tells whether anything was written.
    """
    report = ImportReport()
    report.dry_run = dry_run
    state = _Run(db, report, fmt)
    try:
        with write(db):
            for display, path, root, _explicit in walk(paths, report):
                _import_file(state, display, path, root)
                if progress:
                    progress(display)
            _drop_unresolved_mentions(db)
            if dry_run or (report.failed and not continue_on_error):
                raise _Rollback
    except _Rollback:
        report.committed = False
    else:
        report.committed = True
    return report


# ---------------------------------------------------------------------------------------------
# Walking


def walk(paths: list[str], report: ImportReport
         ) -> Iterator[tuple[str, Path, Path, bool]]:
    """(display name, path, import root, given explicitly) for each file to import.

    Hidden files and folders, README/LICENSE files and files of unknown type are skipped in
    folders (the last with a warning); symbolic links to folders are not followed, which also
    keeps a link loop from walking forever.
    """
    for native_pass in (True, False):
        for given in paths:
            path = Path(given)
            if not os.path.lexists(path):
                if native_pass:
                    report.failed.append({"file": given, "line": None,
                                          "reason": "no such file or folder"})
                continue
            if path.is_dir():
                for display, file in _walk_folder(given, path, report, native_pass):
                    yield display, file, path, False
            elif _is_native_name(path) == native_pass:
                special = _special_file(path)
                if special:
                    report.failed.append({"file": given, "line": None,
                                          "reason": f"not a regular file ({special})"})
                    continue
                yield given, path, path.parent, True


def _special_file(path: Path) -> str | None:
    """What a path is when it is not a regular file (a named pipe, a device…), else None.
    A path that cannot be examined (a link loop) is left for reading to report."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return None


def _is_native_name(path: Path) -> bool:
    return path.name.lower().endswith((".json", ".jsonl", ".ndjson"))


def _walk_folder(given: str, folder: Path, report: ImportReport, native_pass: bool
                 ) -> Iterator[tuple[str, Path]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        if native_pass:
            report.failed.append({"file": given, "line": None,
                                  "reason": f"cannot read folder ({exc.strerror})"})
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        display = os.path.join(given, entry.name)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_link = entry.is_symlink()
        except OSError:
            is_dir = is_link = False
        if is_dir:
            yield from _walk_folder(display, Path(entry.path), report, native_pass)
            continue
        if is_link and os.path.isdir(entry.path):
            if native_pass:
                report.warnings.append(f"{display}: skipped a link to a folder "
                                       "(links to folders are not followed)")
            continue
        path = Path(entry.path)
        if _is_native_name(path) != native_pass:
            continue
        special = _special_file(path)
        if special:
            # reading a named pipe would block until someone writes to it
            report.warnings.append(f"{display}: skipped (not a regular file: {special})")
            continue
        if path.stem.lower().split(".")[0] in _SKIPPED_NAMES:
            continue
        if not detect.known_extension(path):
            report.warnings.append(f"{display}: skipped (not a file type cablemgr imports)")
            continue
        yield display, path


# ---------------------------------------------------------------------------------------------
# One file


def _import_file(state: _Run, display: str, path: Path, root: Path) -> None:
    state.failures = []
    warnings: list[str] = []
    before = (len(state.report.added), len(state.report.duplicates),
              len(state.report.near_duplicates), len(state.report.warnings))
    try:
        with write(state.db):
            try:
                _parse_and_file(state, display, path, root, warnings)
            except ParseError as exc:
                _fail(state, display, exc.line, exc.reason)
            except tabular.SkipFile as exc:
                warnings.append(f"skipped: {exc}")
            except OSError as exc:
                _fail(state, display, None, f"cannot read ({exc.strerror or exc})")
            if state.failures:
                raise _FileFailed
    except _FileFailed:
        # the file's records were rolled back with its savepoint: take them out of the count
        del state.report.added[before[0]:]
        del state.report.duplicates[before[1]:]
        del state.report.near_duplicates[before[2]:]
        del state.report.warnings[before[3]:]
        state.report.failed.extend(state.failures)
    state.report.warnings.extend(f"{display}: {w}" for w in warnings)


def _fail(state: _Run, display: str, line: int | None, reason: str) -> None:
    if len(state.failures) < MAX_FAILURES_PER_FILE:
        state.failures.append({"file": display, "line": line, "reason": reason})
    elif len(state.failures) == MAX_FAILURES_PER_FILE:
        state.failures.append({"file": display, "line": None,
                               "reason": "more problems in this file were not listed"})


def _parse_and_file(state: _Run, display: str, path: Path, root: Path,
                    warnings: list[str]) -> None:
    fmt = state.fmt if state.fmt != "auto" else detect.detect(path)
    if fmt in ("jsonl", "json"):
        _import_native(state, display, path, fmt, warnings)
        return
    multi = fmt in ("csv", "frus")
    for item in _records(state, fmt, path, root, warnings):
        if isinstance(item, ParseError):
            _fail(state, display, item.line, item.reason)
            continue
        source = f"{display}:{item['line']}" if multi else display
        try:
            _file_record(state, item, source)
        except ParseError as exc:
            _fail(state, display, exc.line if multi or exc.line != 1 else item["line"],
                  exc.reason)
        except CablemgrError as exc:
            _fail(state, display, item["line"], str(exc))


def _records(state: _Run, fmt: str, path: Path, root: Path, warnings: list[str]
             ) -> Iterator[dict[str, Any] | ParseError]:
    if fmt == "csv":
        yield from tabular.parse(path, warnings)
        return
    if fmt == "frus":
        if path.name.lower().endswith((".xml", ".xml.gz")) or \
                detect.head(path).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
            yield from frus.parse_tei(path, warnings)
        else:
            yield from frus.parse_jsonl(path, warnings)
        return
    data = base.read_document(path, warnings)
    if fmt == "eml":
        yield mail.parse(data, path=path, root=root, senders=state.senders)
        return
    text = base.decode(data, warnings)
    headers, body, body_line = base.split_header(text)
    if fmt == "notes" or (fmt == "text" and notes.is_meeting(headers)):
        yield notes.from_headers(headers, body, body_line)
    else:
        yield cable.from_headers(headers, body, body_line)


def _import_native(state: _Run, display: str, path: Path, fmt: str,
                   warnings: list[str]) -> None:
    if fmt == "json":
        data = base.read_document(path, warnings, limit=base.MAX_DOCUMENT_BYTES * 8)
        try:
            objects = json.loads(base.decode(data, warnings))
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"not valid JSON ({getattr(exc, 'msg', exc)})",
                             getattr(exc, "lineno", 1)) from None
        if not isinstance(objects, list):
            raise ParseError("expected a JSON list of objects")
        items: Any = ((0, obj) for obj in objects)
    else:
        items = _json_lines(path, warnings)
    try:
        native.import_objects(state.db, items, source=display, report=state.report)
    except CablemgrError as exc:
        message = str(exc)
        prefix = f"{display}:"
        line: int | None = None
        if message.startswith(prefix):
            number, _, rest = message[len(prefix):].partition(": ")
            if number.isdigit():
                line, message = int(number), rest
        raise ParseError(message, line or 1) from None


def _json_lines(path: Path, warnings: list[str]) -> Iterator[tuple[int, Any]]:
    for number, text in base.text_lines(path, warnings):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"not valid JSON ({getattr(exc, 'msg', exc)})", number) from None


# ---------------------------------------------------------------------------------------------
# One record


def _file_record(state: _Run, item: dict[str, Any], source: str) -> int:
    """File one record dict (and its attachments); return its number (or the existing one)."""
    db, report = state.db, state.report
    existing = _find_duplicate(db, item)
    if existing is not None:
        _note_source(db, existing, source)
        report.duplicates.append(f"R{existing}")
        number = existing
    else:
        # warnings are about how a record is filed: none for one already on file
        for warning in item["warnings"]:
            report.warnings.append(f"{source}: {warning}")
        number = _add(state, item, source)
    for child in item["attachments"]:
        child_number = _file_record(state, child, f"{source} (attachment)")
        records.link(db, child_number, number, kind="attachment")
    return number


def _add(state: _Run, item: dict[str, Any], source: str) -> int:
    db = state.db
    if not state.sketched:
        similarity.backfill(db)
        state.sketched = True
    metadata = dict(item["metadata"])
    metadata["sources"] = [source]
    record = records.add(
        db, uid=item["uid"], kind=item["kind"], title=item["title"], body=item["body"],
        date=item["date"], post=item["post"], post_original=item["post_original"],
        venue=item["venue"], dialogue=item["dialogue"],
        parties_=[_party_code(state, name, item["line"]) for name in item["parties"]],
        tags=item["tags"], classification_=item["classification"],
        reference=item["reference"], author=item["author"], portions=item["portions"],
        metadata=metadata)
    number = record["number"]
    state.report.added.append(record["id"])
    hashes = similarity.shingles(item["body"])
    for other, score in similarity.similar(db, hashes, exclude=number):
        # the later report is the possible copy of the earlier one, whichever arrived first
        copy, original, copy_source = number, other, source
        other_date, other_meta = db.execute("SELECT occurred_on, metadata FROM records "
                                            "WHERE id = ?", (other,)).fetchone()
        if record["date"] and other_date and record["date"] < other_date:
            copy, original = other, number
            copy_source = (json.loads(other_meta).get("sources") or [source])[0]
        records.link(db, copy, original, kind="near_duplicate",
                     note=f"similarity {score:.2f}")
        state.report.near_duplicates.append(
            {"record": f"R{copy}", "duplicate_of": f"R{original}", "similarity": score,
             "file": copy_source})
    similarity.store(db, number, hashes)
    _link_references(db, number, record["reference"], item)
    return number


def _find_duplicate(db: Database, item: dict[str, Any]) -> int | None:
    if item["uid"]:
        row = db.execute("SELECT id FROM records WHERE uid = ?", (item["uid"],)).fetchone()
        if row:
            return row[0]
    if not item["body"].strip():
        return None
    digest = records.content_hash(item["body"])
    for number, title, date in db.execute(
            "SELECT id, title, occurred_on FROM records WHERE content_hash = ? ORDER BY id",
            (digest,)).fetchall():
        if len(similarity.words(item["body"])) >= similarity.MIN_WORDS or (
                " ".join((item["title"] or "").split()).lower() == title.lower()
                and item["date"] == date):
            return number
    return None


def _note_source(db: Database, number: int, source: str) -> None:
    """Add ``source`` to a record's ``metadata.sources`` (as an event, so history and verify
    see it); a source already noted, by the same file name, changes nothing."""
    row = db.execute("SELECT metadata FROM records WHERE id = ?", (number,)).fetchone()
    metadata = json.loads(row[0])
    sources = list(metadata.get("sources") or [])
    if any(os.path.basename(s) == os.path.basename(source) for s in sources):
        return
    updated = {**metadata, "sources": sources + [source]}
    db.execute("UPDATE records SET metadata = ?, updated_at = ? WHERE id = ?",
               (json.dumps(updated, ensure_ascii=False), now_timestamp(), number))
    events.log(db, f"R{number}", "update", {"metadata": [metadata, updated]})


def _party_code(state: _Run, name: str, line: int) -> str:
    """A party code from a code or a name (``DE``, ``Germany``); unknown ones refused."""
    key = name.strip().lower()
    if key not in state.party_codes:
        row = state.db.execute(
            "SELECT code FROM parties WHERE code = ? COLLATE NOCASE OR name = ? COLLATE NOCASE "
            "ORDER BY code = ? COLLATE NOCASE DESC LIMIT 1", (key, key, key)).fetchone()
        if not row:
            raise ParseError(f"unknown party '{name.strip()}'. Use a code or name from: "
                             "cablemgr party list (or add it with: cablemgr party add)", line)
        state.party_codes[key] = row[0]
    return state.party_codes[key]


def _link_references(db: Database, number: int, reference: str | None,
                     item: dict[str, Any]) -> None:
    if reference:
        # citations that waited for this reference: resolve them now
        db.execute("UPDATE OR IGNORE record_links SET to_id = ? WHERE to_id IS NULL AND "
                   "kind = 'cites' AND to_reference = ? COLLATE NOCASE AND from_id != ?",
                   (number, reference, number))
        db.execute("DELETE FROM record_links WHERE to_id IS NULL AND kind = 'cites' AND "
                   "to_reference = ? COLLATE NOCASE", (reference,))
    cited = {ref.lower() for ref in item["refs"]}
    mentioned = []
    # a cheap test first: most long documents (FRUS) hold no reference number at all
    if _MAYBE_REFERENCE.search(item["body"]):
        mentioned = [ref for ref in records.references_in(item["body"])
                     if ref.lower() not in cited]
    own = (reference or "").lower()
    for ref, note in [(r, None) for r in item["refs"]] + [(r, MENTION_NOTE) for r in mentioned]:
        if ref.lower() == own:
            continue
        row = db.execute("SELECT id FROM records WHERE reference = ? COLLATE NOCASE AND id != ? "
                         "ORDER BY id LIMIT 1", (ref, number)).fetchone()
        records.link(db, number, row[0] if row else None, kind="cites", reference=ref,
                     note=note)


def _drop_unresolved_mentions(db: Database) -> None:
    """A reference merely mentioned in a text and still not on file is not kept as a
    citation: such mentions include things like CVE numbers that will never arrive."""
    db.execute("DELETE FROM record_links WHERE to_id IS NULL AND note = ?", (MENTION_NOTE,))
