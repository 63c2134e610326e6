"""Paging on the web's pages: which part of how many is shown, and the pages around it (the shared `_pager.html`
macro shows it)."""

from __future__ import annotations

from typing import Any


def page_of(page: int, total: int, size: int) -> dict[str, Any]:
    """The page asked for (at most the last), the last page, how many in all, the first and last shown, and the
    previous and next page numbers (None at either end)."""
    last = max((total + size - 1) // size, 1)
    page = min(page, last)
    return {"page": page, "last": last, "total": total, "first_shown": (page - 1) * size + 1 if total else 0,
            "last_shown": min(page * size, total), "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < last else None}
