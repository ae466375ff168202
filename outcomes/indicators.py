"""The indicator engine: the one place the numbers of spec/outcomes.md are computed, in SQL.

The API (``GET /api/v1/indicators``), the command line (``stegvis indicators --json``) and the
exports all call :func:`compute_indicators`, so they give identical numbers. One statement
(SQLAlchemy Core) computes every count, in three layers:

1. **facts** — one row per participant in scope: the group value, the answers of the result survey
   R and the baseline survey B (complete responses only), and the facts about the confirmed events
   inside the program window E: ``mask`` (one bit per event type that occurred), ``interviews``
   (``interview_attended`` in the last 61 days of the window) and the latest event of each kind
   where "latest" or "followed by" matters (ordered by ``occurred_on``, then ``id`` in plain
   string order).
2. **flags** — per participant, a 0/1 column for every outcome of the spec.
3. **sums** — per group, ``enrolled``, ``measured`` and the ``n`` / ``of`` of every indicator. The
   total is the sum of the groups (every count is additive); shares are computed in Python from
   the exact integers.

Layers 2 and 3 are shared, and so is most of layer 1. The two plans differ only in how ``mask``
and ``interviews`` are gathered, and give the same numbers: ``joined`` (PostgreSQL) joins every
event with its participant and aggregates (hash joins and hash aggregates, parallel workers);
``correlated`` (SQLite, which has neither hash joins nor hash aggregates) reads each
participant's window from the index ``ix_event_participant_window`` alone. The latest events are
looked up per participant (index ``ix_event_participant_type_date``), and only where the answer
is still open: the result survey does not give it and the person has the outcome. Tests run
both plans on both databases against an independent implementation of the spec.

Decisions where the spec leaves room:

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
  are not consulted). ``education_started`` events whose ``relevant`` is false never count, not
  even as "the latest".
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

from dataclasses import dataclass
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
    text,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from outcomes.errors import Invalid, NotFound
from outcomes.models import Cohort, Event, Participant, Survey
from outcomes.vocab import MINOR_ITEMS, STEP_ITEMS, EventStatus, EventType, SurveyStatus, Wave

Basis = Literal["measured", "enrolled"]
Grouping = Literal["gender", "cohort", "arm", "migration_category", "region"]
Plan = Literal["joined", "correlated"]
BASES: tuple[str, ...] = get_args(Basis)
GROUPINGS: tuple[str, ...] = get_args(Grouping)
PLANS: tuple[str, ...] = get_args(Plan)

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

_JOB_STARTED = EventType.job_started.value
_JOB_ENDED = EventType.job_ended.value
_JOB_CHANGED = EventType.job_changed.value
_INTERNSHIP = EventType.internship_started.value
_EDUCATION = EventType.education_started.value
_INTERVIEW = EventType.interview_attended.value
_CONFIRMED = EventStatus.confirmed.value

_ITEM_EVENT_TYPE: dict[str, str] = {
    "internship": _INTERNSHIP,
    **{item: EventType(item).value for item in STEP_ITEMS if item != "internship"},
}
_BITS: dict[str, int] = {
    **{item: 1 << i for i, item in enumerate(STEP_ITEMS)},
    "job_changed": 1 << len(STEP_ITEMS),
}
"""One bit per fact "an event of this kind is in E"; OR-ed per participant into ``mask``."""

_LATEST: dict[str, tuple[str, ...]] = {
    "job": (_JOB_STARTED, _JOB_CHANGED),  # contribution and relevance of the job
    "internship": (_INTERNSHIP,),
    "education": (_EDUCATION,),  # only those that count: relevant is not false
}
_ANSWERS = (
    "employment",
    "job_relevant",
    "interviews_last_2_months",
    "job_changed",
    *(f"item_{item}" for item in STEP_ITEMS),
    "contributed_job",
    "contributed_internship",
    "contributed_education_started",
)


# -- SQL helpers that differ between SQLite and PostgreSQL ------------------------------------


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
    """Bitwise OR of an integer over a group: ``bit_or``; on SQLite the sum of the distinct
    values, which is the same when every value is a single bit or 0."""

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
    (code point) order — on PostgreSQL with ``COLLATE "C"``. ``substr(key, 11)`` is the id.
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


class _IdOf(FunctionElement[str]):
    """The id in an order key; on PostgreSQL back in the column's collation, so that the primary
    key index finds it."""

    type = String()
    inherit_cache = True
    name = "id_of"


@compiles(_IdOf)
def _id_of_default(element: _IdOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f'substr({compiler.process(element.clauses, **kw)}, 11) COLLATE "default"'


@compiles(_IdOf, "sqlite")
def _id_of_sqlite(element: _IdOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 11)"


def _flag(condition: ColumnElement[Any]) -> ColumnElement[int]:
    """A 0/1 integer for a condition (NULL counts as false)."""
    return case((condition, 1), else_=0)


def _yes(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """A boolean answer or attribute that is true (NULL is not true)."""
    return column.is_(True)


def _bool01(column: ColumnElement[Any]) -> ColumnElement[int]:
    """A nullable boolean as 1 / 0 / NULL."""
    return case((column.is_(True), 1), (column.is_(False), 0), else_=None)


def _has(mask: ColumnElement[Any], bit: int) -> ColumnElement[bool]:
    return func.coalesce(mask, 0).op("&")(bit) != 0


def _event_bit(event: FromClause) -> ColumnElement[int]:
    """The bit of one event in ``mask`` (0 for types that are no step, and for education that
    does not count because its ``relevant`` is false)."""
    whens: list[tuple[Any, Any]] = [(event.c.type == _INTERVIEW, 0)]  # the most frequent first
    for item in STEP_ITEMS:
        if item == "education_started":
            value: Any = case((event.c.relevant.is_(False), 0), else_=_BITS[item])
        else:
            value = _BITS[item]
        whens.append((event.c.type == _ITEM_EVENT_TYPE[item], value))
    whens.append((event.c.type == _JOB_CHANGED, _BITS["job_changed"]))
    return case(*whens, else_=0)


def _counts_as_education(event: FromClause) -> ColumnElement[bool]:
    return ~and_(event.c.type == _EDUCATION, event.c.relevant.is_(False))


# -- layer 1: facts per participant -----------------------------------------------------------


@dataclass
class _Scope:
    cohort: str | None
    by: Grouping | None
    basis: Basis
    window: tuple[date | None, date | None] | None

    def conditions(self) -> list[ColumnElement[bool]]:
        """Which participants are counted: one cohort, cohorts overlapping a date window."""
        out: list[ColumnElement[bool]] = []
        if self.cohort is not None:
            out.append(_P.c.cohort == self.cohort)
        if self.window is not None:
            start, end = self.window
            if end is not None:
                out.append(_C.c.start <= end)
            if start is not None:
                out.append(_C.c.end >= start)
        return out

    def group_value(self) -> list[ColumnElement[Any]]:
        if self.by is None:
            return []
        column = _C.c.region if self.by == "region" else _P.c[self.by]
        return [column.label("g")]


_WS = func.coalesce(_P.c.joined_on, _C.c.start)
_WE = func.coalesce(_P.c.left_on, _C.c.end)
_PEOPLE = _P.join(_C, _P.c.cohort == _C.c.id)


def _in_window(event: FromClause) -> ColumnElement[bool]:
    """A confirmed event inside the participant's window (``participant``/``cohort`` in scope)."""
    return and_(
        event.c.participant == _P.c.id,
        event.c.status == _CONFIRMED,
        event.c.occurred_on >= _WS,
        event.c.occurred_on <= _WE,
    )


