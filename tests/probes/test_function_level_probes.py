"""Function-level probes: every command route of the OpenAPI document (a route added tomorrow joins by itself) sent by
demo people of each role, signed in for real, with their own tenant's ids (the student, placement, centre and
entries they have business with) and a body built from the route's schema. A role gets a 2xx only from the commands
listed for it here (what it may command at all: which object it may command is the object-level probes' and the
access matrices' business); any other is refused — the auditor's always 403 at the door, whatever the body.

So a command added later that forgets to check the caller's role is caught: it is refused to every role below but
those it is listed for, or the probe fails naming it."""

from __future__ import annotations

from typing import Any

import pytest

from dualtrack.demo.world import person_id
from tests.probes.routes import Route, demo_values, document, routes, sample
from tests.support.pages import EMAILS, PageSite

pytestmark = pytest.mark.api

OWN_ACCOUNT = {"POST /api/v1/me/calendar-links", "POST /api/v1/me/calendar-links/{link_id}/revocation",
               "POST /api/v1/auth/sign-out", "POST /api/v1/auth/sign-out-everywhere"}
"""A person's own account: every role uses these (auditors too)."""
NOT_SENT = {"POST /api/v1/auth/sign-out", "POST /api/v1/auth/sign-out-everywhere"}
"""They would end the session the probe goes on with."""

PLACEMENT = "POST /api/v1/students/{student_id}/placements/{placement_id}"
PRACTICE = "POST /api/v1/students/{student_id}/practice-entries"
ORDERS = "POST /api/v1/order-classes"
COMMANDS_OF: dict[str, set[str]] = {
    "auditor-gao": set(),
    "student-liu": {f"{PLACEMENT}/confirmation", f"{PLACEMENT}/guardian-code", PRACTICE, f"{PRACTICE}/{{entry_id}}/correction",
                    "POST /api/v1/practice-entries/batch"},
    "guardian-he": {f"{PLACEMENT}/confirmation"},
    "teacher-gao": {f"{PRACTICE}/{{entry_id}}/countersignature", f"{PRACTICE}/{{entry_id}}/rejection",
                    f"{PRACTICE}/{{entry_id}}/correction", f"{PLACEMENT}/assessments"},
    "mentor-zhao": {PRACTICE, f"{PRACTICE}/{{entry_id}}/sign-off", f"{PRACTICE}/{{entry_id}}/rejection",
                    f"{PRACTICE}/{{entry_id}}/correction", "POST /api/v1/practice-entries/batch",
                    f"{PLACEMENT}/assessments", f"{PLACEMENT}/activation", f"{PLACEMENT}/pause",
                    f"{PLACEMENT}/resumption", ORDERS, f"{ORDERS}/{{order_id}}/students",
                    f"{ORDERS}/{{order_id}}/declined-proposals"},
    "enterprise-admin-qian": {"PUT /api/v1/centres/{centre_id}/capacity", "POST /api/v1/centres/{centre_id}/closure",
                              "POST /api/v1/centres/{centre_id}/mentors",
                              "POST /api/v1/centres/{centre_id}/mentors/{mentor_id}/withdrawal",
                              "POST /api/v1/enterprises/{enterprise_id}/centres", "POST /api/v1/invitations",
                              f"{PLACEMENT}/enterprise-approval", f"{PLACEMENT}/activation", f"{PLACEMENT}/pause",
                              f"{PLACEMENT}/resumption", ORDERS, f"{ORDERS}/{{order_id}}/students",
                              f"{ORDERS}/{{order_id}}/declined-proposals"},
}
"""The commands each role may give at all (with their own tenant's ids). The enterprise admin comes last: closing
the rail base and withdrawing its mentor would refuse the others for another reason than their role."""


@pytest.fixture(scope="module")
def commands(site: PageSite) -> list[Route]:
    return [r for r in routes(document(site.app.test_client())) if r.command and not r.public
            and str(r) not in NOT_SENT]


def signed_in(site: PageSite, handle: str) -> dict[str, str]:
    """A real session's bearer token for a demo person (their first role)."""
    answer = site.app.test_client().post("/api/v1/auth/tokens", json={"login": EMAILS[handle],
                                                                        "password": site.ids.sign_ins[handle]})
    assert answer.status_code == 201, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def own_values(site: PageSite, handle: str) -> dict[str, Any]:
    """The ids of the caller's own tenant: Liu Yang's (school A, CRRC's rail base), He Xiaoyu's for her guardian;
    a real entry and award of that student, the caller's own person id."""
    values = demo_values(site.ids)
    if handle == "guardian-he":
        values.update(student_id=site.ids.students[3], placement_id=site.ids.placements[5],
                      centre_id=site.ids.centres[3], enterprise_id=site.ids.enterprises[2])
    admin = signed_in(site, "admin-wu")
    client, student = site.app.test_client(), values["student_id"]
    entries = client.get(f"/api/v1/students/{student}/logbook", headers=admin).json.get("entries", [])
    awards = client.get(f"/api/v1/students/{student}/credit-account", headers=admin).json.get("awards", [])
    values.update(person_id=person_id(handle), **({"entry_id": entries[0]["entry_id"]} if entries else {}),
                  **({"award_id": awards[0]["award_id"]} if awards else {}))
    return values


def send(site: PageSite, route: Route, values: dict[str, Any], headers: dict[str, str]) -> Any:
    body: dict[str, Any] = {"json": sample(route.body)} if route.body is not None else {}
    if route.media == "text/csv":
        body = {"data": "student_id,date,start,end,competencies,description\n", "content_type": "text/csv"}
    return site.app.test_client().open(route.url(values), method=route.method, headers=headers, **body)


@pytest.mark.parametrize("handle", COMMANDS_OF)
def test_given_a_person_of_a_role_when_they_send_every_command_then_only_their_role_s_commands_may_succeed(
        site: PageSite, commands: list[Route], handle: str) -> None:
    headers, values = signed_in(site, handle), own_values(site, handle)
    may = COMMANDS_OF[handle] | OWN_ACCOUNT
    wrong, statuses = [], []
    for route in commands:
        answer = send(site, route, values, headers)
        statuses.append((str(route) in may, answer.status_code))
        refused = 400 <= answer.status_code < 500
        if handle == "auditor-gao" and str(route) not in may:
            refused = answer.status_code == 403
        if str(route) not in may and not refused:
            wrong.append(f"{route}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
    assert not wrong, f"{handle} got answers their role may not get:\n" + "\n".join(wrong)
    assert len(commands) >= 50, f"only {len(commands)} command routes were probed"
    refused_for_the_role = sum(1 for allowed, status in statuses if not allowed and status == 403)
    assert refused_for_the_role >= len(commands) // 2, f"{statuses}: most refusals should be the role's (403)"
