"""Real small disks for fault tests: a tmpfs mounted for one test (the tests run as root, as CI does), and a way
to fill it to the last block."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def small_tmpfs(mount_point: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of `size_mb` megabytes at `mount_point` for the length of the `with`."""
    mount_point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk has no space left, in ever smaller pieces down to one block."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        size = 1024 * 1024
        while size >= 512:
            try:
                os.write(fd, b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC
                size //= 2
    finally:
        os.close(fd)
    return filler
