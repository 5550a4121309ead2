"""Commands for parties and dialogues."""

from __future__ import annotations

import click

from cablemgr.options import json_option
from cablemgr.output import emit_json, labelled, notice, safe, table

PARTY_TYPES = ("state", "organisation", "company", "civil-society", "technical")


@click.group(name="party")
def party_group() -> None:
    """Parties: states, organisations, companies, civil society, technical bodies."""


@party_group.command(name="add")
@click.argument("code")
@click.argument("name")
@click.option("--type", "party_type", type=click.Choice(PARTY_TYPES), required=True,
              help="What kind of party this is.")
@click.pass_obj
def party_add(app, code, name, party_type) -> None:
    """Add a party under a short CODE.

    Example: cablemgr party add MSFT Microsoft --type company
    """
    from cablemgr import parties

    party = parties.add(app.db(), code, name, party_type)
    click.echo(party["code"])


@party_group.command(name="list")
@click.option("--all", "show_all", is_flag=True,
              help="Include the built-in countries and organisations.")
@json_option
@click.pass_obj
def party_list(app, show_all, as_json) -> None:
    """List parties: the ones you added, and with --all (or --json) the built-in ones too.

    Example: cablemgr party list --all
    """
    from cablemgr import parties

    rows = parties.list_all(app.db(), include_builtin=show_all or as_json)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        notice("No parties added yet; 249 countries and the main organisations are built in "
               "(see: cablemgr party list --all).")
        return
    click.echo(table([(p["code"], p["type"], p["name"]) for p in rows],
                     ("CODE", "TYPE", "NAME")))


@click.group(name="dialogue")
def dialogue_group() -> None:
    """Dialogues: the bilateral and multilateral tracks."""


@dialogue_group.command(name="add")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["bilateral", "multilateral"]),
              required=True, help="Two parties or many.")
@click.option("--party", "party_codes", multiple=True, help="Party code (repeatable).")
@click.option("--forum", help="Forum, e.g. 'UN OEWG' or 'OSCE'.")
@click.option("--lead", help="Our lead officer.")
@click.option("--started", help="When the dialogue started.")
@click.pass_obj
def dialogue_add(app, name, fmt, party_codes, forum, lead, started) -> None:
    """Add a dialogue and print its id.

    Example: cablemgr dialogue add "US-X cyber dialogue" --format bilateral --party US
    """
    from cablemgr import dialogues

    dialogue = dialogues.add(app.db(), name, fmt, party_codes=party_codes, forum=forum,
                             lead=lead, started=started)
    click.echo(dialogue["id"])


@dialogue_group.command(name="list")
@json_option
@click.pass_obj
def dialogue_list(app, as_json) -> None:
    """List dialogues with their record and commitment counts."""
    from cablemgr import dialogues

    rows = dialogues.list_all(app.db())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        notice('No dialogues yet. Add one with: cablemgr dialogue add NAME --format bilateral')
        return
    click.echo(table(
        [(d["id"], d["format"], ", ".join(d["parties"]), d["records"], d["commitments"],
          d["last_activity"] or "", d["name"]) for d in rows],
        ("ID", "FORMAT", "PARTIES", "RECORDS", "COMMITMENTS", "LAST", "NAME"),
        max_widths={2: 24}))


@dialogue_group.command(name="show")
@click.argument("ref", metavar="REF")
@json_option
@click.pass_obj
def dialogue_show(app, ref, as_json) -> None:
    """Show a dialogue (id or unique name prefix) with its timeline.

    Example: cablemgr dialogue show OEWG
    """
    from cablemgr import dialogues

    db = app.db()
    show_dialogue(app, dialogues.resolve(db, ref), as_json)


def show_dialogue(app, number: int, as_json: bool) -> None:
    from cablemgr import overview
    from cablemgr.dates import today

    data = overview.dialogue_overview(app.db(), number, today=today())
    if as_json:
        emit_json(data)
        return
    click.echo(render_dialogue(data))


def render_dialogue(data: dict) -> str:
    lines = [click.style(f"{data['id']}  {safe(data['name'])}", bold=True)]
    lines += labelled((("Format", data["format"]), ("Forum", data["forum"]),
                       ("Parties", ", ".join(data["parties"])), ("Lead", data["lead"]),
                       ("Started", data["started"]), ("Status", data["status"])))
    lines += ["", click.style("Timeline", bold=True)]
    if data["timeline"]:
        lines.append(table([(t["date"] or "", t["id"], t["kind"], _where(t), _state(t),
                             _title(t)) for t in data["timeline"]],
                           ("DATE", "ID", "KIND", "POST/VENUE", "STATUS", "TITLE"),
                           max_widths={3: 20, 5: 70}))
    else:
        lines.append("(no records yet)")
    if data.get("open_actions"):
        lines += ["", click.style("Open actions", bold=True), table(
            [(a["id"], a["due"] or "", f"OVERDUE {a['days_overdue']}d" if a["overdue"] else "",
              a["owner"] or "", a["text"]) for a in data["open_actions"]],
            ("ID", "DUE", "", "OWNER", "TEXT"), max_widths={4: 70})]
    if data.get("compliance"):
        lines += ["", click.style("Compliance", bold=True), table(
            [(c["party"], _mean(c), f"{c['scored']}/{c['commitments']} scored",
              ", ".join(f"{s} {n}" for s, n in c["by_status"].items())
              + (f"; {c['overdue']} overdue" if c["overdue"] else ""))
             for c in data["compliance"]],
            ("PARTY", "MEAN", "", "BY STATUS"))]
    return "\n".join(lines)


def _where(entry: dict) -> str:
    if entry["kind"] == "commitment":
        return "by " + ",".join(entry["by"]) + (f" to {entry['to']}" if entry["to"] else "")
    return entry["where"] or ""


def _state(entry: dict) -> str:
    """A commitment's status with its last score, and overdue made loud."""
    if entry["kind"] != "commitment":
        return ""
    state = entry["status"]
    if entry["score"] is not None:
        state += f" {entry['score']:+d}" if entry["score"] else " 0"
    if entry["overdue"]:
        state += f", OVERDUE {entry['days_overdue']}d"
    return state


def _title(entry: dict) -> str:
    if entry["kind"] == "commitment" and entry["due"]:
        return f"{entry['title']} (due {entry['due']})"
    return entry["title"]


def _mean(row: dict) -> str:
    if row["mean_score"] is None:
        return "-"
    return f"{row['mean_score']:+.2f} ({row['percent']}%)"


def register(cli: click.Group) -> None:
    # ``show D2`` finds show_dialogue through cablemgr.cli.records.SHOWERS.
    cli.add_command(party_group)
    cli.add_command(dialogue_group)
