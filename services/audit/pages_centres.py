"""The auditor's pages about a training centre (part of `services.audit.pages`'s blueprint):

- `/auditor/centres/<id>`: the centre, its enterprise, who held a place there; its export and "as of" links.
- `/auditor/centres/<id>/as-of?on=<business date>&known_at=<moment>`: the centre's record on the day as the logs
  knew it at the moment (as_of.CentreRecordAsOf: who held a place, places held and expected that week, hours
  logged that day and delivered up to it), beside what is known now about the same day, with what differs marked.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from flask import render_template
from flask_babel import format_decimal, gettext

from services.audit.as_of import CentreRecordAsOf, now
from services.audit.pages import auditor, event_log, pages
from services.audit.pages_history import Comparison, as_of_query, as_of_view, statuses
from services.common.errors import NotFound
from toolkit.http.context import deployment
from toolkit.http.pages import Names


def centre_or_404(centre_id: UUID) -> dict[str, Any]:
    try:
        return dict(deployment().view("centres").centre_by_id(str(centre_id)))
    except NotFound:
        raise NotFound(gettext("No training centre has this id."), id=str(centre_id)) from None


@pages.get("/auditor/centres/<uuid:centre_id>")
def centre_page(centre_id: UUID) -> Any:
    auditor()
    centre = centre_or_404(centre_id)
    names = Names()
    hosted = [{**h, "name": names.student_name(h["student_id"])}
              for h in deployment().view("centres").students_hosted(str(centre_id))]
    return render_template("audit/auditor_centre.html", centre=centre, hosted=hosted, centre_id=str(centre_id))


def week_of(weeks: list[dict[str, Any]], day: str) -> dict[str, Any]:
    """The week (of a read model's weeks, each from its Monday) that holds the ISO day; empty when none does."""
    monday = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
    return next((w for w in weeks if w["week_start"] == monday.isoformat()), {})


def centre_comparison(then: dict[str, Any] | None, today: dict[str, Any], names: Names) -> list[dict[str, Any]]:
    """A centre's record then and now: capacity, who held a place that day, places held and expected that week,
    hours logged that day by status and delivered over the four weeks up to it."""
    c = Comparison(then, today)
    c.add(gettext("Places"), gettext("Capacity"), lambda a: a["centre"]["capacity"])
    c.add(gettext("Places"), gettext("Students holding a place that day"), lambda a: ", ".join(
        sorted(names.student_name(h["student_id"]) for h in a["hosted_on_day"])) or "–")
    c.add(gettext("Places"), gettext("Places held that week"),
          lambda a: week_of(a["occupancy"]["weeks"], a["on"]).get("held"))
    c.add(gettext("Places"), gettext("Students expected that week by published plans"),
          lambda a: week_of(a["expected_occupancy"], a["on"]).get("expected"))
    for key, label in statuses():
        c.add(gettext("Hours logged for the day"), label, lambda a, k=key: a["hours_on_day"].get(k))
    c.add(gettext("Hours delivered in the four weeks up to the day"), gettext("signed"),
          lambda a: a["hours_delivered"]["signed_hours"])
    for code in c.keys(lambda a: [x["competency"] for x in a["hours_delivered"]["competencies"]]):
        def competency(a: dict[str, Any], code: str = code) -> Any:
            found = next((x for x in a["hours_delivered"]["competencies"] if x["competency"] == code), None)
            return None if found is None else gettext(
                "%(signed)s h signed, %(waiting)s h awaiting", signed=format_decimal(found["signed_hours"]),
                waiting=format_decimal(found["unsigned_hours"]))
        c.add(gettext("Hours delivered in the four weeks up to the day"), code, competency)
    return c.rows


@pages.get("/auditor/centres/<uuid:centre_id>/as-of")
def centre_as_of(centre_id: UUID) -> Any:
    auditor()
    centre = centre_or_404(centre_id)
    on, moment, errors, shown = as_of_query()
    then = today = None
    unknown = False
    if moment is not None and not errors:
        replayed = CentreRecordAsOf(event_log(), centre_id)
        start, end = on - timedelta(days=28), on
        try:
            with replayed.known_at(moment) as known:
                then = known.on(on, start, end)
        except NotFound:
            unknown = True
        with replayed.known_at(now()) as known:
            today = known.on(on, start, end)
    rows = centre_comparison(then, today, Names()) if today is not None else []
    return as_of_view(rows, on, moment, shown, errors, centre_id=str(centre_id), name=centre["name"],
                      action=f"/auditor/centres/{centre_id}/as-of", unknown=unknown,
                      replayed=then["events_applied"] if then else None)
