"""The data subject's file: everything held about a student, assembled across the contexts into one document that
the student (or a guardian of theirs, or an admin) downloads — the right of access, and to take the data along.

Each part is read as the route that answers it alone reads it, through the applications and read models: the
enrolment and the school (placements), every placement with its history (the placement register), the training
plans, every logbook entry with every revision and the competency assessments (training), the awards and the credit
ledger (credentials), the calendar's blocks (calendars), the accounts that speak for the student (identity: names,
logins and roles, never a hash or a secret), and the recorded reads of their data (audit).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts.http.personal_data import FORMAT, VERSION
from services.common.errors import NotAllowed, NotFound
from services.common.identity import STUDENT_SIDE, Actor, CommandContext, Role, speaks_for_student
from services.common.scope import Scope
from services.credentials.api import _account as account_document
from services.training.api import _logbook as logbook_document
from services.training.domain import TrainingRecord

WHAT = "personal-data"
"""How the file's download is named among the recorded reads."""


def require_may_take(actor: Actor, student_id: str) -> None:
    """The student themself, a guardian of theirs, and admins; nobody else (not even the school's staff or the
    auditors, who have their own routes: the file is the data subject's)."""
    if actor.role is Role.ADMIN or speaks_for_student(actor, student_id):
        return
    raise NotAllowed(f"{actor.role.value} {actor.subject} may not take student {student_id}'s personal data file "
                     "(the student, their guardians and admins only)", role=actor.role.value, student_id=student_id)


def personal_data(ctx: CommandContext, c: Any, student_id: UUID) -> dict[str, Any]:
    """The student's whole file (NotAllowed for anyone but the student's side and admins; NotFound for a student
    nobody enrolled). `c` is the deployment."""
    key = str(student_id)
    require_may_take(ctx.actor, key)
    placements = c.app("placements")
    student = placements.get_student(ctx, student_id)
    scope = Scope.of(ctx.actor)
    register = c.view("placement_register")
    record: TrainingRecord | None = c.app("training").get_training_record(ctx, student_id)
    account = c.app("credentials").get_account(ctx, student_id)
    audit = c.app("audit")
    _, reads = audit.reads_of(ctx, key, page=1, page_size=max(1, audit.count_reads(key)))
    return {
        "format": FORMAT, "version": VERSION, "generated_at": datetime.now(UTC), "student_id": key,
        "enrolment": {"id": student.id, "school_id": student.school_id,
                      "school_name": _school_name(placements, student), "name": student.name,
                      "major": student.major, "cohort": student.cohort,
                      "enrolment_date": student.enrolment_date, "date_of_birth": student.date_of_birth,
                      "guardian_name": student.guardian_name, "guardian_contact": student.guardian_contact,
                      "version": student.version},
        "accounts": _accounts(c.app("identity"), key, student.name),
        "placements": [register.placement_with_history(scope, p["id"])
                       for p in register.placements_of_student(scope, key)],
        "training_plans": [{"placement_id": p.placement_id, "centre_id": p.centre_id, "enterprise_id": p.enterprise_id,
                            "targets": p.targets} for p in (record.plans.values() if record else [])],
        "logbook": logbook_document(record) if record else {"student_id": key, "version": 0, "entries": []},
        "assessments": _assessments(record),
        "credit_account": account_document(account) if account else {
            "student_id": key, "school_id": student.school_id, "version": 0, "awards": [], "ledger": [], "balance": 0},
        "calendar": _calendar(c, scope, key),
        "reads": reads,
    }


def _school_name(placements: Any, student: Any) -> str | None:
    try:
        return str(placements.get_school(UUID(student.school_id)).name)
    except (NotFound, ValueError):
        return None


def _accounts(identity: Any, student_id: str, student_name: str) -> list[dict[str, Any]]:
    """Every account holding a role that speaks for the student (theirs, their guardians'), with its roles."""
    found = []
    for person in identity.people("", 1, 1_000_000).people:
        speaking = [g for g in person.grants if g.role in STUDENT_SIDE and g.student_id == student_id]
        if not speaking:
            continue
        own = speaking[0].role is Role.STUDENT  # a guardian's other students are not this student's data
        found.append({
            "person_id": person.person_id, "name": person.name, "email": person.email, "phone": person.phone,
            "role": speaking[0].role.value,
            "grants": [{"grant_id": g.grant_id, "role": g.role.value,
                        "school": {"id": g.school_id, "name": ""} if g.school_id else None,
                        "enterprise": {"id": g.enterprise_id, "name": ""} if g.enterprise_id else None,
                        "student": {"id": g.student_id, "name": student_name if g.student_id == student_id else ""}
                        if g.student_id else None} for g in (person.grants if own else speaking)],
        })
    return sorted(found, key=lambda a: (a["role"] != Role.STUDENT.value, a["name"], a["person_id"]))


def _assessments(record: TrainingRecord | None) -> list[dict[str, Any]]:
    if record is None:
        return []
    rows = [{"placement_id": placement, "competency": competency, "side": side, "result": a.result,
             "passed": a.passed, "scale": a.scale}
            for (placement, competency), sides in record.assessments.items() for side, a in sides.items()]
    rows += [{"placement_id": placement, "competency": competency, "side": "combined", "result": a.result,
              "passed": a.passed, "scale": a.scale} for (placement, competency), a in record.combined.items()]
    return sorted(rows, key=lambda r: (r["placement_id"], r["competency"], r["side"]))


def _calendar(c: Any, scope: Scope, student_id: str) -> dict[str, Any] | None:
    try:
        return dict(c.view("calendars").student_calendar(scope, student_id, c.today()))
    except NotFound:
        return None
