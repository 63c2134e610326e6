"""HTTP shapes of the identity context: invitations, sign-in, tokens, who am I, grants and calendar links."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.http.common import NOT_BLANK, RequestSchema

ROLES = ("admin", "enterprise-admin", "coordinator", "teacher", "mentor", "student", "guardian", "auditor")
_SECRET = validate.Length(max=4000)


class InviteRequest(RequestSchema):
    """Invite someone to a role (or give a role to someone who already has an account with that email)."""

    name = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=200)])
    email = fields.Email(required=True, validate=validate.Length(max=254), metadata={
        "description": "Where the invitation goes; also their login."})
    phone = fields.String(load_default=None, allow_none=True,
                          validate=[validate.Length(max=32), validate.Regexp(r"^\+?[0-9 ()\-]{5,}$",
                                                                             error="not a phone number")],
                          metadata={"description": "A second login, if given."})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    school_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "For a coordinator or teacher: their school."})
    enterprise_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "For a mentor or enterprise admin: their enterprise."})
    student_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "For a student: who they are; for a guardian: whose guardian."})


class ScopeName(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class GrantSchema(Schema):
    """A role a person holds, with the names of what it is scoped to."""

    grant_id = fields.String(required=True)
    role = fields.String(required=True)
    school = fields.Nested(ScopeName, allow_none=True)
    enterprise = fields.Nested(ScopeName, allow_none=True)
    student = fields.Nested(ScopeName, allow_none=True)
    centres = fields.List(fields.Nested(ScopeName), metadata={
        "description": "For a mentor: the enterprise's training centres they are assigned to."})


class Invited(Schema):
    person_id = fields.UUID(required=True)
    grant = fields.Nested(GrantSchema, required=True)
    mailed = fields.Boolean(required=True, metadata={
        "description": "Whether a link to set a password was mailed (not when they already have one)."})


class InvitationSchema(Schema):
    """What a link is for, to show before the invitee sets a password."""

    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    purpose = fields.String(required=True, metadata={"description": "join or reset"})
    expires_at = fields.DateTime(required=True)


class SetPasswordRequest(RequestSchema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=4000), metadata={
        "description": "At least 10 characters."})


class PasswordSet(Schema):
    person_id = fields.UUID(required=True)
    login = fields.String(required=True)


class PasswordResetRequest(RequestSchema):
    login = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=254)], metadata={
        "description": "Email address or phone number."})


class SignInRequest(RequestSchema):
    login = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=254)], metadata={
        "description": "Email address or phone number."})
    password = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    grant_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "Which of your roles to act as (see /me); the first one given when left out."})


class RefreshRequest(RequestSchema):
    refresh_token = fields.String(required=True, validate=[NOT_BLANK, _SECRET])
    grant_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "Switch to another of your roles; the same as before when left out."})


class TokenPair(Schema):
    """An access token (15 minutes) and the refresh token that gets the next one (once)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"description": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds the access token lives."})
    refresh_token = fields.String(required=True, metadata={
        "description": "Use it once at /auth/refresh; using it twice ends the session."})
    grant = fields.Nested(GrantSchema, required=True, metadata={"description": "The role this token acts as."})


class PersonSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class MeSchema(Schema):
    """Who the token belongs to, the role it acts as and every role the person holds, with names."""

    person = fields.Nested(PersonSchema, allow_none=True, metadata={
        "description": "None for a service account (a token from `dualtrack token issue`)."})
    subject = fields.String(required=True)
    acting_as = fields.Nested(GrantSchema, required=True)
    grants = fields.List(fields.Nested(GrantSchema), required=True)


class AccountEventSchema(Schema):
    """One fact of an account's history (sign-ins, failures, locks, password changes, grants)."""

    version = fields.Integer(required=True)
    type = fields.String(required=True)
    recorded_at = fields.String(required=True)
    actor = fields.String(allow_none=True)
    details = fields.Dict(required=True)


class AccountHistorySchema(Schema):
    person_id = fields.String(required=True)
    events = fields.List(fields.Nested(AccountEventSchema), required=True)


class CalendarLinkRequest(RequestSchema):
    feed = fields.String(required=True, validate=[NOT_BLANK, validate.Length(max=500)], metadata={
        "description": "The path of one of your calendar feeds, e.g. /api/v1/students/{id}/calendar.ics."})


class CalendarLinkSchema(Schema):
    link_id = fields.String(required=True)
    feed = fields.String(required=True)
    url = fields.String(metadata={"description": "Only in the answer that made it: the secret address to give a "
                                                 "calendar app. Revoke the link to stop it."})


class CalendarLinks(Schema):
    links = fields.List(fields.Nested(CalendarLinkSchema), required=True)
