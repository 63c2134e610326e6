"""Calendars as RFC 5545 iCalendar feeds, for the calendar apps students, mentors and schools already use.

Every block is an all-day event (DTEND is the day after the block's last day, as RFC 5545 wants). UIDs are
stable across revisions and SEQUENCE is the plan's revision, so a subscribed calendar updates an event in place
when a plan is revised; DTSTAMP is when that revision was recorded, so the same revision always gives the same
bytes. Blocks are TRANSPARENT: they say where someone is over weeks, not that they are busy all day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

PRODID = "-//dualtrack//calendars//EN"
DOMAIN = "dualtrack"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def student_feed(calendar: dict[str, Any]) -> bytes:
    """A student's blocks, holidays and exam weeks."""
    student = calendar["student_id"]
    feed = _calendar(f"Work-study calendar of student {student}")
    for b in calendar["blocks"]:
        if b["kind"] == "enterprise":
            where = b["centre_name"] or f"centre {b['centre_id']}"
            summary = f"Enterprise block {b['block_id']} at {where}"
        else:
            summary = f"School block {b['block_id']}"
        lines = [f"{b['title']} (revision {b['revision']}), group {b['group']}"]
        if b["hours_per_week"] is not None:
            lines.append(f"{b['hours_per_week']} hours of practice a week")
        if b["centre_address"]:
            lines.append(f"{b['centre_name']}, {b['centre_address']}")
        feed.add_component(_event(
            uid=f"{b['plan_id']}.{b['block_id']}.{student}@{DOMAIN}", summary=summary, start=b["start"], end=b["end"],
            revision=b["revision"], recorded_at=b["recorded_at"], description="\n".join(lines),
            location=b["centre_name"], category=b["kind"]))
    for kind, label, periods in (("holiday", "Holiday", calendar["holidays"]),
                                 ("exam-week", "Exam week", calendar["exam_weeks"])):
        for p in periods:
            feed.add_component(_event(
                uid=f"{p['plan_id']}.{kind}-{p['ordinal']}.{student}@{DOMAIN}",
                summary=f"{label}: {p['name']}" if p["name"] else label, start=p["start"], end=p["end"],
                revision=p["revision"], recorded_at=p["recorded_at"], description=f"{p['title']} (revision "
                f"{p['revision']})", location=None, category=kind))
    return feed.to_ical()


def centre_feed(calendar: dict[str, Any]) -> bytes:
    """A centre's enterprise blocks, one event per (plan, block), with the students it places there."""
    centre = calendar["centre_id"]
    name = calendar["centre_name"] or f"centre {centre}"
    feed = _calendar(f"Students expected at {name}")
    for b in calendar["blocks"]:
        count = b["student_count"]
        lines = [f"{b['title']} (revision {b['revision']}), group {b['group']}",
                 f"{count} student{'' if count == 1 else 's'}"
                 + (f", {b['hours_per_week']} hours a week" if b["hours_per_week"] is not None else "")]
        lines += [f"student {s['student_id']}" for s in b["students"]]
        feed.add_component(_event(
            uid=f"{b['plan_id']}.{b['block_id']}.{centre}@{DOMAIN}",
            summary=f"Enterprise block {b['block_id']}: {count} student{'' if count == 1 else 's'} ({b['title']})",
            start=b["start"], end=b["end"], revision=b["revision"], recorded_at=b["recorded_at"],
            description="\n".join(lines), location=calendar["centre_name"], category="enterprise"))
    return feed.to_ical()


def _calendar(name: str) -> Calendar:
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", name)
    return feed


def _event(*, uid: str, summary: str, start: str, end: str, revision: int, recorded_at: str, description: str,
           location: str | None, category: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(recorded_at))
    event.add("sequence", revision)
    event.add("summary", summary)
    event.add("dtstart", date.fromisoformat(start))
    event.add("dtend", date.fromisoformat(end) + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("categories", [category])
    event.add("description", description)
    if location:
        event.add("location", location)
    return event


def _utc(moment: str) -> datetime:
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)
