"""What the end-to-end journeys share: a student placed through HTTP, and reading a topic to its end."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from services.common.identity import Role
from tests.conftest import bearer

Post = Callable[..., dict[str, Any]]


class ApiJourney:
    """Commands and waiting reads through the Flask test client, with the started processes' logs at hand."""

    def __init__(self, http: Any, processes: Any) -> None:
        self.http = http
        self.processes = processes
        self.waits: list[float] = []
        """How long each read with wait_for took."""

    def logs(self) -> str:
        parts = [f"exit codes: {[p.poll() for p in self.processes.started]}"]
        for log in sorted(self.processes.log_dir.glob("*.log")):
            parts.append(f"--- {log.name}:\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def post(self, path: str, body: dict, headers: dict, status: int = 200) -> dict:
        response = self.http.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code == status, (path, response.status_code, response.json)
        assert response.json["wait_token"], response.json
        return response.json  # type: ignore[no-any-return]

    def read(self, path: str, token: str, headers: dict, attempts: int = 1, **params: Any) -> Any:
        """GET with wait_for; `attempts` > 1 only for a projector's first read, which also waits out its start
        (its consumer group join) and may need more than one 10 s wait on a slow machine. `params` are more query
        parameters."""
        for _ in range(attempts):
            began = time.perf_counter()
            response = self.http.get(f"/api/v1{path}", query_string={**params, "wait_for": token, "wait_timeout": 10},
                                     headers=headers)
            self.waits.append(time.perf_counter() - began)
            if response.status_code != 503:
                break
        assert response.status_code == 200, (path, response.status_code, response.json, self.logs())
        return response.json

    def wait_summary(self) -> str:
        return (f"{len(self.waits)} reads with wait_for took {sum(self.waits) / len(self.waits) * 1000:.0f} ms on "
                f"average (max {max(self.waits) * 1000:.0f} ms)")


@dataclass(frozen=True)
class PlacedStudent:
    """Ids, tokens and the receipts a query waits for, of a student placed through the API."""

    enterprise: str
    centre: str
    school: str
    student: str
    placement: str
    coordinator: dict[str, str]
    teacher: dict[str, str]
    mentor: dict[str, str]
    me: dict[str, str]
    mentor_assigned: dict[str, Any]
    activated: dict[str, Any]

    @property
    def placement_path(self) -> str:
        return f"/students/{self.student}/placements/{self.placement}"


def place_a_mechatronics_student(post: Post, admin: dict[str, str]) -> PlacedStudent:
    """Through HTTP: Haier's Qingdao centre with mentor m-wang, a school, Liu Yang (mechatronics), competencies
    M1 (five-point, 120 h) and M2 (percent, 80 h), and a placement from 2026-09-01 agreed by all and activated.
    `post(path, body, headers, status=200)` sends one command and returns its answer."""
    enterprise = post("/enterprises", {"name": "Haier"}, admin, 201)["id"]
    centre = post(f"/enterprises/{enterprise}/centres", {"name": "Qingdao", "address": "1 Road", "capacity": 2,
                                                         "specialities": ["mechatronics"]}, admin, 201)["id"]
    mentor_assigned = post(f"/centres/{centre}/mentors", {"mentor_id": "m-wang", "name": "Wang Fang"}, admin)
    school = post("/schools", {"name": "Qingdao Technician College", "code": "QTC"}, admin, 201)["id"]
    coordinator = bearer(Role.COORDINATOR, "coordinator-chen", school_id=school)
    teacher = bearer(Role.TEACHER, "teacher-li", school_id=school)
    mentor = bearer(Role.MENTOR, "m-wang", enterprise_id=enterprise)
    student = post(f"/schools/{school}/students", {"name": "Liu Yang", "major": "mechatronics", "cohort": 2024,
                                                   "enrolment_date": "2024-09-01", "date_of_birth": "2005-04-12"},
                   coordinator, 201)["id"]
    me = bearer(Role.STUDENT, "liu", student_id=student)
    post("/competency-catalogues/mechatronics/competencies", {
        "code": "M1", "title": "Assemble drive units", "target_hours": 120, "scale": "five-point",
        "effective_from": "2026-01-01"}, admin, 201)  # the catalogue is the administrators'
    post("/competency-catalogues/mechatronics/competencies", {
        "code": "M2", "title": "Program PLCs", "target_hours": 80, "scale": "percent",
        "effective_from": "2026-01-01"}, admin, 201)
    placement = post(f"/students/{student}/placements", {
        "centre_id": centre, "start": "2026-09-01", "planned_end": "2027-01-29", "post": "assembly technician",
        "weekly_hours": 40}, coordinator, 201)["placement_id"]
    base = f"/students/{student}/placements/{placement}"
    post(f"{base}/school-approval", {}, coordinator)
    enterprise_admin = bearer(Role.ENTERPRISE_ADMIN, "ea-zhou", enterprise_id=enterprise)
    post(f"{base}/enterprise-approval", {"mentor_id": "m-wang"}, enterprise_admin)
    post(f"{base}/confirmation", {}, me)
    activated = post(f"{base}/activation", {"on": "2026-09-01"}, coordinator)
    return PlacedStudent(enterprise, centre, school, student, placement, coordinator, teacher, mentor, me,
                         mentor_assigned, activated)


def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record on the topic up to its end offsets now."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=10_000)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(parts)
        records: list[Any] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            assert time.monotonic() < deadline, f"could not read {topic} to its end offsets {ends}"
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()
