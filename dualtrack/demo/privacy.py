"""The privacy part of the demo: a minor who left the Qingdao college and whose guardian asked for erasure.

Tang Xin (born 2010, guardian Tang Jun) was enrolled and left before any placement; the administrator then erased
her personal data. Her history is still there (and verifies), but her
name, birth date and guardian read as "(erased)" everywhere, and the read models mark her erased.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DemoIds, acting_as
from dualtrack.privacy import erase_student
from services.common.identity import Role

ERASURE_REASON = "her guardian asked for erasure after she left the college (request 2026-014)"


def seed_erasure(container: Container, ids: DemoIds) -> None:
    app = container.placements
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    tang = app.enrol_student(coordinator, UUID(ids.schools[0]), name="Tang Xin", major="mechatronics", cohort=2024,
                             enrolment_date=date(2024, 9, 1), date_of_birth=date(2010, 6, 18),
                             guardian_name="Tang Jun", guardian_contact="+86 139 0532 7781").id
    erase_student(container, acting_as(Role.ADMIN, "admin-wu"), tang, reason=ERASURE_REASON)
    ids.erased_students.append(str(tang))
