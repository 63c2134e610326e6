"""Web pages of the progress part (server-rendered; see dualtrack/web/shell.py for the shell they live in)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("progress_pages", __name__, template_folder="templates")
