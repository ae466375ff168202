"""The indicator engine, rule by rule and edge by edge of spec/outcomes.md, on tiny hand-built data.

Every test imports a few records through the importer (the path real data takes) and asserts the
numbers a staff member or funder would read. Each runs with both SQL plans of the engine.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from core.vocab import MINOR_ITEMS, TARGET_KEYS, TARGET_PARTICIPANTS, TARGET_RESPONSE_RATE
from outcomes.errors import Invalid, NotFound
from outcomes.exports import indicators_csv
from outcomes.importer import import_jsonl
from outcomes.indicators import INDICATORS, compute_indicators, share
from outcomes.models import Participant, Survey

START, END = "2025-01-01", "2025-06-30"  # the cohort's window in most tests


@pytest.fixture(params=["joined", "correlated"])
def plan(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def cohort(cid: str = "c1", start: str = START, end: str = END, **kw: Any) -> dict[str, Any]:
    return {"kind": "cohort", "id": cid, "name": f"Omgång {cid}", "start": start, "end": end, **kw}


def person(pid: str, cid: str = "c1", gender: str = "woman", **kw: Any) -> dict[str, Any]:
    return {"kind": "participant", "id": pid, "cohort": cid, "gender": gender, **kw}


def baseline(pid: str, employment: str = "none", interviews: int | None = 0, **kw: Any) -> dict:
    answers: dict[str, Any] = {"employment": employment, **kw}
    if interviews is not None:
        answers["interviews_last_2_months"] = interviews
    return {
        "kind": "survey",
        "participant": pid,
        "wave": "baseline",
        "answered_on": START,
        "answers": answers,
    }


def result(
    pid: str,
    employment: str | None = "none",
    interviews: int | None = 0,
    items: dict[str, bool] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    answers: dict[str, Any] = {"items": items or {}, **kw}
    if employment is not None:
        answers["employment"] = employment
    if interviews is not None:
        answers["interviews_last_2_months"] = interviews
    return {
        "kind": "survey",
        "participant": pid,
        "wave": "result",
        "answered_on": END,
        "answers": answers,
    }


def event(
    eid: str,
    pid: str,
    etype: str,
    day: str = "2025-03-01",
    status: str = "confirmed",
    **attributes: Any,
) -> dict[str, Any]:
    rec = {
        "kind": "event",
        "id": eid,
        "participant": pid,
        "type": etype,
        "occurred_on": day,
        "source": "mentor",
        "status": status,
    }
    if attributes:
        rec["attributes"] = attributes
    return rec


def load(session: Session, *records: dict[str, Any]) -> None:
    import_jsonl(session, [json.dumps(r) for r in records])
    session.commit()


def numbers(session: Session, plan: str, **kw: Any) -> dict[str, Any]:
    return compute_indicators(session, plan=plan, **kw)  # type: ignore[arg-type]


def ind(result_: dict[str, Any], name: str) -> tuple[int, int, float | None]:
    block = result_["total"]["indicators"][name]
    return block["n"], block["of"], block["share"]


def one(session: Session, plan: str, *records: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Load a cohort, the records, and compute."""
    load(session, cohort(), *records)
    return numbers(session, plan, **kw)


# --- shape ------------------------------------------------------------------------------------


def test_the_json_has_the_spec_shape_and_every_indicator(session: Session, plan: str) -> None:
    out = one(session, plan, person("p1"), baseline("p1"), result("p1", employment="full_time"))
    assert set(out) == {"filters", "total", "groups"}
    assert out["filters"] == {"cohort": None, "basis": "measured"}
    assert out["groups"] == []
    assert set(out["total"]) == {"enrolled", "measured", "response_rate", "indicators"}
    assert list(out["total"]["indicators"]) == list(INDICATORS)
    for name in (
        "got_job",
        "measurable_steps",
        "job_or_steps",
        "network_expanded",
        "internship",
        "education_started",
        "interviews_plus_two",
        "minor_steps_5_of_8",
        *MINOR_ITEMS,
        "job_contributed",
        "internship_contributed",
        "education_contributed",
        "relevant_job_contributed",
    ):
        assert set(out["total"]["indicators"][name]) == {"n", "of", "share"}
    assert ind(out, "got_job") == (1, 1, 1.0)
    json.dumps(out)  # serialisable as it is


