"""ThrowawayPostgres gives a test a real PostgreSQL server and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.support.postgres import ThrowawayPostgres

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]


def is_running(pid: int) -> bool:
    """True unless the process is gone or a zombie (an exited postmaster waits a moment for init to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_given_a_started_throwaway_postgres_when_a_table_is_created_then_rows_can_be_written_and_read():
    with ThrowawayPostgres() as server:
        with psycopg.connect(server.url) as conn:
            conn.execute("CREATE TABLE placements (id uuid PRIMARY KEY, student text NOT NULL)")
            conn.execute("INSERT INTO placements VALUES (gen_random_uuid(), 'Li Wei')")
            conn.commit()

            assert conn.execute("SELECT student FROM placements").fetchall() == [("Li Wei",)]
            assert conn.execute("SELECT current_database()").fetchone() == ("dualtrack_test",)
            assert conn.execute("SHOW fsync").fetchone() == ("off",)


def test_given_a_running_throwaway_postgres_when_it_is_stopped_then_its_directory_and_server_are_gone():
    server = ThrowawayPostgres()
    server.start()
    directory = server._dir
    postmaster_pid = int((directory / "data" / "postmaster.pid").read_text().split()[0])

    server.stop()

    assert not directory.exists()
    assert not is_running(postmaster_pid)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres", connect_timeout=2)
    server.stop()  # idempotent
