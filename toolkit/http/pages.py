"""What the web's pages of every context share: who may open them, waiting for one's own write to reach the read
model, the page number asked for, and names looked up once per request.

    actor = signed_in_as(Role.COORDINATOR)        # anyone else gets the refusal page (403, in words)
    shown = written(deployment().view("progress"))  # False while ?wait_for= is still on its way
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import request
from flask_babel import gettext

from services.common.errors import NotAllowed, NotFound, ReadModelBehind
from services.common.identity import Actor, Role
from toolkit.http.context import current_actor, deployment
from toolkit.http.freshness import await_read_model


def signed_in_as(*roles: Role) -> Actor:
    """The caller, if their role is one of `roles`; anyone else is refused (the shell shows it as a page)."""
    actor = current_actor()
    if actor.role not in roles:
        raise NotAllowed(gettext("This page is not for your role."), role=actor.role.value)
    return actor


def written(view: Any, timeout: float = 5.0) -> bool:
    """Wait (bounded) for the write named by ?wait_for= to reach `view`; False if it is still on its way."""
    try:
        await_read_model(view, {"wait_for": request.args.get("wait_for"), "wait_timeout": timeout})
    except ReadModelBehind:
        return False
    return True


def page_number(value: str | None) -> int:
    """?page= as a page number: 1 for anything that is not a positive number."""
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except ValueError:
        return 1


class Names:
    """Names of students, schools, centres and enterprises, looked up through the applications once per request
    (a missing one reads as its id)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], Any] = {}

    def _get(self, kind: str, key: str, find: Any) -> Any:
        if (kind, key) not in self._seen:
            try:
                self._seen[(kind, key)] = find()
            except (NotFound, ValueError):
                self._seen[(kind, key)] = None
        return self._seen[(kind, key)]

    def student(self, student_id: str) -> Any:
        """The student (name, school, major, cohort, class...) or None."""
        return self._get("student", student_id, lambda: deployment().app("placements").find_student(student_id))

    def student_name(self, student_id: str) -> str:
        found = self.student(student_id)
        return str(found.name) if found is not None else student_id

    def school(self, school_id: str) -> Any:
        return self._get("school", school_id, lambda: deployment().app("placements").get_school(UUID(school_id)))

    def centre(self, centre_id: str) -> Any:
        return self._get("centre", centre_id, lambda: deployment().app("placements").get_centre(UUID(centre_id)))

    def enterprise(self, enterprise_id: str) -> Any:
        return self._get("enterprise", enterprise_id,
                         lambda: deployment().app("placements").get_enterprise(UUID(enterprise_id)))

    def name_of(self, kind: str, key: str | None) -> str:
        """The name of a school, centre or enterprise by id ('' for none)."""
        if not key:
            return ""
        found = getattr(self, kind)(key)
        return str(found.name) if found is not None else key