def test_an_empty_database_gives_zeros_and_null_shares(session: Session, plan: str) -> None:
    out = numbers(session, plan)
    assert out["total"]["enrolled"] == 0
    assert out["total"]["response_rate"] is None
    assert ind(out, "got_job") == (0, 0, None)


# --- measured, response rate ------------------------------------------------------------------


def test_measured_means_a_complete_result_survey(session: Session, plan: str) -> None:
    load(session, cohort(), person("p1"), person("p2"), person("p3"), result("p1"), baseline("p2"))
    # p3 is answering the result survey in the bot: not complete yet, so not measured
    session.add(
        Survey(
            participant="p3",
            wave="result",
            answered_on=date(2025, 6, 30),
            status="in_progress",
            employment="full_time",
        )
    )
    session.commit()
    out = numbers(session, plan)
    assert (out["total"]["enrolled"], out["total"]["measured"]) == (3, 1)
    assert out["total"]["response_rate"] == 0.3333
    assert ind(out, "got_job")[1] == 1  # of = measured


def test_an_in_progress_baseline_is_no_baseline(session: Session, plan: str) -> None:
    load(session, cohort(), person("p1"), result("p1", employment="part_time"))
    session.add(
        Survey(
            participant="p1",
            wave="baseline",
            answered_on=date(2025, 1, 1),
            status="in_progress",
            employment="none",
        )
    )
    session.commit()
    assert ind(numbers(session, plan), "got_job") == (0, 1, 0.0)


def test_erased_participants_still_count(session: Session, plan: str) -> None:
    load(session, cohort(), person("p1"), baseline("p1"), result("p1", employment="full_time"))
    p = session.get(Participant, "p1")
    assert p is not None
    p.erased_on = date(2025, 8, 1)
    session.add(p)
    session.commit()
    out = numbers(session, plan)
    assert out["total"]["enrolled"] == 1
    assert ind(out, "got_job") == (1, 1, 1.0)


# --- the program window -----------------------------------------------------------------------


def test_events_on_the_first_and_last_day_count_one_day_outside_does_not(
    session: Session, plan: str
) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1"),
        event("a", "p1", "cv_improved", START),
        event("b", "p1", "workplace_visit", END),
        event("c", "p1", "reference_obtained", "2024-12-31"),
        event("d", "p1", "swedish_improved", "2025-07-01"),
    )
    assert ind(out, "cv_improved")[0] == 1
    assert ind(out, "workplace_visit")[0] == 1
    assert ind(out, "reference_obtained")[0] == 0
    assert ind(out, "swedish_improved")[0] == 0


def test_joined_on_and_left_on_replace_the_cohort_dates(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1", joined_on="2025-02-01", left_on="2025-03-31"),
        result("p1"),
        event("a", "p1", "cv_improved", "2025-01-31"),  # before joining
        event("b", "p1", "workplace_visit", "2025-02-01"),  # the day of joining
        event("c", "p1", "reference_obtained", "2025-03-31"),  # the day of leaving
        event("d", "p1", "swedish_improved", "2025-04-01"),
    )  # after leaving
    assert [
        ind(out, n)[0]
        for n in ("cv_improved", "workplace_visit", "reference_obtained", "swedish_improved")
    ] == [0, 1, 1, 0]


def test_only_joined_on_given_keeps_the_cohort_end(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1", joined_on="2025-05-01"),
        result("p1"),
        event("a", "p1", "cv_improved", "2025-04-30"),
        event("b", "p1", "workplace_visit", END),
    )
    assert (ind(out, "cv_improved")[0], ind(out, "workplace_visit")[0]) == (0, 1)


def test_voided_events_never_count(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1"),
        result("p1", employment=None),
        event("a", "p1", "cv_improved", status="voided"),
        event("b", "p1", "job_changed", status="voided"),
        event("c", "p1", "job_started", status="voided"),
    )
    assert ind(out, "cv_improved")[0] == 0
    assert ind(out, "got_job")[0] == 0


