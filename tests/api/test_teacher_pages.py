"""The school's training pages, used as teachers and coordinators use them: signed in through the real form, in the
demo world. He Xiaoyu (Shenzhen Polytechnic, whose rule set asks the school to countersign) has five entries that
Sun Lei signed and that await the school; Lin Hui teaches there, Gao Yan at Qingdao. Chen Jing, Qingdao's
coordinator, uploads practice for Liu Yang. What is asserted is what a person sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, time
from typing import Any
from uuid import UUID

import pytest

from dualtrack.demo.world import acting_as
from services.common.identity import Role
from tests.support.pages import PageSite as Site
from tests.support.pages import csrf, page_site, text

pytestmark = pytest.mark.api

LIN = "teacher-lin"
GAO = "teacher-gao"
CHEN = "coordinator-chen"
SUN = "mentor-sun"
LIU = "student-liu"


def signed_for_the_school(container: Any, ids: Any) -> None:
    """One more of He's days logged and signed by Sun Lei (four, of 24 to 27 November, await already)."""
    he, mindray = UUID(ids.students[3]), ids.enterprises[2]
    sun = acting_as(Role.MENTOR, "mentor-sun", enterprise_id=mindray)
    for day in (date(2026, 11, 30),):
        entry = container.training.log_practice(sun, he, day=day, start=time(9), end=time(12),
                                                competencies=["ELE-01"], description="calibrated test fixtures")
        container.training.sign_off_practice(sun, he, entry.entry_id)


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "teacher-pages", signed_for_the_school) as built:
        yield built


def queued(page: Any) -> list[str]:
    return re.findall(r'name="entries" value="([^"]+)"', page.get_data(as_text=True))


# -- the countersignature queue ---------------------------------------------------------------------
def test_given_entries_a_mentor_signed_when_the_schools_teacher_opens_the_queue_then_they_show_with_names(
        site: Site) -> None:
    lin = site.browser(LIN)
    page = lin.get("/teacher/queue")
    assert page.status_code == 200
    seen = text(page)
    assert len(queued(page)) == 5
    assert "He Xiaoyu" in seen and "Medical Devices Assembly Line" in seen
    assert "Signed by Sun Lei" in seen and "ELE-01" in seen and "3 h" in seen
    assert site.ids.students[3] not in seen, "names, not ids, where a person reads"
    chinese = text(site.browser(LIN, "zh-CN").get("/teacher/queue"))
    assert "会签队列" in chinese and "会签所选记录" in chinese and "Sun Lei" in chinese


def test_given_another_schools_teacher_or_a_mentor_or_a_student_then_the_queue_is_not_theirs(site: Site) -> None:
    gao = site.browser(GAO)
    page = gao.get("/teacher/queue")
    assert page.status_code == 200 and "He Xiaoyu" not in text(page) and not queued(page)
    entry = queued(site.browser(LIN).get("/teacher/queue"))[0]
    answer = gao.post("/teacher/queue", data={"csrf_token": csrf(gao, "/teacher/queue"), "entries": [entry],
                                              "action": "countersign"})
    assert answer.status_code == 409 and "Not countersigned" in text(answer) and "Not yours to do" in text(answer)
    for who in (SUN, LIU):
        browser = site.browser(who)
        for path in ("/teacher/queue", "/teacher/assessments", "/coordinator/practice-upload"):
            assert browser.get(path).status_code == 403, (who, path)


def test_given_five_awaiting_when_the_teacher_countersigns_three_and_sends_one_back_then_each_result_shows(
        site: Site) -> None:
    lin = site.browser(LIN)
    entries = queued(lin.get("/teacher/queue"))
    token = csrf(lin, "/teacher/queue")
    answer = lin.post("/teacher/queue", data={"csrf_token": token, "entries": entries[:3], "action": "countersign"})
    shown = site.follow(lin, answer)
    assert "wait_for=" in answer.headers["Location"]
    assert text(shown).count("Countersigned: He Xiaoyu") == 3, text(shown)
    assert not set(entries[:3]) & set(queued(shown)), "the queue no longer holds them"

    empty = lin.post("/teacher/queue", data={"csrf_token": token, "entries": [entries[3]], "action": "reject",
                                             "reason": "  "})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert 'id="reason-error"' in html and "Reason: say why" in text(empty)
    assert f'value="{entries[3]}" checked' in html, "the choice is kept"
    answer = lin.post("/teacher/queue", data={"csrf_token": token, "entries": [entries[3]], "action": "reject",
                                              "reason": "the fixture log shows 10:00 to 12:00"})
    shown = site.follow(lin, answer)
    assert "Sent back to the mentor: He Xiaoyu" in text(shown)
    assert queued(shown) == [entries[4]]


def test_given_nothing_chosen_or_garbage_when_the_teacher_sends_the_form_then_it_is_refused_in_words(
        site: Site) -> None:
    lin = site.browser(LIN)
    token = csrf(lin, "/teacher/queue")
    nothing = lin.post("/teacher/queue", data={"csrf_token": token, "action": "countersign"})
    assert nothing.status_code == 422 and "Choose the entries" in text(nothing)
    garbage = lin.post("/teacher/queue", data={"csrf_token": token, "entries": ["x:y", "not-an-entry"],
                                               "action": "countersign", "page": "-3"})
    assert garbage.status_code == 409 and "Not found" in text(garbage)
    assert lin.get("/teacher/queue?page=abc&countersigned=zz").status_code == 200


