"""gunicorn, serving the API, builds no access line of its own: dualtrack logs every request itself (one line with
its correlation id), and an access line built only to be dropped cost every answer a few per cent of its time."""

from __future__ import annotations

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
