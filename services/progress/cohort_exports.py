"""The files of a cohort's exports, as CSV and as an Excel workbook, with no cell a spreadsheet runs as a formula.

- In the workbook every text is a text cell (openpyxl's data type "s", never "f"), its value unchanged: a name
  such as "=HYPERLINK(...)" is shown as written and never evaluated.
- In the CSV (which has no cell types) a text beginning with =, +, -, @, a tab or a carriage return is prefixed with
  a single quote, as OWASP advises against CSV injection; numbers are written as numbers.

Both are produced row by row: the CSV is streamed as it is written, the workbook is written in openpyxl's
write-only mode to a temporary file (rows are not kept in memory) and streamed from there.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

RISKY = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take as the start of a formula."""


def csv_safe(value: Any) -> Any:
    """A text that a spreadsheet could run as a formula, prefixed with a single quote; anything else as it is."""
    if isinstance(value, str) and value.startswith(RISKY):
        return "'" + value
    return value


def csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """The CSV, a line at a time (UTF-8 with a byte-order mark, so that spreadsheets read Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff".encode()
    for row in ([header], rows):
        for line in row:
            writer.writerow([csv_safe(_plain(v)) for v in line])
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def workbook_stream(title: str, header: list[str], rows: Iterable[list[Any]], chunk: int = 64 * 1024
                    ) -> Iterator[bytes]:
    """The workbook (one sheet), written to a temporary file in write-only mode, then read back a chunk at a time."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([_text(sheet, h) for h in header])
    for row in rows:
        sheet.append([_text(sheet, v) if isinstance(v, str) else v for v in row])
    with tempfile.TemporaryFile(prefix="dualtrack-export-") as file:
        book.save(file)
        file.seek(0)
        while part := file.read(chunk):
            yield part


def _text(sheet: Any, value: str) -> WriteOnlyCell:
    """A text cell whatever the text begins with (openpyxl would otherwise take "=..." for a formula)."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell
