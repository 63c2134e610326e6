"""No cross-tenant writes (issue 18), over the demo world.

Order classes: CRRC ordered ten bogie fitters of mechatronics; the Qingdao college (school A) proposed Liu Yang and
Zhou Jie and CRRC accepted them. The Shenzhen school (school B, coordinator Huang) enrols a mechatronics student of
its own: it may propose them, but only CRRC puts them in the class, and Huang's report never shows school A's
students (nor Chen's school B's).

Competency catalogues: the catalogue every school of a major trains by belongs to the deployment's administrators. A
coordinator files a change request with a reason; an administrator approves it (the change applies, as the direct
command would) or rejects it; a coordinator's direct change is refused naming the rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from dualtrack.demo.world import acting_as
from services.common.identity import Role
from tests.conftest import bearer
from tests.support.pages import PageSite, page_site

pytestmark = pytest.mark.api


class Site(PageSite):
    order: str
    """CRRC's order class (10 mechatronics students, X-RTM junior) with Liu Yang and Zhou Jie in it."""
    newcomer: str
    """A mechatronics student of the Shenzhen school (school B), in no order class."""
    second: str
    """Another mechatronics student of school B."""


def _prepare(container: Any, ids: Any) -> dict[str, Any]:
    huang = acting_as(Role.COORDINATOR, "coordinator-huang", school_id=ids.schools[1])
    enrolled = [container.placements.enrol_student(huang, UUID(ids.schools[1]), name=name, major="mechatronics",
                                                   cohort=2024, enrolment_date=date(2024, 9, 1),
                                                   date_of_birth=date(2005, 5, 5)).id
                for name in ("Fang Yu", "Guo Qiang")]
    ordered = [n for n in container.credentials.notifications(1, 100_000) if n.topic.endswith(":ClassOrdered")]
    return {"order": str(ordered[0].originator_id), "newcomer": str(enrolled[0]), "second": str(enrolled[1])}


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with page_site(sqlite_demo_template, tmp_path_factory, "cross-tenant", _prepare, kind=Site) as built:
        yield built


def chen(site: Site) -> dict[str, str]:
    return bearer(Role.COORDINATOR, "coordinator-chen", school_id=site.ids.schools[0])


def huang(site: Site) -> dict[str, str]:
    return bearer(Role.COORDINATOR, "coordinator-huang", school_id=site.ids.schools[1])


def zhao(site: Site) -> dict[str, str]:
    """A mentor of CRRC, the ordering enterprise."""
    return bearer(Role.MENTOR, "mentor-zhao", enterprise_id=site.ids.enterprises[1])


def admin() -> dict[str, str]:
    return bearer(Role.ADMIN, "admin-wu")


