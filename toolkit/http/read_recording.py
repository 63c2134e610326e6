"""Reads of a student's personal data by anyone but the student's side become events of the audit context.

A route that answers a student's personal data calls `record_read` once access was granted and the answer is
ready, before returning it: a refused read records nothing, and a read that cannot be recorded is not answered
(503) — no personal data leaves unrecorded.
"""

from __future__ import annotations

import logging
from uuid import UUID

from flask import request
from werkzeug.exceptions import ServiceUnavailable

from toolkit.http.context import command_context, deployment

log = logging.getLogger(__name__)


def record_read(student_id: UUID | str, what: str) -> None:
    """Record that the caller read the student's `what` through this request's path (the audit context decides
    whose reads it records: everyone's but the student's own and their guardian's; repeated reads within a window
    are counted in one record)."""
    ctx = command_context()
    try:
        deployment().app("audit").record_read(ctx, student_id, what=what, path=request.path)
    except Exception as error:  # whatever kept the event from being stored, the data stays unanswered
        log.exception("the read of student %s's %s could not be recorded", student_id, what)
        raise ServiceUnavailable(f"the read of student {student_id}'s {what} could not be recorded, so it is not "
                                 "answered; try again") from error
