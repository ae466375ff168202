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

:func:`participant_flags` returns layer 2 itself, one row per participant (the study engine's
input, ``outcomes/study.py``): the same facts and flags, so the per-person outcomes and the
indicators can never disagree.

Layers 2 and 3 are shared, and so is most of layer 1. The two plans differ only in how ``mask``
and ``interviews`` are gathered, and give the same numbers: ``correlated`` (the default) reads
each counted participant's window from the index ``ix_event_participant_window`` alone (SQLite
has neither hash joins nor hash aggregates, and on PostgreSQL this measured faster too);
``joined`` joins every event with its participant and aggregates (hash joins and hash aggregates
that PostgreSQL can run in parallel workers). The latest events are looked up per participant
(index ``ix_event_participant_type_date``), and only where the answer is still open: the result
survey does not give it and the person has the outcome. Subqueries are fenced (``LIMIT -1`` /
``OFFSET 0``) so that each per-participant value is computed once, not once per use. Tests run
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
* Group meetings (:func:`group_meeting_attendance`, per cohort, beside the spec's JSON): a
  participant attended a kind when a pair of theirs has a ``Meeting`` of that kind held inside
  their window (the bot's attendance, staff's logging and imports alike); ``of`` is everyone
  enrolled in the cohort.
* ``targets``: with one cohort selected (``total``) or ``by="cohort"`` (each group), each target of
  the cohort is compared with the same numbers shown: ``participants`` with ``enrolled``,
  ``response_rate`` with the response rate, an indicator with its ``share`` on the requested basis
  (``basis="enrolled"`` is the funders' "of all participants" view). ``met`` is actual ≥ target,
  ``null`` when the actual is ``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, CompoundSelect, FromClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from core.vocab import (
    BASES,
    GROUPINGS,
    INDICATORS,
    MENTOR_INDICATORS,
    MINOR_ITEMS,
    STEP_ITEMS,
    TARGET_PARTICIPANTS,
    TARGET_RESPONSE_RATE,
    Basis,
    EventStatus,
    EventType,
    Grouping,
    MeetingKind,
    MentorWave,
    SurveyStatus,
    Wave,
)
from outcomes.errors import Invalid, NotFound
from outcomes.kept_models import KeptOutcome, OutcomeCell
from outcomes.mentor_surveys import MentorSurvey
from outcomes.models import Cohort, Event, Meeting, Mentor, Pair, Participant, Survey
from outcomes.types import table_of

Plan = Literal["joined", "correlated"]
PLANS: tuple[str, ...] = get_args(Plan)
_GROUPING_OF: dict[str, Grouping] = {g: g for g in get_args(Grouping)}
_BASIS_OF: dict[str, Basis] = {b: b for b in get_args(Basis)}


def as_grouping(value: str | None) -> Grouping | None:
    """A grouping given as text (a command's option), checked: ``Invalid`` names the choices."""
    if value is None:
        return None
    if value not in _GROUPING_OF:
        raise Invalid(f"unknown grouping {value!r}; expected one of {', '.join(GROUPINGS)}")
    return _GROUPING_OF[value]


def as_basis(value: str) -> Basis:
    """A basis given as text (a command's option), checked: ``Invalid`` names the choices."""
    if value not in _BASIS_OF:
        raise Invalid(f"unknown basis {value!r}; expected one of {', '.join(BASES)}")
    return _BASIS_OF[value]


CONTRIBUTION_INDICATORS: dict[str, tuple[str, str]] = {
    "job_contributed": ("got_job", "job"),
    "internship_contributed": ("internship", "internship"),
    "education_contributed": ("education_started", "education_started"),
}
"""Contribution indicators: the outcome they are about (their ``of``) and the contribution key."""

DEFAULT_PLAN: Plan = "correlated"
"""Measured faster on both databases at 100,000 participants (see benchmarks/indicators_bench.py);
``joined`` can win where PostgreSQL has idle cores for parallel workers."""

INTERVIEW_DAYS = 61
"""``interviews_plus_two`` without R or B counts interview events in this many last days."""

_T = table_of(Event)
_P = table_of(Participant)
_C = table_of(Cohort)
_S = table_of(Survey)
_K = table_of(KeptOutcome)
_CELL = table_of(OutcomeCell)
_M = table_of(Meeting)
_PAIR = table_of(Pair)
GROUP_MEETING_KINDS: tuple[str, ...] = (
    MeetingKind.kickoff.value,
    MeetingKind.workshop_interview.value,
    MeetingKind.workshop_networking.value,
)

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
    cohorts: tuple[str, ...] | None = None
    participants: Any = None  # ids, or an expanding bindparam

    def conditions(self, cohort_column: Any = None) -> list[ColumnElement[bool]]:
        """Which participants are counted: one cohort, some cohorts, cohorts overlapping a date
        window, some participants (the kept outcomes' refresh). ``cohort_column``: where the
        cohort is read (the participant's, unless given)."""
        column = _P.c.cohort if cohort_column is None else cohort_column
        out: list[ColumnElement[bool]] = []
        if self.cohort is not None:
            out.append(column == self.cohort)
        if self.cohorts is not None:
            out.append(column.in_(self.cohorts))
        if self.participants is not None:
            out.append(_P.c.id.in_(self.participants))
        if self.window is not None:
            start, end = self.window
            if end is not None:
                out.append(_C.c.start <= end)
            if start is not None:
                out.append(_C.c.end >= start)
        return out

    def group_column(self) -> ColumnElement[Any] | None:
        if self.by is None:
            return None
        column: ColumnElement[Any] = _C.c.region if self.by == "region" else _P.c[self.by]
        return column

    def group_value(self) -> list[ColumnElement[Any]]:
        column = self.group_column()
        return [] if column is None else [column.label("g")]


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


def _with_surveys(
    left: Any, pid: ColumnElement[Any], r: FromClause, b: FromClause, *, measured_only: bool
) -> Any:
    """Participants with their result and baseline surveys; ``measured_only`` keeps only those
    with a result survey."""
    complete = SurveyStatus.complete.value
    on_r = and_(r.c.participant == pid, r.c.wave == Wave.result.value, r.c.status == complete)
    with_r = left.join(r, on_r) if measured_only else left.outerjoin(r, on_r)
    return with_r.outerjoin(
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
    """``mask`` and ``interviews`` for everyone at once: one join and one aggregate over E
    (hash join and hash aggregate, which PostgreSQL can spread over parallel workers)."""
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
    return (
        select(func.max(_OrderKey(x.c.occurred_on, x.c.id)))
        .where(*_latest_conditions(x, types, pid, ws, we))
        .correlate(*outer)
        .scalar_subquery()
    )


def _latest_conditions(
    x: FromClause, types: tuple[str, ...], pid: Any, ws: Any, we: Any
) -> list[ColumnElement[bool]]:
    conditions = [
        x.c.participant == pid,
        x.c.type.in_(types),
        x.c.status == _CONFIRMED,
        x.c.occurred_on >= ws,
        x.c.occurred_on <= we,
    ]
    if _EDUCATION in types:
        conditions.append(_counts_as_education(x))
    return conditions


def _employed_by_events(pid: Any, ws: Any, we: Any, *outer: Any) -> Any:
    """1 when the latest ``job_started`` in E comes after the latest ``job_ended`` (or there is
    none), that is: a job_started not followed by a job_ended; else 0."""
    x = _T.alias("j")
    key = _OrderKey(x.c.occurred_on, x.c.id)
    started = func.max(case((x.c.type == _JOB_STARTED, key), else_=None))
    ended = func.coalesce(func.max(case((x.c.type == _JOB_ENDED, key), else_=None)), "")
    return (
        select(_flag(started > ended))
        .where(*_latest_conditions(x, (_JOB_STARTED, _JOB_ENDED), pid, ws, we))
        .correlate(*outer)
        .scalar_subquery()
    )


def _attribute(key: ColumnElement[Any], column: str, outer: Any) -> Any:
    """An attribute of the event whose order key is ``key`` (NULL without a key: no id matches);
    ``relevant`` as 1 / 0 / NULL."""
    x = _T.alias("y")
    value = _bool01(x.c.relevant) if column == "relevant" else x.c[column]
    return select(value).where(x.c.id == _IdOf(key)).correlate(outer).scalar_subquery()


def _facts(scope: _Scope, plan: Plan) -> FromClause:
    """One row per counted participant with the answers of R and B and the facts about E.

    ``mask`` and ``interviews`` come from one aggregate over E (``joined``) or from an index
    seek per participant (``correlated``), only for counted participants (and ``interviews`` only
    where R or B leaves the question open). Whether a ``job_started`` is not followed by a
    ``job_ended`` is looked up only where B says "no work" and R has no employment answer.
    """
    r, b = _surveys()
    has_r = r.c.id.is_not(None)
    counted = true() if scope.basis == "enrolled" else has_r
    # with basis "measured" only the measured are counted; the head count is taken apart
    people = _with_surveys(_PEOPLE, _P.c.id, r, b, measured_only=scope.basis == "measured")
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
    employed = _employed_by_events(_P.c.id, _WS, _WE, _P, _C)
    employment_open = and_(b.c.employment == "none", r.c.employment.is_(None))
    return _fence(
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
            case((and_(counted, employment_open), employed), else_=None).label(
                "employed_by_events"
            ),
            _WS.label("ws"),
            _WE.label("we"),
        )
        .select_from(people)
        .where(*scope.conditions())
    ).subquery("facts")


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


def _flags(facts: FromClause, by: Grouping | None, *, with_pid: bool = False) -> FromClause:
    """0/1 flags for every outcome of each participant, and the contribution answers.

    The latest job / internship / education event is looked up only where the answer is still
    open: the result survey does not give it, and the person is counted and has the outcome.
    """
    f = facts.c
    outcome = _outcomes(f)
    counted = f.counted == 1

    def from_latest(kind: str, column: str) -> Any:
        key = _latest_key(_LATEST[kind], f.pid, f.ws, f.we, facts)
        return _attribute(key, column, facts)

    def answer(given: ColumnElement[Any], kind: str, has_outcome: ColumnElement[Any]) -> Any:
        return case(
            (given.is_not(None), given),
            (and_(counted, has_outcome), from_latest(kind, "program_contributed")),
            else_=None,
        )

    interviews_plus_two = case(
        (
            and_(
                f.r_interviews_last_2_months.is_not(None),
                f.b_interviews_last_2_months.is_not(None),
            ),
            f.r_interviews_last_2_months - f.b_interviews_last_2_months >= 2,
        ),
        else_=func.coalesce(f.interviews, 0) - func.coalesce(f.b_interviews_last_2_months, 0) >= 2,
    )
    job_relevant = case(
        (f.r_job_relevant.is_not(None), _yes(f.r_job_relevant)),
        (and_(counted, outcome["got_job"]), from_latest("job", "relevant") == 1),
        else_=false(),
    )
    return _fence(
        select(
            *([f.pid] if with_pid else []),
            *([f.g] if by is not None else []),
            f.measured,
            f.counted,
            *(_flag(condition).label(name) for name, condition in outcome.items()),
            _flag(interviews_plus_two).label("interviews_plus_two"),
            answer(f.r_contributed_job, "job", outcome["got_job"]).label("c_job"),
            answer(f.r_contributed_internship, "internship", outcome["internship"]).label(
                "c_internship"
            ),
            answer(
                f.r_contributed_education_started, "education", outcome["education_started"]
            ).label("c_education_started"),
            _flag(job_relevant).label("job_relevant"),
        )
    ).subquery("flags")


# -- layer 3: sums per group ------------------------------------------------------------------


def _person(pf: Any) -> dict[str, ColumnElement[Any]]:
    """Each outcome of the spec as a condition over one participant's flags (layer 2)."""
    minor5 = sum((pf[item] for item in MINOR_ITEMS), literal_column("0")) >= 5
    steps = and_(
        pf.got_job == 0,
        or_(pf.internship == 1, pf.education_started == 1, pf.interviews_plus_two == 1, minor5),
    )
    return {
        "got_job": pf.got_job == 1,
        "measurable_steps": steps,
        "job_or_steps": or_(pf.got_job == 1, steps),
        "interviews_plus_two": pf.interviews_plus_two == 1,
        "minor_steps_5_of_8": minor5,
        **{item: pf[item] == 1 for item in STEP_ITEMS},
        "relevant_job_contributed": and_(pf.got_job == 1, pf.job_relevant == 1, pf.c_job == "yes"),
    }


def _count_names() -> tuple[str, ...]:
    names = ["measured", "counted"]
    for name in INDICATORS:
        names.append(f"n_{name}")
        if name in CONTRIBUTION_INDICATORS:
            names.append(f"of_{name}")
    return tuple(names)


COUNT_BITS: dict[str, int] = {name: 1 << k for k, name in enumerate(_count_names())}
"""Every count of a group as one bit of one integer per participant (27 bits: fits an
INTEGER): ``measured``, ``counted``, ``n_<indicator>`` and ``of_<contribution indicator>``.
People with the same bits are counted together; each count is the sum over the bit patterns
that have its bit."""


def _person_counts(pf: Any) -> dict[str, ColumnElement[Any]]:
    """The condition of each bit of ``COUNT_BITS`` over one participant's flags (layer 2)."""
    person = _person(pf)
    counted = pf.counted == 1
    conditions: dict[str, ColumnElement[Any]] = {"measured": pf.measured == 1, "counted": counted}
    for name in INDICATORS:
        if name in CONTRIBUTION_INDICATORS:
            outcome_name, key = CONTRIBUTION_INDICATORS[name]
            answer = pf[f"c_{key}"]
            conditions[f"n_{name}"] = and_(counted, person[outcome_name], answer == "yes")
            conditions[f"of_{name}"] = and_(counted, person[outcome_name], answer.is_not(None))
        else:
            conditions[f"n_{name}"] = and_(counted, person[name])
    assert tuple(conditions) == tuple(COUNT_BITS)  # noqa: S101  (one order, built above)
    return conditions


def _bits(pf: Any) -> ColumnElement[int]:
    """One participant's ``COUNT_BITS`` as one integer."""
    conditions = _person_counts(pf)
    return sum((_flag(c) * COUNT_BITS[name] for name, c in conditions.items()), literal_column("0"))


def build_query(
    dialect: str,
    *,
    cohort: str | None = None,
    by: Grouping | None = None,
    basis: Basis = "measured",
    window: tuple[date | None, date | None] | None = None,
    plan: Plan | None = None,
    cohorts: tuple[str, ...] | None = None,
) -> Select[Any] | CompoundSelect[Any]:
    """The one statement: per group, ``enrolled``, ``measured`` and ``n_<ind>`` / ``of_<ind>``.

    ``plan``: ``DEFAULT_PLAN`` unless given (tests run both; the numbers never depend on it).
    With ``basis="measured"`` the head count (``enrolled``, ``measured``) comes from a second,
    light ``SELECT`` joined by ``UNION ALL``: a group may then have two rows, to be added up.
    """
    scope = _Scope(cohort, by, basis, window, cohorts)
    plan = plan or DEFAULT_PLAN
    facts = _facts(scope, plan)
    pf = _flags(facts, by).c
    bit = COUNT_BITS
    group = [pf.g] if by is not None else []
    pp = _fence(select(*group, _bits(pf).label("bits"))).subquery("per_person")
    pattern_group = [pp.c.g] if by is not None else []
    patterns = (
        select(*pattern_group, pp.c.bits, func.count().label("people"))
        .group_by(*pattern_group, pp.c.bits)
        .subquery("patterns")
    )
    headcount_apart = basis == "measured"
    columns: list[ColumnElement[Any]] = [
        patterns.c.g if by is not None else null().label("g"),
        literal(0, Integer).label("enrolled")
        if headcount_apart
        else func.coalesce(func.sum(patterns.c.people), 0).label("enrolled"),
        *(
            literal(0, Integer).label(name)
            if headcount_apart and name == "measured"
            else func.coalesce(
                func.sum(case((patterns.c.bits.op("&")(b) != 0, patterns.c.people), else_=0)), 0
            ).label(name)
            for name, b in bit.items()
        ),
    ]
    query = select(*columns)
    if by is not None:
        query = query.group_by(patterns.c.g)
    if not headcount_apart:
        return query
    # everyone in scope: enrolled and measured (the flags above cover the measured only)
    r = _S.alias("rh")
    people = _with_surveys(_PEOPLE, _P.c.id, r, _S.alias("bh"), measured_only=False)
    head = scope.group_column()
    headcount = (
        select(
            head.label("g") if head is not None else null().label("g"),
            func.count().label("enrolled"),
            func.count(r.c.id).label("measured"),
            *(literal(0, Integer).label(name) for name in bit if name != "measured"),
        )
        .select_from(people)
        .where(*scope.conditions())
    )
    if head is not None:
        headcount = headcount.group_by(head)
    return union_all(query, headcount)


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
        if key == TARGET_PARTICIPANTS:
            actual: float | int | None = block["enrolled"]
            if isinstance(target, float) and target.is_integer():
                target = int(target)  # stored as a JSON number; a head count reads as one
        elif key == TARGET_RESPONSE_RATE:
            actual = block["response_rate"]
        elif key in block["indicators"]:
            actual = block["indicators"][key]["share"]
        else:
            actual = None
        met = None if actual is None or target is None else actual >= target
        out[key] = {"target": target, "actual": actual, "met": met}
    return out


def group_sort_key(value: Any) -> tuple[int, str]:
    """The order of the groups: by value as text, a missing value (``None``) last."""
    return (1, "") if value is None else (0, str(value))


def _tune(session: Session, dialect: str) -> None:
    """PostgreSQL: enough memory for the hash aggregates, and no JIT compilation (which costs
    more than it saves for one analytic query), for this transaction only."""
    if dialect == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))


