"""Web pages of the recorded reads (who read a student's data), server-rendered; see dualtrack/web/shell.py.

`/student/reads`: who read the student's personal data — every read by anyone but the student and their guardians
that the audit context recorded (who, in which role, what, when; repeated reads within a window as one record with
their count), newest first, from the same `reads_of` the API's `/students/{id}/reads` answers; readers by name
(looked up in the identity application when the page is made). A guardian sees their student's.
`/student/personal-data.json`: everything held about the student, the API's file downloaded with the session.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_datetime, gettext

from services.audit.read_windows import WINDOW_SECONDS
from services.audit.reads import require_may_list_reads
from services.common.errors import NotAllowed, NotFound
from services.common.identity import STUDENT_SIDE, Actor, Role
from toolkit.http.context import command_context, current_actor, deployment

pages = Blueprint("reads_pages", __name__, template_folder="templates")

PAGE_SIZE = 50
PERSONAL_DATA_ROUTE = "audit_reads.StudentPersonalData"
"""The API's route that answers a student's whole file (services/audit/reads_api.py)."""


def _student_side() -> tuple[Actor, str]:
    """The student, or a guardian of theirs, and the student's id; anyone else is refused in words."""
    actor = current_actor()
    if actor.role not in STUDENT_SIDE or not actor.student_id:
        raise NotAllowed(gettext("These pages are for students and their guardians."), role=actor.role.value)
    return actor, actor.student_id


def window_minutes() -> float:
    """How long a window of repeated reads lasts, in minutes (DUALTRACK_READ_WINDOW_SECONDS)."""
    windows = deployment().app("audit").read_windows
    minutes = (windows.window if windows is not None else WINDOW_SECONDS) / 60
    return int(minutes) if minutes == int(minutes) else round(minutes, 1)


def role_in_words(role: str) -> str:
    return {"auditor": gettext("auditor"), "coordinator": gettext("school coordinator"), "admin": gettext("admin"),
            "teacher": gettext("teacher"), "mentor": gettext("mentor"),
            "enterprise-admin": gettext("enterprise admin")}.get(role, role)


def what_in_words(what: str) -> str:
    """What a recorded read was of, as the routes that record reads name it."""
    known = {
        "progress": gettext("your progress"), "progress as of": gettext("your progress as known on a past day"),
        "credit-account": gettext("your credit account"), "credit-statement": gettext("your credit statement"),
        "signed-credit-statement": gettext("your signed credit statement"),
        "eligibility": gettext("your eligibility for a certificate"), "calendar": gettext("your calendar"),
        "calendar-feed": gettext("your calendar feed"), "placements": gettext("your placements"),
        "placement": gettext("one of your placements"), "current-placement": gettext("your current placement"),
        "enrolment": gettext("your enrolment"), "logbook": gettext("your practice logbook"),
        "timeline": gettext("your timeline"), "full record export": gettext("an export of your whole record"),
        "personal-data": gettext("all your data, downloaded as one file"),
    }
    if what in known:
        return known[what]
    if what.endswith(" history"):
        return gettext("the history of your %(part)s records", part=what.removesuffix(" history"))
    return what


class Readers:
    """Readers' names, from the identity application, once per page."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def __call__(self, subject: str) -> str:
        if subject not in self._names:
            try:
                self._names[subject] = deployment().app("identity").get_person(subject).name
            except NotFound:
                self._names[subject] = gettext("someone without an account here")
        return self._names[subject]


@pages.get("/student/reads")
def student_reads() -> Any:
    """Who read my data: the recorded reads, newest first, a page at a time."""
    actor, student_id = _student_side()
    ctx, c = command_context(), deployment()
    require_may_list_reads(actor, str(UUID(student_id)))
    total = c.app("audit").count_reads(student_id)
    last = max(1, -(-total // PAGE_SIZE))
    try:
        page = min(max(1, int(request.args.get("page", last))), last)
    except ValueError:
        page = last
    _, reads = c.app("audit").reads_of(ctx, student_id, page=page, page_size=PAGE_SIZE)
    readers = Readers()
    rows = [{"who": readers(r["read_by"]), "role": role_in_words(r["role"]), "what": what_in_words(r["what"]),
             "when": format_datetime(r["read_at"], "medium"), "at": r["read_at"].isoformat(), "times": r["times"],
             "last": format_datetime(r["last_read_at"], "medium"), "last_at": r["last_read_at"].isoformat()}
            for r in reversed(reads)]
    return render_template("audit/student_reads.html", guardian=actor.role is Role.GUARDIAN, reads=rows,
                           total=total, page=page, last=last, window_minutes=window_minutes())


@pages.get("/student/personal-data.json")
def personal_data_file() -> Any:
    """Everything held about me, as one file to download: the API's own route answers it, signed in with this
    session (a guardian takes their student's)."""
    _, student_id = _student_side()
    return current_app.view_functions[PERSONAL_DATA_ROUTE](student_id=UUID(student_id))
