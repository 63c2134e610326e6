"""(to be written)"""

from __future__ import annotations

PAGES: list[tuple[str, str]] = []
"""The pages of this part: (path, handle of who opens it)."""