def test_a_later_line_replaces_an_event_and_reimporting_changes_nothing(
    session: Session, plan: str
) -> None:
    records = [
        cohort(),
        person("p1"),
        result("p1"),
        event("a", "p1", "cv_improved"),
        event("a", "p1", "workplace_visit", "2025-03-02"),
    ]  # the correction
    load(session, *records)
    first = numbers(session, plan)
    assert (ind(first, "cv_improved")[0], ind(first, "workplace_visit")[0]) == (0, 1)
    load(session, *records)
    assert numbers(session, plan) == first
    load(session, event("a", "p1", "workplace_visit", "2025-03-02", status="voided"))
    assert ind(numbers(session, plan), "workplace_visit")[0] == 0


# --- got_job ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b_employment", "r_employment", "got"),
    [
        ("none", "part_time", 1),
        ("none", "full_time", 1),
        ("none", "none", 0),
        ("part_time", "full_time", 0),  # employed at the start: (a) does not hold
        ("full_time", "full_time", 0),
    ],
)
def test_got_job_a_from_the_surveys(
    session: Session, plan: str, b_employment: str, r_employment: str, got: int
) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1", employment=b_employment),
        result("p1", employment=r_employment),
    )
    assert ind(out, "got_job") == (got, 1, float(got))


def test_without_baseline_got_job_a_cannot_hold(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1", employment="full_time"),
        event("a", "p1", "job_started"),
    )
    assert ind(out, "got_job") == (0, 1, 0.0)


def test_the_result_survey_decides_employment_even_against_events(
    session: Session, plan: str
) -> None:
    # R says not employed; a job_started event does not overrule the survey for (a)
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1"),
        result("p1", employment="none"),
        event("a", "p1", "job_started"),
    )
    assert ind(out, "got_job")[0] == 0


def test_result_without_an_employment_answer_falls_back_to_events(
    session: Session, plan: str
) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1"),
        result("p1", employment=None),
        event("a", "p1", "job_started"),
        person("p2"),
        baseline("p2"),
        result("p2", employment=None),
    )
    assert ind(out, "got_job") == (1, 2, 0.5)


def test_baseline_without_an_employment_answer_means_a_cannot_hold(
    session: Session, plan: str
) -> None:
    load(session, cohort(), person("p1"), result("p1", employment="full_time"))
    load(
        session,
        {
            "kind": "survey",
            "participant": "p1",
            "wave": "baseline",
            "answered_on": START,
            "answers": {"interviews_last_2_months": 0},
        },
    )
    assert ind(numbers(session, plan), "got_job")[0] == 0


@pytest.mark.parametrize(
    ("events", "employed"),
    [
        ([("e1", "job_started", "2025-02-01")], 1),
        ([("e1", "job_started", "2025-02-01"), ("e2", "job_ended", "2025-04-01")], 0),
        ([("e1", "job_ended", "2025-02-01"), ("e2", "job_started", "2025-04-01")], 1),
        (
            [
                ("e1", "job_started", "2025-02-01"),
                ("e2", "job_ended", "2025-04-01"),
                ("e3", "job_started", "2025-05-01"),
            ],
            1,
        ),
        # the job_ended after the window does not count, so the job goes on
        ([("e1", "job_started", "2025-02-01"), ("e2", "job_ended", "2025-07-01")], 1),
        # the job_started before the window does not count
        ([("e1", "job_started", "2024-12-31")], 0),
        # same day: plain string order of ids decides which came last ("Z" < "a" < "b")
        ([("p1-a", "job_started", "2025-03-01"), ("p1-b", "job_ended", "2025-03-01")], 0),
        ([("p1-b", "job_started", "2025-03-01"), ("p1-a", "job_ended", "2025-03-01")], 1),
        ([("p1-a", "job_started", "2025-03-01"), ("p1-Z", "job_ended", "2025-03-01")], 1),
        ([("p1-Z", "job_started", "2025-03-01"), ("p1-a", "job_ended", "2025-03-01")], 0),
        ([("p1-9", "job_started", "2025-03-01"), ("p1-10", "job_ended", "2025-03-01")], 1),
        ([("p1_x", "job_started", "2025-03-01"), ("p1-x", "job_ended", "2025-03-01")], 1),
    ],
)
def test_without_result_survey_a_job_started_not_followed_by_a_job_ended(
    session: Session, plan: str, events: list[tuple[str, str, str]], employed: int
) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1"),
        *(event(eid, "p1", etype, day) for eid, etype, day in events),
        basis="enrolled",
    )
    assert ind(out, "got_job") == (employed, 1, float(employed))


