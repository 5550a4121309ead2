"""Markdown: readable as plain text and rendered cleanly (tables with escaped pipes)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cablemgr.export import common as c
from cablemgr.output import safe

# Lines that Markdown would read as a heading, a quote, a code block or a numbered list item
# (which renumbers "4." to "2." when paragraphs 2-3 are withheld) are escaped.
_BLOCK_START = re.compile(r"^(\s*)(#|>|(\d{1,9})([.)]))")


def inline(value: Any) -> str:
    """One line of text safe inside a paragraph or a table cell."""
    text = safe(value, keep_newlines=False).strip()
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
            .replace(">", "&gt;"))


def block(text: str) -> str:
    """A body paragraph: line breaks kept, block markers escaped."""
    lines = []
    for line in safe(text).replace("\t", " ").split("\n"):
        line = line.strip().replace("\\", "\\\\").replace("<", "&lt;")
        m = _BLOCK_START.match(line)
        if m:
            line = line[:m.end(1)] + (f"{m[3]}\\{m[4]}" if m[3] else "\\" + m[2]) + \
                line[m.end():]
        lines.append(line)
    # two trailing spaces: a line break inside the paragraph, as the cable was written
    return "  \n".join(lines)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
          align: Sequence[str] | None = None) -> str:
    align = align or ["l"] * len(headers)
    rule = {"l": "---", "r": "--:", "c": ":-:"}
    out = ["| " + " | ".join(inline(h) for h in headers) + " |",
           "| " + " | ".join(rule[a] for a in align) + " |"]
    for row in rows:
        out.append("| " + " | ".join(inline(v) for v in row) + " |")
    return "\n".join(out)


def _banner(level: str) -> str:
    return f"**{level}**"


def _notices(data: dict[str, Any]) -> list[str]:
    return [f"> {inline(n)}" for n in data["notices"]]


def commitments(data: dict[str, Any]) -> str:
    """The commitment status summary as a Markdown document."""
    out = [_banner(data["classification"]), "", f"# {c.commitments_title(data)}", "",
           inline(c.commitments_subtitle(data)), ""]
    if data["notices"]:
        out += _notices(data) + [""]
    if len(data["dialogues"]) > 1:
        out += ["## At a glance", "",
                table(c.GLANCE_HEADERS, c.glance_rows(data), ["l"] + ["r"] * 8), ""]
    if data["parties"]:
        out += ["## Compliance by party, across the dialogues below", "",
                table(["Party", "Commitments", "Scored", "Mean", "Compliance"],
                      [(f"{p['party']} ({data['party_names'].get(p['party'], '')})",
                        p["commitments"], p["scored"], c.mean_label(p["mean"]),
                        c.percent_label(p["percent"])) for p in data["parties"]],
                      ["l", "r", "r", "r", "r"]), ""]
    if not data["dialogues"]:
        out += ["No commitments match.", ""]
    for block_ in data["dialogues"]:
        out += [f"## {inline(block_['dialogue'])} ({block_['dialogue_id']})", ""]
        about = [block_["format"], block_["forum"], f"lead {block_['lead']}" if block_["lead"]
                 else None]
        out += [inline(" \u00b7 ".join(a for a in about if a)), "",
                f"**Status:** {inline(c.counts_label(block_['by_status']))}", ""]
        if block_["overdue"]:
            out += ["### Overdue", ""]
            out += [f"- {i['id']} {inline(i['text'])} ({inline(', '.join(i['by']))}): due "
                    f"{inline(c.due_label(i))}" for i in block_["overdue"]]
            out.append("")
        out += ["### Commitments", "",
                table(["ID", "Commitment", "By", "To", "Due", "Status", "Score",
                       "Last assessed", "Last note", "Evidence"],
                      [(i["id"], i["text"], ", ".join(i["by"]), i["to"] or "",
                        c.due_label(i), c.status_label(i["status"]),
                        c.score_label(i["score"]), i["last_assessed"] or "",
                        i["note"] or "", i["evidence"] or "")
                       for i in block_["commitments"]]), ""]
        matrix = block_["matrix"]
        out += ["### Compliance matrix", "",
                table(["Party"] + matrix["commitments"] + ["Mean", "Compliance"],
                      [[row["party"]] + [c.matrix_cell(row, cid)
                                         for cid in matrix["commitments"]]
                       + [c.mean_label(row["mean"]), c.percent_label(row["percent"])]
                       for row in matrix["rows"]],
                      ["l"] + ["c"] * len(matrix["commitments"]) + ["r", "r"]), "",
                "Scores: +1 full compliance, 0 partial or in progress, \u22121 no compliance, "
                "\u00b7 not yet assessed. Compliance = (mean + 1) / 2 \u00d7 100.", ""]
    out += [_banner(data["classification"]), ""]
    return "\n".join(out)


def _entry(entry: dict[str, Any], level: int) -> list[str]:
    where = c.where_label(entry)
    head = " \u00b7 ".join(inline(p) for p in (entry["id"], entry["date"] or "undated", where,
                                                entry["reference"], entry["classification"])
                            if p)
    out = [f"{'#' * level} {inline(entry['title'])}", "", f"*{head}*", ""]
    if entry["duplicates"]:
        copies = "; ".join(" ".join(inline(p) for p in (d["id"], d["post"], d["reference"])
                                    if p) for d in entry["duplicates"])
        out += [f"Also received as: {copies}", ""]
    for paragraph in [p for p in entry["body"].split("\n\n") if p.strip()]:
        out += [block(paragraph), ""]
    return out


def digest(data: dict[str, Any]) -> str:
    """The digest as a Markdown document."""
    out = [_banner(data["classification"]), "", "# Digest of reporting", "",
           inline(c.digest_subtitle(data)), ""]
    if data["notices"]:
        out += _notices(data) + [""]
    if not data["groups"]:
        out += ["No records dated or filed in this period.", ""]
    for group in data["groups"]:
        out += [f"## {inline(group['key'])}", ""]
        for story in group["stories"]:
            if len(story["items"]) > 1:
                out += [f"**Related reports from {inline(', '.join(story['posts']) or 'HQ')}**",
                        ""]
            for entry in story["items"]:
                out += _entry(entry, 3)
    changes = data["commitments"]
    if changes["new"] or changes["changed"]:
        out += ["## Commitments", ""]
        for item in changes["new"]:
            out.append(f"- New: {item['id']} {inline(item['text'])} "
                       f"({inline(', '.join(item['by']))}; {inline(item['dialogue'])}), made "
                       f"{item['made_on']}, due {item['due'] or 'not set'}")
        for item in changes["changed"]:
            for move in item["assessments"]:
                score = f", score {c.score_label(move['score'])}" if move["score"] is not None \
                    else ""
                note = f": {inline(move['note'])}" if move["note"] else ""
                out.append(f"- {move['date']}: {item['id']} {inline(item['text'])} "
                           f"{c.status_label(move['from'])} \u2192 "
                           f"{c.status_label(move['to'])}{score}{note}")
        out.append("")
    if data["actions"]:
        out += ["## Actions that fell due", "",
                table(["ID", "Action", "Owner", "Due", "Status"],
                      [(a["id"], a["text"], a["owner"] or "", a["due"],
                        c.status_label(a["status"]) + (", overdue" if a["overdue"] else ""))
                       for a in data["actions"]]), ""]
    if data["filed_dated_outside"]:
        out += ["## Filed in this period, dated outside it", "",
                table(["ID", "Date", "Filed", "From", "Subject", "Class"],
                      [(e["id"], e["date"] or "", e["filed"], c.where_label(e), e["title"],
                        e["classification"]) for e in data["filed_dated_outside"]]), ""]
        more = more_late(data)
        if more:
            out += [more, ""]
    out += [_banner(data["classification"]), ""]
    return "\n".join(out)


def more_late(data: dict) -> str:
    """The line under the (shortened) late list naming how many more there are."""
    listed = len(data["filed_dated_outside"])
    total = data["counts"].get("filed_dated_outside_total", listed)
    if total <= listed:
        return ""
    return (f"\u2026 and {total - listed} more filed in this period but dated earlier "
            f"(see: cablemgr list)")