def _surveys() -> tuple[FromClause, FromClause]:
    return _S.alias("r"), _S.alias("b")


def _with_surveys(left: Any, pid: ColumnElement[Any], r: FromClause, b: FromClause) -> Any:
    complete = SurveyStatus.complete.value
    return left.outerjoin(
        r, and_(r.c.participant == pid, r.c.wave == Wave.result.value, r.c.status == complete)
    ).outerjoin(
        b, and_(b.c.participant == pid, b.c.wave == Wave.baseline.value, b.c.status == complete)
    )


def _answer_columns(r: FromClause, b: FromClause) -> list[ColumnElement[Any]]:
    return [
        *(r.c[name].label(f"r_{name}") for name in _ANSWERS),
        b.c.employment.label("b_employment"),
        b.c.interviews_last_2_months.label("b_interviews_last_2_months"),
    ]


def _counted(scope: _Scope, has_r: ColumnElement[bool]) -> ColumnElement[int]:
    return _flag(has_r) if scope.basis == "measured" else literal(1, Integer)


def _fence(query: Select[Any]) -> Select[Any]:
    """Evaluate a subquery once per row instead of merging it into the outer query (which would
    compute a column once per use): ``LIMIT -1`` on SQLite, ``OFFSET 0`` on PostgreSQL."""
    return query.offset(literal_column("0"))


