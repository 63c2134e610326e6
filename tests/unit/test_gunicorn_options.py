"""How gunicorn serves the API: on SQLite two worker processes per CPU with two threads each unless told otherwise
(a Python process runs one thread at a time: more processes, fewer threads answered 15-20 % more enrolments a second
on two cores); on PostgreSQL two of eight threads (each worker holds about 40 connections of its own); one process
when the projections run in it; and no access line of gunicorn's own (dualtrack logs every request itself, with
its correlation id; an access line built only to be dropped cost every answer a few per cent)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config

from dualtrack.logs import logging_config
from dualtrack.server import RequestLogOnly, gunicorn_options
from dualtrack.settings import Settings


class Counted(RequestLogOnly):
    built = 0

    def atoms(self, *args: Any) -> dict[str, Any]:
        Counted.built += 1
        return {}


def logger(accesslog: str | None) -> Counted:
    config = Config()
    config.set("logconfig_dict", logging_config("INFO", "api"))
    config.set("accesslog", accesslog)
    return Counted(config)


def test_given_the_api_served_when_its_options_are_read_then_gunicorn_logs_through_request_log_only(
        tmp_path: Any) -> None:
    options = gunicorn_options(Settings(data_dir=tmp_path, secret_key="x" * 40))
    config = Config()
    config.set("logger_class", options["logger_class"])
    assert config.logger_class is RequestLogOnly


@pytest.mark.parametrize(("accesslog", "lines"), [(None, 0), ("-", 1)])
def test_given_an_answer_when_gunicorn_reports_it_then_an_access_line_is_built_only_when_one_is_asked_for(
        accesslog: str | None, lines: int) -> None:
    Counted.built = 0
    logger(accesslog).access(object(), object(), {}, 0.001)
    assert Counted.built == lines


def test_given_sqlite_stores_and_no_choice_when_served_then_two_workers_per_cpu_of_two_threads_each(
        tmp_path: Path) -> None:
    options = gunicorn_options(Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path)}))
    assert (options["workers"], options["threads"], options["worker_class"]) == (2 * (os.cpu_count() or 1), 2,
                                                                                "gthread")


def test_given_postgresql_and_no_choice_when_served_then_two_workers_of_eight_threads(tmp_path: Path) -> None:
    settings = Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path),
                                  "DUALTRACK_DATABASE_URL": "postgresql://dualtrack@db.example/dualtrack"})
    options = gunicorn_options(settings)  # each worker holds its own connections: their number is what counts
    assert (options["workers"], options["threads"]) == (2, 8)


def test_given_workers_and_threads_chosen_when_served_then_gunicorn_runs_those(tmp_path: Path) -> None:
    settings = Settings.from_env({"DUALTRACK_DATA_DIR": str(tmp_path), "DUALTRACK_API_WORKERS": "3",
                                  "DUALTRACK_API_THREADS": "5"})
    assert (gunicorn_options(settings)["workers"], gunicorn_options(settings)["threads"]) == (3, 5)
    embedded = gunicorn_options(settings, embedded=True)  # the projections' writes come from one process
    assert (embedded["workers"], embedded["threads"]) == (1, 8)