def build_kept_query(participants: Any = None) -> Select[Any]:
    """One row per participant (all, or those given): ``participant`` and ``bits``, their
    ``COUNT_BITS`` on the ``enrolled`` basis — layers 1 and 2 of the indicators' statement and
    the per-person bits of layer 3, what ``outcomes/kept.py`` keeps in ``participant_outcome``.

    ``participants``: ids, or an expanding ``bindparam`` (a statement built once, executed for
    any list of people)."""
    scope = _Scope(None, None, "enrolled", None, participants=participants)
    pf = _flags(_facts(scope, DEFAULT_PLAN), None, with_pid=True).c
    return select(pf.pid.label("participant"), _bits(pf).label("bits"))


_CELL_GROUPINGS = (None, "cohort", "gender", "region")
"""Groupings the kept cells (per cohort and gender) answer; the others add up the people."""


def _kept_rows(session: Session, scope: _Scope) -> list[dict[str, Any]]:
    """The rows of :func:`build_query` from the kept outcomes (``outcomes/kept.py``).

    By cohort, gender or region (or none): a GROUP BY over ``outcome_cell``, the kept rows
    added up per cohort, gender and basis. Otherwise a GROUP BY over one row per person
    (``participant_outcome``), each count a sum over the bits: the kept bits are judged on the
    ``enrolled`` basis, and on the ``measured`` basis a person counts only with their
    ``measured`` bit (a measured person's flags are the same on both bases: only who is
    counted differs).
    """
    if scope.by in _CELL_GROUPINGS:
        cell = _CELL
        head: ColumnElement[Any] | None = {
            None: None,
            "cohort": cell.c.cohort,
            "gender": cell.c.gender,
            "region": _C.c.region,
        }[scope.by]
        wanted = [cell.c.basis == scope.basis, *scope.conditions(cell.c.cohort)]
        people = func.coalesce(func.sum(cell.c.people), 0)
        query = (
            select(
                head.label("g") if head is not None else null().label("g"),
                people.label("enrolled"),
                *(func.coalesce(func.sum(cell.c[name]), 0).label(name) for name in COUNT_BITS),
            )
            .select_from(cell.join(_C, _C.c.id == cell.c.cohort))
            .where(*wanted)
        )
        if head is not None:
            query = query.group_by(head).having(people > 0)
        return [dict(row) for row in session.execute(query).mappings()]
    head = scope.group_column()
    measured = COUNT_BITS["measured"]
    columns: list[ColumnElement[Any]] = [
        head.label("g") if head is not None else null().label("g"),
        func.count().label("enrolled"),
    ]
    for name, b in COUNT_BITS.items():
        mask = b if scope.basis == "enrolled" else b | measured
        columns.append(func.sum(_flag(_K.c.bits.op("&")(mask) == mask)).label(name))
    query = (
        select(*columns)
        .select_from(_K.join(_P, _P.c.id == _K.c.participant).join(_C, _C.c.id == _P.c.cohort))
        .where(*scope.conditions())
    )
    if head is not None:
        query = query.group_by(head)
    return [dict(row) for row in session.execute(query).mappings()]


