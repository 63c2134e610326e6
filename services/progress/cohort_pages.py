"""A coordinator's cohort: the dashboard (`/coordinator`) and the exports (`/coordinator/exports`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("progress_cohort_pages", __name__, template_folder="templates")
