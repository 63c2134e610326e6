"""Header probes: every answer carries the security headers, whatever it is — every route of the OpenAPI document
(answered 2xx to an admin with the demo's ids, or refused), every page without parameters (signed in and not), the
errors (404, 405, pages' and the API's), static files, the API document and its Swagger UI, the health checks:
`X-Content-Type-Options: nosniff`, frame denial, a Referrer-Policy, no Server banner, and on every HTML answer a
Content-Security-Policy that lets no inline script run but the Swagger UI's own (by its hash)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from dualtrack.web.headers import PAGE_CSP
from services.common.identity import Role
from tests.conftest import bearer
from tests.probes.routes import demo_values, document, routes, sample
from tests.support.pages import PageSite

pytestmark = pytest.mark.api

ADMIN = bearer(Role.ADMIN, "admin-probe")
STATIC = Path(__file__).resolve().parents[2] / "dualtrack" / "web" / "static"


def missing_headers(answer: Any) -> list[str]:
    """What an answer lacks of the security headers (nothing: [])."""
    headers, wrong = answer.headers, []
    if headers.get("X-Content-Type-Options") != "nosniff":
        wrong.append("nosniff")
    if headers.get("X-Frame-Options") != "DENY" or "frame-ancestors 'none'" not in headers.get(
            "Content-Security-Policy", ""):
        wrong.append("frame denial")
    if not headers.get("Referrer-Policy"):
        wrong.append("Referrer-Policy")
    if "Server" in headers:
        wrong.append(f"Server: {headers['Server']}")
    if answer.mimetype == "text/html":
        wrong += html_policy_faults(answer)
    return wrong


def html_policy_faults(answer: Any) -> list[str]:
    policy = answer.headers.get("Content-Security-Policy", "")
    scripts = re.findall(r"<script>(.*?)</script>", answer.get_data(as_text=True), re.DOTALL)
    allowed = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts}
    script_src = next((d for d in policy.split(";") if d.strip().startswith("script-src")), "")
    faults = []
    if not policy:
        faults.append("no CSP on HTML")
    if "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        faults.append(f"unsafe scripts: {script_src}")
    if not all(a in script_src for a in allowed):
        faults.append("an inline script the policy does not allow (the page would not work)")
    return faults


def test_given_every_route_of_the_api_when_called_by_an_admin_or_anonymously_then_every_answer_has_the_headers(
        site: PageSite) -> None:
    client, values = site.app.test_client(), demo_values(site.ids)
    answers, wrong = 0, []
    for route in routes(document(client)):
        body = {"json": sample(route.body)} if route.body else {}
        for headers, filled in ((ADMIN, route.url(values) if not route.command else route.url()), ({}, route.url())):
            answer = client.open(filled, method=route.method, headers=headers, **body)
            answers += 1
            if missing := missing_headers(answer):
                wrong.append(f"{route} ({answer.status_code}): {missing}")
    assert not wrong, "\n".join(wrong)
    assert answers >= 200, answers


def test_given_every_page_without_parameters_when_read_signed_in_or_not_then_each_has_the_headers_and_the_page_policy(
        site: PageSite) -> None:
    pages = sorted(rule.rule for rule in site.app.url_map.iter_rules()
                   if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith("/api/"))
    wrong = []
    for who in (site.app.test_client(), site.browser("admin-wu"), site.browser("coordinator-chen")):
        for path in pages:
            answer = who.get(path)
            if missing := missing_headers(answer):
                wrong.append(f"{path} ({answer.status_code}): {missing}")
            if answer.mimetype == "text/html" and answer.status_code == 200:
                assert answer.headers["Content-Security-Policy"] == PAGE_CSP, path
    assert not wrong, "\n".join(wrong)
    assert len(pages) >= 20, pages


def test_given_errors_static_files_the_docs_and_health_checks_then_each_answer_has_the_headers(site: PageSite) -> None:
    client, browser = site.app.test_client(), site.browser("mentor-zhao")
    static = [f"/static/{p.relative_to(STATIC).as_posix()}" for p in sorted(STATIC.rglob("*")) if p.is_file()][:10]
    asked = {
        "a page that does not exist": browser.get("/no-such-page"),
        "a page refused": browser.get("/admin/schools"),
        "an API route that does not exist": client.get("/api/v1/no-such-route", headers=ADMIN),
        "a method not allowed": client.delete("/api/v1/centres", headers=ADMIN),
        "a body that is not JSON": client.post("/api/v1/enterprises", data="{", headers=ADMIN),
        "the API document": client.get("/api/openapi.json"),
        "the AsyncAPI document": client.get("/api/asyncapi.json"),
        "the Swagger UI": client.get("/api/docs"),
        "the Swagger UI's script": client.get("/api/docs/assets/swagger-ui-bundle.js"),
        "liveness": client.get("/healthz"),
        "readiness": client.get("/readyz"),
        **{path: client.get(path) for path in static},
    }
    wrong = {what: missing for what, answer in asked.items() if (missing := missing_headers(answer))}
    assert not wrong, wrong
    assert asked["the Swagger UI"].status_code == 200 and asked["the Swagger UI"].mimetype == "text/html"
    assert "'unsafe-inline'" not in asked["the Swagger UI"].headers["Content-Security-Policy"].split("script-src")[1] \
        .split(";")[0]
    assert asked["a page that does not exist"].mimetype == "text/html" and static
