"""Certificates with their levels and conversion rules, kept by administrators (`/admin/certificates`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("credentials_pages", __name__, template_folder="templates")