def post(site: Site, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return site.app.test_client().post(f"/api/v1{path}", json=body, headers=headers)


def get(site: Site, path: str, headers: dict[str, str]) -> Any:
    return site.app.test_client().get(f"/api/v1{path}", headers=headers)


def students_in(report: dict[str, Any]) -> set[str]:
    return {s for row in report["certificates"] for part in ("holders", "eligible", "not_yet") for s in row[part]}


def stored(site: Site, context: str) -> int:
    return site.container.app(context).max_position()


# -- order classes ----------------------------------------------------------------------------------
def test_given_an_order_class_of_school_a_when_school_b_puts_its_student_in_directly_then_it_is_refused_naming_the_rule(
    site: Site
) -> None:
    before = stored(site, "credentials")
    answer = post(site, f"/order-classes/{site.order}/students", {"student_ids": [site.newcomer]}, huang(site))
    assert answer.status_code == 403, answer.json
    assert "enterprise-accepts" in answer.get_data(as_text=True)
    assert stored(site, "credentials") == before
    report = get(site, f"/order-classes/{site.order}/report", huang(site))
    assert report.status_code == 403, "school B has no student in the class, nor proposed"


def test_given_school_b_proposed_a_student_then_only_the_enterprises_acceptance_puts_them_in_and_each_school_sees_its_own(
    site: Site
) -> None:
    liu, zhou = site.ids.students[0], site.ids.students[1]
    proposed = post(site, f"/order-classes/{site.order}/proposals", {"student_ids": [site.newcomer]}, huang(site))
    assert proposed.status_code == 200, proposed.json
    pending = get(site, f"/order-classes/{site.order}/report", huang(site))
    assert pending.status_code == 200, pending.json
    assert pending.json["proposed"] == [site.newcomer]
    assert students_in(pending.json) == set(), "proposed is not in the class yet"
    assert liu not in pending.get_data(as_text=True) and zhou not in pending.get_data(as_text=True)
    assert pending.json["certificates"][0]["short_of_order"] is None, "no count that would tell of school A's"

    accepted = post(site, f"/order-classes/{site.order}/students", {"student_ids": [site.newcomer]}, zhao(site))
    assert accepted.status_code == 200, accepted.json
    own = get(site, f"/order-classes/{site.order}/report", huang(site)).json
    assert students_in(own) == {site.newcomer} and own["proposed"] == []
    assert liu not in str(own) and zhou not in str(own)
    school_a = get(site, f"/order-classes/{site.order}/report", chen(site)).json
    assert students_in(school_a) == {liu, zhou}
    enterprise = get(site, f"/order-classes/{site.order}/report", zhao(site)).json
    assert students_in(enterprise) == {liu, zhou, site.newcomer}
    assert enterprise["students_assigned"] == 3 and enterprise["certificates"][0]["short_of_order"] == 9


def test_given_a_proposal_when_the_enterprise_declines_it_then_the_student_is_not_in_the_class(site: Site) -> None:
    assert post(site, f"/order-classes/{site.order}/proposals", {"student_ids": [site.second]},
                huang(site)).status_code == 200
    stranger = bearer(Role.MENTOR, "mentor-wang", enterprise_id=site.ids.enterprises[0])
    refused = post(site, f"/order-classes/{site.order}/declined-proposals", {"student_ids": [site.second]}, stranger)
    assert refused.status_code == 403
    declined = post(site, f"/order-classes/{site.order}/declined-proposals", {"student_ids": [site.second]},
                    zhao(site))
    assert declined.status_code == 200, declined.json
    report = get(site, f"/order-classes/{site.order}/report", zhao(site)).json
    assert site.second not in students_in(report) and report["proposed"] == []
    late = post(site, f"/order-classes/{site.order}/students", {"student_ids": [site.second]}, zhao(site))
    assert late.status_code == 409 and late.json["error"]["code"] == "not-proposed"


# -- competency catalogues --------------------------------------------------------------------------
def test_given_the_mechatronics_catalogue_when_a_coordinator_revises_or_retires_directly_then_it_is_refused(
    site: Site
) -> None:
    before = stored(site, "training")
    base = "/competency-catalogues/mechatronics/competencies/MEC-01"
    for who in (huang(site), chen(site)):
        revised = post(site, f"{base}/target-revision",
                       {"target_hours": 1, "effective_from": "2027-01-01", "reason": "ours train less"}, who)
        retired = post(site, f"{base}/retirement", {"effective_from": "2027-01-01", "reason": "not for us"}, who)
        added = post(site, "/competency-catalogues/mechatronics/competencies",
                     {"code": "MEC-99", "title": "Ours", "target_hours": 5, "scale": "pass-fail",
                      "effective_from": "2027-01-01"}, who)
        for answer in (revised, retired, added):
            assert answer.status_code == 403, answer.json
            assert "catalogue-owner" in answer.get_data(as_text=True)
    assert stored(site, "training") == before
    catalogue = get(site, "/competency-catalogues/mechatronics?on=2027-02-01", chen(site)).json
    assert {c["code"]: c["target_hours"] for c in catalogue["competencies"]}["MEC-01"] == 160


def test_given_a_coordinators_change_request_when_the_admin_approves_it_then_the_change_applies(site: Site) -> None:
    requested = post(site, "/competency-catalogues/mechatronics/change-requests",
                     {"change": "revise-target", "code": "MEC-01", "target_hours": 180,
                      "effective_from": "2027-03-01", "reason": "the new gearbox line needs more practice"},
                     huang(site))
    assert requested.status_code == 201, requested.json
    request_id = requested.json["request_id"]
    listed = get(site, "/competency-catalogues/mechatronics/change-requests", chen(site))
    assert listed.status_code == 200, listed.json
    [pending] = [r for r in listed.json if r["request_id"] == request_id]
    assert (pending["status"], pending["change"], pending["code"], pending["target_hours"]) == (
        "pending", "revise-target", "MEC-01", 180)
    catalogue = get(site, "/competency-catalogues/mechatronics?on=2027-04-01", chen(site)).json
    assert {c["code"]: c["target_hours"] for c in catalogue["competencies"]}["MEC-01"] == 160, "not before approval"

    assert post(site, f"/competency-catalogues/mechatronics/change-requests/{request_id}/approval", {},
                chen(site)).status_code == 403
    approved = post(site, f"/competency-catalogues/mechatronics/change-requests/{request_id}/approval", {}, admin())
    assert approved.status_code == 200, approved.json
    catalogue = get(site, "/competency-catalogues/mechatronics?on=2027-04-01", chen(site)).json
    assert {c["code"]: c["target_hours"] for c in catalogue["competencies"]}["MEC-01"] == 180
    again = post(site, f"/competency-catalogues/mechatronics/change-requests/{request_id}/approval", {}, admin())
    assert again.status_code == 409 and again.json["error"]["code"] == "request-decided"


def test_given_a_change_request_missing_what_its_change_needs_then_422_names_the_field(site: Site) -> None:
    before = stored(site, "training")
    for body, field in (({"change": "define", "code": "MEC-07", "target_hours": 10, "scale": "percent"}, "title"),
                        ({"change": "revise-target", "code": "MEC-01"}, "target_hours"),
                        ({"change": "retire", "code": "MEC-01", "target_hours": 10}, "target_hours"),
                        ({"change": "rename", "code": "MEC-01"}, "change")):
        answer = post(site, "/competency-catalogues/mechatronics/change-requests",
                      {**body, "effective_from": "2027-03-01", "reason": "r"}, chen(site))
        assert answer.status_code == 422 and field in answer.json["error"]["fields"]["json"], answer.json
    assert stored(site, "training") == before


def test_given_a_change_request_when_the_admin_rejects_it_then_the_catalogue_is_unchanged(site: Site) -> None:
    requested = post(site, "/competency-catalogues/mechatronics/change-requests",
                     {"change": "retire", "code": "MEC-03", "effective_from": "2027-03-01",
                      "reason": "safety is taught at school now"}, chen(site))
    assert requested.status_code == 201, requested.json
    request_id = requested.json["request_id"]
    rejected = post(site, f"/competency-catalogues/mechatronics/change-requests/{request_id}/rejection",
                    {"reason": "every centre still needs its own safety induction"}, admin())
    assert rejected.status_code == 200, rejected.json
    catalogue = get(site, "/competency-catalogues/mechatronics?on=2027-04-01", chen(site)).json
    assert "MEC-03" in {c["code"] for c in catalogue["competencies"]}
    [decided] = [r for r in get(site, "/competency-catalogues/mechatronics/change-requests", chen(site)).json
                 if r["request_id"] == request_id]
    assert decided["status"] == "rejected"


def test_given_an_admin_then_they_still_change_the_catalogue_directly(site: Site) -> None:
    answer = post(site, "/competency-catalogues/electronics/competencies/ELE-02/target-revision",
                  {"target_hours": 110, "effective_from": "2027-05-01", "reason": "the new test bench"}, admin())
    assert answer.status_code == 200, answer.json
