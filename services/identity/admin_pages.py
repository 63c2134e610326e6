"""People, their grants and invitations, kept by administrators (`/admin/people`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("identity_admin_pages", __name__, template_folder="templates")
