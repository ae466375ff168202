"""Meeting ideas: the month's theme, and nudges towards references, visits and language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.ideas import IDEAS_FILE, agenda_for, choose, load_ideas, parse_ideas, program_month
from outcomes.clock import today
from outcomes.schemas import EventCreate, MeetingCreate
from outcomes.service import log_meeting, record_event, void_event
from tests.utils.pairs import make_pair


def ids(ideas):
    return [i.id for i in ideas]


def test_the_months_of_a_round():
    ideas = load_ideas()
    first = choose(ideas, 1, False, set(), set())
    assert ids(first)[0] == "first_meeting"
    assert "references" in ids(first)  # a pair without a reference is steered there at once
    assert ids(choose(ideas, 2, False, set(), set()))[0] == "cv_letter"
    assert ids(choose(ideas, 4, False, set(), set()))[0] == "interview"
    assert ids(choose(ideas, 8, True, set(), set()))[0] == "next_steps"
    assert all(len(choose(ideas, m, m == 8, set(), set())) <= 3 for m in range(1, 9))


def test_nudges_stop_when_the_pair_has_done_it():
    ideas = load_ideas()
    done_all = ids(choose(ideas, 2, False, {"reference_obtained", "workplace_visit"}, {"language"}))
    assert done_all == ["cv_letter"]
    visits_by_meeting = ids(choose(ideas, 2, False, {"reference_obtained"}, {"workplace_visit"}))
    assert visits_by_meeting == ["cv_letter", "trade_language"]
    # the month's own theme stays even when its step is done, if nothing else is left
    assert ids(
        choose(
            ideas, 5, False, {"reference_obtained", "workplace_visit", "swedish_improved"}, set()
        )
    ) == ["references"]


def test_program_month():
    start = today()
    end = start + timedelta(days=243)  # eight months
    assert program_month(start, end, start) == (1, 8, False)
    assert program_month(start, end, start + timedelta(days=31)) == (2, 8, False)
    assert program_month(start, end, end) == (8, 8, True)
    assert program_month(start, end, end + timedelta(days=40)) == (8, 8, True)
    assert program_month(start, end, start - timedelta(days=5)) == (1, 8, False)


def test_the_data_file_is_checked():
    with pytest.raises(ValueError, match="unknown"):
        parse_ideas({"ideas": [{"id": "x", "title": "X", "points": ["p"], "topics": ["nope"]}]})
    with pytest.raises(ValueError, match="unknown"):
        parse_ideas(
            {
                "ideas": [
                    {
                        "id": "x",
                        "title": "X",
                        "points": ["p"],
                        "unless_done": {"events": ["got_rich"]},
                    }
                ]
            }
        )
    with pytest.raises(ValueError, match="no points"):
        parse_ideas({"ideas": [{"id": "x", "title": "X"}]})
    assert len(parse_ideas(__import__("yaml").safe_load(IDEAS_FILE.read_text()))) >= 9


def test_agenda_from_the_pairs_events_and_meetings(db):
    pair = make_pair(db, start=today() - timedelta(days=70))  # month 3: LinkedIn
    with Session(db) as s:
        assert ids(agenda_for(s, pair.pair, today()).ideas) == [
            "linkedin",
            "references",
            "workplace_visit",
        ]
        ref = record_event(
            s,
            event=EventCreate(
                participant=pair.participant,
                type="reference_obtained",
                occurred_on=today(),
                source="mentor",
            ),
            actor="t",
        )
        log_meeting(
            s,
            meeting=MeetingCreate(pair=pair.pair, held_on=today(), activities=["workplace_visit"]),
            logged_by="mentor",
            actor="t",
        )
        agenda = agenda_for(s, pair.pair, today())
        assert (agenda.month, agenda.months, agenda.last) == (3, 8, False)
        assert ids(agenda.ideas) == ["linkedin", "trade_language"]
        assert agenda.topics == ["linkedin", "swedish_language"]
        void_event(s, event_id=ref.id, actor="t")  # a voided reference does not count
        assert "references" in ids(agenda_for(s, pair.pair, today()).ideas)


def test_nudges_follow_the_steered_steps_strongest_first():
    ideas = load_ideas()
    # the report's finding (the default): references, workplace visits, language
    assert ids(choose(ideas, 1, False, set(), set())) == [
        "first_meeting",
        "references",
        "workplace_visit",
    ]
    # the program's own table: networking goes with a job more strongly than a CV
    steered = ["network_expanded", "cv_improved"]
    assert ids(choose(ideas, 1, False, set(), set(), steered)) == [
        "first_meeting",
        "networking",
        "cv_letter",
    ]
    # a steered step already done is no longer nudged; unsteered ideas are never nudges
    assert ids(choose(ideas, 1, False, {"network_expanded"}, set(), steered)) == [
        "first_meeting",
        "cv_letter",
    ]
    assert ids(choose(ideas, 1, False, set(), set(), [])) == ["first_meeting"]
    # a month's theme about a step that is not steered stays, done or not
    assert ids(choose(ideas, 2, False, {"cv_improved"}, set(), ["reference_obtained"])) == [
        "cv_letter",
        "references",
    ]


def test_the_programs_own_evidence_steers_from_200_measured(db):
    import json as _json

    from outcomes.importer import import_jsonl

    pair = make_pair(db, start=today() - timedelta(days=10))  # month 1
    lines = [
        _json.dumps(
            {
                "kind": "cohort",
                "id": "old",
                "name": "Old",
                "start": "2024-01-01",
                "end": "2024-06-30",
            }
        )
    ]
    for i in range(220):  # a CV goes with a job here, and nothing else does
        got = i % 2 == 1
        cv = (got and i % 4 == 1) or (not got and i % 16 == 0)
        lines.append(
            _json.dumps({"kind": "participant", "id": f"o{i}", "cohort": "old", "gender": "man"})
        )
        for wave, answers in (
            ("baseline", {"employment": "none"}),
            (
                "result",
                {"employment": "full_time" if got else "none", "items": {"cv_improved": cv}},
            ),
        ):
            lines.append(
                _json.dumps(
                    {
                        "kind": "survey",
                        "participant": f"o{i}",
                        "wave": wave,
                        "answered_on": "2024-06-30",
                        "answers": answers,
                    }
                )
            )
    with Session(db) as s:
        assert ids(agenda_for(s, pair.pair, today()).ideas) == [
            "first_meeting",
            "references",
            "workplace_visit",
        ]
        import_jsonl(s, lines, actor="test")
        s.commit()
        assert ids(agenda_for(s, pair.pair, today()).ideas) == ["first_meeting", "cv_letter"]
