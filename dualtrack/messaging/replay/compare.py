"""Row by row: two sides of a projection's tables (live, rebuilt from Kafka, rebuilt from the stores) compared by
primary key, the keys and columns read from the projection's own table definitions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from dualtrack.bootstrap import Container
from dualtrack.messaging.replay.report import RowDifference, TableDifferences
from services.common.projection import Projection
from services.common.viewstore import Tx


# -- row by row ---------------------------------------------------------------------------------------------
def compare_sides(
    container: Container, projection: Projection, left: str, right: str, labels: tuple[str, str], max_listed: int,
) -> list[TableDifferences]:
    found = []
    with container.view_db.transaction() as tx:
        for table, definition in sorted(projection.all_tables().items()):
            columns, key = columns_and_key(definition)
            diff = _compare_table(tx, table, columns, key, left, right, labels, max_listed)
            if diff is not None:
                found.append(diff)
    return found


def _compare_table(
    tx: Tx, table: str, columns: list[str], key: list[str], left: str, right: str, labels: tuple[str, str],
    max_listed: int,
) -> TableDifferences | None:
    """Rows of each side missing from the other (EXCEPT: NULLs compare equal), then paired by primary key."""
    cols = ", ".join(columns)
    a_tab, b_tab = table + left, table + right
    only_a = tx.execute(f"SELECT {cols} FROM {a_tab} EXCEPT SELECT {cols} FROM {b_tab}").fetchall()
    only_b = tx.execute(f"SELECT {cols} FROM {b_tab} EXCEPT SELECT {cols} FROM {a_tab}").fetchall()
    if not only_a and not only_b:
        return None
    at = [columns.index(k) for k in key]
    a_rows = {tuple(r[i] for i in at): dict(zip(columns, r)) for r in only_a}
    b_rows = {tuple(r[i] for i in at): dict(zip(columns, r)) for r in only_b}
    both = _sorted(a_rows.keys() & b_rows.keys())
    different = [
        RowDifference(
            {k: a_rows[pk][k] for k in key},
            {c: (a_rows[pk][c], b_rows[pk][c]) for c in columns if a_rows[pk][c] != b_rows[pk][c]},
        )
        for pk in both
    ]
    only_left = [a_rows[pk] for pk in _sorted(a_rows.keys() - b_rows.keys())]
    only_right = [b_rows[pk] for pk in _sorted(b_rows.keys() - a_rows.keys())]
    return TableDifferences(
        table, labels[0], labels[1], only_left[:max_listed], only_right[:max_listed], different[:max_listed],
        {f"only_{labels[0]}": len(only_left), f"only_{labels[1]}": len(only_right), "different": len(different)},
    )


def _sorted(keys: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(keys, key=lambda k: json.dumps(k, default=str))


def columns_and_key(definition: str) -> tuple[list[str], list[str]]:
    """The column names and primary key of a table definition (`Projection.tables`); no key: the whole row."""
    columns: list[str] = []
    key: list[str] = []
    for part in _top_level_parts(definition):
        words = part.split()
        head = words[0].upper()
        if head in ("PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"):
            if head == "PRIMARY":
                key = [c.strip() for c in part[part.index("(") + 1:part.rindex(")")].split(",")]
            continue
        columns.append(words[0])
        if "PRIMARY KEY" in " ".join(words[1:]).upper():
            key = [words[0]]
    return columns, key or list(columns)


def _top_level_parts(definition: str) -> Sequence[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in definition:
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += (ch == "(") - (ch == ")")
        current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts
