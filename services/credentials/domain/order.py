"""Order classes: an enterprise orders a cohort trained for it, with the certificates each student should hold."""

from __future__ import annotations

from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from events.base import EventMeta
from events.credentials import ClassOrdered, StudentsAssignedToOrder
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

    @classmethod
    def order(cls, *, enterprise_id: str, name: str, students: int, major: str, certificates: list[dict[str, Any]],
              deadline: date, today: date, meta: EventMeta) -> OrderClass:
        if deadline <= today:
            raise RuleViolated("deadline-in-future", f"the deadline {deadline} has passed (today is {today})")
        return cls._create(ClassOrdered, id=uuid4(), enterprise_id=enterprise_id, name=name, students=students,
                           major=major, certificates=certificates, deadline=deadline, meta=meta)

    def assign(self, student_ids: list[str], majors: dict[str, str], meta: EventMeta) -> None:
        new = [s for s in dict.fromkeys(student_ids) if s not in self.student_ids]
        if not new:
            raise RuleViolated("already-assigned", "every one of these students is already in the class")
        wrong = {s: majors[s] for s in new if majors[s] != self.major}
        if wrong:
            raise RuleViolated("major-of-order", f"the class is for {self.major} students", majors=wrong)
        if len(self.student_ids) + len(new) > self.students:
            raise RuleViolated("order-size", f"the enterprise ordered {self.students} students; "
                               f"{len(self.student_ids)} are assigned", ordered=self.students,
                               assigned=len(self.student_ids), adding=len(new))
        self.trigger_event(StudentsAssignedToOrder, student_ids=new, meta=meta)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        """Apply an event to the order class."""
        raise NotImplementedError(type(event))

    @when.register
    def _(self, e: StudentsAssignedToOrder) -> None:
        self.student_ids.extend(e.student_ids)
