"""Every route counts against the rate limits (toolkit/http/rate_limits.py); which are expensive is declared here.

A request over a limit is answered 429 with Retry-After (seconds) in the one error shape, code `too-many-attempts`
and rule `rate-limited` (on a page: the error page, in words, with the same header), before any other hook looks at
it: no Idempotency-Key is claimed, nothing is read or written. Failed sign-ins keep their own count per address
(toolkit/http/throttle.py): a sign-in counts here once as a request, there once more only if it fails.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask, Request, request
from flask_babel import gettext

from services.common.errors import TooManyAttempts
from toolkit.http.context import SESSION_COOKIE, current_actor, deployment, this_g, this_request
from toolkit.http.rate_limits import RateLimiter, Refusal, fail_open

EXPENSIVE_ROUTES = frozenset({
    # as-of replays: every context's events again, up to a moment
    "audit_history.StudentProgressAsOfRoute", "audit_history.CentreRecordAsOfRoute",
    "audit_pages.as_of_page", "audit_pages.centre_as_of",
    # histories and timelines: a whole stream, or every stream that names a student
    "audit_history.AggregateHistoryRoute", "audit_history.StudentTimeline", "identity.AccountHistory",
    "audit_pages.student_timeline_page", "audit_pages.event_detail",
    # exports: a signed file of everything about a student or a centre, the cohort's files, a person's own data
    "audit_exports.StudentExport", "audit_exports.CentreExport", "audit_pages.take_export",
    "progress_cohort_pages.export_file", "audit_reads.StudentPersonalData", "reads_pages.personal_data_file",
    # a chain verified from its first link
    "audit_pages.verify_chain_now",
    # batches: a CSV of practice entries (API and page), a rotation plan generated for a whole cohort
    "training.PracticeBatch", "training_school_pages.upload", "schedules.GeneratedRotationPlans",
    "schedules_pages.generate_plan",
})
"""The endpoints (Flask's names: blueprint.view) that count against the stricter limits too. A new expensive route
is one line here; tests/api/test_rate_limits.py fails for a name no route has, and for a route whose path names an
export, an as-of view, a history, a timeline, a batch or an upload that is not here."""

EXEMPT_ROUTES = frozenset({"static", "swagger_ui_assets", "health.healthz", "health.readyz"})
"""Not counted: the pages' own files (a page and its stylesheets are one visit) and the health checks that
supervisors and load balancers ask for every few seconds."""


class _HasRateLimiter(Protocol):
    def rate_limiter(self) -> RateLimiter: ...


def _account(req: Request) -> str | None:
    """Who is asking, when the request proves it (a bearer token, a page's session): the actor is kept for the
    route, so it costs nothing more. Anything that does not prove an account counts against the address alone,
    and the route answers it as it always does."""
    if not (req.headers.get("Authorization") or req.cookies.get(SESSION_COOKIE)):
        return None
    try:
        return current_actor().subject
    except Exception:  # a 401, or a store that cannot say: the route answers that itself
        return None


def count_the_request() -> None:
    """Count the request against its limits; TooManyAttempts (429) when it is over one."""
    req = this_request()
    endpoint = req.endpoint
    if endpoint in EXEMPT_ROUTES:
        return
    try:
        limiter: RateLimiter | None = getattr(deployment(), "rate_limiter", lambda: None)()
    except Exception as error:  # its store could not be opened: counted again once it can
        fail_open(error)
        return
    if limiter is None or limiter.store is None:
        return
    refusal = limiter.hit(_account(req), req.remote_addr or "unknown", expensive=endpoint in EXPENSIVE_ROUTES)
    if refusal is not None:
        this_g().retry_after = refusal.retry_after
        raise TooManyAttempts(_message(refusal), retry_after=refusal.retry_after, rule="rate-limited",
                              limit=str(refusal.rate), per=refusal.scope)


def _message(refusal: Refusal) -> str:
    if not request.path.startswith("/api/"):
        return gettext("Too many requests in a short time: please wait %(seconds)s seconds, then try again.",
                       seconds=refusal.retry_after)
    whose = "this account" if refusal.scope == "account" else "this address"
    return (f"too many requests from {whose} (at most {refusal.rate}): try again in {refusal.retry_after} "
            "seconds")


def say_when_to_try_again(response: Any) -> Any:
    """A refused page carries Retry-After too (the API's refusal has it already)."""
    retry_after = this_g().get("retry_after")
    if retry_after is not None and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_rate_limits(app: Flask) -> None:
    """Install the limits on the app before every other before-request hook: every request counts, even one then
    refused for its input, and a refused one claims, reads and writes nothing."""
    app.before_request_funcs.setdefault(None, []).insert(0, count_the_request)
    app.after_request(say_when_to_try_again)
