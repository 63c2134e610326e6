"""`python -m bench.pages_bench`: the web pages' server time and weight, at demo scale and with 1,000 students.

Each page is asked for `--repeats` times through the app (in process, as the WSGI server would call it, signed in
with the demo person's session cookie); the table gives the median and p95 of the server time, and the page's
weight: its HTML with the CSS and scripts it loads. Then 1,000 more students are enrolled, placed at the demo
mentor's centre and given a day of practice each (through the applications, as a batch import would), the read
models catch up, and the same pages are measured again. Targets: p95 under 150 ms, weight under 150 KB.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.table import Table

from dualtrack.bootstrap import PROJECTION_CLASSES, Container
from dualtrack.settings import Settings
from toolkit.http.rate_limits import Rate, RateLimits

P95_TARGET_MS = 150.0
WEIGHT_TARGET_KB = 150.0
PAGES = {  # who looks at which page (demo handle, email)
    "mentor-zhao": ("zhao.min@crrc.example", ["/mentor/today", "/mentor/queue", "/mentor/practice",
                                              "/mentor/centres", "/mentor/students/{liu}"]),
    "student-liu": ("liu.yang@students.qtc.example", ["/student", "/student/placements", "/student/calendar",
                                                      "/student/credits", "/student/reads"]),
    "coordinator-chen": ("chen.jing@qtc.example", ["/coordinator", "/coordinator?light=red&page=2",
                                                   "/coordinator?light=amber&cohort=2024&class=mechatronics",
                                                   "/coordinator/students/{liu}", "/coordinator/exports",
                                                   "/coordinator/exports/progress.csv",
                                                   "/coordinator/exports/hours.xlsx", "/coordinator/placements",
                                                   "/coordinator/placements/new", "/coordinator/plans",
                                                   "/coordinator/plans/new", "/coordinator/plans/{plan}",
                                                   "/coordinator/plans/{plan}/revisions",
                                                   "/coordinator/practice-upload"]),
    "teacher-lin": ("lin.hui@szps.example", ["/teacher/queue", "/teacher/assessments"]),
    "auditor-gao": ("gao.ping@audit.example", ["/auditor", "/auditor?q=liu", "/auditor/students/{liu}",
                                               "/auditor/students/{liu}/as-of", "/auditor/students/{liu}/reads",
                                               "/auditor/chains"]),
    "admin-wu": ("wu.ming@dualtrack.example", ["/admin/schools", "/admin/enterprises", "/admin/people",
                                               "/admin/catalogues", "/admin/catalogues/mechatronics",
                                               "/admin/certificates"]),
    "enterprise-admin-qian": ("qian.bo@crrc.example", ["/admin/enterprises"]),
}
DOWNLOADS = 3
"""An export records a read of every student it holds: asked for this many times only (its p95 is its slowest), and
judged by its status alone (the page targets are for pages)."""


def catch_up(container: Container) -> None:
    for name in PROJECTION_CLASSES:
        container.projector(name, embedded=True).catch_up()


def sign_in(http: Any, login: str, password: str) -> None:
    answer = http.post("/sign-in", data={"login": login, "password": password})
    assert answer.status_code == 303, answer.status_code


def weight(http: Any, html: str) -> int:
    """The page's HTML and every stylesheet and script it loads from the app."""
    total = len(html.encode())
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        total += len(http.get(asset).data)
    return total


def measure(http: Any, path: str, repeats: int) -> tuple[float, float, int, int]:
    timings, status, body = [], 0, b""
    download = "/exports/" in path
    for _ in range(min(repeats, DOWNLOADS) if download else repeats):
        started = time.perf_counter()
        answer = http.get(path)
        body = answer.get_data()  # a streamed answer (an export) is produced as it is read
        timings.append((time.perf_counter() - started) * 1000)
        status = answer.status_code
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    return statistics.median(timings), p95, len(body) if download else weight(http, body.decode()), status


