"""CSV files in the import format, for people who keep their lists in a spreadsheet.

    report = import_csv(session, text, kind="participant", cohort="c-2026", actor="web:anna")

The columns are the import format's field names (``id``, ``cohort``, ``gender``, …), nested ones
with dots as the CSV exports write them (``attributes.extent``, ``answers.items.cv_improved``);
a ``kind`` column names each row's record, else every row is of ``kind``. An empty cell is a
field left out; ``cohort`` left out of a participant or mentor is ``cohort``. Commas, semicolons
(spreadsheets with a comma as decimal mark) and tabs are all understood, and a UTF-8 BOM is
allowed. Each row becomes one line for the JSON Lines importer, so the same checks apply and the
same all-or-nothing rule: one bad row and nothing is written, every bad row reported with its
line number in the CSV file (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlmodel import Session

from outcomes.importer import ImportRejected, ImportReport, LineError, import_jsonl

FORMULA_GUARD = ("'=", "'+", "'-", "'@")  # what the exports put before a cell starting so


def _value(name: str, text: str) -> Any:
    if text.startswith(FORMULA_GUARD):
        text = text[1:]
    if name == "targets":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # the importer names the field and says what is wrong
    if name == "activities":
        return [part.strip() for part in text.split(";") if part.strip()]
    return text


def _nest(record: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = record
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def csv_lines(
    text: str, *, kind: str | None = None, cohort: str | None = None
) -> tuple[list[str], list[LineError]]:
    """The CSV's rows as import lines at the CSV's own line numbers (blank lines in between),
    and the rows that cannot even be read as records (more cells than the header)."""
    text = text.removeprefix("\ufeff")
    sample = text[: text.find("\n") if "\n" in text else len(text)]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = next(reader, None)
    if not header:
        raise ImportRejected([LineError(1, "the file is empty: a header row is needed")])
    names = [h.strip() for h in header]
    if "" in names or len(set(names)) != len(names):
        raise ImportRejected([LineError(1, "every column needs a name, and each name once")])
    if "kind" not in names and kind is None:
        raise ImportRejected([LineError(1, "add a 'kind' column, or say what the rows are")])
    lines: list[str] = [""]  # the header is line 1
    errors: list[LineError] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        while len(lines) < reader.line_num - 1:
            lines.append("")
        if len(row) > len(names):
            extra = len(row) - len(names)
            errors.append(LineError(reader.line_num, f"{extra} more cell(s) than the header has"))
            lines.append("{}")  # a line the importer refuses: so nothing at all is written
            continue
        record: dict[str, Any] = {}
        for name, cell in zip(names, row, strict=False):
            cell = cell.strip()
            if cell:
                _nest(record, name, _value(name, cell))
        record.setdefault("kind", kind)
        if record["kind"] in ("participant", "mentor") and cohort is not None:
            record.setdefault("cohort", cohort)
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines, errors


def import_csv(
    session: Session,
    text: str,
    *,
    actor: str,
    kind: str | None = None,
    cohort: str | None = None,
) -> ImportReport:
    """Import a CSV file (see the module's text); ``ImportRejected`` names every bad line."""
    lines, errors = csv_lines(text, kind=kind, cohort=cohort)
    try:
        return import_jsonl(session, lines, actor=actor)
    except ImportRejected as exc:
        ours = {e.line for e in errors}
        merged = [*errors, *(e for e in exc.errors if e.line not in ours)]
        raise ImportRejected(sorted(merged, key=lambda e: e.line)) from None
