"""A throwaway PostgreSQL server for tests: initdb in a temp dir, started on a free port, deleted on stop."""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


@contextmanager
def postgres_url() -> Iterator[str]:
    """Yield a PostgreSQL URL: $DUALTRACK_TEST_POSTGRES_URL, else a throwaway server deleted afterwards."""
    configured = os.environ.get("DUALTRACK_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    with ThrowawayPostgres() as server:
        yield server.url


def postgres_bin_dir() -> Path:
    """The bin dir of the newest PostgreSQL under /usr/lib/postgresql, else the one holding initdb on PATH."""
    candidates = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin") if (Path(d) / "initdb").exists()]
    if candidates:
        return max(candidates, key=lambda d: [int(n) for n in re.findall(r"\d+", d.parent.name)] or [0])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("no PostgreSQL server binaries (initdb) under /usr/lib/postgresql/*/bin or on PATH")


class ThrowawayPostgres:
    """A private PostgreSQL cluster tuned for speed over durability; everything is gone after stop()."""

    def __init__(self, database: str = "dualtrack_test"):
        self.database = database
        self.port: int | None = None
        self.url: str | None = None
        self._dir: Path | None = None
        self._bin = postgres_bin_dir()
        # PostgreSQL refuses to run as root, so as root every server command runs as the postgres user.
        self._as_server_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def _data(self) -> Path:
        return self._dir / "data"

    def start(self) -> str:
        """initdb, start and create the database; return its postgresql:// URL."""
        # /tmp, not a possibly private TMPDIR under /root: the postgres user must be able to reach it.
        self._dir = Path(tempfile.mkdtemp(prefix="dualtrack-pg-", dir="/tmp" if self._as_server_user else None))
        try:
            if self._as_server_user:
                shutil.chown(self._dir, "postgres", "postgres")
            self._run("initdb", "-D", self._data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--locale=C", "--no-sync")
            self.port = _free_port()
            with open(self._data / "postgresql.conf", "a") as conf:
                conf.write(
                    f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self._dir}'\n"
                    # Throwaway data: durability only costs time here.
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 200\n"
                )
            self._run("pg_ctl", "-D", self._data, "-l", self._dir / "postgres.log", "-w", "-t", "60", "start")
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.database}"')
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"
        return self.url

    def stop(self) -> None:
        """Stop the server (immediately: its data is about to be deleted) and delete its directory."""
        if self._dir is None:
            return
        if (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", self._data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        self.url = None

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _run(self, program: str, *args, check: bool = True) -> None:
        command = [*self._as_server_user, str(self._bin / program), *map(str, args)]
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            log = self._dir / "postgres.log" if self._dir else None
            log_text = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed (exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr).strip()}\n{log_text}"
            )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
