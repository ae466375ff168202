"""JSON Lines import in the spec's format: validate every line first, then write in one transaction.

One code path serves ``stegvis import FILE`` and ``POST /api/v1/imports``. Records are keyed by
``id`` (surveys by participant + wave, register months by person + month; meetings without an id
by pair + day + kind); a later line replaces an earlier one, and re-importing the same file
changes nothing. A file with any bad line writes nothing: every bad line is reported with its
number and reason. The kinds are those of spec/outcomes.md and spec/study.md;
a line is bad too when it is not UTF-8, longer than ``max_line_chars``, nested deeper than
``max_depth`` or holds a control character (``core.jsonl.loads``); an event outside its
participant's program window is imported with a warning in the report (it will not count).
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlmodel import Session, SQLModel, col

from core.jsonl import JsonLimitError, JsonLimits, loads
from core.progress import SILENT, Progress
from outcomes import kept
from outcomes.audit import audit_rows
from outcomes.bulk import insert_rows
from outcomes.models import Cohort, Event, Meeting, Mentor, Pair, Participant, Survey
from outcomes.schemas import (
    FIRST_DAY,
    LAST_DAY,
    CohortCreate,
    EventCreate,
    MeetingCreate,
    MentorCreate,
    PairCreate,
    ParticipantCreate,
    SurveyCreate,
)
from outcomes.study_models import (
    MONTH_PATTERN,
    RegisterMonth,
    RegisterMonthCreate,
    RegisterPerson,
    RegisterPersonCreate,
    Study,
    StudyCreate,
)
from outcomes.types import table_of

KINDS: dict[str, type[BaseModel]] = {
    "cohort": CohortCreate,
    "participant": ParticipantCreate,
    "mentor": MentorCreate,
    "pair": PairCreate,
    "survey": SurveyCreate,
    "event": EventCreate,
    "meeting": MeetingCreate,
    "study": StudyCreate,
    "register_person": RegisterPersonCreate,
    "register_month": RegisterMonthCreate,
}
ORDER = (
    "cohort",
    "participant",
    "mentor",
    "pair",
    "survey",
    "event",
    "meeting",
    "study",
    "register_person",
    "register_month",
)
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "survey": ("participant", "wave"),
    "register_month": ("person", "month"),
}
"""Kinds keyed by something other than ``id``."""
DATE_FIELDS = frozenset(
    {
        "start",
        "end",
        "joined_on",
        "left_on",
        "matched_on",
        "ended_on",
        "answered_on",
        "occurred_on",
        "held_on",
    }
)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_FIELDS = frozenset({"month", "start_month"})
ISO_MONTH = re.compile(MONTH_PATTERN)
UNDECODABLE = re.compile("[\udc80-\udcff]")
"""A byte that is not UTF-8, as ``errors="surrogateescape"`` decodes it (``iter_file``, the API)."""
CHUNK = 500
MAX_ERRORS = 1000


@dataclass(frozen=True)
class LineError:
    """One bad line: its number (1-based) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportRejected(Exception):
    """The file had bad lines; nothing was written."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} bad line(s); nothing was imported")


@dataclass
class ImportReport:
    """What an import did, per kind: lines read, records created, updated and unchanged; and
    warnings about lines that were imported but look wrong."""

    lines: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    warnings: list[LineError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": [{"line": w.line, "reason": w.reason} for w in self.warnings],
        }


@dataclass
class _Parsed:
    line: int
    record: BaseModel
    row: dict[str, Any]


def _describe(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "line"
        kind = e["type"]
        if not e["loc"] and kind == "value_error":  # a rule about the whole record
            parts.append(str(e["msg"]).removeprefix("Value error, "))
        elif kind == "missing":
            parts.append(f"missing field '{loc}'")
        elif kind == "extra_forbidden":
            parts.append(f"unknown field '{loc}'")
        elif kind in ("enum", "literal_error"):
            expected = e.get("ctx", {}).get("expected", "")
            parts.append(f"bad value {e['input']!r} for '{loc}' (expected {expected})")
        elif kind.startswith(("date", "datetime")):
            parts.append(f"bad date {e['input']!r} for '{loc}'")
        elif kind in ("greater_than_equal", "less_than_equal") and e["loc"][-1] in DATE_FIELDS:
            parts.append(
                f"bad date {e['input']!r} for '{loc}' (a day between {FIRST_DAY} and {LAST_DAY})"
            )
        else:
            parts.append(f"'{loc}': {e['msg']}")
    return "; ".join(parts)


def _key(kind: str, rec: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(rec[c] for c in KEY_COLUMNS.get(kind, ("id",)))


def _meeting_id(pair: str, held_on: date, kind: str) -> str:
    digest = hashlib.sha1(f"{pair}|{held_on}|{kind}".encode(), usedforsecurity=False).hexdigest()
    return f"m-{digest[:20]}"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(model.model_fields) for kind, model in KINDS.items()
}
_VALIDATE: dict[str, Callable[[Any], Any]] = {
    kind: model.__pydantic_validator__.validate_python for kind, model in KINDS.items()
}
"""pydantic's own validators: ``SQLModel.model_validate`` adds ~1 µs a line of bookkeeping
(copying ``__dict__``, fields set) that the Create models (no tables, no relationships) do not
need; the records are the same."""


def _to_row(kind: str, rec: BaseModel) -> dict[str, Any]:
    """The table row for a validated record (enums as their values)."""
    if kind == "survey":
        assert isinstance(rec, SurveyCreate)
        row = {
            "participant": rec.participant,
            "wave": rec.wave.value,
            "answered_on": rec.answered_on,
            "status": "complete",
        }
        row.update(rec.answers.to_columns())
        return row
    if kind == "event":
        assert isinstance(rec, EventCreate)
        a = rec.attributes
        return {
            "id": rec.id,
            "participant": rec.participant,
            "type": rec.type.value,
            "occurred_on": rec.occurred_on,
            "source": rec.source.value,
            "status": rec.status.value,
            "extent": _plain(a.extent) if a else None,
            "relevant": a.relevant if a else None,
            "program_contributed": _plain(a.program_contributed) if a else None,
            "note": a.note if a else None,
            "recorded_by": "import",
        }
    if kind == "meeting":
        assert isinstance(rec, MeetingCreate)
        return {
            "id": rec.id or _meeting_id(rec.pair, rec.held_on, rec.kind.value),
            "pair": rec.pair,
            "held_on": rec.held_on,
            "kind": rec.kind.value,
            "activities": rec.activities,
            "logged_by": "import",
        }
    return {name: _plain(getattr(rec, name)) for name in _FIELDS[kind]}


def _unreadable(text: str, limits: JsonLimits) -> str | None:
    """Why a line cannot be read as JSON at all (not UTF-8, too long), or None."""
    if not text.isascii():
        found = UNDECODABLE.search(text)
        if found is not None:
            return f"not UTF-8 text (a byte that is not UTF-8 at column {found.start() + 1})"
    if len(text) > limits.max_line_chars:
        return f"the line is longer than {limits.max_line_chars} characters"
    return None


def parse_lines(
    lines: Iterable[str], limits: JsonLimits | None = None
) -> tuple[dict[str, dict[tuple[Any, ...], _Parsed]], int, list[LineError]]:
    """Validate each line on its own; keep the last line for each key."""
    limits = limits or JsonLimits()
    parsed: dict[str, dict[tuple[Any, ...], _Parsed]] = {k: {} for k in ORDER}
    errors: list[LineError] = []
    count = 0
    for number, raw in enumerate(lines, start=1):
        count = number
        text = raw.strip()
        if not text:
            continue
        unreadable = _unreadable(text, limits)
        if unreadable is not None:
            errors.append(LineError(number, unreadable))
            continue
        try:
            obj = loads(text, max_depth=limits.max_depth)
        except JsonLimitError as exc:
            errors.append(LineError(number, str(exc)))
            continue
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(obj, dict):
            errors.append(LineError(number, "a line must be a JSON object"))
            continue
        kind = obj.pop("kind", None)
        if kind is None:
            errors.append(LineError(number, "missing field 'kind'"))
            continue
        validate = _VALIDATE.get(kind) if isinstance(kind, str) else None
        if validate is None:
            errors.append(
                LineError(number, f"unknown kind {kind!r} (expected one of {', '.join(ORDER)})")
            )
            continue
        bad_dates = [
            k
            for k in DATE_FIELDS & obj.keys()
            if obj[k] is not None and not (isinstance(obj[k], str) and ISO_DATE.match(obj[k]))
        ]
        if bad_dates:
            errors.append(
                LineError(
                    number,
                    "; ".join(
                        f"bad date {obj[k]!r} for '{k}' (expected YYYY-MM-DD)"
                        for k in sorted(bad_dates)
                    ),
                )
            )
            continue
        bad_months = [
            k
            for k in MONTH_FIELDS & obj.keys()
            if kind in ("register_person", "register_month")
            and obj[k] is not None
            and not (isinstance(obj[k], str) and ISO_MONTH.match(obj[k]))
        ]
        if bad_months:
            errors.append(
                LineError(
                    number,
                    "; ".join(
                        f"{kind}: bad month {obj[k]!r} for '{k}' (expected YYYY-MM)"
                        for k in sorted(bad_months)
                    ),
                )
            )
            continue
        if kind == "meeting":
            # ``kind`` names the record, so a meeting's own kind travels as ``meeting_kind``
            # (``type`` is accepted too); without either it is an individual meeting.
            if "meeting_kind" in obj and "type" in obj:
                errors.append(LineError(number, "meeting: give 'meeting_kind' or 'type', not both"))
                continue
            obj["kind"] = obj.pop("meeting_kind", obj.pop("type", "individual"))
        if kind == "event" and "id" not in obj:
            errors.append(LineError(number, "missing field 'id'"))
            continue
        try:
            rec = validate(obj)
        except ValidationError as exc:
            errors.append(LineError(number, f"{kind}: {_describe(exc)}"))
            continue
        row = _to_row(kind, rec)
        parsed[kind][_key(kind, row)] = _Parsed(number, rec, row)
    return parsed, count, errors


def _existing(session: Session, table: Table, column: str, ids: Iterable[Any]) -> set[Any]:
    found: set[Any] = set()
    ids = list(ids)
    col = table.c[column]
    for i in range(0, len(ids), CHUNK):
        found.update(session.execute(select(col).where(col.in_(ids[i : i + CHUNK]))).scalars())
    return found


def _check_references(
    session: Session, parsed: dict[str, dict[tuple[Any, ...], _Parsed]]
) -> list[LineError]:
    tables: dict[str, type[SQLModel]] = {
        "cohort": Cohort,
        "participant": Participant,
        "mentor": Mentor,
        "pair": Pair,
        "study": Study,
        "register_person": RegisterPerson,
    }
    known: dict[str, set[Any]] = {k: {key[0] for key in parsed[k]} for k in tables}
    refs = {  # kind -> [(field, referenced kind)]; a field may hold one id, none, or a list
        "participant": [("cohort", "cohort")],
        "mentor": [("cohort", "cohort")],
        "pair": [("mentor", "mentor"), ("participant", "participant")],
        "survey": [("participant", "participant")],
        "event": [("participant", "participant")],
        "meeting": [("pair", "pair")],
        "study": [("cohorts", "cohort")],
        "register_person": [("study", "study"), ("participant", "participant")],
        "register_month": [("person", "register_person")],
    }

    def ids(value: Any) -> list[Any]:
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    wanted: dict[str, set[Any]] = {k: set() for k in tables}
    for kind, fields in refs.items():
        for item in parsed[kind].values():
            for fld, target in fields:
                wanted[target].update(v for v in ids(item.row[fld]) if v not in known[target])
    for target, missing in wanted.items():
        if missing:
            known[target] |= _existing(session, table_of(tables[target]), "id", missing)
    errors = []
    for kind, fields in refs.items():
        for item in parsed[kind].values():
            for fld, target in fields:
                for value in ids(item.row[fld]):
                    if value not in known[target]:
                        errors.append(
                            LineError(
                                item.line,
                                f"{kind}: '{fld}' refers to {target.replace('_', ' ')} "
                                f"{value!r}, which does not exist "
                                f"(neither stored nor on a good line)",
                            )
                        )
    return errors


def _check_windows(
    session: Session, parsed: dict[str, dict[tuple[Any, ...], _Parsed]]
) -> list[LineError]:
    """A participant's effective window (own dates, else the cohort's) must not end before it starts."""
    cohorts = {key[0]: (p.row["start"], p.row["end"]) for key, p in parsed["cohort"].items()}
    missing = {p.row["cohort"] for p in parsed["participant"].values()} - cohorts.keys()
    ids = list(missing)
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(col(Cohort.id), col(Cohort.start), col(Cohort.end)).where(
                col(Cohort.id).in_(ids[i : i + CHUNK])
            )
        ).all()
        cohorts.update({r[0]: (r[1], r[2]) for r in rows})
    errors = []
    for item in parsed["participant"].values():
        if item.row["cohort"] not in cohorts:
            continue
        c_start, c_end = cohorts[item.row["cohort"]]
        start = item.row["joined_on"] or c_start
        end = item.row["left_on"] or c_end
        if end < start:
            errors.append(
                LineError(
                    item.line,
                    f"participant: the program window ends ({end}) before it starts ({start})",
                )
            )
    return errors


def _write_kind(
    session: Session,
    kind: str,
    model: type[SQLModel],
    items: list[_Parsed],
    report: ImportReport,
    actor: str,
) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
    """Write one kind; returns the (stored before or ``None``, written) rows that changed."""
    table = table_of(model)
    rows = [i.row for i in items]
    if not rows:
        return []
    key_cols = KEY_COLUMNS.get(kind, ("id",))
    compare = [c for c in rows[0] if c not in key_cols and c not in ("recorded_by", "logged_by")]
    existing: dict[tuple[Any, ...], dict[str, Any]] = {}
    keys = [tuple(r[c] for c in key_cols) for r in rows]
    cols = [table.c[c] for c in key_cols]
    extra = ["version"] if kind == "event" else []
    selected = [*cols, *(table.c[c] for c in compare), *(table.c[c] for c in extra)]
    if kind == "survey":
        selected.append(table.c.id)
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        cond = cols[0].in_([k[0] for k in chunk]) if len(cols) == 1 else tuple_(*cols).in_(chunk)
        for r in session.execute(select(*selected).where(cond)).mappings():
            existing[tuple(r[c] for c in key_cols)] = dict(r)
    new_rows, changed = [], []
    for key, row in zip(keys, rows, strict=True):
        old = existing.get(key)
        if old is None:
            new_rows.append(row)
        elif any(old[c] != row[c] for c in compare):
            changed.append((old, row))
    if new_rows:
        insert_rows(session, table, new_rows)
    if changed:
        # one statement, executed for every changed row (executemany): keys as ``k_<column>``
        bumped = ["version"] if kind == "event" else []
        statement = (
            update(table)
            .where(*(table.c[c] == bindparam(f"k_{c}") for c in key_cols))
            .values({c: bindparam(f"v_{c}") for c in [*compare, *bumped]})
        )
        params = []
        for old, row in changed:
            values = {f"k_{c}": row[c] for c in key_cols}
            values.update({f"v_{c}": row[c] for c in compare})
            if bumped:
                values["v_version"] = old["version"] + 1
            params.append(values)
        session.execute(statement, params)
    if kind == "event" and changed:
        audit_rows(
            session,
            actor=actor,
            action="import_update",
            table_name="event",
            changes=[
                (str(row["id"]), {c: old[c] for c in compare}, {c: row[c] for c in compare})
                for old, row in changed
            ],
        )
    report.created[kind] = len(new_rows)
    report.updated[kind] = len(changed)
    report.unchanged[kind] = len(rows) - len(new_rows) - len(changed)
    return [*((None, row) for row in new_rows), *changed]


def _touched(
    written: dict[str, list[tuple[dict[str, Any] | None, dict[str, Any]]]],
) -> tuple[set[str], set[str]]:
    """The participants and the cohorts whose kept outcomes the written rows may change."""
    people = {row["id"] for _old, row in written.get("participant", [])}
    for kind in ("survey", "event"):
        for old, row in written.get(kind, []):
            people.add(row["participant"])
            if old is not None and old.get("participant") is not None:
                people.add(old["participant"])
    cohorts = {row["id"] for old, row in written.get("cohort", []) if old is not None}
    return people, cohorts


MODELS: dict[str, type[SQLModel]] = {
    "cohort": Cohort,
    "participant": Participant,
    "mentor": Mentor,
    "pair": Pair,
    "survey": Survey,
    "event": Event,
    "meeting": Meeting,
    "study": Study,
    "register_person": RegisterPerson,
    "register_month": RegisterMonth,
}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an import runs.

    An import makes millions of small objects that form no cycles (parsed lines, records, rows);
    the collector would walk them again and again as they pile up: 40 % of the parse time at
    286,000 lines. Reference counting still frees everything; the collector runs again after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _outside_windows(
    session: Session, parsed: dict[str, dict[tuple[Any, ...], _Parsed]]
) -> list[LineError]:
    """Warnings for the confirmed events outside their participant's program window (from the
    file's lines, else the stored records): imported, but they will not count."""
    events = [p for p in parsed["event"].values() if p.row["status"] != "voided"]
    people = {p.row["participant"] for p in events}
    windows: dict[str, tuple[str, date | None, date | None]] = {
        key[0]: (p.row["cohort"], p.row["joined_on"], p.row["left_on"])
        for key, p in parsed["participant"].items()
        if key[0] in people
    }
    stored = list(people - windows.keys())
    for i in range(0, len(stored), CHUNK):
        rows = session.execute(
            select(
                col(Participant.id),
                col(Participant.cohort),
                col(Participant.joined_on),
                col(Participant.left_on),
            ).where(col(Participant.id).in_(stored[i : i + CHUNK]))
        ).all()
        windows.update({r[0]: (r[1], r[2], r[3]) for r in rows})
    cohorts = {key[0]: (p.row["start"], p.row["end"]) for key, p in parsed["cohort"].items()}
    wanted = list({c for c, _s, _e in windows.values()} - cohorts.keys())
    for i in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(col(Cohort.id), col(Cohort.start), col(Cohort.end)).where(
                col(Cohort.id).in_(wanted[i : i + CHUNK])
            )
        ).all()
        cohorts.update({r[0]: (r[1], r[2]) for r in rows})
    warnings = []
    for item in events:
        person = item.row["participant"]
        if person not in windows or windows[person][0] not in cohorts:
            continue
        cohort, joined, left = windows[person]
        start, end = joined or cohorts[cohort][0], left or cohorts[cohort][1]
        day = item.row["occurred_on"]
        if not start <= day <= end:
            warnings.append(
                LineError(
                    item.line,
                    f"event: occurred_on {day} is outside the program window of participant "
                    f"{person!r} ({start} to {end}); it will not count",
                )
            )
    return sorted(warnings, key=lambda w: w.line)[:MAX_ERRORS]