def test_got_job_b_changed_job_by_survey_or_event(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1", employment="full_time"),
        result("p1", employment="full_time", job_changed=True),
        person("p2"),
        result("p2", employment="part_time"),
        event("a", "p2", "job_changed"),
        person("p3"),
        result("p3", employment="part_time"),
        event("b", "p3", "job_changed", "2025-07-01"),  # outside the window
        person("p4"),
        baseline("p4", employment="part_time"),
        result("p4", employment="full_time", job_changed=False),
    )
    assert ind(out, "got_job") == (2, 4, 0.5)


# --- step items -------------------------------------------------------------------------------


def test_a_step_item_holds_by_the_survey_or_by_an_event(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1", items={"internship": True}),
        person("p2"),
        result("p2", items={"internship": False}),
        event("a", "p2", "internship_started"),
        person("p3"),
        result("p3", items={"internship": False}),
        person("p4"),
        result("p4"),
    )  # no answer, no event
    assert ind(out, "internship") == (2, 4, 0.5)


def test_education_counts_unless_relevant_is_false(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1"),
        event("a", "p1", "education_started", relevant=False),
        person("p2"),
        result("p2"),
        event("b", "p2", "education_started"),
        person("p3"),
        result("p3"),
        event("c", "p3", "education_started", relevant=True),
        person("p4"),
        result("p4", items={"education_started": True}),
        event("d", "p4", "education_started", relevant=False),
    )
    assert ind(out, "education_started") == (3, 4, 0.75)


def test_network_expanded_is_a_headline_indicator(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1", items={"network_expanded": True}),
        person("p2"),
        result("p2"),
        event("a", "p2", "network_expanded"),
        person("p3"),
        result("p3"),
        person("p4"),
    )
    assert ind(out, "network_expanded") == (2, 3, 0.6667)


@pytest.mark.parametrize(
    ("from_survey", "from_events", "five"),
    [
        (4, 0, 0),
        (5, 0, 1),
        (2, 2, 0),
        (3, 2, 1),
        (0, 5, 1),
        (0, 4, 0),
        (8, 0, 1),
    ],
)
def test_minor_steps_five_of_eight(
    session: Session, plan: str, from_survey: int, from_events: int, five: int
) -> None:
    said = {item: True for item in MINOR_ITEMS[:from_survey]}
    happened = [
        event(f"e{i}", "p1", item)
        for i, item in enumerate(MINOR_ITEMS[from_survey : from_survey + from_events])
    ]
    # the same item twice does not count twice, nor does a voided or outside event
    extra = [
        event("dup", "p1", MINOR_ITEMS[0]),
        event("void", "p1", MINOR_ITEMS[7], status="voided"),
        event("late", "p1", MINOR_ITEMS[6], "2025-07-01"),
    ]
    if from_survey + from_events >= 7:
        extra = extra[:1]
    out = one(session, plan, person("p1"), result("p1", items=said), *happened, *extra)
    assert ind(out, "minor_steps_5_of_8") == (five, 1, float(five))
    assert ind(out, "measurable_steps")[0] == five


# --- interviews_plus_two ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "plus_two"),
    [
        (0, 2, 1),
        (0, 1, 0),
        (1, 3, 1),
        (1, 2, 0),
        (3, 1, 0),
        (2, 6, 1),
    ],
)
def test_interviews_plus_two_by_surveys(
    session: Session, plan: str, before: int, after: int, plus_two: int
) -> None:
    # events are ignored when both surveys answer: three interviews in the last weeks
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1", interviews=before),
        result("p1", interviews=after),
        *(event(f"i{k}", "p1", "interview_attended", "2025-06-20") for k in range(3)),
    )
    assert ind(out, "interviews_plus_two") == (plus_two, 1, float(plus_two))


