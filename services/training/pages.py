"""Web pages of the training part (server-rendered; see dualtrack/web/shell.py for the shell they live in).

- `/mentor/practice`: log practice fast, for one student or several at the same shift (one command and one entry
  per student, each with its own result); "repeat the latest entry" prefills the form from a student's logbook.
- `/mentor/queue`: the entries awaiting my signature, oldest first; sign several at once (one command per entry,
  a result per entry), or send one back with a reason.

They call the training application's commands, as the API does; refusals are shown next to the field, in words.
A student's name shows only while the mentor's enterprise hosts them (`toolkit/http/sight.py`: from its approval of
the placement until the edit window after its end); the queue leaves out entries of placements past that window.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any
from uuid import UUID

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext

from services.common.errors import DomainError, NotAllowed, NotFound, ReadModelBehind, RuleViolated
from services.common.identity import Actor, Role
from services.training.api import application
from toolkit.http.context import command_context, current_actor, deployment
from toolkit.http.freshness import await_read_model, signed_token
from toolkit.http.paging import page_of
from toolkit.http.sight import StudentSight

pages = Blueprint("training_pages", __name__, template_folder="templates")

FIELD_OF_RULE = {"time-order": "end", "competency-not-in-plan": "competencies", "no-future-date": "day",
                 "placement-not-running": "day", "school-day": "day", "edit-window": "day",
                 "max-hours-per-day": "end", "max-hours-per-week": "day", "overlapping-entries": "start"}
"""Next to which field of the practice form a refusal by each rule is shown (the rest: next to the students)."""


def _mentor() -> Actor:
    actor = current_actor()
    if actor.role is not Role.MENTOR:
        raise NotAllowed(gettext("These pages are for mentors."), role=actor.role.value)
    return actor


def _fresh() -> bool:
    try:
        await_read_model(deployment().view("progress"),
                         {"wait_for": request.args.get("wait_for"), "wait_timeout": 5.0})
    except ReadModelBehind:
        return False
    return True


def _problem(error: DomainError, **extra: Any) -> dict[str, Any]:
    """A refusal as the templates put it in words (training/_refusal.html): its rule and details, or its kind."""
    details = dict(error.details)
    for key in ("day", "week_of", "window_opens", "last_day"):
        if isinstance(details.get(key), str):
            try:
                details[key] = date.fromisoformat(details[key])
            except ValueError:
                pass
    kind = {NotFound: "not-found", NotAllowed: "not-allowed"}.get(type(error), "refused")
    found = {"rule": error.rule} if isinstance(error, RuleViolated) else {"kind": kind}
    return {**found, "details": details, **extra}


def _name(student_id: str, sight: StudentSight) -> str:
    """The student's name, if the caller may see it (else words saying it is withheld)."""
    return sight.name(student_id) or gettext("(name withheld)")


# -- who I log for ----------------------------------------------------------------------------------
PAGE_SIZE = 50
"""Students (practice) or entries (queue) shown on one page."""


def _page_number(value: str | None) -> int:
    try:
        return max(int(value or "1"), 1)
    except ValueError:
        return 1


