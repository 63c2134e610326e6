"""`/coordinator/practice-upload`: a coordinator uploads a CSV file of practice entries (the columns of the batch API,
`POST /api/v1/practice-entries/batch`) and reads the report on the page, row by row: accepted, or refused with the
column and the rule in words.

As in the API, every row is checked first and the file is stored whole or not at all (one command,
`TrainingApplication.log_practice_batch`): one refused row stops the others, which are reported as fine but not
stored. The file is bounded as the API bounds it (2 MiB, 5000 rows); a file that is not UTF-8 CSV text, or whose
header is not the batch's, is refused on the page. The routes are registered on the school's blueprint
(school_pages.py).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from flask import Response, redirect, render_template, request
from flask_babel import gettext
from marshmallow import ValidationError

from contracts.http.training import CSV_COLUMNS, CSV_OPTIONAL_COLUMNS, PracticeRowSchema
from services.common.errors import BatchRefused, DomainError, NotAllowed
from services.common.identity import Actor, Role
from services.training.api import MAX_CSV_BYTES, MAX_CSV_ROWS, application
from services.training.application import PracticeRow
from services.training.assessment_pages import school_students
from toolkit.http.context import command_context, deployment
from toolkit.http.freshness import signed_token
from toolkit.http.pages import signed_in_as, written

COLUMN_OF_RULE = {"time-order": "end", "competency-not-in-plan": "competencies", "no-future-date": "date",
                  "placement-not-running": "date", "school-day": "date", "edit-window": "date",
                  "max-hours-per-day": "end", "max-hours-per-week": "date", "overlapping-entries": "start",
                  "not-found": "student_id", "forbidden": "student_id"}
"""The column a refusal by each rule concerns."""


class Refused(Exception):
    """The file as a whole is refused (its size, encoding, header or number of rows), before any row is checked."""

    def __init__(self, text: str, status: int = 422) -> None:
        super().__init__(text)
        self.text, self.status = text, status


def _page(status: int = 200, refusal: str | None = None, report: list[dict[str, Any]] | None = None,
          stored: int | None = None, filename: str = "", up_to_date: bool = True) -> Any:
    return render_template("training/upload.html", columns=CSV_COLUMNS, optional=CSV_OPTIONAL_COLUMNS,
                           max_kib=MAX_CSV_BYTES // 1024, max_rows=MAX_CSV_ROWS, file_refusal=refusal, report=report,
                           refused_rows=sum(1 for r in report or [] if r["problems"]), stored=stored,
                           filename=filename, up_to_date=up_to_date, today=deployment().today()), status


def upload_form() -> Any:
    """GET /coordinator/practice-upload[?stored=N&wait_for=...]."""
    signed_in_as(Role.COORDINATOR)
    up_to_date = written(deployment().view("progress"))
    stored = request.args.get("stored", "")
    return _page(stored=int(stored) if stored.isdigit() else None, filename=request.args.get("file", "")[:200],
                 up_to_date=up_to_date)


def template() -> Any:
    """GET /coordinator/practice-upload/template.csv: the header the upload takes (UTF-8 with a BOM, so that a
    spreadsheet opens Chinese text right), and one example row to overwrite."""
    signed_in_as(Role.COORDINATOR)
    example = ["00000000-0000-0000-0000-000000000000", deployment().today().isoformat(), "08:00", "12:00",
               "MEC-01;MEC-03", "what was done", "", ""]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *CSV_OPTIONAL_COLUMNS])
    writer.writerow(example)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="practice-entries.csv"'})


def upload() -> Any:
    """POST /coordinator/practice-upload: check the file, store it whole or report why not, row by row."""
    actor = signed_in_as(Role.COORDINATOR)
    sent = request.files.get("file")
    filename = (sent.filename or "")[:200] if sent else ""
    try:
        if sent is None or not filename:
            raise Refused(gettext("File: choose the CSV file to upload."))
        rows, malformed = _parse(_text(sent.stream.read(MAX_CSV_BYTES + 1)), Names(actor))
    except Refused as refused:
        return _page(refused.status, refusal=refused.text, filename=filename)
    try:
        result = application().log_practice_batch(command_context(), rows, malformed)
    except (BatchRefused, NotAllowed) as error:
        report = _report(rows, malformed, error.details.get("rows", []))
        return _page(403 if isinstance(error, NotAllowed) else 422, report=report, filename=filename)
    except DomainError:
        return _page(409, refusal=gettext("Someone changed a student's logbook while the file was checked: nothing "
                                          "was stored. Upload the file again."), filename=filename)
    return redirect("/coordinator/practice-upload?" + urlencode({
        "stored": len(result.entries), "file": filename, "wait_for": signed_token(result.token)}), 303)


def _text(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise Refused(gettext("File: at most %(kib)s KiB; split the file and upload each part.",
                              kib=MAX_CSV_BYTES // 1024), 413)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused(gettext("File: the text is UTF-16, not UTF-8. Save it as CSV, UTF-8 (a spreadsheet offers it "
                              "under Save as)."))
    if b"\x00" in data:
        raise Refused(gettext("File: this is not a CSV text file (it holds binary data). Save it as CSV, UTF-8."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(gettext("File: the text is not UTF-8. Save it as CSV, UTF-8 (a spreadsheet offers it under "
                              "Save as).")) from None


class Names:
    """A student named in the student_id column by name instead of id: resolved among the school's students placed now
    or lately (the coordinator's own school), when exactly one of them bears that name."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self._ids: dict[str, list[str]] | None = None

    def resolve(self, name: str) -> tuple[str | None, str]:
        """The student's id, or None and why not (`unknown-name`, `ambiguous-name`)."""
        if self._ids is None:
            self._ids = {}
            for student in school_students(self.actor, deployment().today()):
                self._ids.setdefault(" ".join(student["name"].split()).casefold(), []).append(student["id"])
        found = self._ids.get(" ".join(name.split()).casefold(), [])
        if len(found) == 1:
            return found[0], ""
        return None, "ambiguous-name" if found else "unknown-name"


def _is_id(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _parse(text: str, names: Names) -> tuple[list[PracticeRow], list[dict[str, Any]]]:
    """The rows, parsed as the batch API parses them (a student may be named instead, see Names); rows that cannot be
    parsed, with the columns at fault."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error:
        raise Refused(gettext("File: the first line is not readable as a CSV header.")) from None
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS + CSV_OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise Refused(gettext("File: the first line must name the columns %(columns)s (and optionally %(optional)s), "
                              "each once, separated by commas. Missing: %(missing)s. Unknown: %(unknown)s.",
                              columns=", ".join(CSV_COLUMNS), optional=", ".join(CSV_OPTIONAL_COLUMNS),
                              missing=", ".join(missing) or "—", unknown=", ".join(unknown)[:300] or "—"))
    reader.fieldnames = header
    schema, rows, malformed = PracticeRowSchema(), list[PracticeRow](), list[dict[str, Any]]()
    try:
        for raw in reader:
            if len(rows) + len(malformed) >= MAX_CSV_ROWS:
                raise Refused(gettext("File: at most %(rows)s rows; split the file and upload each part.",
                                      rows=MAX_CSV_ROWS), 413)
            line = reader.line_num
            if None in raw or any(v is None for v in raw.values()):
                malformed.append({"line": line, "code": "columns", "details": {}})
                continue
            values = {k: v.strip() for k, v in raw.items() if not (k in CSV_OPTIONAL_COLUMNS and not v.strip())}
            if values["student_id"] and not _is_id(values["student_id"]):
                found, why = names.resolve(values["student_id"])
                if found is None:
                    malformed.append({"line": line, "code": why, "details": {"name": values["student_id"][:200],
                                                                              "fields": ["student_id"]}})
                    continue
                values["student_id"] = found
            try:
                row = schema.load(values)
            except ValidationError as error:
                fields = error.messages if isinstance(error.messages, dict) else {}
                malformed.append({"line": line, "code": "invalid-input", "details": {"fields": sorted(fields)}})
                continue
            codes = tuple(c.strip() for c in row["competencies"].split(";") if c.strip())
            if not codes:
                malformed.append({"line": line, "code": "invalid-input", "details": {"fields": ["competencies"]}})
                continue
            rows.append(PracticeRow(line, str(row["student_id"]), row["date"], row["start"], row["end"], codes,
                                    row["description"], str(row["placement_id"]) if row.get("placement_id") else None,
                                    row.get("reason")))
    except csv.Error:
        raise Refused(gettext("File: not readable as CSV (a quote is left open, or a line is broken).")) from None
    if not rows and not malformed:
        raise Refused(gettext("File: there are no rows after the header."))
    return rows, malformed


def _report(rows: list[PracticeRow], malformed: list[dict[str, Any]],
            problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row of the file with its refusals (none: fine, but not stored since another row was refused)."""
    by_line: dict[int, list[dict[str, Any]]] = {}
    for problem in [*malformed, *problems]:
        found = dict(problem)
        details = dict(found.get("details") or {})
        for key in ("day", "week_of", "window_opens", "last_day"):
            if isinstance(details.get(key), str):
                try:
                    details[key] = date.fromisoformat(details[key])
                except ValueError:
                    pass
        found["details"] = details
        found["columns"] = details.get("fields") or [COLUMN_OF_RULE.get(found.get("code", ""), "")]
        by_line.setdefault(int(found.get("line", 0)), []).append(found)
    lines = sorted({r.line for r in rows} | {int(m["line"]) for m in malformed} | set(by_line))
    return [{"line": line, "problems": by_line.get(line, [])} for line in lines]
