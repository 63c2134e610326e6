"""HTTP queries on the calendars read model: a student's and a centre's calendar, as JSON and as iCalendar feeds."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.calendars import ICS_RESPONSE, CalendarQuery, CentreCalendarSchema, StudentCalendarSchema
from contracts.http.common import ApiError
from services.calendars.ics import CONTENT_TYPE, centre_feed, student_feed
from services.calendars.views import CalendarsView
from services.common.scope import Scope
from toolkit.http.context import act_as, current_actor, deployment
from toolkit.http.freshness import await_read_model
from toolkit.http.read_recording import record_read

blp = Blueprint(
    "calendars", __name__, url_prefix="/api/v1",
    description="Calendars (read model): where students are when and whom centres expect, from published rotation "
    "plans; as JSON or as iCalendar (.ics) feeds to subscribe to. Every query takes wait_for=<a command's "
    "wait_token> to show the caller's own write.",
)


def view() -> CalendarsView:
    """The calendars read model's queries, from the deployment."""
    return deployment().view("calendars")


def _documented(fn: Any) -> Any:
    for status, text in ((401, "no or invalid token"), (403, "role or scope does not allow it"),
                         (404, "unknown student or centre"), (422, "invalid from, to or wait_for"),
                         (503, "the read model did not reach wait_for in time")):
        fn = blp.alt_response(status, schema=ApiError, description=text)(fn)
    return fn


def _student_calendar(query: dict[str, Any], student_id: UUID, what: str) -> dict[str, Any]:
    scope = Scope.of(current_actor())
    await_read_model(view(), query)
    calendar = view().student_calendar(scope, str(student_id), deployment().today(),
                                                 query.get("period_from"), query.get("period_to"))
    record_read(student_id, what)
    return calendar


def _centre_calendar(query: dict[str, Any], centre_id: UUID) -> dict[str, Any]:
    scope = Scope.of(current_actor())
    await_read_model(view(), query)
    return view().centre_calendar(scope, str(centre_id), query.get("period_from"), query.get("period_to"))


def _ics(body: bytes, name: str) -> Response:
    response = Response(body, status=200, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{name}.ics"'
    return response


@blp.route("/students/<uuid:student_id>/calendar")
class StudentCalendar(MethodView):
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, StudentCalendarSchema)
    @_documented
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """The student's school and enterprise blocks from every published plan (its current revision), with the
        plans' holidays and exam weeks (the student, their school's coordinators and teachers, mentors of a centre
        the student is placed at now, admins, auditors). A student with nothing published has an empty calendar."""
        return _student_calendar(query, student_id, "calendar")


@blp.route("/students/<uuid:student_id>/calendar.ics")
class StudentCalendarFeed(MethodView):
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, ICS_RESPONSE, content_type="text/calendar",
                  description="text/calendar; charset=utf-8: one all-day VEVENT per block, holiday and exam week")
    @_documented
    def get(self, query: dict[str, Any], student_id: UUID) -> Any:
        """The student's calendar as an iCalendar feed to subscribe to: UID stable per plan, block and student,
        SEQUENCE the plan's revision, DTSTAMP when that revision was recorded (same access as the JSON)."""
        return _ics(student_feed(_student_calendar(query, student_id, "calendar-feed")), f"calendar-{student_id}")


@blp.route("/centres/<uuid:centre_id>/calendar")
class CentreCalendar(MethodView):
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, CentreCalendarSchema)
    @_documented
    def get(self, query: dict[str, Any], centre_id: UUID) -> Any:
        """Every enterprise block of a published plan that places students at the centre, with those students
        (the centre's mentors, coordinators and teachers, admins, auditors; other schools' students are counted,
        not named)."""
        return _centre_calendar(query, centre_id)


@blp.route("/centres/<uuid:centre_id>/calendar.ics")
class CentreCalendarFeed(MethodView):
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, ICS_RESPONSE, content_type="text/calendar",
                  description="text/calendar; charset=utf-8: one all-day VEVENT per plan and block")
    @_documented
    def get(self, query: dict[str, Any], centre_id: UUID) -> Any:
        """The centre's calendar as an iCalendar feed: one event per (plan, block) that places students there
        (same access as the JSON)."""
        return _ics(centre_feed(_centre_calendar(query, centre_id)), f"centre-{centre_id}")


@blp.route("/calendar-links/<string:token>.ics")
class CalendarFeedByLink(MethodView):
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, ICS_RESPONSE, content_type="text/calendar",
                  description="text/calendar; charset=utf-8: the linked feed")
    @blp.doc(security=[])
    @_documented
    def get(self, query: dict[str, Any], token: str) -> Any:
        """A calendar feed by its subscription link (POST /me/calendar-links makes one): no bearer token, the
        secret in the address is the credential. The feed is read as its owner, with their access now; a revoked
        link, or one whose role was withdrawn, is a 401."""
        actor, feed = deployment().sessions().actor_of_calendar_link(token)
        act_as(actor)
        kind, _, rest = feed.removeprefix("/api/v1/").partition("/")
        target = UUID(rest.split("/", 1)[0])
        if kind == "students":
            return _ics(student_feed(_student_calendar(query, target, "calendar-feed")), f"calendar-{target}")
        return _ics(centre_feed(_centre_calendar(query, target)), f"centre-{target}")
