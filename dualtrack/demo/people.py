"""The demo's people: an account each, signed in with an email and a password, and the roles they hold.

Their person ids are derived from a handle ("mentor-zhao"), so the demo's commands name them before their
accounts exist (a mentor is assigned to a centre by person id). Passwords are drawn at random when the demo is
loaded (none is written in the repository): `dualtrack run` prints them and keeps them, mode 0600, in
`<data_dir>/keys/demo-sign-ins.json`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DemoIds, person_id
from services.common.identity import CommandContext, Role


@dataclass(frozen=True)
class DemoPerson:
    handle: str
    name: str
    email: str
    phone: str | None = None


PEOPLE = [
    DemoPerson("admin-wu", "Wu Ming", "wu.ming@dualtrack.example"),
    DemoPerson("coordinator-chen", "Chen Jing", "chen.jing@qtc.example", "+86 139 0532 0001"),
    DemoPerson("coordinator-huang", "Huang Li", "huang.li@szps.example"),
    DemoPerson("teacher-gao", "Gao Yan", "gao.yan@qtc.example"),
    DemoPerson("teacher-lin", "Lin Hui", "lin.hui@szps.example"),
    DemoPerson("mentor-wang", "Wang Fang", "wang.fang@haier.example"),
    DemoPerson("mentor-li", "Li Wei", "li.wei@haier.example"),
    DemoPerson("mentor-zhao", "Zhao Min", "zhao.min@crrc.example", "+86 138 0532 0002"),
    DemoPerson("mentor-sun", "Sun Lei", "sun.lei@mindray.example"),
    DemoPerson("enterprise-admin-zhou", "Zhou Qing", "zhou.qing@haier.example"),
    DemoPerson("enterprise-admin-qian", "Qian Bo", "qian.bo@crrc.example"),
    DemoPerson("enterprise-admin-ma", "Ma Rui", "ma.rui@mindray.example"),
    DemoPerson("auditor-gao", "Gao Ping", "gao.ping@audit.example"),
    DemoPerson("student-liu", "Liu Yang", "liu.yang@students.qtc.example"),
    DemoPerson("guardian-he", "He Jianguo", "he.jianguo@family.example"),
]
"""Everyone who signs in to the demo (the minor He Xiaoyu's guardian confirms her placement)."""


def seed_people(container: Container) -> dict[str, str]:
    """An account per demo person, with a fresh random password each; returns the passwords by handle (of the
    accounts made now: those already there are kept)."""
    identity = container.identity
    loader = CommandContext.for_system("demo-loader")
    passwords = {}
    for person in PEOPLE:
        if identity.has_login(person.email):
            continue  # loaded again (seed-demo --force): the account stays as it was, password and all
        passwords[person.handle] = secrets.token_urlsafe(9)
        identity.add_account(loader, name=person.name, email=person.email, phone=person.phone,
                             password=passwords[person.handle], person_id=UUID(person_id(person.handle)))
    return passwords


def grant_roles(container: Container, ids: DemoIds) -> None:
    """Each demo person's roles, given as an admin gives them (once the schools, enterprises and students exist)."""
    school, vocational = ids.schools
    haier, crrc, mindray = ids.enterprises
    liu, he = ids.students[0], ids.students[3]
    roles: dict[str, list[tuple[Role, dict[str, str]]]] = {
        "admin-wu": [(Role.ADMIN, {})],
        "coordinator-chen": [(Role.COORDINATOR, {"school_id": school}), (Role.TEACHER, {"school_id": school})],
        "coordinator-huang": [(Role.COORDINATOR, {"school_id": vocational})],
        "teacher-gao": [(Role.TEACHER, {"school_id": school})],
        "teacher-lin": [(Role.TEACHER, {"school_id": vocational})],
        "mentor-wang": [(Role.MENTOR, {"enterprise_id": haier})],
        "mentor-li": [(Role.MENTOR, {"enterprise_id": haier})],
        "mentor-zhao": [(Role.MENTOR, {"enterprise_id": crrc})],
        "mentor-sun": [(Role.MENTOR, {"enterprise_id": mindray})],
        "enterprise-admin-zhou": [(Role.ENTERPRISE_ADMIN, {"enterprise_id": haier})],
        "enterprise-admin-qian": [(Role.ENTERPRISE_ADMIN, {"enterprise_id": crrc})],
        "enterprise-admin-ma": [(Role.ENTERPRISE_ADMIN, {"enterprise_id": mindray})],
        "auditor-gao": [(Role.AUDITOR, {})],
        "student-liu": [(Role.STUDENT, {"student_id": liu})],
        "guardian-he": [(Role.GUARDIAN, {"student_id": he})],
    }
    loader = CommandContext.for_system("demo-loader")
    by_handle = {p.handle: p for p in PEOPLE}
    for handle, grants in roles.items():
        person = by_handle[handle]
        for role, scope in grants:
            container.identity.invite(loader, name=person.name, email=person.email, role=role, **scope)


def seed_invitations(container: Container, ids: DemoIds) -> None:
    """A teacher Chen Jing invited who has not set a password yet: the invitation waits in the mail."""
    from dualtrack.demo.world import acting_as

    chen = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    container.identity.invite(chen, name="Lin Fang", email="lin.fang@qtc.example", role=Role.TEACHER,
                              school_id=ids.schools[0])