def _event_aggregates(scope: _Scope) -> FromClause:
    """``mask`` and ``interviews`` for everyone at once: one join and one aggregate over E."""
    e = _T.alias("e")
    recent_interview = and_(
        e.c.type == _INTERVIEW, e.c.occurred_on >= _DaysBefore(_WE, INTERVIEW_DAYS - 1)
    )
    return (
        select(
            _P.c.id.label("pid"),
            _BitOr(_event_bit(e)).label("mask"),
            func.sum(_flag(recent_interview)).label("interviews"),
        )
        .select_from(_PEOPLE.join(e, _in_window(e)))
        .where(*scope.conditions())
        .group_by(_P.c.id)
        .subquery("ev")
    )


def _latest_key(types: tuple[str, ...], pid: Any, ws: Any, we: Any, *outer: Any) -> Any:
    """The order key (date, then id) of the latest event of these types in E (a correlated
    subquery; one index seek on ``participant, type, status, occurred_on``)."""
    x = _T.alias("x")
    conditions = [
        x.c.participant == pid,
        x.c.type.in_(types),
        x.c.status == _CONFIRMED,
        x.c.occurred_on >= ws,
        x.c.occurred_on <= we,
    ]
    if _EDUCATION in types:
        conditions.append(_counts_as_education(x))
    return (
        select(func.max(_OrderKey(x.c.occurred_on, x.c.id)))
        .where(*conditions)
        .correlate(*outer)
        .scalar_subquery()
    )


def _attribute(key: ColumnElement[Any], column: str, outer: Any) -> Any:
    """An attribute of the event whose order key is ``key`` (NULL without a key); ``relevant``
    as 1 / 0 / NULL."""
    x = _T.alias("y")
    value = _bool01(x.c.relevant) if column == "relevant" else x.c[column]
    found = (
        select(value)
        .where(x.c.id == _IdOf(key))
        .correlate(outer)
        .scalar_subquery()
    )
    return case((key.is_not(None), found), else_=None)


def _facts(scope: _Scope, plan: Plan) -> FromClause:
    """One row per participant in scope with the answers of R and B and the facts about E.

    ``mask`` and ``interviews`` come from one aggregate over E (``joined``) or from an index
    seek per participant (``correlated``). The latest events are looked up per participant, and
    only where the answer is still open: R does not answer it and the person has the outcome.
    """
    r, b = _surveys()
    has_r = r.c.id.is_not(None)
    counted = true() if scope.basis == "enrolled" else has_r
    people = _with_surveys(_PEOPLE, _P.c.id, r, b)
    interviews_open = or_(
        r.c.interviews_last_2_months.is_(None), b.c.interviews_last_2_months.is_(None)
    )
    if plan == "joined":
        ev = _event_aggregates(scope)
        people = people.outerjoin(ev, ev.c.pid == _P.c.id)
        mask: Any = ev.c.mask
        interviews: Any = ev.c.interviews
    else:
        e = _T.alias("e")
        mask = select(_BitOr(_event_bit(e))).where(_in_window(e)).correlate(_P, _C)
        i = _T.alias("i")
        interviews = (
            select(func.count())
            .where(
                _in_window(i),
                i.c.type == _INTERVIEW,
                i.c.occurred_on >= _DaysBefore(_WE, INTERVIEW_DAYS - 1),
            )
            .correlate(_P, _C)
            .scalar_subquery()
        )
        mask = mask.scalar_subquery()

    # "a job_started not followed by a job_ended": the latest of the two is a job_started
    started = _latest_key((_JOB_STARTED,), _P.c.id, _WS, _WE, _P, _C)
    ended = func.coalesce(_latest_key((_JOB_ENDED,), _P.c.id, _WS, _WE, _P, _C), "")
    employment_open = and_(b.c.employment == "none", r.c.employment.is_(None))
    level1 = _fence(
        select(
            _P.c.id.label("pid"),
            *scope.group_value(),
            _flag(has_r).label("measured"),
            _counted(scope, has_r).label("counted"),
            *_answer_columns(r, b),
            case((counted, func.coalesce(mask, 0)), else_=None).label("mask"),
            case((and_(counted, interviews_open), func.coalesce(interviews, 0)), else_=None).label(
                "interviews"
            ),
            case((and_(counted, employment_open), _flag(started > ended)), else_=None).label(
                "employed_by_events"
            ),
            _WS.label("ws"),
            _WE.label("we"),
        )
        .select_from(people)
        .where(*scope.conditions())
    ).subquery("level1")

    f = level1.c
    outcome = _outcomes(f)
    open_questions = {
        "job": and_(
            outcome["got_job"], or_(f.r_contributed_job.is_(None), f.r_job_relevant.is_(None))
        ),
        "internship": and_(outcome["internship"], f.r_contributed_internship.is_(None)),
        "education": and_(
            outcome["education_started"], f.r_contributed_education_started.is_(None)
        ),
    }
    level2 = _fence(
        select(
            level1,
            *(
                case(
                    (
                        and_(f.counted == 1, condition),
                        _latest_key(_LATEST[kind], f.pid, f.ws, f.we, level1),
                    ),
                    else_=None,
                ).label(f"k_{kind}")
                for kind, condition in open_questions.items()
            ),
        )
    ).subquery("level2")

    g = level2.c
    return (
        select(
            *(c for c in g if c.key not in {f"k_{kind}" for kind in _LATEST}),
            _attribute(g.k_job, "program_contributed", level2).label("job_pc"),
            _attribute(g.k_job, "relevant", level2).label("job_relevant"),
            _attribute(g.k_internship, "program_contributed", level2).label("internship_pc"),
            _attribute(g.k_education, "program_contributed", level2).label("education_pc"),
        )
        .subquery("facts")
    )


