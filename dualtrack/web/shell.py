"""The web application's shell: languages, the security headers every page gets, CSRF on forms, error pages and
where `/` leads. The pages themselves live beside the API of what they show (services/<context>/pages.py, their
templates in services/<context>/templates/<context>/); they extend `layout.html` here.

- Languages: Chinese (zh-CN) and English, by the person's choice (a cookie the language switch sets) or else the
  browser's Accept-Language; dates and numbers in the locale's format (Flask-Babel).
- Headers: a Content-Security-Policy that allows scripts, styles and images from this site only (no inline
  script), `Cache-Control: no-store` on every page (they hold personal data), no framing, no sniffing; every other
  answer gets its own security headers too (dualtrack/web/headers.py).
- CSRF: every form posted with a session carries a token bound to that session (an HMAC of it); a form without
  one, or with another session's, is refused. Forms without a session (sign-in) must come from this site.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import Babel, format_date, format_decimal, get_locale, lazy_gettext
from werkzeug.exceptions import BadRequest, Unauthorized

from dualtrack.web.headers import security_headers
from toolkit.http.context import SESSION_COOKIE, current_actor, deployment, sent_from_this_site, this_request
from toolkit.http.read_only_roles import on_own_account

LANGUAGES = {"en": "English", "zh_CN": "中文"}
LANGUAGE_COOKIE = "dualtrack_lang"
ROOT = Path(__file__).resolve().parents[2]


def translation_directories() -> list[Path]:
    """Each part of the web keeps its own catalog; Flask-Babel merges them."""
    return [ROOT / "dualtrack" / "web" / "translations", *sorted(ROOT.glob("services/*/translations"))]


def is_page_request() -> bool:
    """A request for a page (not the API, its docs or the health checks)."""
    return not this_request().path.startswith(("/api/", "/healthz", "/readyz", "/static/"))


def select_locale() -> str:
    """The language the person chose, else the first of the browser's that we speak, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"], default="en")
    return "zh_CN" if best.startswith("zh") else "en"


ROLE_NAMES = {"admin": lazy_gettext("administrator"), "enterprise-admin": lazy_gettext("enterprise administrator"),
              "coordinator": lazy_gettext("coordinator"), "teacher": lazy_gettext("teacher"),
              "mentor": lazy_gettext("mentor"), "student": lazy_gettext("student"),
              "guardian": lazy_gettext("guardian"), "auditor": lazy_gettext("auditor")}


def role_name(role: str) -> str:
    """A role as the page's language calls it."""
    return str(ROLE_NAMES.get(role, role))


def html_lang() -> str:
    return "zh-CN" if str(get_locale()).startswith("zh") else "en"


def csrf_token() -> str:
    """The token this session's forms carry: an HMAC of the session cookie with the deployment's secret."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    key = deployment().settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def check_csrf() -> None:
    if this_request().method in ("GET", "HEAD", "OPTIONS") or not is_page_request():
        return
    if not request.cookies.get(SESSION_COOKIE):
        if not sent_from_this_site():
            raise BadRequest("this form was sent from another site")
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRFToken") or ""
    if not hmac.compare_digest(sent, csrf_token()):
        raise BadRequest("this form has expired: reload the page and send it again")


def page_headers(response: Any) -> Any:
    """Every answer's security headers (dualtrack/web/headers.py); a page is kept by no cache."""
    page = is_page_request() and response.mimetype == "text/html"
    if page:
        response.headers["Cache-Control"] = "no-store"
    return security_headers(response, page=page)


def render_page_error(status: int, message: str) -> Any:
    """An error on a page is a page: signed out leads to the sign-in, the rest says what happened in words."""
    if status == 401:
        return redirect(url_for("identity_pages.sign_in_form", next=request.full_path.rstrip("?")), 303)
    return render_template("error.html", status=status, message=message), status


HOMES: dict[str, str] = {"mentor": "/mentor/today", "student": "/student", "coordinator": "/coordinator",
                         "teacher": "/teacher/queue", "auditor": "/auditor", "admin": "/admin/schools",
                         "enterprise-admin": "/admin/enterprises"}
"""Where `/` leads each role (the others see their account)."""


def navigation() -> dict[str, Any]:
    """The menu of the signed-in person's role (none before signing in)."""
    from flask_babel import gettext as _

    if not request.cookies.get(SESSION_COOKIE):
        return {"nav": [], "signed_in": False}
    try:
        role = current_actor().role.value
    except Unauthorized:
        return {"nav": [], "signed_in": False}
    menus = {
        "mentor": [("/mentor/today", _("Today")), ("/mentor/practice", _("Log practice")),
                   ("/mentor/queue", _("Sign-off queue")), ("/mentor/centres", _("My centres"))],
        "student": [("/student", _("My progress")), ("/student/practice", _("Draft an entry")),
                    ("/student/placements", _("Placements")), ("/student/calendar", _("Calendar")),
                    ("/student/credits", _("Certificates and credits")), ("/student/reads", _("Who read my data"))],
        "coordinator": [("/coordinator", _("Cohort dashboard")), ("/coordinator/placements", _("Placements")),
                        ("/coordinator/plans", _("Rotation plans")),
                        ("/coordinator/practice-upload", _("Upload practice")),
                        ("/coordinator/exports", _("Exports"))],
        "teacher": [("/teacher/queue", _("Countersignature queue")), ("/teacher/assessments", _("Assess"))],
        "auditor": [("/auditor", _("Find")), ("/auditor/chains", _("Chains"))],
        "admin": [("/admin/schools", _("Schools")), ("/admin/enterprises", _("Enterprises")),
                  ("/admin/people", _("People")), ("/admin/catalogues", _("Competency catalogues")),
                  ("/admin/certificates", _("Certificates"))],
        "enterprise-admin": [("/admin/enterprises", _("My enterprise"))],
    }
    return {"nav": menus.get(role, []), "signed_in": True}


def install_shell(app: Flask, page_blueprints: list[Any]) -> None:
    """Languages, headers, CSRF, error pages, `/` and the language switch, and the pages' blueprints."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(p) for p in translation_directories())
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(csrf_token=csrf_token, html_lang=html_lang, languages=LANGUAGES, role_name=role_name,
                                 format_date=format_date, format_decimal=format_decimal)
    app.before_request(check_csrf)
    app.after_request(page_headers)
    app.context_processor(navigation)
    for blueprint in page_blueprints:
        app.register_blueprint(blueprint)

    @app.get("/")
    def home() -> Any:
        try:
            actor = current_actor()
        except Unauthorized:
            return redirect(url_for("identity_pages.sign_in_form"), 303)
        return redirect(HOMES.get(actor.role.value, "/account"), 303)

    @app.post("/language")
    @on_own_account
    def language() -> Any:
        chosen = request.form.get("language", "en")
        back = request.form.get("next") or "/"
        if not back.startswith("/") or back.startswith("//"):
            back = "/"
        response = redirect(back, 303)
        if chosen in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response
