"""E-mail (``.eml``): one report per message, read with the standard library's ``email``.

- **Post**: the sender is looked up in a ``senders.csv`` mapping file (columns ``sender`` and
  ``post``; a sender is a full address ``desk@berlin.example.org`` or a domain
  ``berlin.example.org``), found beside the message or in any folder above it up to the
  folder being imported. An address wins over its domain; an unmapped sender's domain is
  used as the post, so nothing is filed without one.
- **Date**, **Subject**, the text/plain body (HTML reduced to text when there is no plain
  part). A cable header block at the top of the body is honoured: its SUBJECT, DATE, FROM,
  REF, CLASSIFICATION… win over the mail's own headers.
- **Attachments**: names, types and sizes in the metadata; attached ``.txt``/``.cable`` and
  ``.eml`` files become records of their own, linked to the mail.
"""

from __future__ import annotations

import csv
import email
import email.errors
import email.policy
import email.utils
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from cablemgr.ingest import base, cable
from cablemgr.ingest.base import ParseError, new_record

SENDERS_FILE = "senders.csv"
SENDER_COLUMNS = ("sender", "address", "domain", "email")
# The email package is lenient but can still raise a handful of exception types on broken
# MIME; every one of them means "malformed mail" to the user.
_MAIL_ERRORS = (email.errors.MessageError, ValueError, LookupError, TypeError, IndexError,
                AttributeError, AssertionError, RecursionError)


class SenderMap:
    """Sender address/domain → post, from ``senders.csv`` files (cached per folder)."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, dict[str, str]] = {}

    def lookup(self, address: str, path: Path, root: Path) -> str | None:
        mapping = self._mapping_for(path.parent, root)
        address = address.strip().lower()
        domain = address.rpartition("@")[2]
        return mapping.get(address) or mapping.get(domain) or mapping.get("@" + domain)

    def _mapping_for(self, folder: Path, root: Path) -> dict[str, str]:
        if folder not in self._by_folder:
            candidate = folder / SENDERS_FILE
            if candidate.is_file():
                self._by_folder[folder] = read_senders(candidate)
            elif folder != root and folder.parent != folder and root in folder.parents:
                self._by_folder[folder] = self._mapping_for(folder.parent, root)
            else:
                self._by_folder[folder] = {}
        return self._by_folder[folder]


def read_senders(path: Path) -> dict[str, str]:
    """The mapping in a ``senders.csv`` (a bad file maps nothing; the runner reports it)."""
    mapping: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            delimiter = ";" if sample.split("\n", 1)[0].count(";") > \
                sample.split("\n", 1)[0].count(",") else ","
            for row in csv.DictReader(handle, delimiter=delimiter):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()
                       if isinstance(v, str)}
                key = next((row[c] for c in SENDER_COLUMNS if row.get(c)), None)
                if key and row.get("post"):
                    mapping[key.lower()] = row["post"]
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    return mapping


def is_sender_map(fieldnames: list[str]) -> bool:
    """A CSV whose columns are a sender mapping, not records (skipped by the CSV importer)."""
    names = {name.strip().lower() for name in fieldnames if name}
    return "post" in names and bool(names & set(SENDER_COLUMNS)) and not \
        names & {"title", "subject", "body"}


class _TextFromHTML(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n" if tag in ("p", "div", "table", "blockquote") else "\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHTML()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def parse(data: bytes, *, path: Path, root: Path, senders: SenderMap, depth: int = 0
          ) -> dict[str, Any]:
    """A report record dict (with attachment records) from a message's bytes."""
    try:
        return _parse(data, path=path, root=root, senders=senders, depth=depth)
    except ParseError:
        raise
    except _MAIL_ERRORS as exc:
        raise ParseError(f"malformed mail ({type(exc).__name__}: {exc})") from None