# the window ends 2025-06-30; its last 61 days start on 2025-05-01 (= end - 60)
@pytest.mark.parametrize(
    ("days", "base", "plus_two"),
    [
        (["2025-05-01", "2025-06-30"], 0, 1),  # both ends of the 61 days count
        (["2025-04-30", "2025-06-30"], 0, 0),  # end - 61 does not
        (["2025-05-10", "2025-05-11", "2025-05-12"], 1, 1),  # 3 - 1 >= 2
        (["2025-05-10", "2025-05-11"], 1, 0),  # 2 - 1 < 2
        (["2025-05-10", "2025-07-01"], 0, 0),  # after the window
    ],
)
def test_interviews_plus_two_by_events_without_result_survey(
    session: Session, plan: str, days: list[str], base: int, plus_two: int
) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1", interviews=base),
        *(event(f"i{k}", "p1", "interview_attended", d) for k, d in enumerate(days)),
        basis="enrolled",
    )
    assert ind(out, "interviews_plus_two")[0] == plus_two


def test_interviews_by_events_without_baseline_subtract_nothing(
    session: Session, plan: str
) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1", interviews=5),
        event("i1", "p1", "interview_attended", "2025-06-01"),
        event("i2", "p1", "interview_attended", "2025-06-02"),
        person("p2"),
        result("p2", interviews=5),
        event("i3", "p2", "interview_attended", "2025-06-01"),
        event("i4", "p2", "interview_attended", "2025-06-02", status="voided"),
    )
    assert ind(out, "interviews_plus_two") == (1, 2, 0.5)


def test_the_last_61_days_follow_left_on(session: Session, plan: str) -> None:
    # left on 2025-03-31: the last 61 days are 2025-01-30 … 2025-03-31
    out = one(
        session,
        plan,
        person("p1", left_on="2025-03-31"),
        baseline("p1", interviews=0),
        event("i1", "p1", "interview_attended", "2025-01-30"),
        event("i2", "p1", "interview_attended", "2025-03-31"),
        person("p2", left_on="2025-03-31"),
        baseline("p2", interviews=0),
        event("i3", "p2", "interview_attended", "2025-01-29"),
        event("i4", "p2", "interview_attended", "2025-03-31"),
        basis="enrolled",
    )
    assert ind(out, "interviews_plus_two") == (1, 2, 0.5)


def test_an_unanswered_interview_question_falls_back_to_events(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1", interviews=1),
        result("p1", interviews=None),
        *(event(f"i{k}", "p1", "interview_attended", "2025-06-1" + str(k)) for k in range(3)),
    )
    assert ind(out, "interviews_plus_two")[0] == 1  # 3 events - 1 at baseline


# --- measurable_steps and job_or_steps -------------------------------------------------------


def test_measurable_steps_leave_out_those_who_got_a_job(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        # job and an internship: got_job only
        person("p1"),
        baseline("p1"),
        result("p1", employment="full_time", items={"internship": True}),
        # an internship, no job: measurable steps
        person("p2"),
        baseline("p2"),
        result("p2", items={"internship": True}),
        # education that counts
        person("p3"),
        result("p3"),
        event("a", "p3", "education_started"),
        # two more interviews
        person("p4"),
        baseline("p4", interviews=0),
        result("p4", interviews=2),
        # nothing
        person("p5"),
        baseline("p5"),
        result("p5"),
        # four minor steps are not enough
        person("p6"),
        result("p6", items={i: True for i in MINOR_ITEMS[:4]}),
    )
    assert ind(out, "got_job") == (1, 6, 0.1667)
    assert ind(out, "measurable_steps") == (3, 6, 0.5)
    assert ind(out, "job_or_steps") == (4, 6, 0.6667)


# --- contribution -------------------------------------------------------------------------------


def test_job_contribution_from_the_survey_else_the_latest_event(
    session: Session, plan: str
) -> None:
    out = one(
        session,
        plan,
        # the survey answers: its answer counts, the event's does not
        person("p1"),
        baseline("p1"),
        result("p1", employment="full_time", program_contributed={"job": "yes"}),
        event("a", "p1", "job_started", program_contributed="no"),
        # no survey answer: the latest job_started or job_changed decides
        person("p2"),
        result("p2", job_changed=True),
        event("b1", "p2", "job_started", "2025-02-01", program_contributed="no"),
        event("b2", "p2", "job_changed", "2025-03-01", program_contributed="yes"),
        event("b3", "p2", "job_ended", "2025-04-01", program_contributed="no"),
        # the latest has no answer: no answer (earlier events are not consulted)
        person("p3"),
        result("p3", job_changed=True),
        event("c1", "p3", "job_started", "2025-02-01", program_contributed="yes"),
        event("c2", "p3", "job_changed", "2025-03-01"),
        # unsure is an answer, but not yes
        person("p4"),
        result("p4", job_changed=True, program_contributed={"job": "unsure"}),
        # a contribution without the outcome does not count
        person("p5"),
        result("p5", program_contributed={"job": "yes"}),
    )
    assert ind(out, "got_job") == (4, 5, 0.8)
    assert ind(out, "job_contributed") == (2, 3, 0.6667)


