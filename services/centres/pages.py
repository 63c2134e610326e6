"""Web pages of the centres part (server-rendered; see dualtrack/web/shell.py for the shell they live in).

- `/mentor/centres`: the centres I mentor, each with its calendar (who the published rotation plans put there,
  week by week, against its capacity) and the practice hours delivered there per week (chart and table). A
  student's name shows only while the enterprise hosts them (`toolkit/http/sight.py`); before, "(name withheld)".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template
from flask_babel import format_date, gettext

from services.centres.views import CentresView
from services.common.errors import NotAllowed, NotFound
from services.common.identity import Role
from services.common.scope import Scope
from toolkit.http.context import current_actor, deployment
from toolkit.http.sight import StudentSight

pages = Blueprint("centres_pages", __name__, template_folder="templates")

WEEKS_AHEAD = 8
"""How many weeks of the calendar a centre shows, from this one."""
WEEKS_BACK = 12
"""How many weeks of hours delivered a centre shows, up to this one."""


@pages.get("/mentor/centres")
def my_centres() -> Any:
    actor = current_actor()
    if actor.role is not Role.MENTOR:
        raise NotAllowed(gettext("These pages are for mentors."), role=actor.role.value)
    view: CentresView = deployment().view("centres")
    today = deployment().today()
    monday = today - timedelta(days=today.weekday())
    last = monday + timedelta(weeks=WEEKS_AHEAD, days=-1)
    names = StudentSight(actor, today)
    centres = []
    for centre in view.centres_matching(enterprise_id=actor.enterprise_id, page_size=500).items:
        if not any(m["mentor_id"] == actor.subject for m in centre["mentors"]):
            continue
        try:
            calendar = deployment().view("calendars").centre_calendar(Scope.of(actor), centre["id"], monday, last)
        except NotFound:  # no published plan has placed anyone there yet
            calendar = {"blocks": []}
        expected = {w["week_start"]: w for w in view.expected_occupancy(centre["id"], monday, last)}
        weeks = []
        for n in range(WEEKS_AHEAD):
            start = monday + timedelta(weeks=n)
            end = start + timedelta(days=6)
            students = sorted(names.name(i) or gettext("(name withheld)") for i in {
                s["student_id"] for b in calendar["blocks"]
                if b["start"] <= end.isoformat() and b["end"] >= start.isoformat() for s in b["students"]})
            week = expected.get(start.isoformat(), {})
            weeks.append({"start": start, "students": students, "expected": week.get("expected", len(students)),
                          "capacity": week.get("capacity", centre["capacity"]),
                          "over": week.get("over_capacity", False)})
        delivered = view.hours_delivered(centre["id"], monday - timedelta(weeks=WEEKS_BACK - 1), today)
        rows = [{"label": format_date(date.fromisoformat(w["week_start"][:10])), "start": w["week_start"],
                 "segments": [{"class": "signed", "value": w["signed_hours"]},
                              {"class": "pending", "value": w["unsigned_hours"]}],
                 "target": None, "marker": None, "signed": w["signed_hours"], "unsigned": w["unsigned_hours"]}
                for w in delivered["weeks"]]
        centres.append({"centre": centre, "weeks": weeks, "rows": rows, "total": delivered["signed_hours"]})
    return render_template("centres/mine.html", centres=centres, today=today, weeks_back=WEEKS_BACK)

