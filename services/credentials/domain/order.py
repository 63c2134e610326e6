"""Order classes: an enterprise orders a cohort trained for it, with the certificates each student should hold.

Schools propose their students; the ordering enterprise accepts or declines each proposal. Only accepted students
are in the class: they alone count against the number ordered and appear in its report."""

from __future__ import annotations

from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.credentials import (
    ClassOrdered,
    StudentsAssignedToOrder,
    StudentsDeclinedForOrder,
    StudentsProposedForOrder,
)
from services.common.errors import RuleViolated


class OrderClass(Aggregate):
    """A cohort an enterprise ordered: how many students, which major, which certificates, by when."""

    def __init__(self, *, enterprise_id: str, name: str, students: int, major: str, certificates: list[dict[str, Any]],
                 deadline: date, meta: EventMeta) -> None:
        self.enterprise_id = enterprise_id
        self.name = name
        self.students = students
        self.major = major
        self.certificates = certificates
        self.deadline = deadline
        self.student_ids: list[str] = []
        """Accepted by the enterprise: the class."""
        self.proposed: list[str] = []
        """Proposed by their schools, not yet accepted or declined."""

    @classmethod
    def order(cls, *, enterprise_id: str, name: str, students: int, major: str, certificates: list[dict[str, Any]],
              deadline: date, today: date, meta: EventMeta) -> OrderClass:
        if deadline <= today:
            raise RuleViolated("deadline-in-future", f"the deadline {deadline} has passed (today is {today})")
        return cls._create(ClassOrdered, id=uuid4(), enterprise_id=enterprise_id, name=name, students=students,
                           major=major, certificates=certificates, deadline=deadline, meta=meta)

    def propose(self, student_ids: list[str], majors: dict[str, str], meta: EventMeta) -> None:
        """A school proposes students of the class's major; the enterprise decides on them."""
        new = list(dict.fromkeys(student_ids))
        if any(s in self.student_ids for s in new):
            raise RuleViolated("already-assigned", "a student proposed is already in the class",
                               student_ids=[s for s in new if s in self.student_ids])
        if any(s in self.proposed for s in new):
            raise RuleViolated("already-proposed", "a student proposed is already waiting for the enterprise",
                               student_ids=[s for s in new if s in self.proposed])
        wrong = {s: majors[s] for s in new if majors[s] != self.major}
        if wrong:
            raise RuleViolated("major-of-order", f"the class is for {self.major} students", majors=wrong)
        if len(self.student_ids) >= self.students:
            raise RuleViolated("order-size", f"the enterprise ordered {self.students} students and has them all",
                               ordered=self.students, assigned=len(self.student_ids), adding=len(new))
        self.trigger_event(StudentsProposedForOrder, student_ids=new, meta=meta)

    def accept(self, student_ids: list[str], meta: EventMeta) -> None:
        """The enterprise puts proposed students in the class, up to the number ordered."""
        new = list(dict.fromkeys(student_ids))
        self._require_proposed(new)
        if len(self.student_ids) + len(new) > self.students:
            raise RuleViolated("order-size", f"the enterprise ordered {self.students} students; "
                               f"{len(self.student_ids)} are assigned", ordered=self.students,
                               assigned=len(self.student_ids), adding=len(new))
        self.trigger_event(StudentsAssignedToOrder, student_ids=new, meta=meta)

    def decline(self, student_ids: list[str], meta: EventMeta) -> None:
        """The enterprise declines proposed students: they stay out of the class (their school may propose again)."""
        new = list(dict.fromkeys(student_ids))
        self._require_proposed(new)
        self.trigger_event(StudentsDeclinedForOrder, student_ids=new, meta=meta)

    def _require_proposed(self, student_ids: list[str]) -> None:
        already = [s for s in student_ids if s in self.student_ids]
        if already:
            raise RuleViolated("already-assigned", "a student named is already in the class", student_ids=already)
        missing = [s for s in student_ids if s not in self.proposed]
        if missing:
            raise RuleViolated("not-proposed", "the enterprise decides only on students their school proposed",
                               student_ids=missing)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the order class."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: StudentsProposedForOrder) -> None:
        self.proposed.extend(e.student_ids)

    @when.register
    def _(self, e: StudentsAssignedToOrder) -> None:
        # Also an assignment recorded before proposals existed: it stands for an accepted one.
        self.student_ids.extend(e.student_ids)
        self.proposed = [s for s in self.proposed if s not in e.student_ids]

    @when.register
    def _(self, e: StudentsDeclinedForOrder) -> None:
        self.proposed = [s for s in self.proposed if s not in e.student_ids]
