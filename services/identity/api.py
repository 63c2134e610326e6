"""HTTP routes of the identity context: invitations, sign-in and tokens, who am I, grants, calendar links.

Signing in, refreshing, following a link and asking for a reset need no token (they are how one gets one); every
other route takes the bearer token of a signed-in session (or a service token).
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.common import NoBody
from contracts.http.identity import (
    AccountHistorySchema,
    CalendarLinkRequest,
    CalendarLinks,
    CalendarLinkSchema,
    InvitationSchema,
    Invited,
    InviteRequest,
    MeSchema,
    PasswordResetRequest,
    PasswordSet,
    RefreshRequest,
    SetPasswordRequest,
    SignInRequest,
    TokenPair,
)
from services.common.errors import InvalidInput, NotAllowed, NotSignedIn, TooManyAttempts
from services.common.identity import Actor, Role
from services.identity.application import IdentityApplication, SignedInSession
from services.identity.domain.grants import Grant
from toolkit.http.auth import ACCESS_LIFETIME, issue_access_token
from toolkit.http.context import (
    command_context,
    correlation_id,
    current_actor,
    current_grant_id,
    current_session_id,
    deployment,
)
from toolkit.http.read_only_roles import on_own_account
from toolkit.http.receipts import errors_documented

blp = Blueprint(
    "identity", __name__, url_prefix="/api/v1",
    description="People and accounts: invitations, sign-in (access and refresh tokens), signing out, who am I, "
    "role grants and calendar subscription links.",
)
PUBLIC: list[dict[str, list[str]]] = []
"""The OpenAPI security of the routes that need no token."""
FEED_PATH = re.compile(r"^/api/v1/(students|centres)/[0-9a-fA-F-]{36}/calendar\.ics$")


def application() -> IdentityApplication:
    """The identity context's application, from the deployment."""
    return deployment().app("identity")


def _documented(*statuses: int) -> Any:
    texts = {400: "malformed request", 401: "not signed in, or the credentials do not hold", 403: "not allowed",
             404: "unknown id", 409: "a rule refuses it, or the version changed", 422: "invalid fields",
             429: "too many failed attempts: see Retry-After"}

    return lambda fn: errors_documented(blp, fn, {status: texts[status] for status in statuses})


def _address() -> str:
    return request.remote_addr or "unknown"


def guarded(attempt: Any) -> Any:
    """Run a credential check for the caller's address: refused when it failed too often, counted when it fails."""
    throttle = deployment().address_throttle()
    throttle.check(_address())
    try:
        return attempt()
    except (NotSignedIn, TooManyAttempts):
        throttle.failed(_address())
        raise


def describe(grant: Grant, person_id: str | None = None) -> dict[str, Any]:
    """A grant with the names of what it is scoped to (the client needs no ids up front)."""
    directory = application().directory
    described: dict[str, Any] = {"grant_id": grant.grant_id, "role": grant.role.value}
    for kind, value, lookup in (("school", grant.school_id, directory.school),
                                ("enterprise", grant.enterprise_id, directory.enterprise),
                                ("student", grant.student_id, directory.student)):
        found = lookup(value) if value else None
        described[kind] = {"id": found.id, "name": found.name} if found else (
            {"id": value, "name": ""} if value else None)
    if grant.role is Role.MENTOR and grant.enterprise_id and person_id:
        described["centres"] = [{"id": c.id, "name": c.name}
                                for c in directory.centres_mentored(person_id, grant.enterprise_id)]
    return described


def _token_pair(signed: SignedInSession) -> dict[str, Any]:
    actor = signed.grant.actor(str(signed.person.id))
    token = issue_access_token(deployment().keys(), actor, session_id=signed.session.session_id,
                               grant_id=signed.grant.grant_id)
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(ACCESS_LIFETIME.total_seconds()),
            "refresh_token": signed.refresh_token, "grant": describe(signed.grant, str(signed.person.id))}