def test_latest_event_on_the_same_day_is_the_one_with_the_greater_id(
    session: Session, plan: str
) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1", job_changed=True),
        event("p1-J10", "p1", "job_changed", "2025-03-01", program_contributed="no"),
        event("p1-J2", "p1", "job_started", "2025-03-01", program_contributed="yes"),
        person("p2"),
        result("p2", job_changed=True),
        event("p2-a", "p2", "job_changed", "2025-03-01", program_contributed="yes"),
        event("p2-B", "p2", "job_started", "2025-03-01", program_contributed="no"),
    )
    # "p1-J2" > "p1-J10" and "p2-a" > "p2-B" in plain string order
    assert ind(out, "job_contributed") == (2, 2, 1.0)


def test_internship_and_education_contribution(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        result("p1", items={"internship": True}, program_contributed={"internship": "yes"}),
        person("p2"),
        result("p2"),
        event("a1", "p2", "internship_started", "2025-02-01", program_contributed="yes"),
        event("a2", "p2", "internship_started", "2025-03-01", program_contributed="no"),
        # the latest education that counts is the relevant one, not the later irrelevant
        person("p3"),
        result("p3"),
        event("b1", "p3", "education_started", "2025-02-01", program_contributed="yes"),
        event(
            "b2", "p3", "education_started", "2025-03-01", relevant=False, program_contributed="no"
        ),
        person("p4"),
        result(
            "p4", items={"education_started": True}, program_contributed={"education_started": "no"}
        ),
    )
    assert ind(out, "internship_contributed") == (1, 2, 0.5)
    assert ind(out, "education_contributed") == (1, 2, 0.5)


def test_relevant_job_contributed_is_of_all_measured(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        baseline("p1"),
        result("p1", employment="full_time", job_relevant=True, program_contributed={"job": "yes"}),
        person("p2"),
        baseline("p2"),
        result(
            "p2", employment="full_time", job_relevant=False, program_contributed={"job": "yes"}
        ),
        # relevance from the latest job event when the survey does not say
        person("p3"),
        result("p3", job_changed=True, program_contributed={"job": "yes"}),
        event("c1", "p3", "job_started", "2025-02-01", relevant=False),
        event("c2", "p3", "job_changed", "2025-03-01", relevant=True),
        person("p4"),
        result("p4", job_changed=True, program_contributed={"job": "yes"}),
        event("d1", "p4", "job_changed", "2025-03-01"),  # relevance unknown: not counted
        person("p5"),
        baseline("p5"),
        result("p5"),
    )
    assert ind(out, "relevant_job_contributed") == (2, 5, 0.4)


# --- basis=enrolled ---------------------------------------------------------------------------


def test_basis_enrolled_judges_the_unmeasured_on_baseline_and_events(
    session: Session, plan: str
) -> None:
    records = [
        person("p1"),
        baseline("p1"),
        result("p1", employment="full_time"),
        person("p2"),
        baseline("p2"),
        event("a", "p2", "job_started"),
        person("p3"),
        event("b", "p3", "internship_started", program_contributed="yes"),
        person("p4"),
    ]
    load(session, cohort(), *records)
    measured = numbers(session, plan)
    assert ind(measured, "got_job") == (1, 1, 1.0)
    assert ind(measured, "internship") == (0, 1, 0.0)
    enrolled = numbers(session, plan, basis="enrolled")
    assert enrolled["filters"] == {"cohort": None, "basis": "enrolled"}
    assert (enrolled["total"]["enrolled"], enrolled["total"]["measured"]) == (4, 1)
    assert ind(enrolled, "got_job") == (2, 4, 0.5)
    assert ind(enrolled, "internship") == (1, 4, 0.25)
    assert ind(enrolled, "internship_contributed") == (1, 1, 1.0)
    assert ind(enrolled, "job_or_steps") == (3, 4, 0.75)


