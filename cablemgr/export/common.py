"""Wording shared by every output format, so a briefing reads the same in md, html and csv."""

from __future__ import annotations

from typing import Any

STATUS_LABELS = {"open": "open", "in_progress": "in progress", "fulfilled": "fulfilled",
                 "partially_fulfilled": "partially fulfilled", "not_fulfilled": "not fulfilled",
                 "withdrawn": "withdrawn", "done": "done", "cancelled": "cancelled"}


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")


def score_label(score: int | None) -> str:
    """+1, 0, −1 as a compliance table prints them; an empty string when never scored."""
    if score is None:
        return ""
    return {1: "+1", 0: "0", -1: "\u22121"}[score]


def mean_label(mean: float | None) -> str:
    if mean is None:
        return ""
    return f"{mean:+.2f}".replace("-", "\u2212") if mean else "0.00"


def percent_label(percent: int | None) -> str:
    return "" if percent is None else f"{percent} %"


def due_label(item: dict[str, Any]) -> str:
    """``2026-06-30`` with ``(146 days overdue)`` when it is."""
    if not item.get("due"):
        return ""
    if item.get("days_overdue"):
        return f"{item['due']} ({item['days_overdue']} days overdue)"
    return item["due"]


def counts_label(by_status: dict[str, int]) -> str:
    return ", ".join(f"{count} {status_label(status)}" for status, count in by_status.items())


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def commitments_title(data: dict[str, Any]) -> str:
    title = "Commitment status summary"
    if data["as_of"] != data["today"]:
        title += f" as of {data['as_of']}"
    return title


def commitments_subtitle(data: dict[str, Any]) -> str:
    totals = data["totals"]
    parts = [f"as of {data['as_of']}", plural(totals["commitments"], "commitment"),
             plural(len(data["dialogues"]), "dialogue"), f"{totals['overdue']} overdue"]
    filters = [f"{key} {value}" for key, value in data["filters"].items() if value]
    if filters:
        parts.append("only " + ", ".join(filters))
    if data["class_max"]:
        parts.append(f"ceiling {data['class_max']}")
    return " \u00b7 ".join(parts)


def digest_subtitle(data: dict[str, Any]) -> str:
    counts = data["counts"]
    parts = [f"{data['since']} to {data['until']}", plural(counts["records"], "record"),
             plural(counts["stories"], "story").replace("storys", "stories"),
             f"grouped by {data['by']}"]
    if counts["duplicates_collapsed"]:
        parts.append(f"{plural(counts['duplicates_collapsed'], 'copy').replace('copys', 'copies')}"
                     " collapsed")
    if data["class_max"]:
        parts.append(f"ceiling {data['class_max']}")
    return " \u00b7 ".join(parts)


def where_label(entry: dict[str, Any]) -> str:
    return entry.get("post") or entry.get("venue") or ("meeting" if entry.get("kind") ==
                                                        "meeting" else "")


def matrix_cell(row: dict[str, Any], commitment_id: str) -> str:
    """A party's score on a commitment: +1/0/−1, ``·`` when not scored yet, blank when the
    party made no such commitment."""
    if commitment_id not in row["scores"]:
        return ""
    score = row["scores"][commitment_id]
    return "\u00b7" if score is None else score_label(score)


GLANCE_HEADERS = ("Dialogue", "Commitments", "Open", "In progress", "Fulfilled", "Partly",
                  "Not fulfilled", "Withdrawn", "Overdue")


def glance_rows(data: dict[str, Any]) -> list[list[Any]]:
    """One line per dialogue: how many commitments, by status, and how many are overdue."""
    statuses = ("open", "in_progress", "fulfilled", "partially_fulfilled", "not_fulfilled",
                "withdrawn")
    return [[block["dialogue"], block["total"],
             *[block["by_status"].get(s, 0) or "" for s in statuses], len(block["overdue"]) or ""]
            for block in data["dialogues"]]
