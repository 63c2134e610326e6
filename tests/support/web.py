"""The API app for tests: built once per test process, then lent to one test's container at a time.

create_app documents some 400 routes for the OpenAPI document (flask-smorest) and costs a tenth of a second or more;
a thousand API tests would spend minutes on it. The app reaches its container only through
`app.extensions[EXTENSION]` at request time (toolkit.http.context), so a built app serves any container once that is
set: `lent_app` hands one out for the length of a `with`, the `app_for` fixture (tests/conftest.py) for the length
of a test. An app is never lent twice at once; one that is out is not handed out again until it is given back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from dualtrack.web.app import create_app
from toolkit.http.context import EXTENSION

_idle: list[Flask] = []


def borrow(container: Any) -> Flask:
    app = _idle.pop() if _idle else create_app(container)
    app.extensions[EXTENSION] = container
    return app


def give_back(app: Flask) -> None:
    app.extensions[EXTENSION] = None  # a request through an app given back fails instead of reaching a stale store
    _idle.append(app)


@contextmanager
def lent_app(container: Any) -> Iterator[Flask]:
    app = borrow(container)
    try:
        yield app
    finally:
        give_back(app)