# --- groups, cohorts, targets -----------------------------------------------------------------


def test_groups_by_gender_sum_to_the_total(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("w1"),
        baseline("w1"),
        result("w1", employment="full_time"),
        person("w2"),
        result("w2"),
        person("m1", gender="man"),
        baseline("m1"),
        result("m1", employment="part_time"),
        person("m2", gender="man"),
        person("u1", gender="unspecified"),
        result("u1"),
        by="gender",
    )
    keys = [g["key"] for g in out["groups"]]
    assert keys == [{"gender": "man"}, {"gender": "unspecified"}, {"gender": "woman"}]
    women = out["groups"][2]
    assert (women["enrolled"], women["measured"], women["response_rate"]) == (2, 2, 1.0)
    assert women["indicators"]["got_job"] == {"n": 1, "of": 2, "share": 0.5}
    men = out["groups"][0]
    assert (men["enrolled"], men["measured"], men["response_rate"]) == (2, 1, 0.5)
    for name in INDICATORS:
        assert sum(g["indicators"][name]["n"] for g in out["groups"]) == ind(out, name)[0]
        assert sum(g["indicators"][name]["of"] for g in out["groups"]) == ind(out, name)[1]


def test_missing_values_form_their_own_group_last(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1", migration_category="family"),
        person("p2"),
        person("p3", migration_category="quota_refugee"),
        by="migration_category",
    )
    assert [g["key"]["migration_category"] for g in out["groups"]] == [
        "family",
        "quota_refugee",
        None,
    ]
    assert [g["enrolled"] for g in out["groups"]] == [1, 1, 1]


def test_by_arm_absent_is_intervention(session: Session, plan: str) -> None:
    out = one(
        session,
        plan,
        person("p1"),
        person("p2", arm="control"),
        person("p3", arm="intervention"),
        result("p2"),
        by="arm",
    )
    assert [(g["key"], g["enrolled"], g["measured"]) for g in out["groups"]] == [
        ({"arm": "control"}, 1, 1),
        ({"arm": "intervention"}, 2, 0),
    ]


def test_by_region_of_the_cohort(session: Session, plan: str) -> None:
    load(
        session,
        cohort("c1", region="Malmö"),
        cohort("c2", region="Göteborg"),
        cohort("c3"),
        person("p1", "c1"),
        person("p2", "c2"),
        person("p3", "c2"),
        person("p4", "c3"),
    )
    out = numbers(session, plan, by="region")
    assert [(g["key"]["region"], g["enrolled"]) for g in out["groups"]] == [
        ("Göteborg", 2),
        ("Malmö", 1),
        (None, 1),
    ]


def test_one_cohort_and_its_targets(session: Session, plan: str) -> None:
    load(
        session,
        cohort("c1", targets={"participants": 3, "job_or_steps": 0.9, "network_expanded": 0.5}),
        cohort("c2"),
        person("p1", "c1"),
        baseline("p1"),
        result("p1", employment="full_time"),
        person("p2", "c1"),
        result("p2", items={"network_expanded": True}),
        person("p3", "c2"),
        result("p3", items={"network_expanded": True}),
    )
    out = numbers(session, plan, cohort="c1")
    assert out["filters"] == {"cohort": "c1", "basis": "measured"}
    assert out["total"]["enrolled"] == 2
    assert out["total"]["targets"] == {
        "participants": {"target": 3, "actual": 2, "met": False},
        "job_or_steps": {"target": 0.9, "actual": 0.5, "met": False},
        "network_expanded": {"target": 0.5, "actual": 0.5, "met": True},
    }
    by_cohort = numbers(session, plan, by="cohort")
    assert [g["key"] for g in by_cohort["groups"]] == [{"cohort": "c1"}, {"cohort": "c2"}]
    assert by_cohort["groups"][0]["targets"] == out["total"]["targets"]
    assert "targets" not in by_cohort["groups"][1]  # c2 has no targets
    assert "targets" not in by_cohort["total"]
    assert "targets" not in numbers(session, plan, cohort="c2")["total"]