def placed_students(actor: Actor, page: int = 1, student_ids: list[str] | None = None,
                    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One page of the students placed now at a centre I mentor (by centre, then by name within the page), each
    with the competencies of their plan (or, before the plan is drawn up with the first entry, of their major's
    catalogue), and the paging; `student_ids` keeps only those students. From the progress read model in a few
    queries; names looked up for the page's students only."""
    today = deployment().today()
    names = StudentSight(actor, today)
    progress = deployment().view("progress")
    roster = progress.mentor_roster(actor.subject, actor.enterprise_id, today, page, PAGE_SIZE, student_ids)
    pager = page_of(page, roster["total"], PAGE_SIZE)
    if pager["page"] != page:
        roster = progress.mentor_roster(actor.subject, actor.enterprise_id, today, pager["page"], PAGE_SIZE,
                                        student_ids)
    centres = {c["id"]: c["name"] for c in deployment().view("centres").centres_matching(
        enterprise_id=actor.enterprise_id, page_size=500).items}
    found: dict[str, dict[str, Any]] = {}
    for row in roster["students"]:
        student_id = row["student_id"]
        if student_id in found:
            continue
        competencies = list(row["competencies"])
        if not competencies and application().has_catalogue(row["major"]):
            starts = date.fromisoformat(row["activated_on"] or row["start"])
            competencies = [(c.code, c.title) for c in application().get_catalogue(row["major"]).in_force(starts)]
        found[student_id] = {"id": student_id, "name": _name(student_id, names),
                             "centre": centres.get(row["centre_id"], row["centre_id"]), "competencies": competencies}
    return pager, sorted(found.values(), key=lambda s: (s["centre"], s["name"], s["id"]))


def _latest_entry(student_id: str) -> Any:
    """The student's latest entry that counts (by day and start), to repeat."""
    record = application().get_training_record(command_context(), UUID(student_id))
    counting = [e for e in (record.entries.values() if record else []) if e.counts]
    return max(counting, key=lambda e: (e.current.day, e.current.start), default=None)


# -- /mentor/practice -------------------------------------------------------------------------------
def _practice_page(actor: Actor, form: dict[str, Any], status: int = 200, results: list[Any] | None = None,
                   errors: dict[str, list[Any]] | None = None, up_to_date: bool = True) -> Any:
    pager, students = placed_students(actor, _page_number(form.get("page")))
    shown = {s["id"] for s in students}
    chosen = [s for s in students if s["id"] in form["students"]]
    elsewhere = [i for i in form["students"] if i not in shown]
    if elsewhere:  # chosen on another page (a repeat, a link from today): shown first, still chosen
        _, others = placed_students(actor, 1, elsewhere)
        chosen, students = chosen + others, others + students
    pool = chosen or students
    codes = [set(c for c, _ in s["competencies"]) for s in pool]
    common = set.intersection(*codes) if codes else set()
    titles = {c: t for s in pool for c, t in s["competencies"]}
    competencies = [(c, titles[c]) for c in sorted(common)]
    return render_template("training/practice.html", students=students, form=form, competencies=competencies,
                           group=len(chosen) > 1, results=results or [], errors=errors or {},
                           up_to_date=up_to_date, today=deployment().today(), pager=pager), status


def _blank_form() -> dict[str, Any]:
    return {"students": [], "day": deployment().today().isoformat(), "start": "", "end": "", "competencies": [],
            "description": "", "page": "1"}


@pages.get("/mentor/practice")
def practice_form() -> Any:
    actor = _mentor()
    up_to_date = _fresh()
    form = _blank_form()
    form["students"] = request.args.getlist("student")
    form["page"] = request.args.get("page", "1")
    results = []
    repeat = request.args.get("repeat")
    if repeat:
        form["students"] = [repeat]
        latest = _latest_entry(repeat)
        if latest is not None:
            form.update(start=latest.current.start.strftime("%H:%M"), end=latest.current.end.strftime("%H:%M"),
                        competencies=list(latest.current.competencies), description=latest.current.description,
                        repeated=latest.current.day)
    names = StudentSight(actor)
    for student_id in request.args.getlist("logged"):
        results.append({"name": _name(student_id, names), "logged": True})
    return _practice_page(actor, form, results=results, up_to_date=up_to_date)


def _parse_practice(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    errors: dict[str, list[Any]] = {}
    parsed: dict[str, Any] = {}

    def refuse(field: str, text: str) -> None:
        errors.setdefault(field, []).append({"text": text})

    if not form["students"]:
        refuse("students", gettext("Choose at least one student."))
    try:
        parsed["day"] = date.fromisoformat(form["day"])
    except ValueError:
        refuse("day", gettext("Give the day as YYYY-MM-DD."))
    for field in ("start", "end"):
        try:
            parsed[field] = time.fromisoformat(form[field])
        except ValueError:
            refuse(field, gettext("Give the time as HH:MM, for example 08:30."))
    if "start" in parsed and "end" in parsed and parsed["end"] <= parsed["start"]:
        refuse("end", gettext("The end must be after the start."))
    if not form["competencies"]:
        refuse("competencies", gettext("Choose at least one competency."))
    if not form["description"] or len(form["description"]) > 4000:
        refuse("description", gettext("Say what was done (at most 4000 characters)."))
    return parsed, errors


@pages.post("/mentor/practice")
def log_practice() -> Any:
    actor = _mentor()
    form = {**_blank_form(), "students": request.form.getlist("students"),
            "competencies": request.form.getlist("competencies"),
            **{k: request.form.get(k, "").strip() for k in ("day", "start", "end", "description", "page")}}
    if request.form.get("action") == "refresh":  # show the competencies of the students chosen; nothing is logged
        return _practice_page(actor, form)
    parsed, errors = _parse_practice(form)
    if errors:
        return _practice_page(actor, form, 422, errors=errors)
    placed = {s["id"]: s["name"] for s in placed_students(actor, 1, form["students"])[1]}
    results: list[dict[str, Any]] = []
    tokens: list[str] = []
    refused: list[str] = []
    for student_id in form["students"]:
        name = placed.get(student_id) or _name(student_id, StudentSight(actor))
        try:
            done = application().log_practice(command_context(), UUID(student_id), day=parsed["day"],
                                              start=parsed["start"], end=parsed["end"],
                                              competencies=form["competencies"], description=form["description"])
        except (DomainError, ValueError) as error:
            if isinstance(error, ValueError):
                error = NotFound(f"no student {student_id}")
            found = _problem(error, who=name, clashes=_clashes(student_id, error))
            field = FIELD_OF_RULE.get(found.get("rule", ""), "students")
            errors.setdefault(field, []).append(found)
            results.append({"name": name, "logged": False, "problem": found})
            refused.append(student_id)
            continue
        tokens.append(done.token)
        results.append({"name": name, "logged": True})
    if not refused:
        logged = "".join(f"&logged={s}" for s in form["students"])
        return redirect(f"/mentor/practice?wait_for={signed_token(','.join(tokens))}{logged}"
                        f"&page={_page_number(form['page'])}", 303)
    form["students"] = refused  # those logged are done: sending the form again logs only the refused ones
    status = 409 if any("rule" in r.get("problem", {}) for r in results) else 422
    return _practice_page(actor, form, status, results=results, errors=errors)


def _clashes(student_id: str, error: Exception) -> list[str]:
    """The times of the entries an overlapping slot clashes with ("08:00–12:00")."""
    if not isinstance(error, RuleViolated) or error.rule != "overlapping-entries":
        return []
    record = application().get_training_record(command_context(), UUID(student_id))
    found = [record.entries[e].current for e in error.details.get("conflicting_entries", []) if record]
    return [f"{p.start:%H:%M}–{p.end:%H:%M}" for p in found]


def described(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Queue entries (from the progress read model) with their descriptions, which are free text and so not on the
    topics nor in the read model (docs/published-fields.md): read from each student's training record, once."""
    records: dict[str, Any] = {}
    for entry in entries:
        sid = entry["student_id"]
        if sid not in records:
            try:
                records[sid] = application().get_training_record(command_context(), UUID(sid))
            except (NotFound, NotAllowed, ValueError):
                records[sid] = None
        found = records[sid].entries.get(entry["entry_id"]) if records[sid] is not None else None
        entry["description"] = found.current.description if found is not None else ""
    return entries


# -- /mentor/queue ----------------------------------------------------------------------------------
def _queue_page(actor: Actor, status: int = 200, results: list[Any] | None = None,
                reject_errors: dict[str, Any] | None = None, up_to_date: bool = True) -> Any:
    wanted = _page_number(request.values.get("page"))
    progress = deployment().view("progress")
    total, queue = progress.sign_off_queue_page(actor.subject, actor.enterprise_id, wanted, PAGE_SIZE)
    pager = page_of(wanted, total, PAGE_SIZE)
    if pager["page"] != wanted:  # past the last page (the entries on it were signed): show the last
        total, queue = progress.sign_off_queue_page(actor.subject, actor.enterprise_id, pager["page"], PAGE_SIZE)
    names = StudentSight(actor)
    kept = described([entry for entry in queue if names.keeps(entry)])
    for entry in kept:
        entry["name"] = _name(entry["student_id"], names)
        entry["day"] = date.fromisoformat(entry["day"])
    return render_template("training/queue.html", queue=kept, results=results or [], pager=pager,
                           reject_errors=reject_errors or {}, up_to_date=up_to_date,
                           past_window=len(queue) - len(kept)), status


@pages.get("/mentor/queue")
def queue() -> Any:
    actor = _mentor()
    up_to_date = _fresh()
    names = StudentSight(actor)
    results = []
    for item in request.args.getlist("signed"):
        student_id, _, entry_id = item.partition(":")
        results.append({"name": _name(student_id, names), "entry": _entry_facts(student_id, entry_id),
                        "signed": True})
    rejected = request.args.get("rejected")
    if rejected:
        student_id, _, entry_id = rejected.partition(":")
        results.append({"name": _name(student_id, names), "entry": _entry_facts(student_id, entry_id),
                        "rejected": True})
    return _queue_page(actor, results=results, up_to_date=up_to_date)


def _entry_facts(student_id: str, entry_id: str) -> Any:
    try:
        record = application().get_training_record(command_context(), UUID(student_id))
        return record.entry(entry_id).current if record else None
    except (DomainError, ValueError):
        return None


@pages.post("/mentor/queue/sign")
def sign() -> Any:
    actor = _mentor()
    chosen = request.form.getlist("entries")
    if not chosen:
        return _queue_page(actor, 422, results=[{"problem": {"text": gettext("Choose the entries to sign.")}}])
    names = StudentSight(actor)
    results, tokens, refused = [], [], False
    for item in chosen:
        student_id, _, entry_id = item.partition(":")
        facts = _entry_facts(student_id, entry_id)
        try:
            done = application().sign_off_practice(command_context(), UUID(student_id), entry_id)
        except (DomainError, ValueError) as error:
            if isinstance(error, ValueError):
                error = NotFound(f"no entry {item}")
            refused = True
            results.append({"name": _name(student_id, names) if facts else item, "entry": facts,
                            "problem": _problem(error)})
            continue
        tokens.append(done.token)
        results.append({"name": _name(student_id, names), "entry": facts, "signed": True})
    token = signed_token(",".join(tokens)) if tokens else ""
    if not refused:
        signed = "".join(f"&signed={item}" for item in chosen)
        return redirect(f"/mentor/queue?wait_for={token}{signed}&page={_page_number(request.form.get('page'))}", 303)
    up_to_date = True
    if token:  # show the queue without the entries just signed
        try:
            await_read_model(deployment().view("progress"), {"wait_for": token, "wait_timeout": 5.0})
        except ReadModelBehind:
            up_to_date = False
    return _queue_page(actor, 409, results=results, up_to_date=up_to_date)


@pages.post("/mentor/queue/reject")
def reject() -> Any:
    actor = _mentor()
    item, reason = request.form.get("entry", ""), request.form.get("reason", "").strip()
    student_id, _, entry_id = item.partition(":")
    if not reason or len(reason) > 2000:
        return _queue_page(actor, 422, reject_errors={item: {
            "text": gettext("Give the reason for sending the entry back (at most 2000 characters)."),
            "reason": reason}})
    try:
        done = application().reject_practice(command_context(), UUID(student_id), entry_id, reason=reason)
    except (DomainError, ValueError) as error:
        if isinstance(error, ValueError):
            error = NotFound(f"no entry {item}")
        status = 404 if isinstance(error, NotFound) else 409
        facts = _entry_facts(student_id, entry_id)  # the entry may have left the queue: the result says why too
        result = {"name": _name(student_id, StudentSight(actor)) if facts else item, "entry": facts, "rejecting": True,
                  "problem": _problem(error)}
        return _queue_page(actor, status, results=[result],
                           reject_errors={item: {**_problem(error), "reason": reason}})
    return redirect(f"/mentor/queue?wait_for={signed_token(done.token)}&rejected={item}"
                    f"&page={_page_number(request.form.get('page'))}", 303)
