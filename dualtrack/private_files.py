"""Files at rest are the owner's alone: the data directory and every directory in it 0700, every file 0600.

Every dualtrack process sets a private umask (0o077) before it creates anything: `dualtrack`'s command group does
it first thing, and what it starts inherits it (the API's workers, relays, projectors, the mail catcher and sender,
the local Kafka broker's JVM with its log dirs, configuration and logs). A process that opens a data directory
(`dualtrack run`, `Container.open`, the local broker's start) also tightens what is already there: an older version
left its stores, views and segments readable by everyone (0644 in 0755 directories). Only group and other bits are
taken away; symbolic links are neither followed nor changed, so nothing outside the data directory is touched.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("dualtrack.files")

PRIVATE_UMASK = 0o077
"""New files 0600 and directories 0700 (from the 0666/0777 programs ask for)."""
OPEN_TO_OTHERS = 0o077
"""The bits of a mode that let the group or others read, write or search."""


def use_private_umask() -> None:
    """This process (and every process it starts) creates files and directories for its owner only."""
    os.umask(PRIVATE_UMASK)


def make_private(directory: Path) -> int:
    """Create `directory` (0700) if missing and take the group's and others' bits off it and everything under it;
    sets the private umask first. Returns how many entries were tightened. A directory that cannot be created is left
    to whoever writes there first to report (a read-only mount, a file in the way)."""
    use_private_umask()
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return 0
    tightened = _tighten(str(directory), follow=True)  # the data directory itself, even when it is a symlink
    # Top down: a directory is private before its entries are looked at, so no other user can swap one for a
    # symlink between the look and the chmod. Symlinks to directories are listed, never entered.
    for root, dirs, files in os.walk(directory):
        tightened += sum(_tighten(os.path.join(root, name), follow=False) for name in (*dirs, *files))
    if tightened:
        log.info("made %d file(s) and directories in %s private (an older version left them open to others)",
                 tightened, directory)
    return tightened


def _tighten(path: str, *, follow: bool) -> int:
    """Take the group's and others' bits off one entry (a directory keeps its owner's rwx); a symlink is skipped."""
    try:
        mode = os.stat(path).st_mode if follow else os.lstat(path).st_mode
        if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & OPEN_TO_OTHERS:
            return 0
        os.chmod(path, (stat.S_IMODE(mode) & 0o700) | (0o700 if stat.S_ISDIR(mode) else 0))
        return 1
    except FileNotFoundError:
        return 0  # gone meanwhile (a Kafka segment deleted, a temporary file)
    except PermissionError:
        log.warning("%s is open to other users and cannot be made private (owned by someone else?)", path)
        return 0
