"""Commands for commitments, actions and the ``due`` agenda."""

from __future__ import annotations

import click

from cablemgr.options import json_option
from cablemgr.output import emit_json, labelled, notice, safe, table

COMMITMENT_STATUSES = ("open", "in_progress", "fulfilled", "partially_fulfilled",
                       "not_fulfilled", "withdrawn")
CATEGORIES = ("norm", "confidence-building", "cooperation", "capacity-building",
              "information-sharing", "other")
CLASS_CHOICES = "UNCLASSIFIED, RESTRICTED, CONFIDENTIAL or SECRET (U, R, C, S)"


def _today():
    from cablemgr.dates import today

    return today()


def score_text(score: int | None) -> str:
    return "" if score is None else f"{score:+d}" if score else "0"


def state_text(item: dict) -> str:
    """The status as a person reads it, with the derived overdue made loud."""
    if item.get("overdue"):
        return f"{item['status']}, OVERDUE {item['days_overdue']}d"
    return item["status"]


def _number(item_id: str, entity: str) -> int:
    from cablemgr.ids import parse_id

    return parse_id(item_id, entity)[1]


# ---------------------------------------------------------------- commitment


@click.group(name="commitment")
def commitment_group() -> None:
    """Commitments made in dialogues, with their compliance history."""


@commitment_group.command(name="add")
@click.argument("text")
@click.option("--dialogue", help="Dialogue id or name prefix (default: the --record's).")
@click.option("--by", "by", multiple=True, required=True,
              help="Party code(s) that made it: CN or CN,US (repeatable).")
@click.option("--to", "to", help="Party code it is owed to.")
@click.option("--due", help="Due date, e.g. 2024-06-30, +3m, 'end of year'.")
@click.option("--record", help="The meeting or report where it was made (R12).")
@click.option("--category", type=click.Choice(CATEGORIES), help="Kind of commitment "
              "(default: other).")
@click.option("--class", "level", help=f"Classification: {CLASS_CHOICES}.")
@click.option("--date", "date", help="When it was made (default: the record's date, else "
              "today).")
@click.pass_obj
def commitment_add(app, text, dialogue, by, to, due, record, category, level, date) -> None:
    """Record a commitment and print its id.

    \b
    Example:
      cablemgr commitment add "Exchange hotline points of contact" --dialogue US \\
        --by CN,US --due 2024-06-30 --category confidence-building
    """
    from cablemgr import commitments

    item = commitments.add(app.db(), text, dialogue=dialogue, by=by, to=to, due=due,
                           record=record, category=category, classification_=level,
                           made_on=date, today=_today())
    click.echo(item["id"])


@commitment_group.command(name="update")
@click.argument("item_id", metavar="ID")
@click.option("--status", type=click.Choice(COMMITMENT_STATUSES), help="New status.")
@click.option("--score", metavar="-1|0|1",
              help="Compliance: -1 not complied, 0 partial or in progress, 1 full.")
@click.option("--note", help="What the assessment rests on.")
@click.option("--evidence", help="Record that shows it (R12).")
@click.option("--date", "date", help="Date of the assessment (default: today).")
@click.option("--due", help="New due date.")
@click.pass_obj
def commitment_update(app, item_id, status, score, note, evidence, date, due) -> None:
    """Assess a commitment (status, score, note, evidence) or move its due date.

    Each assessment is kept; the latest one is the commitment's current state.

    \b
    Example:
      cablemgr commitment update C3 --status in_progress --score 0 --evidence R14
    """
    from cablemgr import commitments

    item, changes = commitments.update(app.db(), _number(item_id, "commitment"),
                                       status=status, score=score, note=note,
                                       evidence=evidence, date=date, due=due, today=_today())
    parts = []
    if "status" in changes:
        parts.append("status {} → {}".format(*changes["status"]))
    if "assessment" in changes:
        assessment = changes["assessment"][1]
        parts.append(f"assessed {assessment['date']} as {assessment['status']}"
                     + (f", score {score_text(assessment['score'])}"
                        if assessment["score"] is not None else ""))
    if "due" in changes:
        parts.append("due {} → {}".format(*(v or "none" for v in changes["due"])))
    notice(f"{item['id']}: " + ("; ".join(parts) if parts else "nothing changed."))


@commitment_group.command(name="list")
@click.option("--dialogue", help="Only this dialogue (id or name prefix).")
@click.option("--status", type=click.Choice(COMMITMENT_STATUSES), help="Only this status.")
@click.option("--by", help="Only commitments made by this party.")
@click.option("--overdue", is_flag=True, help="Only overdue ones.")
@json_option
@click.pass_obj
def commitment_list(app, dialogue, status, by, overdue, as_json) -> None:
    """List commitments, soonest due first.

    Example: cablemgr commitment list --by CN --overdue
    """
    from cablemgr import commitments

    rows = commitments.list_commitments(app.db(), dialogue=dialogue, status=status, by=by,
                                        overdue=overdue, today=_today())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        notice("No commitments match.")
        return
    click.echo(table(
        [(c["id"], c["due"] or "", state_text(c), score_text(c["score"]), ",".join(c["by"]),
          c["dialogue"], c["text"]) for c in rows],
        ("ID", "DUE", "STATUS", "SCORE", "BY", "DIALOGUE", "TEXT"),
        max_widths={5: 28, 6: 60}))


