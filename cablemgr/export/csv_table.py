"""CSV for spreadsheets: one header row, one row per commitment (or, for the matrix, one row
per party and dialogue), numbers left as numbers, RFC 4180 line ends.

A text cell that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``) is
prefixed with an apostrophe: an exported note must not become a live formula on someone's
desk. Scores, means and percentages are written as plain numbers so they can be averaged.
"""

from __future__ import annotations

import csv
import io
from typing import Any

COMMITMENT_COLUMNS = ("dialogue", "dialogue_id", "id", "text", "by", "to", "made_on", "due",
                      "category", "status", "overdue", "days_overdue", "score",
                      "last_assessed", "note", "evidence", "record", "classification", "as_of")
_TEXT = {"dialogue", "text", "note", "party_name"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value)
    if key in _TEXT and isinstance(value, str):
        value = " ".join(value.split())
        if value.startswith(_FORMULA):
            return "'" + value
    return value


def _write(header: list[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(key, row.get(key)) for key in header])
    return buffer.getvalue()


def commitments(data: dict[str, Any]) -> str:
    """One row per commitment, each dialogue's commitments together."""
    rows = [{**item, "dialogue": block["dialogue"], "dialogue_id": block["dialogue_id"],
             "as_of": data["as_of"]}
            for block in data["dialogues"] for item in block["commitments"]]
    return _write(list(COMMITMENT_COLUMNS), rows)


def matrix(data: dict[str, Any]) -> str:
    """The compliance matrix: a row per dialogue and party, a column per commitment, then each
    party across all dialogues. A blank score means not made by that party, or not scored
    yet (see ``commitments`` and ``scored``)."""
    ids = [cid for block in data["dialogues"] for cid in block["matrix"]["commitments"]]
    header = ["dialogue", "dialogue_id", "party", "party_name", *ids, "commitments", "scored",
              "mean", "percent"]
    rows = []
    names = data["party_names"]
    for block in data["dialogues"]:
        for row in block["matrix"]["rows"]:
            rows.append({"dialogue": block["dialogue"], "dialogue_id": block["dialogue_id"],
                         "party": row["party"], "party_name": names.get(row["party"]),
                         **row["scores"], "commitments": row["commitments"],
                         "scored": row["scored"], "mean": row["mean"],
                         "percent": row["percent"]})
    every: dict[str, dict[str, Any]] = {}
    for block in data["dialogues"]:
        for row in block["matrix"]["rows"]:
            every.setdefault(row["party"], {}).update(row["scores"])
    for party in data["parties"]:
        rows.append({"dialogue": "(all dialogues)", "party": party["party"],
                     "party_name": names.get(party["party"]), **every.get(party["party"], {}),
                     "commitments": party["commitments"], "scored": party["scored"],
                     "mean": party["mean"], "percent": party["percent"]})
    return _write(header, rows)
