"""Flask asks of every hook and view of every request whether it is a coroutine function; the app asks once per
function and keeps the answer, for the functions only: a view's method bound to each request's view object is
looked up by its function, so what is kept does not grow with the requests answered."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from dualtrack.bootstrap import Container
from services.common.identity import Role
from tests.conftest import bearer


def test_given_an_app_that_answered_requests_when_it_answers_many_more_then_it_keeps_no_more_answers(
        container: Container, app_for: Callable[[Container], Flask]) -> None:
    app = app_for(container)
    client = app.test_client()
    headers = bearer(Role.ADMIN, "admin-1")

    def answer(times: int) -> None:
        for _ in range(times):
            assert client.get("/api/v1/centres", headers=headers).status_code == 200
            assert client.get("/healthz").status_code == 200

    answer(3)
    kept = len(app._sync_functions)  # type: ignore[attr-defined]
    answer(50)
    assert len(app._sync_functions) == kept > 0  # type: ignore[attr-defined]