@commitment_group.command(name="show")
@click.argument("item_id", metavar="ID")
@json_option
@click.pass_obj
def commitment_show(app, item_id, as_json) -> None:
    """Show a commitment with its whole assessment history, oldest first.

    Example: cablemgr commitment show C3
    """
    show_commitment(app, _number(item_id, "commitment"), as_json)


def show_commitment(app, number: int, as_json: bool) -> None:
    from cablemgr import commitments

    item = commitments.get(app.db(), number, today=_today())
    if as_json:
        emit_json(item)
        return
    click.echo(render_commitment(item))


def render_commitment(item: dict) -> str:
    lines = [click.style(f"{item['id']}  {safe(item['text'], keep_newlines=False)}", bold=True)]
    fields = [("Status", state_text(item)), ("Score", score_text(item["score"])),
              ("Dialogue", item["dialogue"]), ("By", ", ".join(item["by"])), ("To", item["to"]),
              ("Made on", item["made_on"]), ("Due", item["due"]), ("Record", item["record"]),
              ("Category", item["category"]), ("Class", item["classification"])]
    lines += labelled(fields)
    lines += ["", click.style("Assessments", bold=True)]
    if item["assessments"]:
        lines.append(table([(a["date"], a["status"], score_text(a["score"]), a["who"],
                             a["evidence"] or "", a["note"] or "") for a in item["assessments"]],
                           ("DATE", "STATUS", "SCORE", "WHO", "EVIDENCE", "NOTE"),
                           max_widths={5: 70}))
    else:
        lines.append("(none yet; add one with: cablemgr commitment update "
                     f"{item['id']} --status … --score …)")
    if item["actions"]:
        lines += ["", click.style("Actions", bold=True),
                  table([(a["id"], a["due"] or "", a["status"], a["owner"] or "", a["text"])
                         for a in item["actions"]], ("ID", "DUE", "STATUS", "OWNER", "TEXT"))]
    return "\n".join(lines)


# ---------------------------------------------------------------- action


@click.group(name="action")
def action_group() -> None:
    """Our follow-ups: who does what by when."""


@action_group.command(name="add")
@click.argument("text")
@click.option("--owner", help="Who does it.")
@click.option("--due", help="Due date, e.g. 2024-05-10, +2w, 'next friday'.")
@click.option("--dialogue", help="Dialogue id or name prefix (default: the commitment's or "
              "record's).")
@click.option("--record", help="The record it follows up (R12).")
@click.option("--commitment", help="The commitment it serves (C3).")
@click.pass_obj
def action_add(app, text, owner, due, dialogue, record, commitment) -> None:
    """Record a follow-up action and print its id.

    Example: cablemgr action add "Send the CBM non-paper" --owner maria --due +2w --record R12
    """
    from cablemgr import actions

    item = actions.add(app.db(), text, owner=owner, due=due, dialogue=dialogue, record=record,
                       commitment=commitment, today=_today())
    click.echo(item["id"])


@action_group.command(name="list")
@click.option("--owner", help="Only this owner's actions.")
@click.option("--status", type=click.Choice(["open", "done", "cancelled", "all"]),
              default="open", show_default=True, help="Only actions in this state.")
@click.option("--overdue", is_flag=True, help="Only overdue ones.")
@json_option
@click.pass_obj
def action_list(app, owner, status, overdue, as_json) -> None:
    """List actions, soonest due first.

    Example: cablemgr action list --owner maria --overdue
    """
    from cablemgr import actions

    rows = actions.list_actions(app.db(), owner=owner, status=status, overdue=overdue,
                                today=_today())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        notice("No actions match.")
        return
    click.echo(table(
        [(a["id"], a["due"] or "", state_text(a), a["owner"] or "", a["dialogue"] or "",
          a["text"]) for a in rows],
        ("ID", "DUE", "STATUS", "OWNER", "DIALOGUE", "TEXT"), max_widths={4: 28, 5: 60}))


def _close(app, item_id: str, status: str, note: str | None) -> None:
    from cablemgr import actions

    item = actions.close(app.db(), _number(item_id, "action"), status, note, today=_today())
    notice(f"{item['id']}: {item['status']}.")


@action_group.command(name="done")
@click.argument("item_id", metavar="ID")
@click.option("--note", help="How it was done.")
@click.pass_obj
def action_done(app, item_id, note) -> None:
    """Mark an action done.

    Example: cablemgr action done A7 --note "sent by e-mail on 3 May"
    """
    _close(app, item_id, "done", note)


@action_group.command(name="cancel")
@click.argument("item_id", metavar="ID")
@click.option("--note", help="Why it is no longer needed.")
@click.pass_obj
def action_cancel(app, item_id, note) -> None:
    """Cancel an action.

    Example: cablemgr action cancel A7 --note "overtaken by the June round"
    """
    _close(app, item_id, "cancelled", note)


