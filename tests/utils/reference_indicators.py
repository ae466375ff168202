"""An independent, deliberately plain implementation of spec/outcomes.md, for tests only.

It reads import records (the dicts of a JSON Lines import file, in file order), applies the import
rules (records keyed by ``id``, surveys by participant + wave, a later line replaces an earlier one)
and computes the indicators person by person in Python, transcribing the spec sentence by sentence.
The SQL engine (``outcomes.indicators``) must give exactly the same JSON.

Where the spec leaves room, this follows the decisions documented in ``outcomes/indicators.py``:
a missing survey answer is treated like a missing survey for the rule that uses it; "the last 61
days of the window" are ``end - 60 … end``; shares are rounded half-up on the exact fraction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

MINOR_ITEMS = (
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
)
STEP_ITEMS = ("internship", "education_started", *MINOR_ITEMS)
EVENT_OF_ITEM = {"internship": "internship_started", **{i: i for i in STEP_ITEMS[1:]}}
ORDER = [
    "got_job",
    "measurable_steps",
    "job_or_steps",
    "network_expanded",
    "internship",
    "education_started",
    "interviews_plus_two",
    "minor_steps_5_of_8",
    "cv_improved",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
    "job_contributed",
    "internship_contributed",
    "education_contributed",
    "relevant_job_contributed",
]


@dataclass
class Store:
    """The database state after importing the records."""

    cohorts: dict[str, dict[str, Any]]
    participants: dict[str, dict[str, Any]]
    surveys: dict[tuple[str, str], dict[str, Any]]
    events: dict[str, dict[str, Any]]
    events_of: dict[str, list[dict[str, Any]]] | None = None

    def events_for(self, pid: str) -> list[dict[str, Any]]:
        """The stored events of one participant (every status, every date)."""
        if self.events_of is None:
            self.events_of = {}
            for e in self.events.values():
                self.events_of.setdefault(e["participant"], []).append(e)
        return self.events_of.get(pid, [])


def load(records: Iterable[dict[str, Any]]) -> Store:
    """Apply the records in order; the last line for a key wins."""
    store = Store({}, {}, {}, {})
    for rec in records:
        kind = rec["kind"]
        if kind == "cohort":
            store.cohorts[rec["id"]] = rec
        elif kind == "participant":
            store.participants[rec["id"]] = rec
        elif kind == "survey":
            store.surveys[(rec["participant"], rec["wave"])] = rec
        elif kind == "event":
            store.events[rec["id"]] = rec
    return store


def _d(value: str) -> date:
    return date.fromisoformat(value)


def _share(n: int, of: int) -> float | None:
    if of == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return float((Decimal(n) / Decimal(of)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def person_outcomes(store: Store, pid: str) -> dict[str, Any]:
    """Everything the indicators need about one participant, straight from the spec."""
    p = store.participants[pid]
    cohort = store.cohorts[p["cohort"]]
    start = _d(p.get("joined_on") or cohort["start"])
    end = _d(p.get("left_on") or cohort["end"])

    R = store.surveys.get((pid, "result"))
    B = store.surveys.get((pid, "baseline"))
    r = R["answers"] if R else None
    b = B["answers"] if B else None

    E = [
        e
        for e in store.events_for(pid)
        if e.get("status", "confirmed") == "confirmed" and start <= _d(e["occurred_on"]) <= end
    ]
    E.sort(key=lambda e: (e["occurred_on"], e["id"]))  # ISO dates sort as text; ids plain order

    def attr(e: dict[str, Any], name: str) -> Any:
        return (e.get("attributes") or {}).get(name)

    def of_type(*types: str) -> list[dict[str, Any]]:
        return [e for e in E if e["type"] in types]

    def education_counts(e: dict[str, Any]) -> bool:
        return attr(e, "relevant") is not False

    # got_job (a): employed at the end after no work at the start
    if r is not None and r.get("employment") is not None:
        employed_at_end = r["employment"] != "none"
    else:
        employed_at_end = False
        for i, e in enumerate(E):
            if e["type"] == "job_started" and not any(x["type"] == "job_ended" for x in E[i + 1 :]):
                employed_at_end = True
    a = b is not None and b.get("employment") == "none" and employed_at_end
    # got_job (b): changed job
    changed = bool(r and r.get("job_changed") is True) or bool(of_type("job_changed"))
    got_job = a or changed

    items: dict[str, bool] = {}
    for item in STEP_ITEMS:
        said = bool(r and (r.get("items") or {}).get(item) is True)
        happened = [e for e in of_type(EVENT_OF_ITEM[item])]
        if item == "education_started":
            happened = [e for e in happened if education_counts(e)]
        items[item] = said or bool(happened)

    r_int = r.get("interviews_last_2_months") if r else None
    b_int = b.get("interviews_last_2_months") if b else None
    if r_int is not None and b_int is not None:
        plus_two = r_int - b_int >= 2
    else:
        first_counted_day = end - timedelta(days=60)  # the 61 days ending on the window's end
        recent = [
            e for e in of_type("interview_attended") if _d(e["occurred_on"]) >= first_counted_day
        ]
        plus_two = len(recent) - (b_int or 0) >= 2

    minor5 = sum(items[i] for i in MINOR_ITEMS) >= 5
    steps = not got_job and (
        items["internship"] or items["education_started"] or plus_two or minor5
    )

    def contribution(key: str, events: list[dict[str, Any]]) -> str | None:
        answer = ((r or {}).get("program_contributed") or {}).get(key)
        if answer is not None:
            return answer
        return attr(events[-1], "program_contributed") if events else None

    job_events = of_type("job_started", "job_changed")
    c_job = contribution("job", job_events)
    c_internship = contribution("internship", of_type("internship_started"))
    c_education = contribution(
        "education_started", [e for e in of_type("education_started") if education_counts(e)]
    )
    if r is not None and r.get("job_relevant") is not None:
        relevant = r["job_relevant"] is True
    else:
        relevant = bool(job_events) and attr(job_events[-1], "relevant") is True

    return {
        "measured": R is not None,
        "got_job": got_job,
        "measurable_steps": steps,
        "job_or_steps": got_job or steps,
        "interviews_plus_two": plus_two,
        "minor_steps_5_of_8": minor5,
        **items,
        "c_job": c_job,
        "c_internship": c_internship,
        "c_education_started": c_education,
        "relevant_job_contributed": got_job and relevant and c_job == "yes",
    }


def _block(people: list[dict[str, Any]], basis: str) -> dict[str, Any]:
    enrolled = len(people)
    measured = sum(1 for x in people if x["measured"])
    counted = people if basis == "enrolled" else [x for x in people if x["measured"]]
    indicators: dict[str, dict[str, Any]] = {}
    for name in ORDER:
        if name.endswith("_contributed") and name != "relevant_job_contributed":
            outcome, key = {
                "job_contributed": ("got_job", "c_job"),
                "internship_contributed": ("internship", "c_internship"),
                "education_contributed": ("education_started", "c_education_started"),
            }[name]
            with_outcome = [x for x in counted if x[outcome]]
            answered = [x for x in with_outcome if x[key] is not None]
            n = sum(1 for x in answered if x[key] == "yes")
            of = len(answered)
        else:
            n = sum(1 for x in counted if x[name])
            of = len(counted)
        indicators[name] = {"n": n, "of": of, "share": _share(n, of)}
    return {
        "enrolled": enrolled,
        "measured": measured,
        "response_rate": _share(measured, enrolled),
        "indicators": indicators,
    }


def _targets(targets: dict[str, Any] | None, block: dict[str, Any]) -> dict[str, Any] | None:
    if not targets:
        return None
    out = {}
    for key, target in targets.items():
        if key == "participants":
            actual = block["enrolled"]
        elif key == "response_rate":
            actual = block["response_rate"]
        else:
            actual = block["indicators"].get(key, {}).get("share")
        out[key] = {
            "target": target,
            "actual": actual,
            "met": None if actual is None else actual >= target,
        }
    return out


def reference_indicators(
    records: Iterable[dict[str, Any]],
    *,
    cohort: str | None = None,
    by: str | None = None,
    basis: str = "measured",
    window: tuple[date | None, date | None] | None = None,
) -> dict[str, Any]:
    """The spec's JSON for the state after importing ``records``."""
    store = load(records)
    chosen = []
    for pid, p in store.participants.items():
        c = store.cohorts[p["cohort"]]
        if cohort is not None and p["cohort"] != cohort:
            continue
        if window is not None:
            lo, hi = window
            if hi is not None and _d(c["start"]) > hi:
                continue
            if lo is not None and _d(c["end"]) < lo:
                continue
        chosen.append(pid)
    people = {pid: person_outcomes(store, pid) for pid in chosen}

    filters: dict[str, Any] = {"cohort": cohort, "basis": basis}
    if window is not None:
        filters["from"] = window[0].isoformat() if window[0] else None
        filters["to"] = window[1].isoformat() if window[1] else None
    out: dict[str, Any] = {
        "filters": filters,
        "total": _block(list(people.values()), basis),
        "groups": [],
    }
    if cohort is not None:
        t = _targets(store.cohorts[cohort].get("targets"), out["total"])
        if t is not None:
            out["total"]["targets"] = t
    if by is not None:

        def key_of(pid: str) -> Any:
            p = store.participants[pid]
            if by == "region":
                return store.cohorts[p["cohort"]].get("region")
            if by == "arm":
                return p.get("arm") or "intervention"
            return p.get(by)

        groups: dict[Any, list[dict[str, Any]]] = {}
        for pid in chosen:
            groups.setdefault(key_of(pid), []).append(people[pid])
        for value in sorted(groups, key=lambda v: (v is None, v or "")):
            block = {"key": {by: value}, **_block(groups[value], basis)}
            if by == "cohort":
                t = _targets(store.cohorts[value].get("targets"), block)
                if t is not None:
                    block["targets"] = t
            out["groups"].append(block)
    return out
