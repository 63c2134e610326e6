"""The audit part of the demo: reads of a student's personal data by an auditor and a coordinator, on record."""

from __future__ import annotations

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DemoIds, acting_as
from services.common.identity import Role


def seed_reads(container: Container, ids: DemoIds) -> None:
    """Reads of personal data on record: an auditor and Liu's coordinator read Liu's progress and credit account
    (as the API records them once access was granted)."""
    liu = ids.students[0]
    auditor = acting_as(Role.AUDITOR, "auditor-gao")
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    for ctx, what in ((auditor, "progress"), (coordinator, "progress"), (auditor, "credit-account")):
        path = f"/api/v1/students/{liu}/{what}"
        container.audit.record_read(ctx, liu, what=what, path=path)
