"""The workspace's group meetings: plan one for a cohort (invitations queued at once), a bad form
says what is wrong and stores nothing, the meeting page shows the check-in code and the counts,
and ticking who came saves attendance (the participant's pair gets its Meeting)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from core.vocab import Gender
from outcomes import group_meetings as gm
from outcomes.clock import STOCKHOLM, set_clock
from outcomes.contacts import PersonRole, bind
from outcomes.models import Cohort, Meeting, Mentor, Pair, Participant
from outcomes.schedule_models import ScheduledItem
from tests.staff.conftest import csrf_of

START = date(2025, 2, 1)
PLANNED = datetime(2025, 2, 6, 15, 50, tzinfo=UTC)  # 16:50 in Stockholm, the meeting at 17:30


def _cohort(db, settings) -> None:
    with Session(db) as session:
        session.add(Cohort(id="c-1", name="Round 1", start=START, end=START + timedelta(days=240)))
        session.add(Participant(id="p-0", cohort="c-1", gender=Gender.woman))
        session.add(Mentor(id="m-0", cohort="c-1"))
        session.flush()
        session.add(Pair(id="pair-0", mentor="m-0", participant="p-0", matched_on=START))
        session.flush()
        for uid, person, role in (
            (801, "p-0", PersonRole.participant),
            (802, "m-0", PersonRole.mentor),
        ):
            bind(
                session,
                settings,
                user_id=uid,
                chat_id=uid,
                person=person,
                role=role,
                pair="pair-0",
                language="ar",
            )
        session.commit()


def _count(db, model) -> int:
    with Session(db) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_plan_a_meeting_then_tick_who_came(client_for, db, settings) -> None:
    _cohort(db, settings)
    set_clock(lambda: PLANNED)
    try:
        staff = client_for("staff")
        page = staff.get("/staff/group-meetings?cohort=c-1")
        assert page.status_code == 200
        assert "No group meetings planned for this cohort yet." in page.text
        form = {
            "csrf": csrf_of(page.text),
            "cohort": "c-1",
            "kind": "workshop_interview",
            "day": "2025-02-06",
            "starts": "17:30",
            "ends": "19:30",
            "place": "Stadsbiblioteket",
            "note_sv": "Ta med ditt CV.",
            "note_ar": "أحضر سيرتك الذاتية.",
        }
        bad = staff.post("/staff/group-meetings", data={**form, "day": "2025-01-06"})
        assert bad.status_code == 422
        assert "The meeting must start in the future." in bad.text
        assert 'value="Stadsbiblioteket"' in bad.text  # what was typed is kept
        no_time = staff.post("/staff/group-meetings", data={**form, "starts": "half past"})
        assert no_time.status_code == 422
        assert "Give a time, for example 17:30." in no_time.text
        assert (_count(db, gm.GroupMeeting), _count(db, ScheduledItem)) == (0, 0)

        done = staff.post("/staff/group-meetings", data=form, follow_redirects=False)
        assert done.status_code == 303, done.text
        meeting_url = done.headers["location"].split("?")[0]
        with Session(db) as session:
            [meeting] = session.exec(select(gm.GroupMeeting)).all()
            assert meeting.starts_at == datetime(2025, 2, 6, 17, 30, tzinfo=STOCKHOLM)
            assert meeting.note == {"sv": "Ta med ditt CV.", "ar": "أحضر سيرتك الذاتية."}
            invites = session.exec(select(ScheduledItem).where(ScheduledItem.kind == gm.INVITE))
            assert sorted(i.person for i in invites) == ["m-0", "p-0"]
        shown = staff.get(meeting_url)
        assert meeting.code in shown.text
        assert "Planned." not in shown.text
        counts = re.search(r'<table id="counts".*?</table>', shown.text, re.S)
        assert counts is not None
        assert re.findall(r'<td class="num">(\d+)</td>', counts.group(0)) == [
            "2",
            "0",
            "0",
            "2",
            "0",
        ]

        tick = {"csrf": csrf_of(shown.text), "present": ["p-0"]}
        early = staff.post(f"{meeting_url}/attendance", data=tick)
        assert early.status_code == 422
        assert "half an hour before" in early.text
        set_clock(lambda: datetime(2025, 2, 6, 17, 5, tzinfo=STOCKHOLM))  # from 17:00
        saved = staff.post(f"{meeting_url}/attendance", data=tick)
        assert saved.status_code == 200  # followed to the page
        assert "Attendance saved." in saved.text
        with Session(db) as session:
            rows = {r.person: r.attended for r in session.exec(select(gm.GroupMeetingPerson))}
            assert rows == {"p-0": True, "m-0": False}
            [kept] = session.exec(select(Meeting)).all()
            assert (kept.pair, kept.kind, kept.held_on) == (
                "pair-0",
                "workshop_interview",
                date(2025, 2, 6),
            )
        listed = staff.get("/staff/group-meetings?cohort=c-1")
        assert "Interview workshop" in listed.text
    finally:
        set_clock(None)


def test_analysts_may_not_plan_and_the_page_speaks_swedish(client_for, db, settings) -> None:
    _cohort(db, settings)
    analyst = client_for("analyst")
    assert analyst.get("/staff/group-meetings").status_code == 403
    admin = client_for("admin")
    token = csrf_of(admin.get("/staff/overview").text)
    admin.post("/staff/language", data={"csrf": token, "language": "sv"})
    page = admin.get("/staff/group-meetings")
    assert page.status_code == 200
    assert "Planera en gruppträff" in page.text
    assert "Inga gruppträffar är planerade för den här omgången ännu." in page.text
