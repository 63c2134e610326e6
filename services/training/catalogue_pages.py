"""Competency catalogues, kept by administrators (`/admin/catalogues`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("training_catalogue_pages", __name__, template_folder="templates")
