"""HTML: one self-contained page to print or open offline.

Inline CSS only, no scripts, no fonts or images from the network (a Content-Security-Policy
forbids them, so a hostile title cannot add any), A4 print layout, and the classification
banner at the top and the bottom: the highest level the page actually contains.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from cablemgr.export import common as c
from cablemgr.export.markdown import more_late
from cablemgr.output import safe

_WITHHELD = re.compile(r"^\[(?:paragraph \d+|subject) withheld: [A-Za-z /]+\]$")

_CSS = """
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Serif", "Liberation Serif", Georgia, serif; font-size: 10.5pt;
       color: #111; line-height: 1.35; margin: 0 auto; padding: 8px 18px; max-width: 200mm; }
h1, h2, h3, .banner, th, .meta, .sub, .notice, .tag { font-family: "DejaVu Sans",
       "Liberation Sans", Arial, sans-serif; }
h1 { font-size: 17pt; margin: 10px 0 2px; }
h2 { font-size: 13pt; margin: 20px 0 4px; padding-bottom: 2px; border-bottom: 2px solid #333; }
h3 { font-size: 10.5pt; margin: 12px 0 4px; text-transform: uppercase; letter-spacing: .04em;
     color: #333; }
.sub, .meta { color: #444; font-size: 9pt; margin: 2px 0 8px; }
.banner { text-align: center; font-weight: bold; font-size: 11pt; letter-spacing: .3em;
          padding: 4px; margin: 0 0 6px; border: 2px solid currentColor; }
.banner.bottom { margin: 18px 0 0; }
.UNCLASSIFIED { color: #0b6b2f; } .RESTRICTED { color: #8a5a00; }
.CONFIDENTIAL { color: #0b3d91; } .SECRET { color: #b00020; }
.notice { border-left: 4px solid #8a5a00; background: #fbf4e4; padding: 4px 8px;
          margin: 6px 0; font-size: 9.5pt; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 9pt; }
th, td { border: 1px solid #9a9a9a; padding: 2px 5px; vertical-align: top; text-align: left; }
th { background: #ececec; font-weight: bold; font-size: 8.5pt; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.date { white-space: nowrap; }
table.matrix, table.parties { width: auto; min-width: 55%; }
table.matrix td.score { text-align: center; font-weight: bold; min-width: 2.6em; }
table.glance td:first-child { width: 38%; }
table.commitments td:nth-child(2) { width: 32%; }
table.commitments td:nth-child(7) { width: 26%; }
table.matrix td.num, table.parties td.num { min-width: 5.5em; }
table.matrix th.cid { text-align: center; }
.pos { background: #d5efd5; } .zero { background: #fbefc0; } .neg { background: #f4cccc; }
.unscored { color: #777; }
.overdue { color: #a00000; font-weight: bold; }
.legend { font-size: 8.5pt; color: #444; margin: 0 0 10px; }
ul.overdue-list { margin: 2px 0 8px 18px; padding: 0; }
section.dialogue, article.story { break-inside: avoid-page; }
article.story { margin: 8px 0 12px; }
article.story.related { border-left: 4px solid #777; padding-left: 10px; }
.related-head { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; color: #333;
                font-weight: bold; margin: 0 0 4px; }
.record h3 { text-transform: none; letter-spacing: 0; font-size: 11pt; color: #111; }
.record p { margin: 4px 0; white-space: pre-line; }
.record p.withheld { font-style: italic; color: #555; background: #eee; padding: 1px 4px; }
.copies { font-size: 9pt; color: #333; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; } }
"""


def esc(value: Any) -> str:
    return html.escape(safe(value), quote=True)


def _page(title: str, level: str, body: list[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)} ({esc(level)})</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f'<div class="banner top {esc(level)}" id="banner-top">{esc(level)}</div>',
        *body,
        f'<div class="banner bottom {esc(level)}" id="banner-bottom">{esc(level)}</div>',
        "</body>",
        "</html>",
        "",
    ])


def _table(headers: Sequence[tuple[str, str]], rows: Sequence[Sequence[tuple[str, str]]],
           cls: str = "", ident: str = "") -> str:
    """``headers`` and cells as (html, css class) pairs; the html is already escaped."""
    attrs = (f' class="{cls}"' if cls else "") + (f' id="{ident}"' if ident else "")
    out = [f"<table{attrs}>", "<thead><tr>"]
    out += [f'<th class="{k}">{h}</th>' if k else f"<th>{h}</th>" for h, k in headers]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="{k}">{v}</td>' if k else f"<td>{v}</td>"
                                    for v, k in row) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _notices(data: dict[str, Any]) -> list[str]:
    return [f'<p class="notice">{esc(n)}</p>' for n in data["notices"]]


def _score_class(score: str) -> str:
    return {"+1": "score pos", "0": "score zero", "\u22121": "score neg",
            "\u00b7": "score unscored"}.get(score, "score")


def _matrix(block: dict[str, Any]) -> str:
    matrix = block["matrix"]
    texts = {i["id"]: i["text"] for i in block["commitments"]}
    headers = [("Party", "")] + [(f'<span title="{esc(texts.get(cid, ""))}">{esc(cid)}</span>',
                                  "cid") for cid in matrix["commitments"]]
    headers += [("Mean", "num"), ("Compliance", "num")]
    rows = []
    for row in matrix["rows"]:
        cells = [(esc(row["party"]), "")]
        for cid in matrix["commitments"]:
            label = c.matrix_cell(row, cid)
            cells.append((esc(label), _score_class(label)))
        cells += [(esc(c.mean_label(row["mean"])), "num"),
                  (esc(c.percent_label(row["percent"])), "num")]
        rows.append(cells)
    return _table(headers, rows, "matrix", f"matrix-{esc(block['dialogue_id'])}")


def commitments(data: dict[str, Any]) -> str:
    """The commitment status summary as a printable page."""
    title = c.commitments_title(data)
    body = [f"<h1>{esc(title)}</h1>", f'<p class="sub">{esc(c.commitments_subtitle(data))}</p>',
            *_notices(data)]
    if len(data["dialogues"]) > 1:
        body += ["<h2>At a glance</h2>", _table(
            [(esc(h), "num" if i else "") for i, h in enumerate(c.GLANCE_HEADERS)],
            [[(esc(v), "num" if i else "") for i, v in enumerate(row)]
             for row in c.glance_rows(data)], "glance")]
    if data["parties"]:
        names = data["party_names"]
        body += ["<h2>Compliance by party, across the dialogues below</h2>", _table(
            [("Party", ""), ("Commitments", "num"), ("Scored", "num"), ("Mean", "num"),
             ("Compliance", "num")],
            [[(f"{esc(p['party'])} <span class=\"meta\">{esc(names.get(p['party'], ''))}"
               "</span>", ""), (esc(p["commitments"]), "num"), (esc(p["scored"]), "num"),
              (esc(c.mean_label(p["mean"])), "num"), (esc(c.percent_label(p["percent"])), "num")]
             for p in data["parties"]], "parties")]
    if not data["dialogues"]:
        body.append("<p>No commitments match.</p>")
    for block in data["dialogues"]:
        about = " \u00b7 ".join(a for a in (block["format"], block["forum"],
                                            f"lead {block['lead']}" if block["lead"] else None)
                                if a)
        body += [f'<section class="dialogue" id="{esc(block["dialogue_id"])}">',
                 f"<h2>{esc(block['dialogue'])} <span class=\"meta\">"
                 f"{esc(block['dialogue_id'])}</span></h2>",
                 f'<p class="meta">{esc(about)}<br>Status: '
                 f"{esc(c.counts_label(block['by_status']))}</p>"]
        if block["overdue"]:
            body += ["<h3>Overdue</h3>", '<ul class="overdue-list">']
            body += [f"<li><b>{esc(i['id'])}</b> {esc(i['text'])} ({esc(', '.join(i['by']))})"
                     f' \u2014 <span class="overdue">due {esc(c.due_label(i))}</span></li>'
                     for i in block["overdue"]]
            body.append("</ul>")
        body += ["<h3>Commitments</h3>", _table(
            [("ID", ""), ("Commitment", ""), ("By", ""), ("Due", "date"), ("Status", ""),
             ("Score", "num"), ("Last note", ""), ("Evidence", "")],
            [[(esc(i["id"]), ""), (esc(i["text"]), ""),
              (esc(", ".join(i["by"]) + (f" \u2192 {i['to']}" if i["to"] else "")), ""),
              (esc(i["due"] or ""), "date overdue" if i["overdue"] else "date"),
              (esc(c.status_label(i["status"])), ""), (esc(c.score_label(i["score"])), "num"),
              (esc((f"{i['last_assessed']}: " if i["last_assessed"] and i["note"] else "")
                   + (i["note"] or "")), ""), (esc(i["evidence"] or ""), "")]
             for i in block["commitments"]], "commitments")]
        body += ["<h3>Compliance matrix</h3>", _matrix(block),
                 '<p class="legend">+1 full compliance; 0 partial or in progress; '
                 "\u22121 no compliance; \u00b7 not yet assessed; blank: not a party to it. "
                 "Compliance = (mean + 1) / 2 \u00d7 100.</p>", "</section>"]
    return _page(title, data["classification"], body)


def _record(entry: dict[str, Any]) -> list[str]:
    meta = " \u00b7 ".join(p for p in (entry["id"], entry["date"] or "undated",
                                       c.where_label(entry), entry["reference"],
                                       entry["classification"]) if p)
    out = ['<div class="record">', f"<h3>{esc(entry['title'])}</h3>",
           f'<p class="meta">{esc(meta)}</p>']
    if entry["duplicates"]:
        copies = "; ".join(" ".join(p for p in (d["id"], d["post"], d["reference"]) if p)
                           for d in entry["duplicates"])
        out.append(f'<p class="copies">Also received as: {esc(copies)}</p>')
    for paragraph in [p for p in entry["body"].split("\n\n") if p.strip()]:
        cls = ' class="withheld"' if _WITHHELD.match(paragraph.strip()) else ""
        out.append(f"<p{cls}>{esc(paragraph.strip())}</p>")
    out.append("</div>")
    return out


def digest(data: dict[str, Any]) -> str:
    """The digest as a printable page."""
    body = ["<h1>Digest of reporting</h1>",
            f'<p class="sub">{esc(c.digest_subtitle(data))}</p>', *_notices(data)]
    if not data["groups"]:
        body.append("<p>No records dated or filed in this period.</p>")
    for group in data["groups"]:
        body.append(f"<h2>{esc(group['key'])}</h2>")
        for story in group["stories"]:
            related = len(story["items"]) > 1
            body.append(f'<article class="story{" related" if related else ""}">')
            if related:
                body.append(f'<p class="related-head">Related reports from '
                            f"{esc(', '.join(story['posts']) or 'HQ')}</p>")
            for entry in story["items"]:
                body += _record(entry)
            body.append("</article>")
    changes = data["commitments"]
    if changes["new"] or changes["changed"]:
        body += ["<h2>Commitments</h2>", "<ul>"]
        body += [f"<li>New: <b>{esc(i['id'])}</b> {esc(i['text'])} ({esc(', '.join(i['by']))};"
                 f" {esc(i['dialogue'])}), made {esc(i['made_on'])}, due "
                 f"{esc(i['due'] or 'not set')}</li>" for i in changes["new"]]
        for item in changes["changed"]:
            for move in item["assessments"]:
                score = (f", score {c.score_label(move['score'])}"
                         if move["score"] is not None else "")
                note = f": {move['note']}" if move["note"] else ""
                body.append(f"<li>{esc(move['date'])}: <b>{esc(item['id'])}</b> "
                            f"{esc(item['text'])} {esc(c.status_label(move['from']))} \u2192 "
                            f"{esc(c.status_label(move['to']) + score + note)}</li>")
        body.append("</ul>")
    if data["actions"]:
        body += ["<h2>Actions that fell due</h2>", _table(
            [("ID", ""), ("Action", ""), ("Owner", ""), ("Due", "date"), ("Status", "")],
            [[(esc(a["id"]), ""), (esc(a["text"]), ""), (esc(a["owner"] or ""), ""),
              (esc(a["due"]), "date overdue" if a["overdue"] else "date"),
              (esc(c.status_label(a["status"]) + (", overdue" if a["overdue"] else "")), "")]
             for a in data["actions"]], "actions")]
    if data["filed_dated_outside"]:
        body += ["<h2>Filed in this period, dated outside it</h2>", _table(
            [("ID", ""), ("Date", "date"), ("From", ""), ("Subject", ""), ("Class", "")],
            [[(esc(e["id"]), ""), (esc(e["date"] or ""), "date"),
              (esc(c.where_label(e)), ""), (esc(e["title"]), ""),
              (esc(e["classification"]), "")] for e in data["filed_dated_outside"]], "late")]
        more = more_late(data)
        if more:
            body.append(f"<p>{esc(more)}</p>")
    return _page("Digest of reporting", data["classification"], body)