def test_targets_compare_with_the_chosen_basis(session: Session, plan: str) -> None:
    load(
        session,
        cohort("c1", targets={"job_or_steps": 0.75}),
        person("p1"),
        result("p1", items={"internship": True}),
        person("p2"),
    )
    assert numbers(session, plan, cohort="c1")["total"]["targets"]["job_or_steps"] == {
        "target": 0.75,
        "actual": 1.0,
        "met": True,
    }
    assert numbers(session, plan, cohort="c1", basis="enrolled")["total"]["targets"][
        "job_or_steps"
    ] == {"target": 0.75, "actual": 0.5, "met": False}


def test_every_target_key_is_compared_with_the_number_shown(session: Session, plan: str) -> None:
    """Each key of the vocabulary's TARGET_KEYS gets the actual figure of the same name."""
    load(
        session,
        cohort("c1", targets=dict.fromkeys(TARGET_KEYS, 0.5) | {TARGET_PARTICIPANTS: 2}),
        person("p1"),
        baseline("p1"),
        result("p1", employment="full_time", items={"network_expanded": True}),
        person("p2"),
    )
    total = numbers(session, plan, cohort="c1")["total"]
    shown = {name: block["share"] for name, block in total["indicators"].items()}
    shown |= {TARGET_PARTICIPANTS: total["enrolled"], TARGET_RESPONSE_RATE: total["response_rate"]}
    assert {k: t["actual"] for k, t in total["targets"].items()} == {
        k: shown[k] for k in TARGET_KEYS
    }
    assert total["targets"]["got_job"] == {"target": 0.5, "actual": 1.0, "met": True}
    assert total["targets"][TARGET_RESPONSE_RATE] == {"target": 0.5, "actual": 0.5, "met": True}


def test_an_unknown_cohort_is_not_found(session: Session, plan: str) -> None:
    load(session, cohort())
    with pytest.raises(NotFound, match="cohort 'nope' does not exist"):
        numbers(session, plan, cohort="nope")


def test_bad_parameters_are_refused(session: Session) -> None:
    with pytest.raises(Invalid, match="unknown grouping 'age'"):
        compute_indicators(session, by="age")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="unknown basis 'all'"):
        compute_indicators(session, basis="all")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="ends"):
        compute_indicators(session, window=(date(2025, 2, 1), date(2025, 1, 1)))


def test_the_csv_names_the_choices_for_an_unknown_grouping_or_basis(session: Session) -> None:
    with pytest.raises(Invalid, match="unknown grouping 'age'; expected one of gender, cohort"):
        indicators_csv(session, by="age")
    with pytest.raises(Invalid, match="unknown basis 'all'; expected one of measured, enrolled"):
        indicators_csv(session, basis="all")


def test_the_date_window_keeps_cohorts_that_overlap_it(session: Session, plan: str) -> None:
    load(
        session,
        cohort("c1", "2024-01-01", "2024-06-30"),
        cohort("c2", "2024-06-01", "2024-12-31"),
        cohort("c3", "2025-01-01", "2025-06-30"),
        person("p1", "c1"),
        person("p2", "c2"),
        person("p3", "c3"),
    )
    out = numbers(session, plan, window=(date(2024, 6, 30), date(2024, 12, 31)))
    assert out["filters"] == {
        "cohort": None,
        "basis": "measured",
        "from": "2024-06-30",
        "to": "2024-12-31",
    }
    assert out["total"]["enrolled"] == 2
    assert numbers(session, plan, window=(date(2025, 1, 1), None))["total"]["enrolled"] == 1
    assert numbers(session, plan, window=(None, date(2024, 5, 31)))["total"]["enrolled"] == 1


# --- rounding ---------------------------------------------------------------------------------


def test_shares_round_half_up_on_the_exact_fraction() -> None:
    assert share(1, 32) == 0.0313  # 0.03125: Python's round() would give 0.0312
    assert share(1, 3) == 0.3333
    assert share(2, 3) == 0.6667
    assert share(105, 362) == 0.2901
    assert share(362, 511) == 0.7084
    assert share(5, 5) == 1.0
    assert share(0, 7) == 0.0
    assert share(0, 0) is None


def test_a_half_way_share_in_the_json_rounds_up(session: Session, plan: str) -> None:
    records = [person(f"p{k:02d}") for k in range(32)]
    records += [result(f"p{k:02d}") for k in range(32)]
    records += [baseline("p00"), result("p00", employment="part_time")]
    out = one(session, plan, *records)
    assert ind(out, "got_job") == (1, 32, 0.0313)
