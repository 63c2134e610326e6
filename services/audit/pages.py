"""The auditor's pages (`/auditor/...`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("audit_pages", __name__, template_folder="templates")
