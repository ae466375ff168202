"""The group meeting shares of the indicator engine equal an independent computation in Python
(per cohort: participants with a Meeting of the kind, for a pair of theirs, inside their window),
on random data; the spec's indicators do not change when group meetings are added."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session, select

from outcomes.indicators import (
    GROUP_MEETING_KINDS,
    compute_indicators,
    group_meeting_attendance,
    share,
)
from outcomes.models import Cohort, Meeting, Pair, Participant
from tests.utils.factories import make_cohort, make_meeting, make_pair, make_participant


def _independent(session: Session, cohorts: list[str]) -> list[dict]:
    out = []
    for cid in sorted(cohorts):
        cohort = session.get(Cohort, cid)
        assert cohort is not None
        people = session.exec(select(Participant).where(Participant.cohort == cid)).all()
        entry: dict = {"cohort": cid, "enrolled": len(people)}
        for kind in GROUP_MEETING_KINDS:
            n = 0
            for p in people:
                start, end = p.joined_on or cohort.start, p.left_on or cohort.end
                pairs = {x.id for x in session.exec(select(Pair).where(Pair.participant == p.id))}
                if any(
                    m.pair in pairs and m.kind == kind and start <= m.held_on <= end
                    for m in session.exec(select(Meeting))
                ):
                    n += 1
            entry[kind] = {"n": n, "of": len(people), "share": share(n, len(people))}
        out.append(entry)
    return out


def test_group_meeting_shares_equal_an_independent_computation(session: Session) -> None:
    rng = random.Random(13)
    cohorts = [make_cohort(session, id=f"gmc-{i}").id for i in range(3)]
    for cid in cohorts:
        for _ in range(rng.randint(6, 12)):
            joined = date(2025, 1, 1) + timedelta(days=rng.choice([0, 0, 40]))
            left = rng.choice([None, None, date(2025, 6, 30)])
            p = make_participant(session, cohort=cid, joined_on=joined, left_on=left)
            pair = make_pair(session, participant=p)
            for kind in (*GROUP_MEETING_KINDS, "individual"):
                if rng.random() < 0.5:
                    day = date(2025, 1, 1) + timedelta(days=rng.randint(-20, 380))
                    make_meeting(session, pair=pair, held_on=day, kind=kind, activities=())
    session.commit()
    every = group_meeting_attendance(session)["cohorts"]
    assert every == _independent(session, cohorts)
    assert any(e[k]["n"] for e in every for k in GROUP_MEETING_KINDS)
    assert any(e[k]["n"] < e["enrolled"] for e in every for k in GROUP_MEETING_KINDS)
    one = group_meeting_attendance(session, cohort=cohorts[1])
    assert one == {
        "filters": {"cohort": cohorts[1]},
        "cohorts": _independent(session, [cohorts[1]]),
    }
    spring = group_meeting_attendance(session, window=(date(2025, 3, 1), None))
    assert spring["cohorts"] == every  # all three cohorts overlap it


def test_the_other_indicators_do_not_change_with_group_meetings(session: Session) -> None:
    cohort = make_cohort(session, id="gmc-x")
    pairs = [
        make_pair(session, participant=make_participant(session, cohort=cohort)) for _ in range(4)
    ]
    session.commit()
    before = compute_indicators(session, cohort="gmc-x")
    for pair in pairs[:3]:
        make_meeting(session, pair=pair, held_on=date(2025, 2, 6), kind="kickoff", activities=())
    session.commit()
    after = compute_indicators(session, cohort="gmc-x")
    assert after == before
    [entry] = group_meeting_attendance(session, cohort="gmc-x")["cohorts"]
    assert entry["kickoff"] == {"n": 3, "of": 4, "share": 0.75}
    assert entry["workshop_interview"] == {"n": 0, "of": 4, "share": 0.0}