def compute_indicators(
    session: Session,
    *,
    cohort: str | None = None,
    by: Grouping | None = None,
    basis: Basis = "measured",
    window: tuple[date | None, date | None] | None = None,
    plan: Plan | None = None,
    cohorts: Sequence[str] | None = None,
    kept: bool = False,
) -> dict[str, Any]:
    """The indicators of spec/outcomes.md as its JSON shape (plus ``targets`` where they apply).

    ``cohort`` limits to one cohort (``NotFound`` when it does not exist); ``by`` groups by
    ``gender``, ``cohort``, ``arm``, ``migration_category`` or ``region`` (a missing value is a
    group of its own, key ``null``; groups sorted by value, ``null`` last); ``basis`` is
    ``measured`` or ``enrolled``; ``window`` = (from, to), either ``None`` for open, keeps the
    participants whose cohort's dates overlap it and adds ``from``/``to`` to ``filters``.
    ``plan`` forces one of the two SQL plans (tests); the numbers never depend on it.
    ``cohorts`` limits to several cohorts (the round report's ``--cohort A --cohort B``; each must
    exist, else ``NotFound``) and adds ``cohorts`` to ``filters``; one cohort given this way is
    the same as ``cohort`` (with its targets).
    ``kept=True`` adds up the kept per-participant outcomes (``participant_outcome``, kept by
    every write; the same numbers, a GROUP BY over one row per person) instead of computing
    them from the records (``plan`` is then not used).
    Raises ``Invalid`` for an unknown grouping, basis or plan, or a window that ends before it
    starts.
    """
    if cohorts is not None:
        chosen = tuple(dict.fromkeys(cohorts))
        if cohort is None and len(chosen) == 1:
            cohort, chosen = chosen[0], ()
        if chosen:
            known = set(session.execute(select(_C.c.id).where(_C.c.id.in_(chosen))).scalars())
            missing = [c for c in chosen if c not in known]
            if missing:
                raise NotFound(f"cohort {missing[0]!r} does not exist")
        cohorts = chosen or None
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

    if kept:
        scope = _Scope(cohort, by, basis, window, tuple(cohorts) if cohorts else None)
        rows = _kept_rows(session, scope)
    else:
        dialect = session.get_bind().dialect.name
        statement = build_query(
            dialect,
            cohort=cohort,
            by=by,
            basis=basis,
            window=window,
            plan=plan,
            cohorts=tuple(cohorts) if cohorts else None,
        )
        _tune(session, dialect)
        rows = [dict(row) for row in session.execute(statement).mappings()]
    keys = ["enrolled", "measured", "counted", *(f"n_{name}" for name in INDICATORS)]
    keys += [f"of_{name}" for name in CONTRIBUTION_INDICATORS]
    summed = {k: sum(int(row[k] or 0) for row in rows) for k in keys}
    per_group: dict[Any, dict[str, int]] = {}
    for row in rows:  # a few rows: at most two per group
        into = per_group.setdefault(row["g"], dict.fromkeys(keys, 0))
        for k in keys:
            into[k] += int(row[k] or 0)

    filters: dict[str, Any] = {"cohort": cohort, "basis": basis}
    if cohorts:
        filters["cohorts"] = list(cohorts)
    if window is not None:
        filters["from"] = window[0].isoformat() if window[0] else None
        filters["to"] = window[1].isoformat() if window[1] else None
    result: dict[str, Any] = {"filters": filters, "total": _block(summed), "groups": []}
    if cohort is not None:
        attained = _attainment(targets.get(cohort), result["total"])
        if attained is not None:
            result["total"]["targets"] = attained
    if by is not None:
        for value in sorted(per_group, key=group_sort_key):
            group = {"key": {by: value}, **_block(per_group[value])}
            if by == "cohort":
                attained = _attainment(targets.get(value), group)
                if attained is not None:
                    group["targets"] = attained
            result["groups"].append(group)
    return result


