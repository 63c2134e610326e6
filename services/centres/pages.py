"""Web pages of the centres part (server-rendered; see dualtrack/web/shell.py for the shell they live in)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("centres_pages", __name__, template_folder="templates")
