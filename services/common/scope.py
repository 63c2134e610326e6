"""What a caller may see: the rows of a read model, from their role and scope (`Scope`), and the fields of a student
(`Sight`, `sight_of_student`: least data per role)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol

from services.common.identity import ENTERPRISE_SIDE, STUDENT_SIDE, Actor, Role, speaks_for_student
from services.common.rules import RuleSet


@dataclass(frozen=True)
class Scope:
    """What the caller may see: None everywhere means everything (admins, auditors)."""

    school_id: str | None = None
    enterprise_id: str | None = None
    student_id: str | None = None
    mentor_id: str | None = None
    """For a mentor, who they are: some read models narrow to the centres they mentor."""

    @classmethod
    def of(cls, actor: Actor) -> Scope:
        """A coordinator or teacher sees their school's; a mentor their enterprise's, narrowed to the centres they
        mentor; an enterprise admin their enterprise's; a student and their guardians the student's own; admins and
        auditors everything. A role not named here sees nothing."""
        if actor.role in (Role.COORDINATOR, Role.TEACHER):
            return cls(school_id=actor.school_id or "-")
        if actor.role is Role.MENTOR:
            return cls(enterprise_id=actor.enterprise_id or "-", mentor_id=actor.subject)
        if actor.role is Role.ENTERPRISE_ADMIN:
            return cls(enterprise_id=actor.enterprise_id or "-")
        if actor.role in STUDENT_SIDE:
            return cls(student_id=actor.student_id or "-")
        if actor.role in (Role.ADMIN, Role.AUDITOR):
            return cls()
        return cls(school_id="-", enterprise_id="-", student_id="-", mentor_id="-")


# -- field-level views of a student ----------------------------------------------------------------------------
PERSONAL_FIELDS = ("date_of_birth", "guardian_name", "guardian_contact")
"""A student's fields that only their school's staff (coordinators, teachers), admins, and the student and their
guardians see. Everyone else gets the record without them: the keys are left out, never null (null means "none
recorded", e.g. an adult's guardian)."""
NAME_FIELDS = ("name",)
"""What names the student: left out for an enterprise asked to host them that has not approved yet."""


class Sight(StrEnum):
    """How much of a student a caller sees."""

    WHOLE = "whole"
    """Every field: the school's coordinators and teachers, admins, the student and their guardians."""
    NAMED = "named"
    """Name and enrolment, no birth date or guardian: the host enterprise's mentors and enterprise admins from its
    approval of a placement until `host_sees_until` after the placement's end; auditors."""
    UNNAMED = "unnamed"
    """School, major and cohort, no name: an enterprise asked to host the student that has not approved (yet)."""
    NONE = "none"
    """Nothing: everyone else, and a host enterprise once `host_sees_until` has passed."""

    def hidden(self) -> tuple[str, ...]:
        """The fields of a student's record this sight leaves out."""
        return {Sight.WHOLE: (), Sight.NAMED: PERSONAL_FIELDS,
                Sight.UNNAMED: (*NAME_FIELDS, *PERSONAL_FIELDS, "enrolment_date")}.get(self, ())

    def shown(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record without the fields this sight leaves out (the keys dropped, not nulled)."""
        hidden = self.hidden()
        return {k: v for k, v in record.items() if k not in hidden}


class HostedPlacement(Protocol):
    """What the field-level rules read of a placement (the placements context's `Placement` is one)."""

    @property
    def enterprise_id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def enterprise_approved(self) -> int | None: ...

    @property
    def ended_on(self) -> date | None: ...


def days_host_sees_after_end(rules: RuleSet) -> int:
    """How long after a placement's end its host enterprise still sees the student (their name, progress, logbook,
    assessments): the rule set's edit window (`RuleSet.edit_window_days`, 14 days by default, 7 under
    cn-vocational-internship), the days during which its mentors may still log and sign the placement's practice.
    The one place this bound is decided."""
    return rules.edit_window_days


def host_sees_until(ended_on: date, rules: RuleSet) -> date:
    """The last day the host enterprise of a placement that ended on `ended_on` still sees the student."""
    return ended_on + timedelta(days=days_host_sees_after_end(rules))


def within_edit_window(ended_on: date, rules: RuleSet, today: date) -> bool:
    """Whether a placement that ended on `ended_on` is still within its edit window today: its mentors may still
    log and sign its practice, and its enterprise still sees the student."""
    return today <= host_sees_until(ended_on, rules)


def hosts(enterprise_id: str | None, placements: Iterable[HostedPlacement], rules: RuleSet, today: date) -> bool:
    """Whether the enterprise hosts the student: a placement there it approved (any terms version), not withdrawn,
    running or ended within the edit window."""
    return enterprise_id is not None and any(
        p.enterprise_id == enterprise_id and p.enterprise_approved is not None and p.status != "withdrawn"
        and (p.ended_on is None or within_edit_window(p.ended_on, rules, today)) for p in placements)


def asked_to_host(enterprise_id: str | None, placements: Iterable[HostedPlacement]) -> bool:
    """Whether a placement at the enterprise waits for its first approval (proposed, not withdrawn)."""
    return enterprise_id is not None and any(
        p.enterprise_id == enterprise_id and p.enterprise_approved is None and p.status == "proposed"
        for p in placements)


def sight_of_student(actor: Actor, *, school_id: str, student_id: str, placements: Iterable[HostedPlacement],
                     rules: RuleSet, today: date) -> Sight:
    """How much of the student the actor sees (see `Sight`); `rules` is the student's school's rule set in force
    today."""
    if actor.role is Role.ADMIN or speaks_for_student(actor, student_id):
        return Sight.WHOLE
    if actor.role in (Role.COORDINATOR, Role.TEACHER):
        return Sight.WHOLE if actor.school_id == school_id else Sight.NONE
    if actor.role is Role.AUDITOR:
        return Sight.NAMED
    if actor.role in ENTERPRISE_SIDE:
        placements = list(placements)
        if hosts(actor.enterprise_id, placements, rules, today):
            return Sight.NAMED
        if asked_to_host(actor.enterprise_id, placements):
            return Sight.UNNAMED
    return Sight.NONE
