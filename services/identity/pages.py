"""Web pages of the identity context: the page a mailed link opens, to set a password (to join or after a reset);
signing in and out of the web (a server-side session in an HttpOnly, SameSite=Lax cookie, Secure outside
localhost); and the account page (who you are, your roles).

Server-rendered, no script, no asset from elsewhere; they call the same application commands as the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import Unauthorized

from services.common.errors import InvalidInput, NotSignedIn, TooManyAttempts
from services.identity.api import application, describe, guarded
from services.identity.application import session_cookie
from services.identity.domain.person import SESSION_LIFETIME
from toolkit.http.context import (
    SESSION_COOKIE,
    command_context,
    correlation_id,
    current_actor,
    current_grant_id,
    current_session_id,
    sent_from_this_site,
)
from toolkit.http.read_only_roles import on_own_account

pages = Blueprint("identity_pages", __name__, template_folder="templates")


@pages.get("/invitations/<string:secret>")
def invitation(secret: str) -> Any:
    """The form to set a password, or why the link does not work (used, expired, not ours)."""
    try:
        found, person = application().invitation(secret)
    except NotSignedIn as error:
        return render_template("identity/invitation.html", problem=error.message), 404
    return render_template("identity/invitation.html", person=person, invitation=found)


@pages.post("/invitations/<string:secret>")
def set_password(secret: str) -> Any:
    password = request.form.get("password", "")
    repeated = request.form.get("password_again", "")
    try:
        found, person = application().invitation(secret)
    except NotSignedIn as error:
        return render_template("identity/invitation.html", problem=error.message), 404
    if password != repeated:
        return render_template("identity/invitation.html", person=person, invitation=found,
                               field_error="the two passwords differ: type the same one twice"), 422
    try:
        guarded(lambda: application().accept_invitation(secret, password=password,
                                                         correlation_id=correlation_id()))
    except InvalidInput as error:
        return render_template("identity/invitation.html", person=person, invitation=found,
                               field_error=error.message), 422
    except (NotSignedIn, TooManyAttempts) as error:
        return render_template("identity/invitation.html", problem=error.message), 409
    return render_template("identity/invitation.html", person=person, done=True)


# -- signing in on the web ------------------------------------------------------------------------------
def _cookie_is_secure() -> bool:
    """Secure everywhere but on this machine (a browser keeps no Secure cookie over plain http://localhost)."""
    return request.host.split(":")[0] not in ("localhost", "127.0.0.1", "[::1]")


def _safe_next(value: str | None) -> str | None:
    """Only a path of this site (never another site's address) to go on to after signing in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


@pages.get("/sign-in")
def sign_in_form() -> Any:
    return render_template("identity/sign_in.html", next=_safe_next(request.args.get("next")))


@pages.post("/sign-in")
def sign_in() -> Any:
    login = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    if not login or not password or len(login) > 254 or len(password) > 4000:
        return render_template("identity/sign_in.html", login=login[:254],
                               problem="give your email address (or phone) and your password"), 422
    try:
        signed = guarded(lambda: application().sign_in(login, password, address=request.remote_addr or "unknown",
                                                       client="web", correlation_id=correlation_id()))
    except TooManyAttempts as error:
        response = make_response(render_template("identity/sign_in.html", login=login, problem=error.message), 429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except NotSignedIn as error:
        return render_template("identity/sign_in.html", login=login, problem=error.message), 401
    response = make_response(redirect(_safe_next(request.form.get("next")) or "/", 303))
    response.set_cookie(SESSION_COOKIE, session_cookie(signed), max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="Lax", secure=_cookie_is_secure(), path="/")
    return response


@pages.get("/account")
def account() -> Any:
    """Who you are signed in as, your roles, and signing out."""
    try:
        actor = current_actor()
    except Unauthorized:
        return redirect(url_for("identity_pages.sign_in_form"), 303)
    person = application().get_person(actor.subject)
    grants = [describe(g, actor.subject) for g in person.grants.values()]
    return render_template("identity/account.html", person=person, grants=grants, acting=current_grant_id())


@pages.post("/sign-out")
@on_own_account
def sign_out() -> Any:
    if not sent_from_this_site():
        return render_template("identity/sign_in.html", problem="this form was sent from another site"), 403
    everywhere = request.form.get("everywhere") == "yes"
    try:
        session_id = current_session_id()
    except Unauthorized:
        session_id = None
    if session_id:
        ctx = command_context()
        if everywhere:
            application().sign_out_everywhere(ctx)
        else:
            application().sign_out(ctx, session_id)
    response = make_response(redirect(url_for("identity_pages.sign_in_form"), 303))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=_cookie_is_secure())
    return response