# -- group meetings ---------------------------------------------------------------------------


def build_group_meeting_query(scope: _Scope) -> Select[Any]:
    """Per cohort in scope: ``enrolled`` and, per group meeting kind, ``n_<kind>`` — the
    participants with a ``Meeting`` of that kind for a pair of theirs inside their window."""

    def attended(kind: str) -> ColumnElement[int]:
        found = (
            select(literal(1))
            .select_from(_M.join(_PAIR, _M.c.pair == _PAIR.c.id))
            .where(
                _PAIR.c.participant == _P.c.id,
                _M.c.kind == kind,
                _M.c.held_on >= _WS,
                _M.c.held_on <= _WE,
            )
            .exists()
        )
        return func.coalesce(func.sum(case((found, 1), else_=0)), 0).label(f"n_{kind}")

    return (
        select(
            _P.c.cohort.label("cohort"),
            func.count().label("enrolled"),
            *(attended(kind) for kind in GROUP_MEETING_KINDS),
        )
        .select_from(_PEOPLE)
        .where(*scope.conditions())
        .group_by(_P.c.cohort)
        .order_by(_P.c.cohort)
    )


def group_meeting_attendance(
    session: Session,
    *,
    cohort: str | None = None,
    window: tuple[date | None, date | None] | None = None,
) -> dict[str, Any]:
    """Per cohort (by id; one with ``cohort``, those overlapping ``window``), ``enrolled`` and
    for each group meeting kind the ``n`` / ``of`` / ``share`` of participants who attended one.

    ``{"filters": {...}, "cohorts": [{"cohort": "c-1", "enrolled": 30, "kickoff": {"n": 21,
    "of": 30, "share": 0.7}, "workshop_interview": {...}, "workshop_networking": {...}}]}``
    """
    if cohort is not None and session.get(Cohort, cohort) is None:
        raise NotFound(f"cohort {cohort!r} does not exist")
    if window is not None and window[0] is not None and window[1] is not None:
        if window[1] < window[0]:
            raise Invalid(f"the date window ends ({window[1]}) before it starts ({window[0]})")
    scope = _Scope(cohort=cohort, by=None, basis="enrolled", window=window)
    filters: dict[str, Any] = {"cohort": cohort}
    if window is not None:
        filters["from"] = window[0].isoformat() if window[0] else None
        filters["to"] = window[1].isoformat() if window[1] else None
    return {"filters": filters, "cohorts": _group_meetings(session, scope)}


