"""Role grants and who may give them: nobody grants themself anything."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import InvalidInput, NotAllowed, RuleViolated
from services.common.identity import SCOPE_OF_ROLE, Actor, Role


@dataclass(frozen=True)
class Grant:
    """One role a person holds, with the scope the role is bound to."""

    grant_id: str
    role: Role
    school_id: str | None = None
    enterprise_id: str | None = None
    student_id: str | None = None

    @property
    def scope_id(self) -> str | None:
        kind = SCOPE_OF_ROLE.get(self.role)
        return {"school": self.school_id, "enterprise": self.enterprise_id, "student": self.student_id}.get(kind or "")

    def same_role_and_scope(self, other: Grant) -> bool:
        return (self.role, self.school_id, self.enterprise_id, self.student_id) == (
            other.role, other.school_id, other.enterprise_id, other.student_id)

    def actor(self, subject: str) -> Actor:
        return Actor(subject=subject, role=self.role, school_id=self.school_id, enterprise_id=self.enterprise_id,
                     student_id=self.student_id)


def scoped_grant(grant_id: str, role: Role, *, school_id: str | None = None, enterprise_id: str | None = None,
                 student_id: str | None = None) -> Grant:
    """A grant with exactly the scope its role needs: the one it is bound to, given; the others, absent."""
    given = {"school": school_id, "enterprise": enterprise_id, "student": student_id}
    needed = SCOPE_OF_ROLE.get(role)
    for kind, value in given.items():
        if kind == needed and not value:
            raise InvalidInput(f"a {role.value} is granted for a {kind}: give {kind}_id", field=f"{kind}_id")
        if kind != needed and value:
            raise InvalidInput(f"a {role.value} is not granted for a {kind}: leave out {kind}_id", field=f"{kind}_id")
    return Grant(grant_id, role, school_id=school_id, enterprise_id=enterprise_id, student_id=student_id)


def require_may_grant(giver: Actor, grantee_id: str, grant: Grant, *, school_of_student: str | None) -> None:
    """Admins give any role; a school's coordinators its teachers, students and their guardians; an enterprise's
    admins its mentors. Nobody grants themself anything. `school_of_student` is the school of the grant's student
    (for student and guardian grants)."""
    if giver.subject == grantee_id:
        raise RuleViolated("no-self-grant", "nobody grants themself a role: another person who may must do it",
                           role=grant.role.value)
    if giver.role is Role.ADMIN:
        return
    if giver.role is Role.COORDINATOR and giver.school_id:
        if grant.role is Role.TEACHER and grant.school_id == giver.school_id:
            return
        if grant.role in (Role.STUDENT, Role.GUARDIAN) and school_of_student == giver.school_id:
            return
    if giver.role is Role.ENTERPRISE_ADMIN and giver.enterprise_id:
        if grant.role is Role.MENTOR and grant.enterprise_id == giver.enterprise_id:
            return
    scope = grant.scope_id
    raise NotAllowed(f"{giver.role.value} {giver.subject} may not grant the role {grant.role.value}"
                     + (f" for {scope}" if scope else ""), role=giver.role.value, granted_role=grant.role.value)
