"""bot/surveys.yaml: the questions map exactly onto the spec's survey answers, in order."""

from __future__ import annotations

import pytest

from bot.common import EVENT_LABELS
from bot.surveys import SurveyFileError, load_surveys, parse_surveys
from core.vocab import STEP_ITEMS, Wave
from outcomes.schemas import SurveyAnswers

SPEC_KEYS = {"employment", "job_relevant", "interviews_last_2_months", "professional_contacts"}
RESULT_KEYS = SPEC_KEYS | {
    "job_changed",
    "items",
    "program_contributed.job",
    "program_contributed.internship",
    "program_contributed.education_started",
    "satisfaction",
}


def test_every_wave_asks_the_spec_questions_and_result_asks_more() -> None:
    surveys = load_surveys()
    assert set(surveys.waves) == {w.value for w in Wave}
    for wave in ("baseline", "followup_1", "followup_2"):
        assert {q.key for q in surveys.wave(wave).questions} == SPEC_KEYS
    assert {q.key for q in surveys.wave("result").questions} == RESULT_KEYS


def test_each_button_stores_a_valid_answer_under_its_key() -> None:
    surveys = load_surveys()
    employment = surveys.questions["employment"]
    assert [employment.value_of(o.code) for o in employment.options] == [
        "none",
        "part_time",
        "full_time",
    ]
    assert employment.answers_for("part_time") == SurveyAnswers(employment="part_time")
    relevant = surveys.questions["job_relevant"]
    assert relevant.value_of("n") is False  # "no" is False; a skip is no answer at all
    contrib = surveys.questions["contributed_internship"]
    assert contrib.answers_for(contrib.value_of("u")).program_contributed.internship == "unsure"  # type: ignore[union-attr]
    interviews = surveys.questions["interviews"]
    assert interviews.value_of("10") == 10
    with pytest.raises(KeyError):
        interviews.value_of("11")
    satisfaction = surveys.questions["satisfaction"]
    assert [satisfaction.value_of(o.code) for o in satisfaction.options] == [1, 2, 3, 4, 5]


def test_step_items_are_the_ten_spec_items_with_step_labels() -> None:
    items = load_surveys().questions["items"]
    assert [o.value for o in items.options] == list(STEP_ITEMS)
    assert all(o.event in EVENT_LABELS for o in items.options)
    ticked = items.value_of(f"{0b101:x}")  # the first and third ticked
    assert ticked == {k: k in ("internship", "cv_improved") for k in STEP_ITEMS}
    assert SurveyAnswers(items=ticked).items is not None


def test_next_question_skips_what_does_not_apply_and_what_was_skipped() -> None:
    result = load_surveys().wave("result")
    names = lambda answers, skipped: [q.name for q in result.open_questions(answers, skipped)]  # noqa: E731
    # not employed: no job relevance, job change or job contribution questions
    assert names({"employment": "none"}, set()) == [
        "interviews",
        "contacts",
        "items",
        "satisfaction",
    ]
    # employed and had an internship: asked whether the program helped with both
    answers = {"employment": "full_time", "items": {"internship": True, "education_started": False}}
    assert names(answers, {"job_relevant"}) == [
        "job_changed",
        "interviews",
        "contacts",
        "contributed_job",
        "contributed_internship",
        "satisfaction",
    ]
    # resume at the first unanswered one
    assert (
        result.next_question({"employment": "none", "interviews_last_2_months": 0}, set()).name
        == "contacts"
    )  # type: ignore[union-attr]


def test_position_counts_only_questions_that_can_still_come() -> None:
    baseline = load_surveys().wave("baseline")
    first = baseline.questions[0]
    assert baseline.position(first, {}, set()) == (1, 4)
    after_no = {"employment": "none"}
    interviews = baseline.next_question(after_no, set())
    assert interviews is not None
    assert baseline.position(interviews, after_no, set()) == (2, 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["questions"]["employment"]["options"].append(
                {"code": "x", "value": "sometimes", "label": "Sometimes"}
            ),
            "does not fit employment",
        ),
        (lambda d: d["waves"].pop("followup_2"), "every wave"),
        (lambda d: d["waves"]["result"]["questions"].append("mood"), "unknown questions"),
        (lambda d: d["questions"]["contacts"].update(code="emp"), "share a code"),
    ],
)
def test_a_broken_file_is_refused_with_the_reason(change, message) -> None:
    import copy

    import yaml

    from bot.surveys import SURVEYS_FILE

    data = copy.deepcopy(yaml.safe_load(SURVEYS_FILE.read_text(encoding="utf-8")))
    change(data)
    with pytest.raises(SurveyFileError, match=message):
        parse_surveys(data)