def import_jsonl(
    session: Session,
    lines: Iterable[str],
    *,
    actor: str = "import",
    progress: Progress = SILENT,
    limits: JsonLimits | None = None,
) -> ImportReport:
    """Validate all lines, then write them in the caller's transaction (commit is the caller's).

    Raises ``ImportRejected`` with every bad line when any line is bad; then nothing is written.
    ``progress`` hears of the stages (checking the lines, their references, writing the records);
    ``limits`` bound each line (``Settings.json_limits``; the defaults without).
    """
    with _collector_paused():
        return _import(session, lines, actor, progress, limits)


PROGRESS_EVERY = 1000  # lines checked between two reports to ``progress``


def _counted(lines: Iterable[str], progress: Progress) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        yield line
        if number % PROGRESS_EVERY == 0:
            progress.advance(PROGRESS_EVERY)


def _import(
    session: Session,
    lines: Iterable[str],
    actor: str,
    progress: Progress,
    limits: JsonLimits | None,
) -> ImportReport:
    if progress is not SILENT:  # counting the lines first is for someone watching
        progress.stage("checking lines", total=len(lines) if isinstance(lines, Sized) else None)
        lines = _counted(lines, progress)
    parsed, count, errors = parse_lines(lines, limits)
    progress.stage("checking references")
    errors += _check_references(session, parsed) + _check_windows(session, parsed)
    if errors:
        errors.sort(key=lambda e: e.line)
        raise ImportRejected(errors[:MAX_ERRORS])
    report = ImportReport(lines=count, warnings=_outside_windows(session, parsed))
    progress.stage("writing records", total=sum(len(parsed[kind]) for kind in ORDER))
    written: dict[str, list[tuple[dict[str, Any] | None, dict[str, Any]]]] = {}
    for kind in ORDER:
        items = sorted(parsed[kind].values(), key=lambda p: p.line)
        written[kind] = _write_kind(session, kind, MODELS[kind], items, report, actor)
        progress.advance(len(items))
    people, cohorts = _touched(written)
    if people or cohorts:
        progress.stage("keeping the outcomes", total=None)
        kept.refresh(session, participants=people, cohorts=cohorts)
    return report


def iter_file(path: str | Path) -> Iterator[str]:
    """Lines of a UTF-8 file (a BOM is tolerated); a byte that is not UTF-8 stays in its line as
    a surrogate escape, for ``parse_lines`` to report with the line's number."""
    with open(path, encoding="utf-8-sig", errors="surrogateescape") as fh:
        yield from fh


class FileLines:
    """The lines of a UTF-8 file, as ``iter_file``; ``len()`` counts them (for progress)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __iter__(self) -> Iterator[str]:
        return iter_file(self.path)

    def __len__(self) -> int:
        count, last = 0, b"\n"
        with self.path.open("rb") as fh:
            while block := fh.read(1 << 20):
                count += block.count(b"\n")
                last = block[-1:]
        return count + (last != b"\n")  # a last line without a newline counts too
