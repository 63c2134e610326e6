"""The school's side of training: the teacher's countersignature queue and assessments (`/teacher/...`) and the coordinator's practice upload (`/coordinator/practice-upload`)."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("training_school_pages", __name__, template_folder="templates")