def grow(container: Container, students: int, console: Console) -> None:
    """`students` more students at the demo's rail base, each with an active placement and a day of practice."""
    from dualtrack.demo import DEMO_TODAY, person_id
    from services.common.identity import Actor, CommandContext, Role
    from services.training.application import PracticeRow

    placements, training = container.placements, container.training
    admin = CommandContext.for_system("bench")
    demo = container.placements.notifications(1, 500)
    school = next(str(n.originator_id) for n in demo if n.topic.endswith("SchoolRegistered"))
    rail = next(str(n.originator_id) for n in demo if n.topic.endswith("CentreOpened")
                and b"High-Speed" in n.state)
    zhao = CommandContext(Actor(person_id("mentor-zhao"), Role.MENTOR,
                                enterprise_id=placements.get_centre(UUID(rail)).enterprise_id), "bench")
    started = time.monotonic()
    rows: list[PracticeRow] = []
    for n in range(students):
        student = placements.enrol_student(admin, UUID(school), name=f"Bench Student {n:04d}", major="mechatronics",
                                           cohort=2024, enrolment_date=date(2024, 9, 1),
                                           date_of_birth=date(2005, 1, 1)).id
        placement = placements.propose_placement(
            admin, student, centre_id=UUID(rail), start=date(2026, 11, 2), planned_end=date(2027, 1, 29),
            post="fitter", weekly_hours=40, capacity_override_justification="bench load",
            speciality_override_reason="bench").placement_id
        placements.approve_placement_as_school(admin, student, placement)
        placements.approve_placement_as_enterprise(admin, student, placement, mentor_id=person_id("mentor-zhao"))
        placements.confirm_placement(CommandContext(Actor(f"s{n}", Role.STUDENT, student_id=str(student)), "bench"),
                                     student, placement)
        placements.activate_placement(admin, student, placement, on=date(2026, 11, 2))
        rows.append(PracticeRow(len(rows) + 2, str(student), DEMO_TODAY - timedelta(days=3), clock(8), clock(12),
                                ("MEC-01",), "bench shift"))
        if len(rows) == 200:
            training.log_practice_batch(zhao, rows)
            rows = []
    if rows:
        training.log_practice_batch(zhao, rows)
    console.print(f"{students} students placed and a day of practice each in {time.monotonic() - started:.0f}s")


def run(args: argparse.Namespace, console: Console) -> list[dict[str, Any]]:
    from dualtrack.demo import DEMO_TODAY, seed_demo
    from dualtrack.web.app import create_app

    results = []
    with tempfile.TemporaryDirectory(prefix="dualtrack-pages-bench-") as data_dir:
        # The limiter counts every request as in a deployment, with limits a bench's hundreds of requests stay under.
        unlimited = Rate(10**9, 60)
        limits = RateLimits(unlimited, unlimited, unlimited, unlimited)
        container = Container(Settings(data_dir=Path(data_dir), rate_limits=limits))
        for application in container.apps().values():
            application.today = lambda: DEMO_TODAY
        ids = seed_demo(container)
        catch_up(container)
        app = create_app(container)
        for scale, extra in (("demo", 0), (f"{args.students} students", args.students)):
            if extra:
                grow(container, extra, console)
                catch_up(container)
            for handle, (login, paths) in PAGES.items():
                http = app.test_client()
                sign_in(http, login, ids.sign_ins[handle])
                for path in paths:
                    page = path.format(liu=ids.students[0], plan=ids.plans[-1])
                    median, p95, size, status = measure(http, page, args.repeats)
                    shown = page.replace(ids.students[0], "{liu}").replace(ids.plans[-1], "{plan}")
                    results.append({"scale": scale, "page": shown,
                                    "status": status, "median_ms": median, "p95_ms": p95, "kb": size / 1024})
        container.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages_bench", description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--students", type=int, default=1000)
    args = parser.parse_args(argv)
    console = Console(width=140)
    results = run(args, console)
    table = Table(title=f"pages: server time (p95 target {P95_TARGET_MS:.0f} ms) and weight "
                        f"(target {WEIGHT_TARGET_KB:.0f} KB)")
    for column in ("scale", "page", "status", "median ms", "p95 ms", "KB", "within targets"):
        table.add_column(column)
    for r in results:
        ok = r["status"] == 200 and r["p95_ms"] < P95_TARGET_MS and r["kb"] < WEIGHT_TARGET_KB
        verdict = "yes" if ok else "NO"
        if "/exports/" in r["page"]:  # a download: the file's size, and a read recorded per student it holds
            verdict = "download" if r["status"] == 200 else "NO"
        table.add_row(r["scale"], r["page"], str(r["status"]), f"{r['median_ms']:.1f}", f"{r['p95_ms']:.1f}",
                      f"{r['kb']:.1f}", verdict)
    console.print(table)


if __name__ == "__main__":
    main()