@action_group.command(name="reopen")
@click.argument("item_id", metavar="ID")
@click.option("--note", help="Why it is open again.")
@click.pass_obj
def action_reopen(app, item_id, note) -> None:
    """Open a done or cancelled action again.

    Example: cablemgr action reopen A7 --note "the reply never arrived"
    """
    from cablemgr import actions

    item = actions.reopen(app.db(), _number(item_id, "action"), today=_today(), note=note)
    notice(f"{item['id']}: open again.")


@action_group.command(name="show")
@click.argument("item_id", metavar="ID")
@json_option
@click.pass_obj
def action_show(app, item_id, as_json) -> None:
    """Show one action.

    Example: cablemgr action show A7
    """
    show_action(app, _number(item_id, "action"), as_json)


def show_action(app, number: int, as_json: bool) -> None:
    from cablemgr import actions

    item = actions.get(app.db(), number, today=_today())
    if as_json:
        emit_json(item)
        return
    lines = [click.style(f"{item['id']}  {safe(item['text'], keep_newlines=False)}", bold=True)]
    fields = [("Status", state_text(item)), ("Owner", item["owner"]), ("Due", item["due"]),
              ("Dialogue", item["dialogue"]), ("Record", item["record"]),
              ("Commitment", item["commitment"]), ("Note", item["note"])]
    lines += labelled(fields, width=12)
    click.echo("\n".join(lines))


# ---------------------------------------------------------------- due


@click.command(name="due")
@click.option("--within", default="14d", show_default=True,
              help="How far ahead to look: 7d, 2w, 1m.")
@click.option("--owner", help="Only this owner's actions.")
@click.option("--dialogue", help="Only this dialogue (id or name prefix).")
@json_option
@click.pass_obj
def due_command(app, within, owner, dialogue, as_json) -> None:
    """What is overdue and what falls due soon: actions and commitments by dialogue.

    Example: cablemgr due --within 1m --owner maria
    """
    from cablemgr import agenda

    data = agenda.due(app.db(), today=_today(), within=within, owner=owner, dialogue=dialogue)
    if as_json:
        emit_json(data)
        return
    if not data["items"]:
        click.echo(f"Nothing overdue or due by {data['until']}.")
        return
    click.echo(render_agenda(data))


def render_agenda(data: dict) -> str:
    from cablemgr.agenda import NO_DIALOGUE

    lines: list[str] = []
    sections = (("Overdue", [i for i in data["items"] if i["overdue"]]),
                (f"Due by {data['until']}", [i for i in data["items"] if not i["overdue"]]))
    for title, items in sections:
        if not items:
            continue
        if lines:
            lines.append("")
        lines.append(click.style(f"{title} ({len(items)})", bold=True))
        groups: dict[str, list[dict]] = {}
        for item in items:
            groups.setdefault(item["dialogue"] or NO_DIALOGUE, []).append(item)
        rows = []
        for group in groups.values():
            for i in group:
                when = (f"{i['days_overdue']}d late" if i["overdue"]
                        else "today" if i["days_left"] == 0 else f"in {i['days_left']}d")
                who = f"@{i['owner']}" if i["owner"] else ",".join(i["by"] or [])
                rows.append((i["id"], i["due"], when, who, i["text"]))
        # one table per section so columns line up across dialogues; headings go in between
        rendered = iter(table(rows, ("ID", "DUE", "WHEN", "WHO", "TEXT"),
                              max_widths={4: 70}).splitlines()[1:])
        for name, group in groups.items():
            lines.append(f"  {safe(name, keep_newlines=False)}")
            lines += ["    " + next(rendered) for _ in group]
    return "\n".join(lines)


# ---------------------------------------------------------------- inline capture reporting


def capture_lines(summary: dict) -> list[str]:
    """What inline capture did to a meeting's items, one line each, for stderr."""
    lines = []
    for verb, key in (("Captured", "created"), ("Updated", "updated")):
        for item in summary[key]:
            if item["type"] == "action":
                who = f" @{item['owner']}" if item["owner"] else ""
            else:
                who = f" by {','.join(item['by'])}" + (f" to {item['to']}" if item["to"] else "")
            due = f" due {item['due']}" if item["due"] else ""
            lines.append(f"{verb} {item['id']} {item['type']}{who}{due}: "
                         f"{safe(item['text'], keep_newlines=False)}")
    for item_id in summary["deleted"]:
        lines.append(f"Removed {item_id}: its line is no longer in the notes.")
    for item in summary["orphaned"]:
        lines.append(f"Kept {item['id']}: its line is no longer in the notes, but it has a "
                     f"history (see: cablemgr show {item['id']}).")
    from cablemgr.inline import describe

    for problem in summary["problems"]:
        lines.append(f"Not tracked: {safe(describe(problem), keep_newlines=False)}")
    return lines


def register(cli: click.Group) -> None:
    # ``show C3`` and ``show A7`` find show_commitment and show_action through
    # cablemgr.cli.records.SHOWERS.
    cli.add_command(commitment_group)
    cli.add_command(action_group)
    cli.add_command(due_command)
