"""Commands for records: init, log, report, list, show, edit, history."""

from __future__ import annotations

import importlib
import sys

import click

from cablemgr import notes
from cablemgr.errors import CablemgrError, InvalidInput
from cablemgr.options import json_option, limit_option
from cablemgr.output import emit_json, labelled, notice, safe, table

CLASS_CHOICES = "UNCLASSIFIED, RESTRICTED, CONFIDENTIAL or SECRET (U, R, C, S)"


def normalise_post(post: str | None) -> str | None:
    """'EMBASSY BERLIN' is filed under Berlin, as an imported cable from that post is."""
    from cablemgr.ingest.cable import normalise_post as normalise

    return normalise(post) if post else None


def read_body(body: str | None, file: str | None) -> str | None:
    """The body from --body, --file PATH|-, or None when neither was given."""
    if body is not None and file is not None:
        raise click.UsageError("give --body or --file, not both")
    if body is not None:
        return body
    if file is None:
        return None
    if file == "-":
        return read_stdin()
    try:
        with open(file, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"cannot read {file}: it is not UTF-8 text") from None


def first_line_title(body: str) -> str | None:
    for line in body.splitlines():
        if line.strip():
            text = line.strip()
            return text if len(text) <= 80 else text[:79].rstrip() + "…"
    return None


@click.command(name="init")
@click.pass_obj
def init_command(app) -> None:
    """Create the database (safe to run again) and print where it is.

    Example: cablemgr --db ~/unit.db init
    """
    existed = app.path.exists()
    app.db(create=True)
    click.echo(str(app.path))
    notice("Database already exists; schema is up to date." if existed else "Database created.")


def read_stdin() -> str:
    """Standard input as UTF-8 text; anything else is refused rather than stored garbled."""
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"standard input is not UTF-8 text (byte {exc.start + 1})") from None


def _today_iso() -> str:
    from cablemgr.dates import today

    return today().isoformat()


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _editor_or_stdin(template: str) -> str | None:
    """On a terminal open $EDITOR on the template; otherwise read stdin."""
    if stdin_is_terminal():
        edited = click.edit(template, extension=".md", require_save=True)
        if edited is None or edited.strip() == template.strip():
            return None
        return edited
    return read_stdin()


@click.command(name="log")
@click.option("--title", help="What the meeting was (default: the first line of the notes).")
@click.option("--date", "date", help="When it took place (default: today). e.g. 2024-03-14, "
              "yesterday, 'last friday'.")
@click.option("--dialogue", help="Dialogue id or name prefix.")
@click.option("--with", "with_", multiple=True, help="Party code of a counterpart (repeatable).")
@click.option("--venue", help="Where it took place.")
@click.option("--tag", "tags", multiple=True, help="Topic tag (repeatable).")
@click.option("--class", "level", help=f"Classification: {CLASS_CHOICES}.")
@click.option("--body", help="The notes as text.")
@click.option("--file", "file", help="Read the notes from a file, or - for stdin.")
@click.option("--force", is_flag=True, help="Save even if an ACTION/COMMITMENT line is malformed.")
@click.pass_obj
def log_command(app, title, date, dialogue, with_, venue, tags, level, body, file, force) -> None:
    """Log a meeting record and print its id.

    With no --body or --file: on a terminal your $EDITOR opens on a template; in a pipe the
    notes are read from stdin.

    Example: cablemgr log --title "OEWG informal" --dialogue OEWG --with CN --file notes.md
    """
    from cablemgr import records

    text = read_body(body, file)
    values = {"title": title, "date": date, "dialogue": dialogue,
              "with": ", ".join(with_), "venue": venue, "tags": ", ".join(tags),
              "classification": level}
    typed = stdin_is_terminal() and text is None
    if text is None:
        text = _editor_or_stdin(notes.render({**values, "date": date or _today_iso()}))
        if text is None or not text.strip():
            raise InvalidInput("nothing saved: the note was left empty or unchanged")
    original = text
    headers, text = notes.parse(text)
    # flags win over header lines typed into the editor or piped in
    merged = {key: headers.get(key) for key in notes.TEMPLATE_KEYS}
    merged.update({k: v for k, v in values.items() if v})
    if not text.strip() and not merged["title"]:
        raise InvalidInput("nothing saved: the note is empty")
    db = app.db(create=True)
    try:
        record = save_with_capture(lambda force_inline, on_capture: records.add(
            db, kind="meeting", title=merged["title"] or first_line_title(text), body=text,
            date=merged["date"] or "today", dialogue=merged["dialogue"],
            parties_=notes.split_list(merged["with"]), venue=merged["venue"],
            tags=notes.split_list(merged["tags"]), classification_=merged["classification"],
            force_inline=force_inline, on_capture=on_capture), force,
            line_offset=_lines_before(original, text))
    except CablemgrError:
        if typed:
            _keep_notes(original, "cablemgr log --file {path}")
        raise
    _say_if_raised(record, merged["classification"])
    click.echo(record["id"])


def _lines_before(original: str, body: str) -> int:
    """How many lines (header, blank) precede the body in what the person typed, so line
    numbers in messages match their file or editor."""
    whole = original.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    if not body or not whole.endswith(body):
        return 0
    return whole[: len(whole) - len(body)].count("\n")


def _keep_notes(text: str, retry: str | None) -> None:
    """Notes typed into the editor are not lost when saving them fails: keep a private copy
    (mkstemp makes it 0600) and say how to use it."""
    import os
    import tempfile

    fd, path = tempfile.mkstemp(prefix="cablemgr-notes-", suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    hint = f"; after fixing them: {retry.format(path=path)}" if retry else ""
    notice(f"Your notes are kept in {path}{hint}")


def save_with_capture(save, force: bool, *, line_offset: int = 0):
    """Run ``save(force_inline, on_capture)`` and tell the person what the notes' ACTION and
    COMMITMENT lines became.

    An unreadable line stops the save (nothing is written) unless --force; on a terminal the
    person is asked instead, and a yes saves with those lines left untracked.
    """
    from cablemgr.cli.commitments import capture_lines
    from cablemgr.inline import MalformedNotes, describe

    def shift(items: list[dict]) -> list[dict]:
        return [{**item, "line": item["line"] + line_offset} for item in items]

    summaries: list[dict] = []
    try:
        result = save(force, summaries.append)
    except MalformedNotes as exc:
        problems = shift(exc.problems)
        if not stdin_is_terminal():
            raise MalformedNotes(problems, "Fix the notes, or save anyway with --force (such "
                                 "lines are then not tracked).") from None
        for problem in problems:
            notice(f"Cannot read {safe(describe(problem), keep_newlines=False)}")
        if not click.confirm("Save anyway, leaving those lines untracked?", default=False,
                             err=True):
            raise InvalidInput("nothing saved") from None
        summaries.clear()
        result = save(True, summaries.append)
    for summary in summaries:
        summary = {**summary, "problems": shift(summary["problems"])}
        for line in capture_lines(summary):
            notice(line)
    return result


@click.command(name="report")
@click.option("--post", help="Reporting embassy or mission, e.g. Geneva.")
@click.option("--date", "date", help="Date of the report (default: today).")
@click.option("--subject", help="Subject line (default: the first line of the text).")
@click.option("--ref", "reference", help="The post's own reference, e.g. GENEVA-2024-0042.")
@click.option("--dialogue", help="Dialogue id or name prefix.")
@click.option("--with", "with_", multiple=True, help="Party code concerned (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Topic tag (repeatable).")
@click.option("--class", "level", help=f"Classification: {CLASS_CHOICES}.")
@click.option("--body", help="The report text.")
@click.option("--file", "file", help="Read the text from a file, or - for stdin.")
@click.pass_obj
def report_command(app, post, date, subject, reference, dialogue, with_, tags, level, body,
                   file) -> None:
    """File an embassy report and print its id.

    Example: cablemgr report --post Geneva --subject "OEWG third session" --file cable.txt
    """
    from cablemgr import records

    text = read_body(body, file)
    values = {"subject": subject, "date": date, "post": post, "ref": reference,
              "dialogue": dialogue, "with": ", ".join(with_), "tags": ", ".join(tags),
              "classification": level}
    if text is None:
        text = _editor_or_stdin(notes.render({**values, "date": date or _today_iso()},
                                             keys=notes.REPORT_KEYS))
        if text is None or not text.strip():
            raise InvalidInput("nothing saved: the report was left empty or unchanged")
    headers, text = notes.parse(text, keys=notes.REPORT_KEYS)
    merged = {key: headers.get(key) for key in notes.REPORT_KEYS}
    merged.update({k: v for k, v in values.items() if v})
    if not text.strip() and not merged["subject"]:
        raise InvalidInput("nothing saved: the report is empty")
    db = app.db(create=True)
    record = records.add(
        db, kind="report", title=merged["subject"] or first_line_title(text), body=text,
        date=merged["date"] or "today", post=normalise_post(merged["post"]),
        post_original=merged["post"], reference=merged["ref"],
        dialogue=merged["dialogue"], parties_=notes.split_list(merged["with"]),
        tags=notes.split_list(merged["tags"]), classification_=merged["classification"])
    _say_if_raised(record, merged["classification"])
    click.echo(record["id"])


def _say_if_raised(record: dict, stated: str | None) -> None:
    """Warn when portion marks in the body filed the record above the level given."""
    from cablemgr.classification import parse_level, rank

    if rank(record["classification"]) > rank(parse_level(stated)):
        notice(f"Warning: {record['id']} filed as {record['classification']}: a paragraph is "
               f"marked above {parse_level(stated)}")


@click.command(name="list")
@click.option("--kind", type=click.Choice(["meeting", "report"]), help="Only this kind.")
@click.option("--post", help="Only reports from this post.")
@click.option("--dialogue", help="Only this dialogue (id or name prefix).")
@click.option("--party", help="Only records concerning this party code.")
@click.option("--tag", help="Only records with this tag.")
@click.option("--since", help="From this date (inclusive).")
@click.option("--until", help="Up to this date (inclusive).")
@limit_option(50)
@json_option
@click.pass_obj
def list_command(app, kind, post, dialogue, party, tag, since, until, limit, as_json) -> None:
    """List records, newest first.

    Example: cablemgr list --post Geneva --since 2024-01 --tag norms
    """
    from cablemgr import records

    rows = records.list_records(app.db(), kind=kind, post=post, dialogue=dialogue, party=party,
                                tag=tag, since=since, until=until, limit=limit)
    if as_json:
        emit_json([{key: r[key] for key in SUMMARY_KEYS} for r in rows])
        return
    if not rows:
        notice("No records match.")
        return
    click.echo(table(
        [(r["id"], r["date"] or "", r["kind"], r["post"] or r["venue"] or "",
          r["classification"][0], r["title"]) for r in rows],
        ("ID", "DATE", "KIND", "POST/VENUE", "CL", "TITLE"),
        max_widths={3: 22, 5: 70}))


SUMMARY_KEYS = ("id", "uid", "kind", "date", "title", "post", "venue", "dialogue",
                "dialogue_id", "parties", "tags", "classification", "reference", "created_at")


@click.command(name="show")
@click.argument("item_id", metavar="ID")
@json_option
@click.pass_obj
def show_command(app, item_id, as_json) -> None:
    """Show one record, dialogue, commitment or action by id (R12, D2, C3, A7; 12 = R12).

    Example: cablemgr show R12 --json
    """
    from cablemgr.ids import parse_id

    entity, number = parse_id(item_id)
    module, function = SHOWERS[entity]
    getattr(importlib.import_module(module), function)(app, number, as_json)


def show_record(app, number: int, as_json: bool) -> None:
    from cablemgr import actions, commitments, records, search
    from cablemgr.dates import today

    db = app.db()
    record = records.get(db, number)
    # what this record led to, and who else reported the same thing
    record["commitments"] = [
        {key: c[key] for key in ("id", "text", "by", "due", "status", "overdue")}
        for c in commitments.list_commitments(db, today=today(), record=number)]
    record["actions"] = [
        {key: a[key] for key in ("id", "text", "owner", "due", "status", "overdue")}
        for a in actions.list_actions(db, today=today(), record=number, status="all")]
    record["related"] = [
        {key: r[key] for key in ("id", "date", "kind", "post", "title")}
        for r in search.related(db, number, limit=3, notify=notice)]
    if as_json:
        emit_json(record)
        return
    click.echo(render_record(record))


def render_record(record: dict) -> str:
    lines = [click.style(f"{record['id']}  {safe(record['title'], keep_newlines=False)}",
                         bold=True)]
    fields = [("Kind", record["kind"]), ("Date", record["date"]), ("Post", record["post"]),
              ("Venue", record["venue"]), ("Dialogue", record["dialogue"]),
              ("Parties", ", ".join(record["parties"])), ("Tags", ", ".join(record["tags"])),
              ("Class", record["classification"]), ("Ref", record["reference"]),
              ("Filed", record["created_at"])]
    lines += labelled(fields)
    for link in record["links"]:
        target = link["record"] or f"{link['reference']} (not on file yet)"
        verb = {("out", "cites"): "cites", ("in", "cites"): "cited by",
                ("out", "near_duplicate"): "possible duplicate of",
                ("in", "near_duplicate"): "possible duplicate:",
                ("out", "attachment"): "attached to", ("in", "attachment"): "attachment:"}
        lines.append(f"{'Link:':<10}{verb[(link['direction'], link['kind'])]} {safe(target)}")
    lines += ["", safe(record["body"])]
    items = [(c["id"], c["due"] or "", _state(c), "by " + ", ".join(c["by"]), c["text"])
             for c in record.get("commitments", [])]
    items += [(a["id"], a["due"] or "", _state(a), "@" + (a["owner"] or "?"), a["text"])
              for a in record.get("actions", [])]
    if items:
        lines += ["", click.style("Captured", bold=True),
                  table(items, ("ID", "DUE", "STATUS", "WHO", "TEXT"), max_widths={4: 70})]
    if record.get("related"):
        lines += ["", click.style("Related", bold=True),
                  table([(r["id"], r["date"] or "", r["post"] or "", r["title"])
                         for r in record["related"]], ("ID", "DATE", "POST", "TITLE"),
                        max_widths={3: 70})]
    return "\n".join(lines)


def _state(item: dict) -> str:
    return item["status"] + (", OVERDUE" if item["overdue"] else "")


# Who shows each kind of id, by module and function name: commands are loaded lazily, so
# ``show R12`` should not import the dialogue and commitment commands to find its own.
SHOWERS = {
    "record": ("cablemgr.cli.records", "show_record"),
    "dialogue": ("cablemgr.cli.dialogues", "show_dialogue"),
    "commitment": ("cablemgr.cli.commitments", "show_commitment"),
    "action": ("cablemgr.cli.commitments", "show_action"),
}


@click.command(name="edit")
@click.argument("record_id", metavar="ID")
@click.option("--title", help="New title or subject.")
@click.option("--date", "date", help="New date.")
@click.option("--dialogue", help="New dialogue (id or name prefix).")
@click.option("--with", "with_", multiple=True, help="Replace the parties (repeatable).")
@click.option("--venue", help="New venue.")
@click.option("--post", help="New post.")
@click.option("--ref", "reference", help="New reference, e.g. GENEVA-2024-0042.")
@click.option("--tag", "tags", multiple=True, help="Replace the tags (repeatable).")
@click.option("--class", "level", help=f"New classification: {CLASS_CHOICES}.")
@click.option("--body", help="Replace the body.")
@click.option("--file", "file", help="Replace the body from a file, or - for stdin.")
@click.option("--force", is_flag=True, help="Save even if an ACTION/COMMITMENT line is malformed.")
@click.pass_obj
def edit_command(app, record_id, title, date, dialogue, with_, venue, post, reference, tags,
                 level, body, file, force) -> None:
    """Change a record: with flags, or in $EDITOR (header lines and body) when none is given.

    Example: cablemgr edit R12 --tag norms --tag attribution --class C
    """
    from cablemgr import records
    from cablemgr.ids import parse_id

    number = parse_id(record_id, "record")[1]
    db = app.db()
    current = records.get(db, number)
    changes = {key: value for key, value in {
        "title": title, "date": date, "dialogue": dialogue, "venue": venue, "post": post,
        "reference": reference, "classification": level}.items() if value is not None}
    if with_:
        changes["parties"] = list(with_)
    if tags:
        changes["tags"] = list(tags)
    new_body = read_body(body, file)
    if new_body is not None:
        changes["body"] = new_body
    typed = None
    if not changes:
        changes, typed = _edit_in_editor(current)
    try:
        record, changed = save_with_capture(
            lambda force_inline, on_capture: records.update(
                db, number, force_inline=force_inline, on_capture=on_capture, **changes),
            force, line_offset=_lines_before(typed, changes["body"]) if typed else 0)
    except CablemgrError:
        if typed:
            _keep_notes(typed, None)
        raise
    if not changed:
        notice(f"{record['id']}: nothing changed.")
        return
    notice(f"{record['id']}: changed {', '.join(sorted(changed))}.")


def _edit_in_editor(record: dict) -> tuple[dict, str | None]:
    """The changes made in $EDITOR, and the text as typed (None if the editor was quit)."""
    # a report shows the header lines `cablemgr report` asks for (subject, post, reference)
    report = record["kind"] == "report"
    keys = notes.REPORT_KEYS if report else notes.TEMPLATE_KEYS
    values = {"title": record["title"], "subject": record["title"], "date": record["date"],
              "post": record["post"], "ref": record["reference"],
              "dialogue": record["dialogue"], "with": ", ".join(record["parties"]),
              "venue": record["venue"], "tags": ", ".join(record["tags"]),
              "classification": record["classification"]}
    template = notes.render(values, record["body"], keys=keys)
    if not stdin_is_terminal():
        raise click.UsageError("give the changes as flags (e.g. --title, --tag, --body) when "
                               "not on a terminal")
    edited = click.edit(template, extension=".md", require_save=True)
    if edited is None:
        return {}, None
    headers, body = notes.parse(edited, keys=keys)
    changes = {"date": headers.get("date") or None,
               "dialogue": headers.get("dialogue") or None,
               "classification": headers.get("classification"), "body": body,
               "parties": notes.split_list(headers.get("with")),
               "tags": notes.split_list(headers.get("tags"))}
    if report:
        changes.update(title=headers.get("subject"), post=headers.get("post"),
                       reference=headers.get("ref"))
    else:
        changes.update(title=headers.get("title"), venue=headers.get("venue"))
    return changes, edited


@click.command(name="history")
@click.argument("item_id", metavar="ID")
@json_option
@click.pass_obj
def history_command(app, item_id, as_json) -> None:
    """Show every change to a record, dialogue, commitment or action: who, when, old → new.

    Example: cablemgr history R12
    """
    from cablemgr import events
    from cablemgr.ids import format_id, parse_id

    entity, number = parse_id(item_id)
    label = format_id(entity, number)
    found = events.history(app.db(), label)
    if not found:
        raise InvalidInput(f"no history for {label}: it does not exist")
    if as_json:
        emit_json(found)
        return
    # Each event makes a version; a create lists the first version's content, later events
    # what changed, multi-line text as a diff.
    for version, event in enumerate(found, start=1):
        click.echo(click.style(f"v{version}  {event['at'][:19].replace('T', ' ')}  "
                               f"{event['who']}  {event['action']} {label}", bold=True))
        created = event["action"] == "create"
        for field, (old, new) in sorted(event["changes"].items()):
            if created and new in (None, "", [], {}):
                continue
            click.echo(render_change(field, old, new, created))
        click.echo()


def render_change(field: str, old, new, created: bool) -> str:
    """One field's change; multi-line text as a unified diff so an edit reads like one."""
    if isinstance(new, str) and (("\n" in (old or "")) or "\n" in new) and not created:
        import difflib

        diff = difflib.unified_diff((old or "").splitlines(), new.splitlines(), "before",
                                    "after", lineterm="", n=1)
        body = "\n".join("    " + safe(line) for line in list(diff)[2:])
        return f"  {field}:\n{body}"
    if created and isinstance(new, str) and "\n" in new:
        return f"  {field}:\n" + "\n".join("    " + safe(line) for line in new.splitlines())
    if created:
        return f"  {field}: {safe(new, keep_newlines=False)}"
    return f"  {field}: {safe(old, keep_newlines=False)} → {safe(new, keep_newlines=False)}"


def register(cli: click.Group) -> None:
    for command in (init_command, log_command, report_command, list_command, show_command,
                    edit_command, history_command):
        cli.add_command(command)
