"""The auditor's pages, used as an auditor uses them: signed in through the real form, in the demo world (Liu Yang's
Thursday entry at the rail base was sent back and corrected to the Friday). What is asserted is what a person
sees: names, events, differences, verdicts, refusals in words next to the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest

from dualtrack.demo import person_id
from dualtrack.settings import CONTEXTS
from services.audit.export import verify_export
from services.common.signing import load_public_key
from tests.support.pages import PageSite, csrf, page_site, text

pytestmark = pytest.mark.api

GAO = "auditor-gao"
OTHERS = ("admin-wu", "coordinator-chen", "mentor-zhao", "student-liu", "teacher-gao", "enterprise-admin-qian")


class Site(PageSite):
    rail: str


def links(answer: Any, pattern: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', answer.get_data(as_text=True)) if re.search(pattern, h)]


def found(pattern: str, page: str) -> tuple[str, ...]:
    match = re.search(pattern, page)
    assert match, (pattern, page[-2000:])
    return match.groups()


def row(page: str, label: str) -> str:
    """The text of the table row whose header starts with `label`."""
    found = re.search(rf"<tr[^>]*>\s*<th scope=\"row\">{re.escape(label)}.*?</tr>", page, re.S)
    assert found, (label, page[-3000:])
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    def prepare(container: Any, ids: Any) -> dict[str, Any]:
        return {"rail": ids.centres[2]}

    with page_site(sqlite_demo_template, tmp_path_factory, "auditor-pages", prepare, Site) as built:
        yield built


@pytest.fixture(scope="module")
def gao(site: Site) -> Any:
    return site.browser(GAO)


def test_given_part_of_a_name_in_any_case_when_the_auditor_searches_then_the_student_and_the_centre_are_found(
        site: Site, gao: Any) -> None:
    found = gao.get("/auditor?q=lIu yA")
    assert found.status_code == 200
    assert "Liu Yang" in text(found) and "Qingdao" in text(found), "the school tells namesakes apart"
    assert f"/auditor/students/{site.liu}" in links(found, "/auditor/students/")
    centres = gao.get("/auditor?q=train maint&kind=centres")
    assert "High-Speed Train Maintenance Base" in text(centres) and "CRRC" in text(centres)
    assert links(centres, "/auditor/centres/") == [f"/auditor/centres/{site.rail}"]
    assert "Liu Yang" in text(gao.get(f"/auditor/centres/{site.rail}"))


def test_given_a_students_timeline_when_filtered_and_paged_then_only_matching_events_show_each_with_its_detail(
        site: Site, gao: Any) -> None:
    everything = gao.get(f"/auditor/students/{site.liu}")
    assert everything.status_code == 200
    total = int(found(r"(\d+) of the (\d+) events", text(everything))[1])
    assert total > 25 and "Page 1 of" in text(everything), "more than a page: paged"
    second = gao.get(links(everything, r"page=2")[0])
    assert "Page 2 of" in text(second)
    training = gao.get(f"/auditor/students/{site.liu}?context=training&type=PracticeCorrected")
    shown = text(training)
    assert "1 of the" in shown and "Practice entry corrected to 2026-11-27 08:00-11:00" in shown
    assert "StudentEnrolled" not in re.sub(r"<option.*?</option>", "", training.get_data(as_text=True))
    assert len(links(training, r"^/auditor/events/training/")) == 1
    by_zhao = text(gao.get(f"/auditor/students/{site.liu}?actor={person_id('mentor-zhao')}&from=2000-01-01"
                           "&to=2999-12-31"))
    assert "Zhao Min" in by_zhao and "Chen Jing (school coordinator)" not in by_zhao
    nothing = text(gao.get(f"/auditor/students/{site.liu}?to=2000-01-01"))
    assert "No event matches these filters." in nothing


def test_given_the_correction_when_its_detail_is_opened_then_the_changed_fields_show_before_and_after(
        site: Site, gao: Any) -> None:
    detail = gao.get(links(gao.get(f"/auditor/students/{site.liu}?type=PracticeCorrected"), "/auditor/events/")[0])
    assert detail.status_code == 200
    seen = text(detail)
    assert "moved to the day it happened" in seen and "Zhao Min" in seen and "Correlation id" in seen
    page = detail.get_data(as_text=True)
    changed = re.findall(r'<tr class="changed"><th scope="row">([^<]+)</th>', page)
    status = row(page, next(p for p in changed if p.endswith(".status")))
    assert "rejected" in status and "pending" in status, "sent back before, awaiting a signature after"
    added = re.findall(r'<tr class="added"><th scope="row">([^<]+)</th>', page)
    assert "2026-11-27" in row(page, next(p for p in added if p.endswith("revisions[1].day"))), "the new revision"


def test_given_a_correction_when_as_of_before_and_after_it_then_the_days_hours_differ_where_the_correction_is(
        site: Site, gao: Any) -> None:
    detail = gao.get(links(gao.get(f"/auditor/students/{site.liu}?type=PracticeCorrected"), "/auditor/events/")[0])
    before, after = links(detail, r"/as-of\?")
    assert "on=2026-11-27" in before
    thursday_before = gao.get(before.replace("on=2026-11-27", "on=2026-11-26"))
    thursday_after = gao.get(after.replace("on=2026-11-27", "on=2026-11-26"))
    assert thursday_before.status_code == thursday_after.status_code == 200
    b, a = thursday_before.get_data(as_text=True), thursday_after.get_data(as_text=True)
    assert row(b, "sent back").split() == ["sent", "back", "differs", "3", "0"], "3 h sent back then, none now"
    assert 'class="differs"' in b, "then (sent back on Thursday) differs from now"
    friday = gao.get(after).get_data(as_text=True)
    assert "08:00–11:00, 3 h, MEC-02, awaiting a signature (revision 2)" in unescape(friday)
    assert "08:00–11:00, 3 h, MEC-02, signed (revision 2)" in unescape(friday), "now: signed since"
    assert row(a, "sent back") != row(b, "sent back")


def test_given_a_centre_when_as_of_before_the_demo_and_now_then_who_held_a_place_differs(site: Site, gao: Any) -> None:
    centre = f"/auditor/centres/{site.rail}"
    assert "/as-of" in " ".join(links(gao.get(centre), "/as-of"))
    before = gao.get(f"{centre}/as-of?on=2026-11-26&known_at=2000-01-01T00:00:00")
    assert before.status_code == 200 and "The centre was not known yet at that moment." in text(before)
    now = gao.get(f"{centre}/as-of?on=2026-11-26&known_at=2999-01-01T00:00:00")
    page = now.get_data(as_text=True)
    assert "Nothing differs from what is known now." in text(now)
    assert "Liu Yang" in row(page, "Students holding a place that day")
    assert gao.get(f"{centre}/as-of?on=2026-11-26&known_at=soon").status_code == 422


def test_given_an_export_taken_from_the_page_when_downloaded_then_it_verifies_with_the_deployments_key(
        site: Site, gao: Any) -> None:
    page = gao.get(f"/auditor/exports/student/{site.liu}")
    key_id = found(r'<code id="key-id">([0-9a-f]{16})</code>', page.get_data(as_text=True))[0]
    assert gao.get(f"/auditor/exports/student/{site.liu}/take").status_code == 405, "a link takes nothing"
    assert gao.post(f"/auditor/exports/student/{site.liu}/take").status_code == 400, "nor a form of another site"
    taken = gao.post(f"/auditor/exports/student/{site.liu}/take", data={"csrf_token": csrf(gao)})
    assert taken.status_code == 303
    shown = gao.get(taken.headers["Location"])
    assert "Verified." in text(shown) and key_id in text(shown)
    data = gao.get(links(shown, r"/file$")[0]).data
    public = load_public_key(gao.get("/auditor/public-key.pem").data)
    assert verify_export(data, public).ok
    assert site.browser(GAO).get(taken.headers["Location"]).status_code == 200, "the same auditor, another session"


def test_given_the_chains_when_opened_and_one_verified_then_each_context_and_the_verdict_show(
        site: Site, gao: Any) -> None:
    chains = gao.get("/auditor/chains")
    assert chains.status_code == 200
    for context in CONTEXTS:
        assert f'id="chain-{context}"' in chains.get_data(as_text=True)
    verified = gao.post("/auditor/chains/training/verify", data={"csrf_token": csrf(gao)}, follow_redirects=True)
    assert "verified" in text(verified).split("training")[1]
    in_chinese = gao.get("/auditor/chains", headers={"Accept-Language": "zh-CN"})
    assert "哈希链" in text(in_chinese) and "已通过校验" in text(in_chinese)


def test_given_a_students_reads_when_opened_then_the_auditors_own_reads_are_listed(site: Site, gao: Any) -> None:
    assert gao.get(f"/auditor/students/{site.liu}").status_code == 200  # the timeline: a read on record
    site.project()
    reads = text(gao.get(f"/auditor/students/{site.liu}/reads"))
    assert "Gao Ping" in reads and "timeline" in reads and "Chen Jing" in reads


def test_given_any_other_role_when_an_auditor_page_is_opened_then_it_is_refused(site: Site) -> None:
    paths = ["/auditor", "/auditor?q=liu", f"/auditor/students/{site.liu}", f"/auditor/students/{site.liu}/as-of",
             f"/auditor/students/{site.liu}/reads", f"/auditor/centres/{site.rail}", "/auditor/chains",
             f"/auditor/centres/{site.rail}/as-of",
             f"/auditor/exports/student/{site.liu}", "/auditor/public-key.pem",
             f"/auditor/events/placements/{site.liu}/1"]
    forms = [f"/auditor/exports/student/{site.liu}/take", "/auditor/chains/training/verify"]
    for who in OTHERS:
        browser = site.browser(who)
        for path in paths:
            assert browser.get(path).status_code == 403, (who, path)
        token = csrf(browser)
        for path in forms:
            assert browser.post(path, data={"csrf_token": token}).status_code == 403, (who, path)


def test_given_garbage_in_the_address_when_a_page_is_opened_then_it_names_the_field_and_never_fails(
        site: Site, gao: Any) -> None:
    base = f"/auditor/students/{site.liu}"
    for path, field in ((f"{base}?context=kitchen", "context"), (f"{base}?from=yesterday", "from"),
                        (f"{base}?from=2026-12-01&to=2026-11-01", "to"), (f"{base}/as-of?on=32.13.2026", "on"),
                        (f"{base}/as-of?on=2026-11-26&known_at=noon", "known_at"), ("/auditor?q=x", "q"),
                        ("/auditor?q=liu&kind=cats", "kind")):
        answer = gao.get(path)
        assert answer.status_code == 422, path
        assert f'id="{field}-error"' in answer.get_data(as_text=True), path
    assert "Page 1 of" in text(gao.get(f"{base}?page=99999999999")) or gao.get(f"{base}?page=-3").status_code == 200
    assert gao.get(f"{base}?page=99999999999").status_code == 200
    assert gao.get(f"{base}/as-of?on=2026-11-26&known_at=2999-01-01T00:00:00%2000:00").status_code == 200, \
        "a zone's + that the address turned into a space"
    for path in (f"/auditor/events/kitchen/{site.liu}/1", f"/auditor/events/placements/{site.liu}/999999",
                 "/auditor/students/00000000-0000-0000-0000-000000000000", "/auditor/exports/" + "0" * 32,
                 "/auditor/exports/nonsense"):
        assert gao.get(path).status_code == 404, path
    assert gao.post("/auditor/chains/kitchen/verify", data={"csrf_token": csrf(gao)}).status_code == 404
