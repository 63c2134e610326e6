"""Queries on the `centres` read model, named after the questions they answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.common.errors import NotFound
from services.common.viewstore import ViewDatabase

_CENTRE_COLUMNS = (
    "c.centre_id, c.enterprise_id, e.name, c.name, c.address, c.capacity, c.specialities, c.status, "
    "c.opened_at, c.closed_at, c.version, c.updated_at"
)


@dataclass(frozen=True)
class CentrePage:
    """One page of centres and how many match in all."""

    items: list[dict[str, Any]]
    total: int


class CentresView:
    """Which training centres are there, and what does one look like now?"""

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db

    def centres_matching(
        self, *, enterprise_id: str | None = None, status: str | None = None,
        speciality: str | None = None, page: int = 1, page_size: int = 50,
    ) -> CentrePage:
        where, params = [], []
        if enterprise_id:
            where.append("c.enterprise_id = ?")
            params.append(enterprise_id)
        if status:
            where.append("c.status = ?")
            params.append(status)
        if speciality:
            where.append("c.specialities LIKE ?")
            params.append(f'%"{speciality}"%')
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        base = "FROM centres_centres c LEFT JOIN centres_enterprises e ON e.enterprise_id = c.enterprise_id"
        with self._db.transaction() as tx:
            total = tx.execute(f"SELECT COUNT(*) {base}{clause}", params).fetchone()[0]  # type: ignore[index]
            rows = tx.execute(
                f"SELECT {_CENTRE_COLUMNS} {base}{clause} ORDER BY c.opened_at, c.centre_id LIMIT ? OFFSET ?",
                (*params, page_size, (page - 1) * page_size),
            ).fetchall()
            mentors = self._mentors(tx, [r[0] for r in rows])
        return CentrePage([_centre(r, mentors.get(r[0], [])) for r in rows], total)

    def centre_by_id(self, centre_id: str) -> dict[str, Any]:
        with self._db.transaction() as tx:
            row = tx.execute(
                f"SELECT {_CENTRE_COLUMNS} FROM centres_centres c LEFT JOIN centres_enterprises e "
                "ON e.enterprise_id = c.enterprise_id WHERE c.centre_id = ?",
                (centre_id,),
            ).fetchone()
            if row is None:
                raise NotFound(f"no training centre with id {centre_id} (yet) in the centres view", id=centre_id)
            mentors = self._mentors(tx, [centre_id])
        return _centre(row, mentors.get(centre_id, []))

    @staticmethod
    def _mentors(tx: Any, centre_ids: list[str]) -> dict[str, list[dict[str, str]]]:
        if not centre_ids:
            return {}
        marks = ", ".join("?" for _ in centre_ids)
        rows = tx.execute(
            f"SELECT centre_id, mentor_id, name, assigned_at FROM centres_mentors WHERE centre_id IN ({marks}) "
            "ORDER BY assigned_at, mentor_id",
            centre_ids,
        ).fetchall()
        found: dict[str, list[dict[str, str]]] = {}
        for centre_id, mentor_id, name, assigned_at in rows:
            found.setdefault(centre_id, []).append({"mentor_id": mentor_id, "name": name, "assigned_at": assigned_at})
        return found


def _centre(row: tuple[Any, ...], mentors: list[dict[str, str]]) -> dict[str, Any]:
    (centre_id, enterprise_id, enterprise_name, name, address, capacity, specialities, status,
     opened_at, closed_at, version, updated_at) = row
    return {
        "id": centre_id,
        "enterprise": {"id": enterprise_id, "name": enterprise_name},
        "name": name,
        "address": address,
        "capacity": capacity,
        "specialities": json.loads(specialities),
        "status": status,
        "mentors": mentors,
        "opened_at": opened_at,
        "closed_at": closed_at,
        "version": version,
        "updated_at": updated_at,
    }