# -- layer 2: outcomes per participant --------------------------------------------------------


def _outcomes(f: Any) -> dict[str, ColumnElement[Any]]:
    """The spec's per-participant outcomes as SQL conditions over the facts columns ``f``."""
    employed_at_end = case(
        (f.r_employment.is_not(None), f.r_employment != "none"),
        else_=func.coalesce(f.employed_by_events, 0) == 1,
    )
    got_job = or_(
        and_(f.b_employment == "none", employed_at_end),
        _yes(f.r_job_changed),
        _has(f.mask, _BITS["job_changed"]),
    )
    items = {item: or_(_yes(f[f"r_item_{item}"]), _has(f.mask, _BITS[item])) for item in STEP_ITEMS}
    return {"got_job": got_job, **items}


def _flags(facts: FromClause, by: Grouping | None) -> FromClause:
    """0/1 flags for every outcome of each participant."""
    f = facts.c
    outcome = _outcomes(f)
    interviews_plus_two = case(
        (
            and_(
                f.r_interviews_last_2_months.is_not(None),
                f.b_interviews_last_2_months.is_not(None),
            ),
            f.r_interviews_last_2_months - f.b_interviews_last_2_months >= 2,
        ),
        else_=func.coalesce(f.interviews, 0) - func.coalesce(f.b_interviews_last_2_months, 0)
        >= 2,
    )
    job_relevant = case(
        (f.r_job_relevant.is_not(None), _yes(f.r_job_relevant)),
        else_=func.coalesce(f.job_relevant, 0) == 1,
    )
    return _fence(
        select(
            *([f.g] if by is not None else []),
            f.measured,
            f.counted,
            *(_flag(condition).label(name) for name, condition in outcome.items()),
            _flag(interviews_plus_two).label("interviews_plus_two"),
            func.coalesce(f.r_contributed_job, f.job_pc).label("c_job"),
            func.coalesce(f.r_contributed_internship, f.internship_pc).label("c_internship"),
            func.coalesce(f.r_contributed_education_started, f.education_pc).label(
                "c_education_started"
            ),
            _flag(job_relevant).label("job_relevant"),
        )
    ).subquery("flags")


# -- layer 3: sums per group ------------------------------------------------------------------


