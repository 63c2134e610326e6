"""The rotation planner (`/coordinator/plans`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("schedules_pages", __name__, template_folder="templates")
