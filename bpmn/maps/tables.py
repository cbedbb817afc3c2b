"""Read a map kept as a table (CSV, TSV, an .xlsx sheet, a Markdown table): one row per step."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from .columns import Column, column_kind
from .errors import MapInvalid, MapProblem
from .model import Block, Step, group_lettered
from .steps import apply, step_from_text

Row = tuple[int, list[str]]
_HEADER_HINT = "start the table with a header row such as `Step, Owner, Inputs, SLA, Next step`"
_KEY = re.compile(r"^(?:step\s*)?#?\s*(\d{1,3})([a-z])?\.?$", re.IGNORECASE)
_NUMBERED_NAME = re.compile(r"^(?:step\s*)?(\d{1,3})([a-z])?[.):]\s+(.*)$", re.IGNORECASE)


def _header(rows: list[Row]) -> tuple[int, dict[int, Column]] | None:
    for index, (_, cells) in enumerate(rows[:20]):
        kinds = {i: kind for i, cell in enumerate(cells) if (kind := column_kind(cell))}
        if "step" in kinds.values() and len(kinds) >= 2:
            return index, kinds
    return None


def _key(value: str) -> str | None:
    match = _KEY.match(value.strip())
    return (match[1] + (match[2] or "").lower()) if match else None


def steps_from_rows(rows: list[Row], problems: list[MapProblem]) -> list[Block]:
    """The steps of a table: a header row (found among the first 20 rows), then one row per step."""
    found = _header(rows)
    if found is None:
        line = next((n for n, cells in rows if any(c.strip() for c in cells)), 1)
        problems.append(MapProblem(line, "no header row with a step column was found", _HEADER_HINT))
        return []
    start, kinds = found
    header_line, header = rows[start]
    for index, cell in enumerate(header):
        if cell.strip() and index not in kinds:
            problems.append(
                MapProblem(
                    header_line,
                    f"the column '{cell.strip()}' is not used",
                    "name columns Step, Owner, Inputs, Documents, SLA, Next step or Notes",
                )
            )
    step_columns = [i for i, k in kinds.items() if k == "step"]
    if len(step_columns) > 1 and "key" not in kinds.values():
        # "Step | Task | ...": a step column holding only numbers is the step number.
        for index in step_columns:
            values = [
                cells[index] for _, cells in rows[start + 1 :] if index < len(cells) and cells[index].strip()
            ]
            if values and all(_key(value) for value in values):
                kinds[index] = "key"
                break
    for kind in ("step", "owner", "sla", "key"):
        columns = [i for i, k in kinds.items() if k == kind]
        for extra in columns[1:]:
            problems.append(
                MapProblem(
                    header_line,
                    f"two columns are about the {kind} ('{header[columns[0]]}' "
                    f"and '{header[extra]}'); only the first is used",
                    "rename or remove the second column",
                )
            )
            del kinds[extra]
    steps: list[Block] = []
    for line, cells in rows[start + 1 :]:
        step = _row(line, cells, kinds, len(steps) + 1, problems)
        if step is not None:
            steps.append(step)
    return group_lettered(steps)


def _row(
    line: int, cells: list[str], kinds: dict[int, Column], ordinal: int, problems: list[MapProblem]
) -> Step | None:
    values: dict[Column, list[str]] = {}
    for index, kind in kinds.items():
        if index < len(cells) and cells[index].strip():
            values.setdefault(kind, []).append(cells[index].strip())
    if not values:
        return None
    name = " ".join(values.pop("step", []))
    key = _key(values.pop("key", [""])[0])
    numbered = _NUMBERED_NAME.match(name)
    if numbered:
        key = key or numbered[1] + (numbered[2] or "").lower()
        name = numbered[3]
    if not name:
        problems.append(
            MapProblem(
                line,
                "this row has no step name; it is skipped",
                "write the name of the step in the step column",
            )
        )
        return None
    step = step_from_text(key or str(ordinal), name, line, problems)
    for kind, texts in values.items():
        for text in texts:
            apply(step, kind, text, line, problems)
    return step


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def delimited_rows(text: str, delimiter: str | None) -> list[Row]:
    """CSV or TSV rows with the line each starts on; the CSV delimiter (`,` or `;`) is sniffed."""
    if delimiter is None:
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[Row] = []
    line = 1
    for cells in reader:
        rows.append((line, cells))
        line = reader.line_num + 1
    return rows


def xlsx_rows(data: bytes) -> list[Row]:
    """The rows of the first sheet that has a header row with a step column (row number = line)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file; report it, never a traceback
        raise MapInvalid(
            [
                MapProblem(
                    None,
                    f"the file is not a readable .xlsx workbook ({type(exc).__name__})",
                    "save the sheet again as .xlsx, or export it as CSV",
                )
            ]
        ) from None
    try:
        first: list[Row] | None = None
        for sheet in book.worksheets:
            rows = [
                (number, [_cell(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            if _header(rows) is not None:
                return rows
            first = rows if first is None else first
        return first or []
    finally:
        book.close()


def decode(data: bytes | str) -> str:
    return data if isinstance(data, str) else _decode(data)
