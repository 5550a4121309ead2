"""Commands that look after the database itself: verify, backup, restore, doctor."""

from __future__ import annotations

import click

from cablemgr.errors import CablemgrError
from cablemgr.options import json_option
from cablemgr.output import emit_json, notice, safe

_MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
_COLOURS = {"ok": "green", "warn": "yellow", "fail": "red"}


@click.command(name="verify")
@json_option
@click.pass_obj
def verify_command(app, as_json: bool) -> None:
    """Check the history's hash chain and that every item still matches its last version.

    Names the first broken link and every item changed outside cablemgr (for example a body
    edited with the sqlite3 shell). Exits 1 when something does not match.

    Example: cablemgr verify --json
    """
    from cablemgr import integrity

    report = integrity.verify(app.db())
    if as_json:
        emit_json(report)
        if not report["ok"]:
            click.get_current_context().exit(1)
        return
    if report["ok"]:
        click.echo(f"OK: {report['message']}.")
        if report["head"]:
            click.echo(f"Head of the chain: {report['head']} (note it to compare later)")
        return
    broken = report["chain"]["first_broken"]
    if broken:
        click.echo(f"Hash chain: {safe(broken['problem'])}")
    for problem in report["problems"]:
        click.echo(safe(problem["message"]))
    if report["more_problems"]:
        click.echo(f"… and {report['more_problems']} more")
    count = len(report["problems"]) + report["more_problems"] + (1 if broken else 0)
    raise CablemgrError(f"verification failed: {count} problem{'s' if count != 1 else ''}. "
                        "Compare the items named above with a backup (cablemgr restore).")


@click.command(name="backup")
@click.argument("path", type=click.Path())
@click.pass_obj
def backup_command(app, path: str) -> None:
    """Copy the database to PATH while others may keep working; prints the file written.

    PATH may be a folder: the copy is then named cablemgr-<UTC time>.db. The search index is
    not copied (restore rebuilds it).

    Example: cablemgr backup /media/usb/cablemgr-backups/
    """
    from cablemgr import backup

    info = backup.backup(app.db(), path)
    click.echo(info["path"])
    notice(f"Backed up {info['records']} records and {info['events']} events "
           f"({info['bytes'] // 1024} KiB) in {info['seconds']:.1f} s.")


@click.command(name="restore")
@click.argument("path", type=click.Path())
@click.pass_obj
def restore_command(app, path: str) -> None:
    """Replace the database with the backup at PATH, after checking the backup.

    The backup must pass SQLite's integrity check and cablemgr verify; the current database
    is kept beside it as <name>.before-restore-<UTC time>, and the search index is rebuilt.
    Run it while no other cablemgr is using the database.

    Example: cablemgr restore /media/usb/cablemgr-backups/cablemgr-20250301T090000Z.db
    """
    from cablemgr import backup, search

    info = backup.restore(app.path, path)
    notice(f"Restored {info['records']} records and {info['events']} events from {path}; "
           "the backup's history verified.")
    if info["kept_aside"]:
        notice(f"The previous database is kept at {info['kept_aside']}")
    stats = search.reindex(app.db(), notify=notice)
    notice(f"Rebuilt the search index ({stats['documents']} documents).")


@click.command(name="doctor")
@click.option("--fix", is_flag=True,
              help="Drain the search queue and rebuild the search index where needed.")
@json_option
@click.pass_obj
def doctor_command(app, fix: bool, as_json: bool) -> None:
    """Check the database, its history, the search index, permissions and free disk.

    Each check says ok, WARN or FAIL and what to do; exits 1 when a check fails.

    Example: cablemgr doctor --fix
    """
    from cablemgr import doctor

    report = doctor.run(app.db(), fix=fix)
    if as_json:
        emit_json(report)
    else:
        width = max(len(c["name"]) for c in report["checks"])
        for check in report["checks"]:
            mark = click.style(_MARKS[check["status"]], fg=_COLOURS[check["status"]])
            click.echo(f"{mark}  {check['name']:<{width}}  {safe(check['detail'])}")
            if check["status"] != "ok" and check["fix"]:
                click.echo(f"{'':4}  {'':<{width}}  → {safe(check['fix'])}")
        for line in report["fixed"]:
            notice(f"Fixed: {line}")
        summary = {"ok": "Healthy.", "warn": "Usable; see the warnings above.",
                   "fail": "Problems found; see FAIL above."}[report["status"]]
        warned = {c["name"] for c in report["checks"] if c["status"] == "warn"}
        if report["status"] == "warn" and warned <= {"outbox", "index"}:
            # what a command killed after its commit leaves: nothing is lost
            summary = ("Healthy; the search index is catching up with the latest changes "
                       "(this command indexes them on its way out).")
        click.echo(summary)
    if not report["ok"]:
        click.get_current_context().exit(1)


COMMANDS = (verify_command, backup_command, restore_command, doctor_command)


def register(cli: click.Group) -> None:
    for command in COMMANDS:
        cli.add_command(command)
