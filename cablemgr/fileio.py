"""Writing output files safely: never half-written, never through an unexpected symlink."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cablemgr.errors import InvalidInput


def atomic_write(path: Path | str, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to a private temporary file beside ``path``, then rename it into place.

    A reader sees the old file or the whole new one. An existing symlink at ``path`` is
    refused unless ``force``: writing an export should not land somewhere unexpected.
    """
    path = Path(path)
    if path.is_symlink() and not force:
        raise InvalidInput(f"{path} is a symbolic link; refusing to write through it "
                           "(use --force to replace the link)")
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(f"folder {folder} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        # a full disk or a folder we may not write to is the user's to fix, not a bug
        if isinstance(exc, OSError):
            raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path
