"""A coordinator's placements: the pipeline, proposing and approving (`/coordinator/placements`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("placements_coordinator_pages", __name__, template_folder="templates")
