"""The audit part of the demo: reads of a student's personal data by an auditor and a coordinator, on record."""

from __future__ import annotations

import time

from dualtrack.bootstrap import Container
from dualtrack.demo.world import DemoIds, acting_as
from services.audit.read_windows import ReadWindows
from services.common.identity import Role

COORDINATOR_READS = 5
"""How many times the coordinator reads Liu's progress in one window (one recorded read with a count)."""


def seed_reads(container: Container, ids: DemoIds) -> None:
    """Reads of personal data on record, as the API records them once access was granted: an auditor reads Liu's
    progress and credit account; Liu's coordinator reads Liu's progress five times in a row, which is one recorded
    read with a count of five. The demo then closes Liu's windows of reads as if their 15 minutes were over (the
    reads keep their true times), so that the count is recorded as an event too (PersonalDataReadRepeated)."""
    liu = ids.students[0]
    auditor = acting_as(Role.AUDITOR, "auditor-gao")
    coordinator = acting_as(Role.COORDINATOR, "coordinator-chen", school_id=ids.schools[0])
    reads = [(auditor, "progress"), *[(coordinator, "progress")] * COORDINATOR_READS, (auditor, "credit-account")]
    for ctx, what in reads:
        container.audit.record_read(ctx, liu, what=what, path=f"/api/v1/students/{liu}/{what}")
    windows = container.audit.read_windows
    if windows is None:
        return
    window = windows.window
    later = ReadWindows(container.view_db, window=window, clock=lambda: time.time() + window)
    container.audit.connect(read_windows=later)
    try:
        container.audit.close_windows_over(liu)
    finally:
        container.audit.connect(read_windows=windows)