# -- invitations ---------------------------------------------------------------------------------------
@blp.route("/invitations")
class Invitations(MethodView):
    @blp.arguments(InviteRequest)
    @blp.response(201, Invited)
    @_documented(401, 403, 404, 409)
    def post(self, body: dict[str, Any]) -> Any:
        """Invite someone to a role: admins any role; a school's coordinators its teachers, students and their
        guardians; an enterprise's admins its mentors. Someone new gets a mailed one-time link to set a password;
        someone with an account (the same email) just gets the role. Nobody grants themself anything."""
        scope = {k: str(body[k]) if body.get(k) else None for k in ("school_id", "enterprise_id", "student_id")}
        invited = application().invite(command_context(), name=body["name"], email=body["email"],
                                       phone=body.get("phone"), role=Role(body["role"]), **scope)
        return {"person_id": invited.person_id, "grant": describe(invited.grant), "mailed": invited.mailed}


@blp.route("/invitations/<string:secret>")
class InvitationBySecret(MethodView):
    @blp.response(200, InvitationSchema)
    @blp.doc(security=PUBLIC)
    @_documented(401)
    def get(self, secret: str) -> Any:
        """What a mailed link is for (no token needed: the link is the credential)."""
        invitation, person = application().invitation(secret)
        return {"name": person.name, "email": person.email, "purpose": invitation.purpose,
                "expires_at": invitation.expires_at}


@blp.route("/invitations/<string:secret>/acceptance")
class InvitationAcceptance(MethodView):
    @blp.arguments(SetPasswordRequest)
    @blp.response(200, PasswordSet)
    @blp.doc(security=PUBLIC)
    @_documented(401, 429)
    def post(self, body: dict[str, Any], secret: str) -> Any:
        """Set a password with a mailed link (it then works no more); every session of the person ends."""
        app = application()
        result = guarded(lambda: app.accept_invitation(secret, password=body["password"],
                                                        correlation_id=correlation_id()))
        person = app.get_person(str(result.id))
        return {"person_id": person.id, "login": person.email or person.phone}


@blp.route("/password-resets")
class PasswordResets(MethodView):
    @blp.arguments(PasswordResetRequest)
    @blp.response(202, NoBody)
    @blp.doc(security=PUBLIC)
    @_documented(429)
    def post(self, body: dict[str, Any]) -> Any:
        """Mail a link to set a new password to whoever has this login. The answer is the same whether there is
        such an account or not."""
        throttle = deployment().address_throttle()
        throttle.check(_address())
        throttle.failed(_address())  # each request counts: a stranger cannot flood someone's mailbox
        from services.common.identity import CommandContext

        system = CommandContext(Actor("password-reset", Role.ADMIN), correlation_id=correlation_id())
        application().request_password_reset(system, body["login"])
        return {}


# -- sign-in and tokens ----------------------------------------------------------------------------------
@blp.route("/auth/tokens")
class Tokens(MethodView):
    @blp.arguments(SignInRequest)
    @blp.response(201, TokenPair)
    @blp.doc(security=PUBLIC)
    @_documented(401, 429)
    def post(self, body: dict[str, Any]) -> Any:
        """Sign in with email or phone and password: an access token (15 minutes) and a refresh token. Wrong
        passwords are counted: twenty in a row lock the account for 15 minutes (429 with Retry-After, the right
        password too); many failures from one address are refused the same way."""
        signed = guarded(lambda: application().sign_in(
            body["login"], body["password"], address=_address(), client="api", correlation_id=correlation_id(),
            grant_id=body.get("grant_id")))
        return _token_pair(signed)


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshRequest)
    @blp.response(201, TokenPair)
    @blp.doc(security=PUBLIC)
    @_documented(401, 429)
    def post(self, body: dict[str, Any]) -> Any:
        """Trade the refresh token for a new pair; the old refresh token works no more, and using it again ends the
        session. Give grant_id to act as another of your roles."""
        signed = guarded(lambda: application().refresh(body["refresh_token"], correlation_id=correlation_id(),
                                                        grant_id=body.get("grant_id")))
        return _token_pair(signed)


@blp.route("/auth/sign-out")
@on_own_account
class SignOut(MethodView):
    @blp.response(204)
    @_documented(401, 422)
    def post(self) -> Any:
        """End this session: its access and refresh tokens are refused from the next request."""
        session_id = current_session_id()
        if session_id is None:
            raise InvalidInput("a service token has no session to end", field="Authorization")
        application().sign_out(command_context(), session_id)
        return ""


@blp.route("/auth/sign-out-everywhere")
@on_own_account
class SignOutEverywhere(MethodView):
    @blp.response(204)
    @_documented(401, 422)
    def post(self) -> Any:
        """End every session of yours, on every device."""
        if current_session_id() is None:
            raise InvalidInput("a service token has no sessions to end", field="Authorization")
        application().sign_out_everywhere(command_context())
        return ""


