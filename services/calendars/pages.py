"""Web pages of the calendars part (server-rendered; see dualtrack/web/shell.py for the shell they live in).

`/student/calendar`: a student's calendar week by week (school and enterprise blocks, holidays, exam weeks, from the
calendars read model, as the API's student calendar), and their calendar subscription links: made through the
identity application as the API's `/me/calendar-links` does (the address shown once, with how to add it to a
phone's calendar), listed and revoked. A guardian sees their student's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from services.common.errors import DomainError, NotAllowed, NotFound, RuleViolated
from services.common.identity import STUDENT_SIDE, Actor
from services.common.scope import Scope
from toolkit.http.context import command_context, current_actor, current_grant_id, deployment
from toolkit.http.read_recording import record_read

pages = Blueprint("calendars_pages", __name__, template_folder="templates")


def _student_side() -> tuple[Actor, str]:
    """The student, or a guardian of theirs, and the student's id; anyone else is refused in words."""
    actor = current_actor()
    if actor.role not in STUDENT_SIDE or not actor.student_id:
        raise NotAllowed(gettext("These pages are for students and their guardians."), role=actor.role.value)
    return actor, actor.student_id


def feed_of(student_id: str) -> str:
    """The student's iCalendar feed, as a calendar link names it."""
    return f"/api/v1/students/{student_id}/calendar.ics"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_of(calendar: dict[str, Any], today: date, past: bool) -> tuple[list[dict[str, Any]], int]:
    """The calendar as weeks (Monday to Sunday) from its first day to its last: where the student is each week,
    and the holidays and exam weeks in it; without the weeks before this one unless `past`. Also how many weeks
    were left out."""
    spans = [(date.fromisoformat(b["start"]), date.fromisoformat(b["end"]), "block", b) for b in calendar["blocks"]]
    spans += [(date.fromisoformat(h["start"]), date.fromisoformat(h["end"]), "holiday", h)
              for h in calendar["holidays"]]
    spans += [(date.fromisoformat(e["start"]), date.fromisoformat(e["end"]), "exams", e)
              for e in calendar["exam_weeks"]]
    if not spans:
        return [], 0
    first, last = _monday(min(s for s, *_ in spans)), max(e for _, e, *_ in spans)
    this_week = _monday(today)
    weeks, hidden, monday = [], 0, first
    while monday <= last:
        sunday = monday + timedelta(days=6)
        if monday < this_week and not past:
            hidden += 1
        else:
            inside = [(s, e, kind, item) for s, e, kind, item in spans if s <= sunday and e >= monday]
            weeks.append({
                "start": monday, "end": sunday, "current": monday == this_week,
                "blocks": [_block(item, max(s, monday), min(e, sunday)) for s, e, kind, item in inside
                           if kind == "block"],
                "holidays": [item["name"] for _, _, kind, item in inside if kind == "holiday"],
                "exams": [item["name"] for _, _, kind, item in inside if kind == "exams"],
            })
        monday += timedelta(days=7)
    return weeks, hidden


def _block(b: dict[str, Any], start: date, end: date) -> dict[str, Any]:
    return {"kind": b["kind"], "centre": b["centre_name"], "address": b["centre_address"],
            "hours_per_week": b["hours_per_week"], "start": start, "end": end, "plan": b["title"],
            "first_week": start == date.fromisoformat(b["start"])}


def _links(actor: Actor, student_id: str) -> list[dict[str, Any]]:
    person = deployment().app("identity").get_person(actor.subject)
    return [{"link_id": link.link_id, "mine": link.feed == feed_of(student_id), "feed": link.feed}
            for link in person.calendar_links.values()]


def _refusal(error: DomainError) -> str:
    if isinstance(error, RuleViolated) and error.rule == "too-many-calendar-links":
        return gettext("You have as many calendar links as one may keep: stop one before making another.")
    if isinstance(error, NotFound):
        return gettext("This calendar link does not exist (any more).")
    return gettext("This could not be done now; try again.")


def _page(actor: Actor, student_id: str, *, status: int = 200, new_link: dict[str, str] | None = None,
          problem: str | None = None) -> Any:
    today = deployment().today()
    calendar = deployment().view("calendars").student_calendar(Scope.of(actor), student_id, today)
    record_read(student_id, "calendar")
    past = request.args.get("past") == "1"
    weeks, hidden = weeks_of(calendar, today, past)
    return render_template(
        "calendars/student_calendar.html", guardian=actor.role.value == "guardian", weeks=weeks, hidden=hidden,
        past=past, links=_links(actor, student_id), new_link=new_link, problem=problem,
        revoked=request.args.get("revoked") == "1",
    ), status


@pages.get("/student/calendar")
def student_calendar() -> Any:
    """My calendar week by week, and my calendar subscription links."""
    actor, student_id = _student_side()
    return _page(actor, student_id)


@pages.post("/student/calendar/links")
def make_link() -> Any:
    """A new subscription link to my calendar feed; its address is shown on this answer only (it is a secret: it
    is kept as a hash, and never put into a URL of this site)."""
    actor, student_id = _student_side()
    try:
        _, token = deployment().app("identity").create_calendar_link(command_context(), feed_of(student_id),
                                                                     grant_id=current_grant_id() or "")
    except DomainError as error:
        return _page(actor, student_id, status=409, problem=_refusal(error))
    url = f"{request.host_url.rstrip('/')}/api/v1/calendar-links/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    return _page(actor, student_id, status=201, new_link={"url": url, "webcal": webcal})


@pages.post("/student/calendar/links/<string:link_id>/revocation")
def revoke_link(link_id: str) -> Any:
    """Stop a calendar link working."""
    actor, student_id = _student_side()
    try:
        deployment().app("identity").revoke_calendar_link(command_context(), link_id)
    except DomainError as error:
        return _page(actor, student_id, status=409, problem=_refusal(error))
    return redirect("/student/calendar?revoked=1", 303)
