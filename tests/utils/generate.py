"""Realistic import records for tests and benchmarks, in the spec's JSON Lines format.

``generate_records(n, seed=…)`` yields the lines of an import file as dicts (``kind`` first), shaped
like the seed report (about 80 % women, ten rounds for 511 people, a study with a control arm) and
seeded with every edge the indicator rules have:

* program windows: ``joined_on`` / ``left_on`` overrides, one-day windows, events on the first and
  the last day and one day outside on either side;
* voided events, events replaced by a later line with the same id (other type, date or status),
  duplicate lines, surveys replaced by a later line;
* missing baseline or result surveys, surveys with unanswered questions, in-progress waves absent;
* interview deltas around +2, both by surveys and by ``interview_attended`` events at the edge of
  the last 61 days of the window (``end − 60`` counts, ``end − 61`` does not);
* exactly four and exactly five of the eight minor items, mixing survey items and events;
* ``education_started`` with ``relevant`` true, false and absent; ``job_started`` followed by
  ``job_ended`` (also on the same day, ordered by ids whose order depends on the collation);
* contributions from the result survey and from the latest event; ties on the same day;
* control arm, migration categories (and none), regions (and none), cohort targets.

``generate_lines`` serialises the same records as JSON Lines. Everything is deterministic per seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

MINOR = (
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
)
ITEMS = ("internship", "education_started", *MINOR)
ITEM_EVENT = {"internship": "internship_started", **{i: i for i in ITEMS if i != "internship"}}
REGIONS = ("Stockholm", "Stockholm", "Göteborg", "Malmö", "Uppsala", None)
GENDERS = (("woman", 0.79), ("man", 0.19), ("other", 0.01), ("unspecified", 0.01))
MIGRATION = ("family", "quota_refugee", "temporary_protection", "other", None)
FIELDS = ("IT", "vård", "ekonomi", "teknik", "utbildning", "juridik", "bygg", None)
LANGS = ("ar", "fa", "uk", "so", "ti", "sv", "en", None)
CONTRIB = ("yes", "yes", "yes", "no", "unsure", None)
SCENARIOS = (
    "job_then_ended",
    "ended_then_job",
    "same_day_start_end",
    "education_relevance",
    "interviews_by_events",
    "interviews_by_surveys",
    "minor_four_or_five",
    "contribution_from_events",
    "window_edges",
    "job_changed_only",
    "no_baseline_employed",
    "replaced_and_voided",
)


class _Gen:
    def __init__(self, rng: random.Random, events_per_participant: float, edges: bool) -> None:
        self.rng = rng
        self.epp = events_per_participant
        self.edges = edges

    # -- small helpers ------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, seq: Any) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def day_in(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def attributes(self, etype: str) -> dict[str, Any] | None:
        rng = self.rng
        attrs: dict[str, Any] = {}
        if etype in ("job_started", "job_changed"):
            if self.chance(0.8):
                attrs["extent"] = self.pick(("part_time", "full_time"))
            if self.chance(0.8):
                attrs["relevant"] = self.chance(0.6)
            pc = self.pick(CONTRIB)
            if pc is not None:
                attrs["program_contributed"] = pc
        elif etype == "education_started":
            r = rng.random()
            if r < 0.55:
                attrs["relevant"] = True
            elif r < 0.8:
                attrs["relevant"] = False
            pc = self.pick(CONTRIB)
            if pc is not None:
                attrs["program_contributed"] = pc
        elif etype == "internship_started":
            pc = self.pick(CONTRIB)
            if pc is not None:
                attrs["program_contributed"] = pc
        if self.chance(0.05):
            attrs["note"] = self.pick(("via mentor", "genom nätverket", "kort notis", "åtgärd"))
        return attrs or None


def _event(
    eid: str,
    pid: str,
    etype: str,
    day: date,
    *,
    source: str = "participant",
    status: str = "confirmed",
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "kind": "event",
        "id": eid,
        "participant": pid,
        "type": etype,
        "occurred_on": day.isoformat(),
        "source": source,
        "status": status,
    }
    if attributes:
        rec["attributes"] = attributes
    return rec


def _survey(pid: str, wave: str, day: date, answers: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "survey",
        "participant": pid,
        "wave": wave,
        "answered_on": day.isoformat(),
        "answers": answers,
    }


def _cohorts(g: _Gen, n_cohorts: int, sizes: list[int], first: date) -> list[dict[str, Any]]:
    cohorts = []
    start = first
    parallel = max(1, -(-n_cohorts // 10))  # at most ten rounds one after another
    for i in range(n_cohorts):
        length = g.rng.randint(170, 215)
        end = start + timedelta(days=length)
        rec: dict[str, Any] = {
            "kind": "cohort",
            "id": f"c{i + 1:02d}",
            "name": f"Omgång {i + 1}",
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        region = g.pick(REGIONS)
        if region is not None:
            rec["region"] = region
        if i % 3 != 2:
            rec["targets"] = {
                "participants": max(1, round(sizes[i] * g.rng.uniform(0.9, 1.05))),
                "job_or_steps": 0.9,
                "network_expanded": 0.8,
            }
        cohorts.append(rec)
        if (i + 1) % parallel == 0:  # large programs run several rounds side by side
            start = start + timedelta(days=g.rng.randint(60, 120))
    return cohorts


def _participant(g: _Gen, pid: str, cohort: dict[str, Any], study: bool) -> dict[str, Any]:
    rng = g.rng
    rec: dict[str, Any] = {"kind": "participant", "id": pid, "cohort": cohort["id"]}
    r = rng.random()
    acc = 0.0
    for gender, p in GENDERS:
        acc += p
        if r < acc:
            rec["gender"] = gender
            break
    else:
        rec["gender"] = "woman"
    if g.chance(0.9):
        rec["birth_year"] = rng.randint(1965, 2003)
    if g.chance(0.85):
        rec["education_level"] = g.pick(
            ("primary", "secondary", "post_secondary", "tertiary", "tertiary")
        )
    if g.chance(0.85):
        rec["arrival_year"] = rng.randint(2010, 2024)
    mc = g.pick(MIGRATION)
    if mc is not None:
        rec["migration_category"] = mc
    fld = g.pick(FIELDS)
    if fld is not None:
        rec["occupation_field"] = fld
    if study:
        rec["arm"] = "control" if g.chance(0.5) else "intervention"
    elif g.chance(0.1):
        rec["arm"] = "intervention"
    lang = g.pick(LANGS)
    if lang is not None:
        rec["language"] = lang
    start, end = date.fromisoformat(cohort["start"]), date.fromisoformat(cohort["end"])
    if g.edges:
        r = rng.random()
        if r < 0.07:
            rec["joined_on"] = (start + timedelta(days=rng.randint(1, 40))).isoformat()
        elif r < 0.09:
            rec["joined_on"] = start.isoformat()
        r = rng.random()
        if r < 0.07:
            rec["left_on"] = (end - timedelta(days=rng.randint(1, 70))).isoformat()
        elif r < 0.09:
            rec["left_on"] = end.isoformat()
        elif r < 0.095:  # a one-day window
            rec["left_on"] = rec.get("joined_on", start.isoformat())
    return rec


def _window(p: dict[str, Any], cohort: dict[str, Any]) -> tuple[date, date]:
    return (
        date.fromisoformat(p.get("joined_on") or cohort["start"]),
        date.fromisoformat(p.get("left_on") or cohort["end"]),
    )


def _maybe_drop(g: _Gen, answers: dict[str, Any], p: float) -> dict[str, Any]:
    """Leave a question unanswered now and then."""
    if g.edges and answers and g.chance(p):
        answers.pop(g.pick(sorted(answers)))
    return answers


def _people_records(
    g: _Gen, pid: str, p: dict[str, Any], cohort: dict[str, Any], study: bool
) -> Iterator[dict[str, Any]]:
    rng = g.rng
    ws, we = _window(p, cohort)
    days = (we - ws).days
    scenario = g.pick(SCENARIOS) if g.edges and g.chance(0.35) else None
    events: list[dict[str, Any]] = []
    seq = 0

    def new_id(suffix: str | None = None) -> str:
        nonlocal seq
        seq += 1
        return f"{pid}-{suffix}" if suffix else f"{pid}-e{seq:03d}"

    def add(etype: str, day: date, eid: str | None = None, **kw: Any) -> dict[str, Any]:
        kw.setdefault("attributes", g.attributes(etype))
        kw.setdefault("source", g.pick(("participant", "mentor", "staff", "import")))
        ev = _event(eid or new_id(), pid, etype, day, **kw)
        events.append(ev)
        return ev

    # the person's profile: which minor steps they take, and whether work, internship, education
    active = rng.sample(MINOR, g.pick((0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8)))
    job_track, internship_track, education_track = g.chance(0.25), g.chance(0.12), g.chance(0.12)

    # baseline
    has_b = not (g.chance(0.08) or scenario == "no_baseline_employed")
    b_emp = g.pick(("none", "none", "none", "none", "none", "part_time", "full_time"))
    b_int = g.pick((0, 0, 0, 1, 1, 2, 3))
    baseline: dict[str, Any] | None = None
    if has_b:
        baseline = {
            "employment": b_emp,
            "interviews_last_2_months": b_int,
            "professional_contacts": rng.randint(0, 6),
        }
        if b_emp != "none":
            baseline["job_relevant"] = g.chance(0.5)
        baseline = _maybe_drop(g, baseline, 0.03)

    # result survey
    has_r = g.chance(0.7) or scenario in ("interviews_by_surveys", "no_baseline_employed")
    if scenario == "interviews_by_events" and g.chance(0.6):
        has_r = False
    result: dict[str, Any] | None = None
    if has_r:
        employed = (
            b_emp != "none"
            or (job_track and g.chance(0.7))
            or g.chance(0.04)
            or scenario == "no_baseline_employed"
        )
        result = {
            "employment": g.pick(("part_time", "full_time")) if employed else "none",
            "interviews_last_2_months": max(0, b_int + g.pick((-1, 0, 0, 1, 1, 2, 2, 3))),
            "professional_contacts": rng.randint(0, 12),
            "job_changed": g.chance(0.06),
        }
        if employed:
            result["job_relevant"] = g.chance(0.55)
        items = {item: g.chance(0.75 if item in active else 0.08) for item in MINOR}
        items["internship"] = g.chance(0.8 if internship_track else 0.03)
        items["education_started"] = g.chance(0.8 if education_track else 0.03)
        if g.edges and g.chance(0.15):  # leave some items unanswered
            for item in rng.sample(ITEMS, rng.randint(1, 4)):
                del items[item]
        result["items"] = items
        contributed = {k: g.pick(CONTRIB) for k in ("job", "internship", "education_started")}
        contributed = {k: v for k, v in contributed.items() if v is not None}
        if contributed:
            result["program_contributed"] = contributed
        if g.chance(0.8):
            result["satisfaction"] = rng.randint(2, 5)
        result = _maybe_drop(g, result, 0.04)

    # everyday events, mostly in the window, some outside
    n_events = max(0, round(rng.gauss(g.epp, g.epp / 3))) if g.epp else 0
    for _ in range(n_events):
        r = rng.random()
        if g.edges and r < 0.04:
            day = ws - timedelta(days=rng.randint(1, 30))
        elif g.edges and r < 0.08:
            day = we + timedelta(days=rng.randint(1, 30))
        else:
            day = g.day_in(ws, we)
        status = "voided" if g.chance(0.03) else "confirmed"
        r = rng.random()
        if r < 0.3:
            etype = "interview_attended"
        elif active and r < 0.97:
            etype = g.pick(active)
        else:
            etype = g.pick(MINOR)
        add(etype, day, status=status)
    if job_track:
        d = g.day_in(ws, we)
        add("job_started", d)
        if g.chance(0.25):
            add("job_ended", g.day_in(d, we + timedelta(days=20)))
    if g.chance(0.05):
        add("job_changed", g.day_in(ws, we))
    if internship_track:
        add("internship_started", g.day_in(ws, we))
    if education_track:
        add("education_started", g.day_in(ws, we))

    # scenario events
    if scenario == "job_then_ended":
        d = g.day_in(ws, we)
        add("job_started", d)
        add("job_ended", d + timedelta(days=rng.randint(1 if d < we else 0, max(1, (we - d).days))))
    elif scenario == "ended_then_job":
        d = g.day_in(ws, we)
        add("job_ended", d)
        add("job_started", min(we, d + timedelta(days=rng.randint(0, 30))))
    elif scenario == "same_day_start_end":
        d = g.day_in(ws, we)
        # plain string order: "-" < "." < digits < upper case < "_" < lower case
        a, b = g.pick(
            (("A", "b"), ("b", "A"), ("_x", "Zx"), ("Zx", "_x"), ("-1", ".1"), ("9", "a"))
        )
        add("job_started", d, new_id(a))
        add("job_ended", d, new_id(b))
    elif scenario == "education_relevance":
        d = g.day_in(ws, we)
        add("education_started", d, attributes={"relevant": False, "program_contributed": "yes"})
        if g.chance(0.5):
            attrs: dict[str, Any] = {"program_contributed": g.pick(("no", "unsure", "yes"))}
            if g.chance(0.5):
                attrs["relevant"] = True
            add(
                "education_started",
                min(we, d + timedelta(days=rng.randint(0, 20))),
                attributes=attrs,
            )
    elif scenario == "interviews_by_events":
        recent = we - timedelta(days=60)
        for off in rng.sample((0, 1, 30, 60, 61, 62), rng.randint(1, 4)):
            day = we - timedelta(days=off)
            if day >= ws:
                add("interview_attended", day, attributes=None)
        if recent > ws and g.chance(0.5):
            add("interview_attended", recent, status="voided", attributes=None)
        add("interview_attended", we + timedelta(days=1), attributes=None)
    elif scenario == "interviews_by_surveys" and result is not None and baseline is not None:
        base = baseline.get("interviews_last_2_months", 0) or 0
        result["interviews_last_2_months"] = base + g.pick((1, 2, 3))
        baseline["interviews_last_2_months"] = base
    elif scenario == "minor_four_or_five":
        target = g.pick((4, 5))
        chosen = rng.sample(MINOR, target)
        if result is not None:
            items = result.setdefault("items", {})
            for item in MINOR:
                items[item] = False
            for item in chosen[: rng.randint(0, target)]:
                items[item] = True
        for item in chosen:
            if result is None or not result["items"].get(item):
                add(item, g.day_in(ws, we), attributes=None)
        # a ninth attempt that must not count: voided, or outside the window
        spare = [i for i in MINOR if i not in chosen][0]
        if g.chance(0.5):
            add(spare, g.day_in(ws, we), status="voided", attributes=None)
        else:
            add(spare, we + timedelta(days=1), attributes=None)
        # the non-minor items stay false so that the threshold decides
        if result is not None:
            result["items"].update({"internship": False, "education_started": False})
    elif scenario == "contribution_from_events":
        d = g.day_in(ws, we)
        if result is not None:
            result.pop("program_contributed", None)
        add(
            "job_started",
            d,
            new_id("J1"),
            attributes={"program_contributed": "no", "relevant": False},
        )
        add(
            "job_changed",
            d,
            new_id("J2"),
            attributes={"program_contributed": "yes", "relevant": True},
        )
        add("internship_started", d, new_id("I2"), attributes={"program_contributed": "yes"})
        add("internship_started", d, new_id("I10"), attributes={"program_contributed": "unsure"})
    elif scenario == "window_edges":
        for day in (ws, we, ws - timedelta(days=1), we + timedelta(days=1)):
            add(g.pick(MINOR + ("internship_started", "job_changed")), day, attributes=None)
    elif scenario == "job_changed_only":
        add(
            "job_changed",
            g.day_in(ws, we),
            attributes={"program_contributed": g.pick(CONTRIB[:-1])},
        )
    elif scenario == "replaced_and_voided":
        if events:
            victim = g.pick(events)
            events.append({**victim, "status": "voided"})  # a later line voids it
        d = g.day_in(ws, we)
        first = add("internship_started", d)
        # corrected later: it was a workplace visit after all, a day later
        events.append(
            {
                **first,
                "type": "workplace_visit",
                "occurred_on": min(we, d + timedelta(days=1)).isoformat(),
            }
        )

    if baseline is not None:
        yield _survey(pid, "baseline", ws - timedelta(days=rng.randint(0, 10)), baseline)
    if g.chance(0.3):
        yield _survey(
            pid,
            "followup_1",
            ws + timedelta(days=min(days, 60)),
            {
                "employment": g.pick(("none", "part_time")),
                "interviews_last_2_months": rng.randint(0, 3),
            },
        )
    if result is not None:
        day = we + timedelta(days=rng.randint(0, 14))
        if g.edges and g.chance(0.03):  # answered twice: the later line counts
            yield _survey(pid, "result", day, {"employment": "none", "items": {}})
        yield _survey(pid, "result", day, result)
    rng.shuffle(events)
    yield from events


def generate_records(
    n_participants: int,
    *,
    seed: int = 0,
    n_cohorts: int | None = None,
    events_per_participant: float = 20.0,
    first_start: date = date(2023, 1, 16),
    edges: bool = True,
    meetings: bool = True,
) -> Iterator[dict[str, Any]]:
    """Import records (dicts with ``kind``) for ``n_participants`` people, in file order."""
    rng = random.Random(seed)
    g = _Gen(rng, events_per_participant, edges)
    n_cohorts = n_cohorts or max(1, round(n_participants / 51))
    sizes = [
        n_participants // n_cohorts + (1 if i < n_participants % n_cohorts else 0)
        for i in range(n_cohorts)
    ]
    cohorts = _cohorts(g, n_cohorts, sizes, first_start)
    yield from cohorts
    width = max(4, len(str(n_participants)))
    number = 0
    for ci, (cohort, size) in enumerate(zip(cohorts, sizes, strict=True)):
        study = n_cohorts >= 4 and ci in (2, 3)  # two rounds of the randomised study
        for _ in range(size):
            number += 1
            pid = f"p{number:0{width}d}"
            p = _participant(g, pid, cohort, study)
            yield p
            lines = list(_people_records(g, pid, p, cohort, study))
            if meetings and p.get("arm") != "control":
                mid = f"m{number:0{width}d}"
                ws, we = _window(p, cohort)
                yield {"kind": "mentor", "id": mid, "cohort": cohort["id"]}
                yield {
                    "kind": "pair",
                    "id": f"pair{number:0{width}d}",
                    "mentor": mid,
                    "participant": pid,
                    "matched_on": ws.isoformat(),
                }
                for k in range(2):  # the meeting's own `kind` clashes with the line's `kind`
                    yield {
                        "kind": "meeting",
                        "pair": f"pair{number:0{width}d}",
                        "held_on": (ws + timedelta(days=14 * k)).isoformat(),
                        "activities": ["cv"] if k else ["labour_market"],
                    }
            for rec in lines:
                yield rec
                if edges and rng.random() < 0.01:  # a duplicate line
                    yield rec


def generate_lines(n_participants: int, **kwargs: Any) -> Iterator[str]:
    """The same records as JSON Lines (no trailing newline characters)."""
    for rec in generate_records(n_participants, **kwargs):
        yield json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