def _parse(data: bytes, *, path: Path, root: Path, senders: SenderMap, depth: int
           ) -> dict[str, Any]:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    present = [name for name in ("From", "Date", "Subject") if msg.get(name) is not None]
    if not present:
        raise ParseError("malformed mail: no From, Date or Subject header (is it an e-mail?)")
    for defect in msg.defects:
        if isinstance(defect, (email.errors.StartBoundaryNotFoundDefect,
                               email.errors.NoBoundaryInMultipartDefect,
                               email.errors.MultipartInvariantViolationDefect)):
            raise ParseError(f"malformed mail: {defect.__class__.__name__} "
                             f"({defect.__doc__.strip().splitlines()[0]})")
    sender_name, address = email.utils.parseaddr(str(msg.get("From", "")))
    date = None
    if msg.get("Date") is not None:
        try:
            date = email.utils.parsedate_to_datetime(str(msg["Date"])).date().isoformat()
        except (TypeError, ValueError, IndexError):
            raise ParseError(f"cannot read the Date header '{msg['Date']}'") from None
    post = None
    if address:
        post = senders.lookup(address, path, root) or address.rpartition("@")[2].lower() or None
    subject = " ".join(str(msg.get("Subject", "")).split())
    text = _body_text(msg)
    defaults = {"subject": subject, "date": date or "", "from": post or ""}
    if _has_cable_header(text):
        record = cable.parse(text, defaults=defaults)
        if record["post_original"] == post:
            # the FROM came from the mapping, not from the message: it is the post already
            record["post"], record["post_original"] = post, None
    else:
        if not subject:
            raise ParseError("missing required header Subject")
        if not date:
            raise ParseError("missing required header Date")
        record = new_record(kind="report", title=subject, body=text, date=date, post=post,
                            portions=cable.portions(text))
    meta = record["metadata"]
    meta["mail"] = {"from": address or None, "sender": sender_name or None,
                    "message_id": str(msg.get("Message-ID", "")).strip() or None,
                    "subject": subject or None}
    attachments = []
    for part in msg.iter_attachments():
        name = part.get_filename() or "unnamed"
        payload = part.get_payload(decode=True) or b""
        attachments.append({"name": name, "type": part.get_content_type(),
                            "size": len(payload)})
        child = _attachment_record(part, name, payload, record, path=path, root=root,
                                   senders=senders, depth=depth)
        if child is not None:
            record["attachments"].append(child)
    if attachments:
        meta["attachments"] = attachments
    return record


def _body_text(msg) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").strip("\n")


def _has_cable_header(text: str) -> bool:
    first = next((line for line in text.split("\n") if line.strip()), "")
    m = base.HEADER_LINE.match(first)
    return bool(m) and m[1].strip().lower() in cable.KNOWN_KEYS


def _attachment_record(part, name: str, payload: bytes, mail: dict[str, Any], *, path: Path,
                       root: Path, senders: SenderMap, depth: int) -> dict[str, Any] | None:
    lower = name.lower()
    where = f"attachment {name}"
    if part.get_content_type() == "message/rfc822" or lower.endswith(".eml"):
        if depth >= 3:
            raise ParseError(f"{where}: mail nested more than three levels deep")
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            payload = inner[0].as_bytes()
        try:
            return parse(payload, path=path, root=root, senders=senders, depth=depth + 1)
        except ParseError as exc:
            raise ParseError(f"{where}: {exc.reason}") from None
    if not lower.endswith((".txt", ".cable")):
        return None
    warnings: list[str] = []
    try:
        text = base.decode(payload, warnings)
        if _has_cable_header(text):
            child = cable.parse(text, defaults={"subject": name, "date": mail["date"] or "",
                                                "from": mail["post_original"] or
                                                mail["post"] or ""})
        else:
            child = new_record(kind="report", title=name, body=text.strip("\n"),
                               date=mail["date"], post=mail["post"],
                               post_original=mail["post_original"],
                               portions=cable.portions(text))
    except ParseError as exc:
        raise ParseError(f"{where}: {exc.reason}") from None
    if not child["body"].strip():
        return None
    child["warnings"] += [f"{where}: {w}" for w in warnings]
    child["metadata"]["attached_to"] = mail["metadata"].get("mail", {}).get("message_id")
    return child
