"""Web pages of the identity context: the page a mailed link opens, to set a password (to join or after a reset).

Server-rendered, no script, no asset from elsewhere; it calls the same application command as the API's
`POST /api/v1/invitations/{secret}/acceptance`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from services.common.errors import InvalidInput, NotSignedIn, TooManyAttempts
from services.identity.api import application, guarded
from toolkit.http.context import correlation_id

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