def build_query(
    dialect: str,
    *,
    cohort: str | None = None,
    by: Grouping | None = None,
    basis: Basis = "measured",
    window: tuple[date | None, date | None] | None = None,
    plan: Plan | None = None,
) -> Select[Any]:
    """The one statement: per group, ``enrolled``, ``measured`` and ``n_<ind>`` / ``of_<ind>``.

    ``plan`` is ``correlated`` on SQLite and ``joined`` elsewhere unless given (tests run both).
    """
    scope = _Scope(cohort, by, basis, window)
    plan = plan or ("correlated" if dialect == "sqlite" else "joined")
    facts = _facts(scope, plan)
    pf = _flags(facts, by).c

    minor5 = sum((pf[item] for item in MINOR_ITEMS), literal_column("0")) >= 5
    steps = and_(
        pf.got_job == 0,
        or_(pf.internship == 1, pf.education_started == 1, pf.interviews_plus_two == 1, minor5),
    )
    person: dict[str, ColumnElement[Any]] = {
        "got_job": pf.got_job == 1,
        "measurable_steps": steps,
        "job_or_steps": or_(pf.got_job == 1, steps),
        "interviews_plus_two": pf.interviews_plus_two == 1,
        "minor_steps_5_of_8": minor5,
        **{item: pf[item] == 1 for item in STEP_ITEMS},
        "relevant_job_contributed": and_(
            pf.got_job == 1, pf.job_relevant == 1, pf.c_job == "yes"
        ),
    }

    # every count as a 0/1 column per participant, then plain sums per group
    counted = pf.counted == 1
    per_person: list[ColumnElement[Any]] = []
    for name in INDICATORS:
        if name in CONTRIBUTION_INDICATORS:
            outcome_name, key = CONTRIBUTION_INDICATORS[name]
            outcome = person[outcome_name]
            answer = pf[f"c_{key}"]
            per_person.append(_flag(and_(counted, outcome, answer == "yes")).label(f"n_{name}"))
            per_person.append(
                _flag(and_(counted, outcome, answer.is_not(None))).label(f"of_{name}")
            )
        else:
            per_person.append(_flag(and_(counted, person[name])).label(f"n_{name}"))
    pp = _fence(
        select(*([pf.g] if by is not None else []), pf.measured, pf.counted, *per_person)
    ).subquery("per_person")

    columns: list[ColumnElement[Any]] = [
        pp.c.g if by is not None else null().label("g"),
        func.count().label("enrolled"),
        *(
            func.coalesce(func.sum(column), 0).label(column.key)
            for column in pp.c
            if column.key != "g"
        ),
    ]
    query = select(*columns)
    if by is not None:
        query = query.group_by(pp.c.g)
    return query


# -- the JSON ---------------------------------------------------------------------------------


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


def _tune(session: Session, dialect: str) -> None:
    """PostgreSQL: enough memory for the hash aggregates, and no JIT compilation (which costs
    more than it saves for one analytic query), for this transaction only."""
    if dialect == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))


def compute_indicators(
    session: Session,
    *,
    cohort: str | None = None,
    by: Grouping | None = None,
    basis: Basis = "measured",
    window: tuple[date | None, date | None] | None = None,
    plan: Plan | None = None,
) -> dict[str, Any]:
    """The indicators of spec/outcomes.md as its JSON shape (plus ``targets`` where they apply).

    ``cohort`` limits to one cohort (``NotFound`` when it does not exist); ``by`` groups by
    ``gender``, ``cohort``, ``arm``, ``migration_category`` or ``region`` (a missing value is a
    group of its own, key ``null``; groups sorted by value, ``null`` last); ``basis`` is
    ``measured`` or ``enrolled``; ``window`` = (from, to), either ``None`` for open, keeps the
    participants whose cohort's dates overlap it and adds ``from``/``to`` to ``filters``.
    ``plan`` forces one of the two SQL plans (tests); the numbers never depend on it.
    Raises ``Invalid`` for an unknown grouping, basis or plan, or a window that ends before it
    starts.
    """
    if by is not None and by not in GROUPINGS:
        raise Invalid(f"unknown grouping {by!r}; expected one of {', '.join(GROUPINGS)}")
    if basis not in BASES:
        raise Invalid(f"unknown basis {basis!r}; expected one of {', '.join(BASES)}")
    if plan is not None and plan not in PLANS:
        raise Invalid(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")
    if window is not None and window[0] is not None and window[1] is not None:
        if window[1] < window[0]:
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
    statement = build_query(dialect, cohort=cohort, by=by, basis=basis, window=window, plan=plan)
    _tune(session, dialect)
    rows = [dict(row) for row in session.execute(statement).mappings()]
    keys = ["enrolled", "measured", "counted", *(f"n_{name}" for name in INDICATORS)]
    keys += [f"of_{name}" for name in CONTRIBUTION_INDICATORS]
    summed = {k: sum(int(row[k] or 0) for row in rows) for k in keys}

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
