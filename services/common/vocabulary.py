"""Closed lists of values that commands take and events record, shared by the domain and the HTTP contracts."""

from __future__ import annotations

PLACEMENT_KINDS = ("post", "cognitive", "follow")
"""Post internship (顶岗/岗位实习), cognitive internship (认识实习), follow-up internship (跟岗实习)."""

STOP_REASONS = ("withdrew", "health", "misconduct", "enterprise-closed", "safety", "academic", "other")
"""Why a placement was stopped early."""
