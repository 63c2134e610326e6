"""How a relay learns, without a query and without busy-polling, that its SQLite store was written."""

from __future__ import annotations

import os
from pathlib import Path

from services.common.application import DualtrackApplication


class StoreWatch:
    """Whether a SQLite store was written since the last look, without a query: the header of its write-ahead log's
    index (the `-shm` file, whose change counter and last frame every commit moves), else the files' sizes and times.
    A change it misses is found by the relay's query every `idle_sleep` anyway: it only decides how soon to look."""

    def __init__(self, path: Path) -> None:
        self.paths = (path, path.with_name(path.name + "-wal"))
        self.index = path.with_name(path.name + "-shm")
        self._fd: int | None = None
        self._last = self._look()

    @classmethod
    def of(cls, app: DualtrackApplication) -> StoreWatch | None:
        """The watch of the application's SQLite file; None for another store (PostgreSQL, in memory)."""
        name = getattr(getattr(getattr(app.recorder, "datastore", None), "pool", None), "db_name", None)
        if not isinstance(name, str) or not name or name.startswith(":") or "mode=memory" in name:
            return None
        return cls(Path(name))

    def _look(self) -> tuple[object, ...]:
        header = self._index_header()
        if header is not None:  # write-ahead logging: every commit moves it
            return (header,)
        found: list[object] = []
        for path in self.paths:
            try:
                st = os.stat(path)
            except OSError:
                found.append(None)
            else:
                found.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(found)

    def _index_header(self) -> bytes | None:
        try:
            if self._fd is None:
                self._fd = os.open(self.index, os.O_RDONLY)
            return os.pread(self._fd, 48, 0)
        except OSError:
            self.close()
            return None

    def changed(self) -> bool:
        now = self._look()
        if now == self._last:
            return False
        self._last = now
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
