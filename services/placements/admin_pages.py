"""Schools, enterprises and their centres, kept by administrators (`/admin/schools`, `/admin/enterprises`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("placements_admin_pages", __name__, template_folder="templates")