def _group_meetings(session: Session, scope: _Scope) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in session.execute(build_group_meeting_query(scope)).mappings():
        enrolled = int(row["enrolled"])
        entry: dict[str, Any] = {"cohort": row["cohort"], "enrolled": enrolled}
        for kind in GROUP_MEETING_KINDS:
            n = int(row[f"n_{kind}"])
            entry[kind] = {"n": n, "of": enrolled, "share": share(n, enrolled)}
        out.append(entry)
    return out


# -- per participant --------------------------------------------------------------------------

PERSON_FLAGS: tuple[str, ...] = (
    "got_job",
    "measurable_steps",
    "job_or_steps",
    "internship",
    "education_started",
    "interviews_plus_two",
    "minor_steps_5_of_8",
    *MINOR_ITEMS,
)
"""The per-participant outcomes :func:`participant_flags` returns (those a study compares)."""


def build_participant_query(
    *,
    cohorts: tuple[str, ...] | None = None,
    basis: Basis = "measured",
    plan: Plan | None = None,
) -> Select[Any]:
    """One row per counted participant: ``participant``, ``measured`` and a 0/1 column for each
    of ``PERSON_FLAGS`` — layers 1 and 2 of the indicators' statement, without the sums."""
    scope = _Scope(None, None, basis, None, tuple(cohorts) if cohorts is not None else None)
    facts = _facts(scope, plan or DEFAULT_PLAN)
    pf = _flags(facts, None, with_pid=True).c
    person = _person(pf)
    return select(
        pf.pid.label("participant"),
        pf.measured,
        *(_flag(person[name]).label(name) for name in PERSON_FLAGS),
    ).order_by(pf.pid)


