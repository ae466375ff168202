"""The indicator engine: the one place the numbers of spec/outcomes.md are computed, in SQL.

The API (``GET /api/v1/indicators``), the command line (``stegvis indicators --json``) and the
exports all call :func:`compute_indicators`, so they give identical numbers. One set-based
statement (SQLAlchemy Core, the same on SQLite and PostgreSQL) computes every count:

1. ``win``: each participant in scope with the program window (``joined_on`` else the cohort's
   ``start`` … ``left_on`` else the cohort's ``end``, both days included) and the group value;
2. ``ev``: per participant, aggregates over the confirmed events inside the window (which step
   items occurred, whether a ``job_changed`` occurred, interviews in the last 61 days);
3. ``lst``: per participant, the latest event (by ``occurred_on``, then ``id`` in plain string
   order) of each kind where "latest" or "followed by" matters, found with ``ROW_NUMBER()``;
4. ``pf``: per participant 0/1 flags for every outcome, from the result survey R, the baseline
   survey B (complete surveys only) and the two event aggregates;
5. the final ``SELECT`` sums the flags per group. The total is the sum of the groups (every count
   is additive), shares are computed in Python from the exact integers.

Decisions where the spec leaves room (they are repeated in the report to the lead):

* ``share`` = n/of rounded half-up on the exact fraction to 4 decimals (0.00005 → 0.0001), not
  Python's ``round`` (banker's rounding on a binary float); ``null`` when of = 0.
  ``response_rate`` likewise.
* A survey answer that is missing (no answer to that question) is treated like a missing survey
  for the rule that uses it: R without ``employment`` falls back to the events for "employed at the
  end", R or B without ``interviews_last_2_months`` falls back to counting interview events, a
  missing R contribution or ``job_relevant`` answer falls back to the latest event. B without
  ``employment`` means (a) of ``got_job`` cannot hold. A missing ``items`` key is "not said so".
* "The last 61 days of the window" are the 61 days ending on the window's last day, both ends
  included: ``end − 60 ≤ occurred_on ≤ end`` (and inside the window when it is shorter).
* "A ``job_started`` not followed by a ``job_ended``" holds exactly when, among the ``job_started``
  and ``job_ended`` events in E, the latest (by date, then id) is a ``job_started``.
* "The latest event" is the single latest event; its attribute is used as it is (when that event
  has no ``program_contributed`` or ``relevant`` attribute, there is no answer; earlier events
  are not consulted).
* Only ``complete`` survey responses count (a survey still being answered in the bot does not
  make a participant measured). Erased participants (``erased_on``) still count.
* ``window`` (exports): participants whose cohort's ``start`` … ``end`` overlaps the given dates
  (either end may be open). Whole cohorts are in or out, so per-cohort numbers never split.
* ``targets``: with one cohort selected (``total``) or ``by="cohort"`` (each group), each target of
  the cohort is compared with the same numbers shown: ``participants`` with ``enrolled``,
  ``response_rate`` with the response rate, an indicator with its ``share`` on the requested basis
  (``basis="enrolled"`` is the funders' "of all participants" view). ``met`` is actual ≥ target,
  ``null`` when the actual is ``null``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args

from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from outcomes.errors import Invalid, NotFound
from outcomes.models import Cohort, Event, Participant, Survey
from outcomes.vocab import MINOR_ITEMS, STEP_ITEMS, EventStatus, EventType, SurveyStatus, Wave

Basis = Literal["measured", "enrolled"]
Grouping = Literal["gender", "cohort", "arm", "migration_category", "region"]
BASES: tuple[str, ...] = get_args(Basis)
GROUPINGS: tuple[str, ...] = get_args(Grouping)

INDICATORS: tuple[str, ...] = (
    "got_job",
    "measurable_steps",
    "job_or_steps",
    "network_expanded",
    "internship",
    "education_started",
    "interviews_plus_two",
    "minor_steps_5_of_8",
    *(item for item in MINOR_ITEMS if item != "network_expanded"),
    "job_contributed",
    "internship_contributed",
    "education_contributed",
    "relevant_job_contributed",
)
"""Every indicator of the spec, in the order the JSON lists them."""

CONTRIBUTION_INDICATORS: dict[str, tuple[str, str]] = {
    "job_contributed": ("got_job", "job"),
    "internship_contributed": ("internship", "internship"),
    "education_contributed": ("education_started", "education_started"),
}
"""Contribution indicators: the outcome they are about (their ``of``) and the contribution key."""

INTERVIEW_DAYS = 61
"""``interviews_plus_two`` without R or B counts interview events in this many last days."""

_T = Event.__table__  # type: ignore[attr-defined]
_P = Participant.__table__  # type: ignore[attr-defined]
_C = Cohort.__table__  # type: ignore[attr-defined]
_S = Survey.__table__  # type: ignore[attr-defined]

_ITEM_EVENT_TYPE: dict[str, str] = {
    "internship": EventType.internship_started.value,
    **{item: EventType(item).value for item in STEP_ITEMS if item != "internship"},
}
_BITS: dict[str, int] = {
    **{item: 1 << i for i, item in enumerate(STEP_ITEMS)},
    "job_changed": 1 << len(STEP_ITEMS),
}
"""One bit per fact "an event of this kind is in E"; OR-ed per participant into ``mask``."""

_KEY_EVENTS: dict[str, tuple[str, ...]] = {
    # "a job_started not followed by a job_ended": the latest of the two is a job_started
    "employment": (EventType.job_started.value, EventType.job_ended.value),
    # contribution and relevance of the job: the latest job_started or job_changed
    "job": (EventType.job_started.value, EventType.job_changed.value),
    "internship": (EventType.internship_started.value,),
    "education": (EventType.education_started.value,),
}
"""Kinds of "latest event": the event types whose latest one (by date, then id) matters."""

_DATE_WIDTH = 10  # an ISO date, YYYY-MM-DD: the order key is the date followed by the id


class _DaysBefore(FunctionElement[date]):
    """``day − n days`` for a date column (``n`` a constant), on SQLite and PostgreSQL."""

    type = Date()
    inherit_cache = True
    name = "days_before"

    def __init__(self, day: ColumnElement[Any], days: int) -> None:
        self.days = int(days)
        super().__init__(day)


@compiles(_DaysBefore)
def _days_before_default(element: _DaysBefore, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = element.clauses
    return f"({compiler.process(day, **kw)} - {element.days})"  # PostgreSQL: date - integer


@compiles(_DaysBefore, "sqlite")
def _days_before_sqlite(element: _DaysBefore, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = element.clauses
    return f"date({compiler.process(day, **kw)}, '-{element.days} days')"


class _BitOr(FunctionElement[int]):
    """Bitwise OR of an integer over a group (``bit_or``; on SQLite the sum of distinct values,
    which is the same when every value is a single bit or 0)."""

    type = Integer()
    inherit_cache = True
    name = "bit_or"


@compiles(_BitOr)
def _bit_or_default(element: _BitOr, compiler: SQLCompiler, **kw: Any) -> str:
    return f"bit_or({compiler.process(element.clauses, **kw)})"


@compiles(_BitOr, "sqlite")
def _bit_or_sqlite(element: _BitOr, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum(DISTINCT {compiler.process(element.clauses, **kw)})"


class _OrderKey(FunctionElement[str]):
    """Text that sorts like (``occurred_on``, ``id``): the ISO date followed by the id.

    The date has a fixed width, so comparing keys compares dates first, then ids in plain string
    (code point) order — also on PostgreSQL, where the key is compared with ``COLLATE "C"``.
    ``substr(key, 11)`` gives the id back.
    """

    type = String()
    inherit_cache = True
    name = "order_key"


@compiles(_OrderKey)
def _order_key_default(element: _OrderKey, compiler: SQLCompiler, **kw: Any) -> str:
    day, ident = (compiler.process(c, **kw) for c in element.clauses)
    return f"(to_char({day}, 'YYYY-MM-DD') || {ident}) COLLATE \"C\""


@compiles(_OrderKey, "sqlite")
def _order_key_sqlite(element: _OrderKey, compiler: SQLCompiler, **kw: Any) -> str:
    day, ident = (compiler.process(c, **kw) for c in element.clauses)
    return f"({day} || {ident})"  # dates are stored as YYYY-MM-DD text; BINARY = code points


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """A 0/1 integer for a condition (NULL counts as false)."""
    return case((condition, 1), else_=0)


def _yes(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """A boolean answer or attribute that is true (NULL is not true)."""
    return column.is_(True)


def _has(mask: ColumnElement[Any], bit: int) -> ColumnElement[bool]:
    return func.coalesce(mask, 0).op("&")(bit) != 0


def _scope(
    cohort: str | None, window: tuple[date | None, date | None] | None
) -> list[ColumnElement[bool]]:
    """Which participants are counted: one cohort, cohorts overlapping a date window."""
    conditions: list[ColumnElement[bool]] = []
    if cohort is not None:
        conditions.append(_P.c.cohort == cohort)
    if window is not None:
        start, end = window
        if end is not None:
            conditions.append(_C.c.start <= end)
        if start is not None:
            conditions.append(_C.c.end >= start)
    return conditions


def build_query(
    dialect: str,
    *,
    cohort: str | None = None,
    by: Grouping | None = None,
    basis: Basis = "measured",
    window: tuple[date | None, date | None] | None = None,
) -> Select[Any]:
    """The one statement: per group, ``enrolled``, ``measured`` and ``n_<ind>`` / ``of_<ind>``."""
    scope = _scope(cohort, window)
    ws = func.coalesce(_P.c.joined_on, _C.c.start)
    we = func.coalesce(_P.c.left_on, _C.c.end)
    in_e = and_(  # a confirmed event inside the participant's window
        _T.c.status == EventStatus.confirmed.value,
        _T.c.occurred_on >= ws,
        _T.c.occurred_on <= we,
    )
    irrelevant_education = and_(
        _T.c.type == EventType.education_started.value, _T.c.relevant.is_(False)
    )
    people = _P.join(_C, _P.c.cohort == _C.c.id)

    # -- ev: one row per participant in scope, with what occurred in E ------------------------
    bit = case(
        (irrelevant_education, 0),
        *((_T.c.type == _ITEM_EVENT_TYPE[item], _BITS[item]) for item in STEP_ITEMS),
        (_T.c.type == EventType.job_changed.value, _BITS["job_changed"]),
        else_=0,
    )
    recent_interview = and_(
        _T.c.type == EventType.interview_attended.value,
        _T.c.occurred_on >= _DaysBefore(we, INTERVIEW_DAYS - 1),
    )
    group_value: list[ColumnElement[Any]] = []
    if by is not None and by != "region":
        group_value = [_P.c[by].label("g")]
    elif by == "region":
        group_value = [_P.c.cohort.label("g_cohort")]
    ev = (
        select(
            _P.c.id.label("pid"),
            *group_value,
            _BitOr(bit).label("mask"),
            func.sum(_flag(recent_interview)).label("interviews"),
        )
        .select_from(people.outerjoin(_T, and_(_T.c.participant == _P.c.id, in_e)))
        .where(*scope)
        .group_by(_P.c.id)
        .cte("ev")
    )

    # -- ky: per participant, the latest event of each kind where order matters ----------------
    order_key = _OrderKey(_T.c.occurred_on, _T.c.id)
    key_types = sorted({t for types in _KEY_EVENTS.values() for t in types})
    ky = (
        select(
            _T.c.participant.label("pid"),
            *(
                func.max(case((_T.c.type.in_(types), order_key), else_=None)).label(f"k_{kind}")
                for kind, types in _KEY_EVENTS.items()
            ),
        )
        .select_from(_T.join(people, _P.c.id == _T.c.participant))
        .where(_T.c.type.in_(key_types), in_e, ~irrelevant_education, *scope)
        .group_by(_T.c.participant)
        .cte("ky")
    )
    latest = {kind: _T.alias(f"latest_{kind}") for kind in _KEY_EVENTS}

    # -- pf: per-participant flags --------------------------------------------------------------
    r = _S.alias("r")
    b = _S.alias("b")
    complete = SurveyStatus.complete.value
    has_r = r.c.id.is_not(None)
    employed_at_end = case(
        (r.c.employment.is_not(None), r.c.employment != "none"),
        else_=latest["employment"].c.type == EventType.job_started.value,
    )
    got_job = or_(
        and_(b.c.employment == "none", employed_at_end),
        _yes(r.c.job_changed),
        _has(ev.c.mask, _BITS["job_changed"]),
    )
    items = {
        item: _flag(or_(_yes(r.c[f"item_{item}"]), _has(ev.c.mask, _BITS[item])))
        for item in STEP_ITEMS
    }
    interviews_plus_two = case(
        (
            and_(
                r.c.interviews_last_2_months.is_not(None),
                b.c.interviews_last_2_months.is_not(None),
            ),
            _flag(r.c.interviews_last_2_months - b.c.interviews_last_2_months >= 2),
        ),
        else_=_flag(
            func.coalesce(ev.c.interviews, 0) - func.coalesce(b.c.interviews_last_2_months, 0)
            >= 2
        ),
    )
    job_relevant = case(
        (r.c.job_relevant.is_not(None), _flag(_yes(r.c.job_relevant))),
        else_=_flag(_yes(latest["job"].c.relevant)),
    )
    joined = (
        ev.outerjoin(
            r,
            and_(r.c.participant == ev.c.pid, r.c.wave == Wave.result.value, r.c.status == complete),
        )
        .outerjoin(
            b,
            and_(
                b.c.participant == ev.c.pid, b.c.wave == Wave.baseline.value, b.c.status == complete
            ),
        )
        .outerjoin(ky, ky.c.pid == ev.c.pid)
    )
    for kind, table in latest.items():
        joined = joined.outerjoin(
            table, table.c.id == func.substr(ky.c[f"k_{kind}"], _DATE_WIDTH + 1)
        )
    group_column: list[ColumnElement[Any]] = []
    if by == "region":
        cohorts = _C.alias("cohort_of")
        joined = joined.join(cohorts, cohorts.c.id == ev.c.g_cohort)
        group_column = [cohorts.c.region.label("g")]
    elif by is not None:
        group_column = [ev.c.g]
    pf = (
        select(
            *group_column,
            _flag(has_r).label("measured"),
            (_flag(has_r) if basis == "measured" else literal(1, Integer)).label("counted"),
            _flag(got_job).label("got_job"),
            *(col.label(item) for item, col in items.items()),
            interviews_plus_two.label("interviews_plus_two"),
            func.coalesce(r.c.contributed_job, latest["job"].c.program_contributed).label("c_job"),
            func.coalesce(
                r.c.contributed_internship, latest["internship"].c.program_contributed
            ).label("c_internship"),
            func.coalesce(
                r.c.contributed_education_started, latest["education"].c.program_contributed
            ).label("c_education_started"),
            job_relevant.label("job_relevant"),
        )
        .select_from(joined)
        .cte("pf")
    )

    # -- derived flags and the group sums -------------------------------------------------------
    minor_count = sum((pf.c[item] for item in MINOR_ITEMS), literal_column("0"))
    minor5 = minor_count >= 5
    steps = and_(
        pf.c.got_job == 0,
        or_(
            pf.c.internship == 1,
            pf.c.education_started == 1,
            pf.c.interviews_plus_two == 1,
            minor5,
        ),
    )
    person: dict[str, ColumnElement[bool]] = {
        "got_job": pf.c.got_job == 1,
        "measurable_steps": steps,
        "job_or_steps": or_(pf.c.got_job == 1, steps),
        "interviews_plus_two": pf.c.interviews_plus_two == 1,
        "minor_steps_5_of_8": minor5,
        **{item: pf.c[item] == 1 for item in STEP_ITEMS},
        "relevant_job_contributed": and_(
            pf.c.got_job == 1, pf.c.job_relevant == 1, pf.c.c_job == "yes"
        ),
    }
    counted = pf.c.counted == 1

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(_flag(and_(counted, condition))), 0)

    columns: list[ColumnElement[Any]] = [
        pf.c.g if by is not None else null().label("g"),
        func.count().label("enrolled"),
        func.coalesce(func.sum(pf.c.measured), 0).label("measured"),
        func.coalesce(func.sum(pf.c.counted), 0).label("counted"),
    ]
    for name in INDICATORS:
        if name in CONTRIBUTION_INDICATORS:
            outcome_name, key = CONTRIBUTION_INDICATORS[name]
            outcome = person[outcome_name]
            answer = pf.c[f"c_{key}"]
            columns.append(total(and_(outcome, answer == "yes")).label(f"n_{name}"))
            columns.append(total(and_(outcome, answer.is_not(None))).label(f"of_{name}"))
        else:
            columns.append(total(person[name]).label(f"n_{name}"))
    query = select(*columns).select_from(pf)
    if by is not None:
        query = query.group_by(pf.c.g)
    return query


def share(n: int, of: int) -> float | None:
    """n/of rounded half-up to 4 decimals on the exact fraction; ``None`` when of = 0."""
    if of == 0:
        return None
    return ((20000 * n + of) // (2 * of)) / 10000


def _block(row: dict[str, int]) -> dict[str, Any]:
    enrolled, measured, counted = row["enrolled"], row["measured"], row["counted"]
    indicators: dict[str, dict[str, Any]] = {}
    for name in INDICATORS:
        n = row[f"n_{name}"]
        of = row.get(f"of_{name}", counted)
        indicators[name] = {"n": n, "of": of, "share": share(n, of)}
    return {
        "enrolled": enrolled,
        "measured": measured,
        "response_rate": share(measured, enrolled),
        "indicators": indicators,
    }


def _attainment(targets: dict[str, Any] | None, block: dict[str, Any]) -> dict[str, Any] | None:
    if not targets:
        return None
    out: dict[str, Any] = {}
    for key, target in targets.items():
        if key == "participants":
            actual: float | int | None = block["enrolled"]
            if isinstance(target, float) and target.is_integer():
                target = int(target)  # stored as a JSON number; a head count reads as one
        elif key == "response_rate":
            actual = block["response_rate"]
        elif key in block["indicators"]:
            actual = block["indicators"][key]["share"]
        else:
            actual = None
        met = None if actual is None or target is None else actual >= target
        out[key] = {"target": target, "actual": actual, "met": met}
    return out


def _group_sort_key(value: Any) -> tuple[int, str]:
    return (1, "") if value is None else (0, str(value))


def compute_indicators(
    session: Session,
    *,
    cohort: str | None = None,
    by: Grouping | None = None,
    basis: Basis = "measured",
    window: tuple[date | None, date | None] | None = None,
) -> dict[str, Any]:
    """The indicators of spec/outcomes.md as its JSON shape (plus ``targets`` where they apply).

    ``cohort`` limits to one cohort (``NotFound`` when it does not exist); ``by`` groups by
    ``gender``, ``cohort``, ``arm``, ``migration_category`` or ``region`` (a missing value is a
    group of its own, key ``null``; groups sorted by value, ``null`` last); ``basis`` is
    ``measured`` or ``enrolled``; ``window`` = (from, to), either ``None`` for open, keeps the
    participants whose cohort's dates overlap it and adds ``from``/``to`` to ``filters``.
    """
    if by is not None and by not in GROUPINGS:
        raise Invalid(f"unknown grouping {by!r}; expected one of {', '.join(GROUPINGS)}")
    if basis not in BASES:
        raise Invalid(f"unknown basis {basis!r}; expected one of {', '.join(BASES)}")
    if window is not None and None not in window and window[1] < window[0]:  # type: ignore[operator]
        raise Invalid(f"the date window ends ({window[1]}) before it starts ({window[0]})")

    targets: dict[str, dict[str, Any] | None] = {}
    if cohort is not None or by == "cohort":
        query = select(_C.c.id, _C.c.targets)
        if cohort is not None:
            query = query.where(_C.c.id == cohort)
        targets = {row.id: row.targets for row in session.execute(query)}
        if cohort is not None and cohort not in targets:
            raise NotFound(f"cohort {cohort!r} does not exist")

    dialect = session.get_bind().dialect.name
    statement = build_query(dialect, cohort=cohort, by=by, basis=basis, window=window)
    rows = [dict(row) for row in session.execute(statement).mappings()]
    keys = [k for k in rows[0] if k != "g"] if rows else []
    summed = {k: sum(int(row[k] or 0) for row in rows) for k in keys}
    if not rows:
        summed = {k: 0 for k in ("enrolled", "measured", "counted")}
        summed |= {f"n_{name}": 0 for name in INDICATORS}
        summed |= {f"of_{name}": 0 for name in CONTRIBUTION_INDICATORS}

    filters: dict[str, Any] = {"cohort": cohort, "basis": basis}
    if window is not None:
        filters["from"] = window[0].isoformat() if window[0] else None
        filters["to"] = window[1].isoformat() if window[1] else None
    result: dict[str, Any] = {"filters": filters, "total": _block(summed), "groups": []}
    if cohort is not None:
        attained = _attainment(targets.get(cohort), result["total"])
        if attained is not None:
            result["total"]["targets"] = attained
    if by is not None:
        for row in sorted(rows, key=lambda r: _group_sort_key(r["g"])):
            value = row["g"]
            group = {"key": {by: value}, **_block({k: int(row[k] or 0) for k in keys})}
            if by == "cohort":
                attained = _attainment(targets.get(value), group)
                if attained is not None:
                    group["targets"] = attained
            result["groups"].append(group)
    return result
