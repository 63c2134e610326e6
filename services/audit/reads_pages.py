"""Web pages of the recorded reads (who read a student's data), server-rendered; see dualtrack/web/shell.py."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("reads_pages", __name__, template_folder="templates")