def participant_flags(
    session: Session,
    *,
    cohorts: list[str] | tuple[str, ...] | None = None,
    basis: Basis = "measured",
    plan: Plan | None = None,
) -> list[dict[str, Any]]:
    """Each participant's outcomes from the one engine: a dict per counted participant (by id)
    with ``participant``, ``measured`` (0/1) and 0/1 for each of ``PERSON_FLAGS``.

    ``cohorts`` limits to those cohorts (all when ``None``); with ``basis="measured"`` only the
    measured are returned, with ``"enrolled"`` everyone, judged as the indicators judge them.
    Summing a flag over the rows gives the ``n`` of that indicator in ``compute_indicators``.
    """
    if basis not in BASES:
        raise Invalid(f"unknown basis {basis!r}; expected one of {', '.join(BASES)}")
    if plan is not None and plan not in PLANS:
        raise Invalid(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")
    dialect = session.get_bind().dialect.name
    statement = build_participant_query(
        cohorts=tuple(cohorts) if cohorts is not None else None, basis=basis, plan=plan
    )
    _tune(session, dialect)
    return [dict(row) for row in session.connection().execute(statement).mappings().all()]


# -- the mentors (issue 13) -------------------------------------------------------------------

_MENTOR = table_of(Mentor)
_MS = table_of(MentorSurvey)
MENTOR_SCALE_OF: dict[str, str] = {
    "mentor_more_contact": "contact_newcomers",
    "mentor_more_knowledge": "integration_knowledge",
    "mentor_more_engagement": "integration_engagement",
}
"""The indicators that compare a mentor's answer at the end with their answer at the start."""
SATISFIED_FROM = 4  # satisfaction 4 or 5 of 5


def build_mentor_query(
    cohort: str | None = None, cohorts: Sequence[str] | None = None
) -> Select[Any]:
    """Per cohort: ``mentors``, ``measured`` (a complete end wave) and ``n_<ind>`` / ``of_<ind>``
    of every mentor indicator, in one statement (``cohort`` or ``cohorts``: only those)."""
    s = _MS.alias("ms_start")
    e = _MS.alias("ms_end")
    complete = SurveyStatus.complete.value
    people = _MENTOR.outerjoin(
        s,
        and_(
            s.c.person == _MENTOR.c.id,
            s.c.wave == MentorWave.mentor_start.value,
            s.c.status == complete,
        ),
    ).outerjoin(
        e,
        and_(
            e.c.person == _MENTOR.c.id,
            e.c.wave == MentorWave.mentor_end.value,
            e.c.status == complete,
        ),
    )
    columns: list[ColumnElement[Any]] = [
        _MENTOR.c.cohort.label("cohort"),
        func.count().label("mentors"),
        func.count(e.c.id).label("measured"),
    ]
    for name, scale in MENTOR_SCALE_OF.items():
        both = and_(s.c[scale].is_not(None), e.c[scale].is_not(None))
        columns.append(func.sum(_flag(and_(both, e.c[scale] > s.c[scale]))).label(f"n_{name}"))
        columns.append(func.sum(_flag(both)).label(f"of_{name}"))
    columns += [
        func.sum(_flag(e.c.satisfaction >= SATISFIED_FROM)).label("n_mentor_satisfied"),
        func.sum(_flag(e.c.satisfaction.is_not(None))).label("of_mentor_satisfied"),
        func.sum(_flag(e.c.mentor_again == "yes")).label("n_mentor_would_again"),
        func.sum(_flag(e.c.mentor_again.is_not(None))).label("of_mentor_would_again"),
    ]
    query = select(*columns).select_from(people).group_by(_MENTOR.c.cohort)
    if cohort is not None:
        query = query.where(_MENTOR.c.cohort == cohort)
    if cohorts is not None:
        query = query.where(_MENTOR.c.cohort.in_(list(cohorts)))
    return query


def _mentor_block(row: dict[str, int]) -> dict[str, Any]:
    return {
        "mentors": row["mentors"],
        "measured": row["measured"],
        "response_rate": share(row["measured"], row["mentors"]),
        "indicators": {
            name: {
                "n": row[f"n_{name}"],
                "of": row[f"of_{name}"],
                "share": share(row[f"n_{name}"], row[f"of_{name}"]),
            }
            for name in MENTOR_INDICATORS
        },
    }


def compute_mentor_indicators(
    session: Session, *, cohort: str | None = None, cohorts: Sequence[str] | None = None
) -> dict[str, Any]:
    """What the mentors gain, from their own survey: the share of mentors who report more
    contact with people new to Sweden, more knowledge of integration and more engagement in it
    (a higher answer at the end than at the start, of those who answered both), who are
    satisfied (4 or 5 of 5) and who would mentor again (``yes`` of those who answered).

    ``{"filters": {"cohort"}, "total": block, "groups": [{"key": {"cohort": id}, **block}]}``,
    a block being ``mentors``, ``measured`` (a complete end wave), ``response_rate`` and
    ``indicators`` (``n`` / ``of`` / ``share``, rounded as :func:`share`). Only complete waves
    count, as for the participants' surveys. ``cohorts`` limits to several cohorts (the round
    report's cohorts in scope; ``filters`` then has ``cohorts``). ``NotFound`` for an unknown
    cohort.
    """
    for wanted in [cohort] if cohort is not None else list(cohorts or ()):
        if session.get(Cohort, wanted) is None:
            raise NotFound(f"cohort {wanted!r} does not exist")
    query = build_mentor_query(cohort, cohorts)
    rows = [dict(r) for r in session.execute(query).mappings()]
    keys = ["mentors", "measured"]
    keys += [f"{p}_{name}" for name in MENTOR_INDICATORS for p in ("n", "of")]
    clean = [{"cohort": r["cohort"], **{k: int(r[k] or 0) for k in keys}} for r in rows]
    total = {k: sum(r[k] for r in clean) for k in keys}
    filters: dict[str, Any] = {"cohort": cohort}
    if cohorts is not None:
        filters["cohorts"] = list(cohorts)
    return {
        "filters": filters,
        "total": _mentor_block(total),
        "groups": [
            {"key": {"cohort": r["cohort"]}, **_mentor_block(r)}
            for r in sorted(clean, key=lambda r: str(r["cohort"]))
        ],
    }