# -- assessments ------------------------------------------------------------------------------------
def test_given_a_student_of_the_school_when_the_teacher_assesses_then_the_school_and_enterprise_show_side_by_side(
        site: Site) -> None:
    gao = site.browser(GAO)
    liu = site.ids.students[0]
    page = gao.get("/teacher/assessments")
    assert page.status_code == 200 and "Liu Yang" in text(page) and "He Xiaoyu" not in text(page)
    chosen = text(gao.get(f"/teacher/assessments?student={liu}"))
    assert "MEC-01" in chosen and "The enterprise's assessment" in chosen and "4 · passed" in chosen
    token = csrf(gao, "/teacher/assessments")
    refused = gao.post("/teacher/assessments", data={"csrf_token": token, "student": liu, "competency": "MEC-02",
                                                     "result": "250", "evidence": "written test",
                                                     "assessed_on": "2026-11-27"})
    assert refused.status_code == 409 and "The result must be on the competency's scale, from 0 to 100" in text(
        refused)
    answer = gao.post("/teacher/assessments", data={"csrf_token": token, "student": liu, "competency": "MEC-02",
                                                    "result": "72", "evidence": "written test on PLC interlocks",
                                                    "assessed_on": "2026-11-27"})
    shown = text(site.follow(gao, answer))
    assert "Assessed MEC-02 for the school." in shown and "written test on PLC interlocks" in shown
    other = gao.get(f"/teacher/assessments?student={site.ids.students[3]}")
    assert other.status_code == 404 and "He Xiaoyu" not in text(other)
    bad = gao.post("/teacher/assessments", data={"csrf_token": token, "student": liu, "competency": "",
                                                 "result": "nan", "evidence": "", "assessed_on": "yesterday"})
    assert bad.status_code == 422
    for field in ("Competency:", "Result:", "Evidence:", "Assessed on:"):
        assert field in text(bad), field
    nobody = gao.post("/teacher/assessments", data={"csrf_token": token, "student": "nobody"})
    assert nobody.status_code == 422 and "Student: choose a student of your school." in text(nobody)


# -- the coordinator's upload -----------------------------------------------------------------------
HEADER = "student_id,date,start,end,competencies,description\r\n"


def upload(site: Site, browser: Any, content: bytes, name: str = "week.csv") -> Any:
    import io

    return browser.post("/coordinator/practice-upload", content_type="multipart/form-data",
                        data={"csrf_token": csrf(browser, "/coordinator/practice-upload"),
                              "file": (io.BytesIO(content), name)})


def test_given_a_good_and_a_bad_row_when_the_coordinator_uploads_then_each_row_is_reported_and_nothing_stored(
        site: Site) -> None:
    chen = site.browser(CHEN)
    form = chen.get("/coordinator/practice-upload")
    assert form.status_code == 200 and 'type="file"' in form.get_data(as_text=True)
    template = chen.get("/coordinator/practice-upload/template.csv")
    assert template.mimetype == "text/csv" and template.get_data(as_text=True).lstrip("\ufeff").startswith(
        "student_id,date,start,end,competencies,description")
    liu = site.ids.students[0]
    rows = (f"\ufeff{HEADER}{liu},2026-11-30,08:00,10:00,MEC-01,wheelset check\r\n"
            f"{liu},2026-12-05,08:00,10:00,MEC-01,a day still to come\r\n"
            f"Nobody Known,2026-11-30,11:00,12:00,MEC-01,who is this\r\n")
    answer = upload(site, chen, rows.encode())
    assert answer.status_code == 422
    seen = text(answer)
    assert "Nothing was stored: rows refused: 2." in seen
    assert re.search(r"2 accepted .*Fine, but not stored", seen), seen
    assert re.search(r"3 refused date .*is in the future", seen), seen
    assert re.search(r"4 refused student_id No student of your school .* is named Nobody Known", seen), seen
    good = upload(site, chen, (HEADER + "Liu Yang,2026-11-30,08:00,10:00,MEC-01;MEC-03,wheelset check\r\n").encode())
    assert "Stored: every row of week.csv (1 in all)" in text(site.follow(chen, good))
    chinese = site.browser(CHEN, "zh-CN")
    assert "上传实践记录" in text(chinese.get("/coordinator/practice-upload"))
    assert "被拒绝" in text(upload(site, chinese, rows.encode()))


GARBAGE = [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", 422, "not a CSV text file"),
    ("student_id,date\n".encode("utf-16"), "sheet.csv", 422, "not UTF-8"),
    ("student_id,date\n日期".encode("gb18030"), "sheet.csv", 422, "not UTF-8"),
    (b"name;day;hours\r\nLiu;2026-11-30;4\r\n", "sheet.csv", 422, "the first line must name the columns"),
    (HEADER.encode(), "empty.csv", 422, "no rows after the header"),
    (b"\xef\xbb\xbf" + HEADER.encode() + b'x,"open quote\r\n', "broken.csv", 422, "as many values as the header"),
    (HEADER.encode() + b"x,2026-13-01,8,9,,\r\n", "fields.csv", 422, "date: the day, as YYYY-MM-DD"),
    (HEADER.encode() + b"x" * (2 * 1024 * 1024), "big.csv", 413, "at most 2048 KiB"),
    (HEADER.encode() + b"a,b,c,d,e,f\r\n" * 5001, "long.csv", 413, "at most 5000 rows"),
    (b"x" * (5 * 1024 * 1024), "huge.csv", 413, ""),
]


def test_given_files_that_are_not_the_batchs_csv_when_uploaded_then_a_refusal_page_says_why(site: Site) -> None:
    chen = site.browser(CHEN)
    for content, name, status, words in GARBAGE:
        answer = upload(site, chen, content, name)
        assert answer.status_code == status, (name, text(answer)[:2000])
        assert words in text(answer), (name, text(answer)[:3000])
    no_file = chen.post("/coordinator/practice-upload", data={"csrf_token": csrf(chen, "/coordinator/practice-upload")})
    assert no_file.status_code == 422 and "choose the CSV file" in text(no_file)
