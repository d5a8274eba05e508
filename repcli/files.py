"""Files written by rename (a temporary file beside the target, then os.replace): the result gets
the mode a plain write would give, not tempfile's private 0600."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


def temp_beside(path: Path) -> tuple[int, Path]:
    """A new temporary file in `path`'s folder, open for writing: an existing `path`'s mode (and
    group, where we may set it), else 0o666 less the umask, as open() gives a new file. The caller
    writes, then os.replace()s it onto `path`, or unlinks it."""
    try:
        existing: os.stat_result | None = path.stat()
    except FileNotFoundError:
        existing = None
    while True:
        tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        break
    if existing is not None:
        try:
            with contextlib.suppress(PermissionError):  # not a member of the file's group
                os.fchown(fd, -1, existing.st_gid)
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))
        except OSError:
            os.close(fd)
            tmp.unlink()
            raise
    return fd, tmp
