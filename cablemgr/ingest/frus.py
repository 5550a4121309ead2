"""FRUS documents (Foreign Relations of the United States): the corpus's JSONL (plain or
gzip) and the Office of the Historian's original TEI XML volumes.

Each document becomes a report: subject → title, place → post, origin → author, the FRUS id
(``frus1934v04/d2``) → reference, and uid ``frus:<id>`` so the same document imported from the
JSONL and from the TEI volume is filed once. Recipient, volume, document type, file reference,
source note and chapter go to the metadata. Printed markings map onto our levels
(``Secret`` → SECRET, anything ``…confidential`` → CONFIDENTIAL; ``Personal`` stays
UNCLASSIFIED); the printed text is kept in ``metadata.marking``.

TEI is read with ``xml.etree.ElementTree.iterparse``, streaming one document at a time. A file
with a DOCTYPE or ENTITY declaration is refused before parsing: the volumes have none, and
refusing them rules out entity expansion ("billion laughs") and external entities.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cablemgr.ingest import base
from cablemgr.ingest.base import ParseError, new_record

TEI = "{http://www.tei-c.org/ns/1.0}"
FRUS_NS = "{http://history.state.gov/frus/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_META_KEYS = ("recipient", "volume_id", "doc_id", "doc_number", "doc_type", "file_ref",
              "source_note", "chapter", "date_text", "parent_id")


def frus_level(marking: str | None) -> str | None:
    """Our level for a printed FRUS marking (None when there is none)."""
    if not marking:
        return None
    text = marking.lower()
    if "secret" in text:
        return "SECRET"
    if "confidential" in text:
        return "CONFIDENTIAL"
    return "UNCLASSIFIED"


def record_from_object(obj: dict[str, Any], line: int) -> dict[str, Any]:
    """A record dict from one corpus JSON object."""
    ident = obj.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise ParseError("a FRUS document without an id", line)
    body = obj.get("body") or ""
    if not isinstance(body, str):
        raise ParseError("a FRUS document whose body is not text", line)
    date = obj.get("date")
    if date:
        date = base.iso_date(str(date), line)
    title = " ".join(str(obj.get("subject") or "").split()) or f"[Untitled] {ident}"
    metadata = {key: obj[key] for key in _META_KEYS if obj.get(key)}
    metadata["source"] = obj.get("source") or "FRUS"
    if obj.get("classification"):
        metadata["marking"] = obj["classification"]
    place = obj.get("place")
    return new_record(
        kind="report", title=title, body=body, date=date,
        post=" ".join(str(place).split()) if place else None,
        author=obj.get("origin"), classification=frus_level(obj.get("classification")),
        reference=ident, uid=f"frus:{ident}", tags=["FRUS"], metadata=metadata, line=line)


def is_frus_object(obj: Any) -> bool:
    return isinstance(obj, dict) and "volume_id" in obj and "doc_id" in obj


def parse_jsonl(path: Path, warnings: list[str]) -> Iterator[dict[str, Any] | ParseError]:
    """Record dicts (or a ParseError per bad line) from a FRUS JSONL file, streamed."""
    for number, text in base.text_lines(path, warnings):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield ParseError(f"not valid JSON ({getattr(exc, 'msg', exc)})", number)
            continue
        if not is_frus_object(obj):
            yield ParseError("not a FRUS document (no volume_id/doc_id)", number)
            continue
        try:
            yield record_from_object(obj, number)
        except ParseError as exc:
            yield exc


def refuse_declarations(data: bytes) -> None:
    """Refuse XML carrying a DOCTYPE or ENTITY declaration (entity expansion, external
    entities); ours never need one."""
    m = _DECLARATION.search(data)
    if m:
        line = data.count(b"\n", 0, m.start()) + 1
        raise ParseError(f"XML with a {m[1].decode().upper()} declaration is refused "
                         "(entity expansion and external entities are not allowed)", line)


def parse_tei(path: Path, warnings: list[str]) -> Iterator[dict[str, Any] | ParseError]:
    """Record dicts from a TEI volume, one ``div[@type='document']`` at a time."""
    data = base.read_document(path, warnings, limit=base.MAX_DOCUMENT_BYTES * 4)
    refuse_declarations(data)
    import io

    volume = None
    title = None
    stack: list[ET.Element] = []
    try:
        for event, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                if volume is None and element.tag == f"{TEI}TEI":
                    volume = element.get(XML_ID) or path.name.split(".")[0]
                if _is_document(element):
                    stack.append(element)
                continue
            if title is None and element.tag == f"{TEI}title" and \
                    element.get("type") == "complete":
                title = " ".join("".join(element.itertext()).split())
            if not _is_document(element):
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            try:
                yield _tei_record(element, volume or path.name.split(".")[0], title, parent)
            except RecursionError:
                yield ParseError(f"document {element.get(XML_ID) or '?'} is nested too deeply "
                                 "to read")
            if parent is None:
                element.clear()
    except ET.ParseError as exc:
        raise ParseError(f"not well-formed XML ({exc.msg if hasattr(exc, 'msg') else exc})",
                         exc.position[0] if exc.position else 1) from None
    if volume is None:
        raise ParseError("not a TEI document (no <TEI> root)")


def _is_document(element: ET.Element) -> bool:
    return element.tag == f"{TEI}div" and element.get("type") == "document"


def _tei_record(div: ET.Element, volume: str, volume_title: str | None,
                parent: ET.Element | None) -> dict[str, Any]:
    doc_id = div.get(XML_ID) or (f"{parent.get(XML_ID)}-att" if parent is not None else "doc")
    head = div.find(f"{TEI}head")
    subject = _inline(head) if head is not None else ""
    source_note = next((_inline(n) for n in div.findall(f"{TEI}note")
                        if n.get("type") == "source"), None)
    dateline = div.find(f"{TEI}dateline")
    date = place = None
    if dateline is not None:
        when = next((d.get("when") for d in dateline.iter(f"{TEI}date") if d.get("when")), None)
        date = _day(when)
        name = dateline.find(f".//{TEI}placeName")
        place = _inline(name) if name is not None else None
    if date is None:
        low = div.get(f"{FRUS_NS}doc-dateTime-min")
        high = div.get(f"{FRUS_NS}doc-dateTime-max")
        if low and high and low[:10] == high[:10]:
            date = _day(low)
    origin = " ".join(_inline(p) for p in div.iter(f"{TEI}persName")
                      if p.get("type") == "from") or None
    obj = {"id": f"{volume}/{doc_id}", "subject": subject, "date": date, "place": place,
           "origin": origin, "body": "\n\n".join(_blocks(div)),
           "recipient": " ".join(_inline(p) for p in div.iter(f"{TEI}persName")
                                 if p.get("type") == "to") or None,
           "volume_id": volume, "doc_id": doc_id, "doc_number": div.get("n"),
           "source_note": source_note, "source": f"Foreign Relations of the United States "
                                                 f"(FRUS), {volume}",
           "parent_id": parent.get(XML_ID) if parent is not None else None,
           "classification": _marking(source_note)}
    record = record_from_object(obj, 1)
    if volume_title:
        record["metadata"]["volume_title"] = volume_title
    return record


def _day(value: str | None) -> str | None:
    if value and re.match(r"^\d{4}-\d{2}-\d{2}", value) and value[:4] >= "1776":
        return value[:10]
    return None


def _marking(note: str | None) -> str | None:
    if note:
        m = re.search(r"\b((?:strictly |personal and )?confidential|secret)\b", note, re.I)
        if m:
            return m[1].capitalize()
    return None


_SKIP = {f"{TEI}note", f"{TEI}pb", f"{TEI}fw", f"{TEI}figure"}
_CONTAINERS = {f"{FRUS_NS}attachment", f"{TEI}list", f"{TEI}table", f"{TEI}postscript",
               f"{TEI}div", f"{TEI}quote", f"{TEI}lg"}


def _blocks(element: ET.Element, top: bool = True) -> Iterator[str]:
    """Paragraph texts of a document, leaving out its heading, notes and nested documents."""
    for child in element:
        if child.tag in _SKIP or _is_document(child) or (top and child.tag == f"{TEI}head"):
            continue
        if child.tag == f"{TEI}row":
            text = " | ".join(_inline(cell) for cell in child)
        elif child.tag in _CONTAINERS:
            yield from _blocks(child, top=False)
            continue
        else:
            text = _inline(child)
        if text:
            yield text


def _inline(element: ET.Element) -> str:
    """The running text of an element without footnotes, whitespace collapsed."""
    parts: list[str] = []
    # an explicit stack, not recursion: hostile XML can nest elements thousands deep
    pending: list[ET.Element | str] = [element]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            parts.append(node)
            continue
        if node.tag in _SKIP:
            continue
        if node.tag == f"{TEI}lb":
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for sub in reversed(node):
            if sub.tail:
                pending.append(sub.tail)
            pending.append(sub)
    return " ".join("".join(parts).split())
