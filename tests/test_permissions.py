"""Files and folders cablemgr creates are private, whatever the umask; symlinks are not
followed when writing over an existing path."""

from __future__ import annotations

import os
import stat

import pytest

from cablemgr.errors import InvalidInput


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The worst case: a umask that lets everyone read and write everything."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_new_database_and_folder_are_private(run, tmp_path):
    path = tmp_path / "new" / "folder" / "unit.db"
    run("--db", str(path), "init")
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_everything_created_is_private_even_with_umask_0(run, isolated_db, tmp_path,
                                                        open_umask):
    run("log", "--title", "Private", "--body", "hotline")
    run("search", "hotline")
    assert mode(isolated_db) == 0o600
    assert mode(isolated_db.parent) == 0o700
    for suffix in ("-wal", "-shm"):
        sidecar = f"{isolated_db}{suffix}"
        if os.path.exists(sidecar):
            assert mode(sidecar) == 0o600, suffix
    assert mode(f"{isolated_db}.index") == 0o700
    export = tmp_path / "unit.jsonl"
    run("export", "records", "-o", str(export))
    assert mode(export) == 0o600
    backup = run("backup", str(tmp_path)).stdout.strip()
    assert mode(backup) == 0o600
    doctor = run.json("doctor")
    assert {c["name"]: c["status"] for c in doctor["checks"]}["permissions"] == "ok"


def test_group_readable_database_gets_a_warning(run, isolated_db):
    run("log", "--title", "One", "--body", "x")
    os.chmod(isolated_db, 0o644)
    result = run("list")
    assert (f"Warning: {isolated_db} can be read by other users; restrict it with: "
            f"chmod 600 {isolated_db}") in result.stderr
    assert "R1" in result.stdout  # a warning, not a refusal
    os.chmod(isolated_db, 0o600)
    assert "Warning" not in run("list").stderr


def test_export_does_not_write_through_a_symlink_without_force(run, tmp_path):
    run("log", "--title", "One", "--body", "x")
    target = tmp_path / "precious.txt"
    target.write_text("do not overwrite")
    link = tmp_path / "export.jsonl"
    link.symlink_to(target)
    refused = run("export", "records", "-o", str(link), ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: {link} is a symbolic link")
    assert target.read_text() == "do not overwrite"
    run("export", "records", "-o", str(link), "--force")
    assert target.read_text() == "do not overwrite"  # the link was replaced, not followed
    assert not link.is_symlink()
    assert mode(link) == 0o600
    assert '"title": "One"' in link.read_text()


def test_interrupted_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    from cablemgr import fileio

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    (tmp_path / "briefing.html").write_text("old version")
    monkeypatch.setattr(fileio.os, "fsync", disk_full)
    with pytest.raises(InvalidInput, match="No space left on device"):
        fileio.atomic_write(tmp_path / "briefing.html", "new version")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["briefing.html"]
    assert (tmp_path / "briefing.html").read_text() == "old version"