# -- who am I ----------------------------------------------------------------------------------------
@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @_documented(401)
    def get(self) -> Any:
        """Who you are, the role this token acts as and every role you hold, with the names of your school,
        enterprise, centres and students."""
        actor = current_actor()
        grant_id = current_grant_id()
        if grant_id is None:  # a service token: no person behind it
            acting = Grant("service", actor.role, actor.school_id, actor.enterprise_id, actor.student_id)
            return {"person": None, "subject": actor.subject, "acting_as": describe(acting, actor.subject),
                    "grants": [describe(acting, actor.subject)]}
        person = application().get_person(actor.subject)
        grants = [describe(g, actor.subject) for g in person.grants.values()]
        return {"person": {"id": str(person.id), "name": person.name, "email": person.email, "phone": person.phone},
                "subject": actor.subject, "acting_as": next(g for g in grants if g["grant_id"] == grant_id),
                "grants": grants}


# -- grants and history -----------------------------------------------------------------------------------
@blp.route("/people/<uuid:person_id>/grants/<string:grant_id>/withdrawal")
class GrantWithdrawal(MethodView):
    @blp.arguments(NoBody)
    @blp.response(204)
    @_documented(401, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], person_id: UUID, grant_id: str) -> Any:
        """Withdraw a role (whoever may give it): the person's requests under it are refused from the next."""
        application().withdraw_grant(command_context(), person_id, grant_id)
        return ""


@blp.route("/people/<uuid:person_id>/history")
class AccountHistory(MethodView):
    @blp.response(200, AccountHistorySchema)
    @_documented(401, 403, 404)
    def get(self, person_id: UUID) -> Any:
        """The account's history: grants, invitations used, password changes, sign-ins, failures and locks (admins,
        auditors, and the person themself). Password hashes and secrets are never shown."""
        actor = current_actor()
        if actor.role not in (Role.ADMIN, Role.AUDITOR) and actor.subject != str(person_id):
            raise NotAllowed(f"{actor.role.value} {actor.subject} may not read another person's account history")
        events = [{"version": e["version"], "type": e["type"], "recorded_at": e["recorded_at"].isoformat(),
                   "actor": e["actor"], "details": e["details"]} for e in application().account_history(str(person_id))]
        return {"person_id": str(person_id), "events": events}


# -- calendar links ------------------------------------------------------------------------------------
@blp.route("/me/calendar-links")
@on_own_account
class MyCalendarLinks(MethodView):
    @blp.response(200, CalendarLinks)
    @_documented(401)
    def get(self) -> Any:
        """Your calendar subscription links (their secret addresses are shown only when made)."""
        person = application().get_person(_signed_in().subject)
        return {"links": [{"link_id": link.link_id, "feed": link.feed} for link in person.calendar_links.values()]}

    @blp.arguments(CalendarLinkRequest)
    @blp.response(201, CalendarLinkSchema)
    @_documented(401, 409)
    def post(self, body: dict[str, Any]) -> Any:
        """Make a secret address for one of your calendar feeds, for a calendar app that cannot send a token. It
        reads the feed as the role you act as now, and stops working when revoked or when that role is withdrawn."""
        feed = body["feed"].strip()
        if not FEED_PATH.match(feed):
            raise InvalidInput("a feed is /api/v1/students/{id}/calendar.ics or /api/v1/centres/{id}/calendar.ics",
                               field="feed")
        _signed_in()
        link_id, token = application().create_calendar_link(command_context(), feed,
                                                            grant_id=current_grant_id() or "")
        url = f"{request.host_url.rstrip('/')}/api/v1/calendar-links/{token}.ics"
        return {"link_id": link_id, "feed": feed, "url": url}


@blp.route("/me/calendar-links/<string:link_id>/revocation")
@on_own_account
class CalendarLinkRevocation(MethodView):
    @blp.response(204)
    @_documented(401, 404, 422)
    def post(self, link_id: str) -> Any:
        """Stop a calendar link working."""
        _signed_in()
        application().revoke_calendar_link(command_context(), link_id)
        return ""


def _signed_in() -> Actor:
    actor = current_actor()
    if current_grant_id() is None:
        raise InvalidInput("calendar links belong to people: sign in (a service token has none)",
                           field="Authorization")
    return actor
