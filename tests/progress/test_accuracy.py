"""The done-when of issue 6 on the seven languages' files, which are SEEN, not held out.

heldout.jsonl: 150 messages in all seven languages (44 report no event, 9 report two).
heldout2.jsonl: 100 more, written after the method was fixed (32 no event, 4 with two).
Both were held out for their first run only (progress/NOTES.md): mechanisms were fixed after
their misses were read, so they are seen now and guard against regressions, not unbiased
figures. No line of either file was copied into the exemplars (tests/progress/test_honest.py).
The unseen set of issue 14 is heldout-extra.jsonl (tests/progress/FIRST_RUN.md). Targets: the exact set of event types is
right for >= 90 % of Swedish and English messages and >= 80 % overall, and <= 5 % of no-event
messages are given an event.
"""

from __future__ import annotations

import pytest

from progress.classify import Classifier
from progress.evaluate import (
    TARGET_FALSE_EVENT,
    TARGET_OVERALL,
    TARGET_SV_EN,
    EvalReport,
    evaluate,
    format_report,
    read_labelled,
)
from tests.progress.conftest import HELDOUT, HELDOUT_FRESH
from tests.utils.paths import shared_eval_file


def _assert_targets(report: EvalReport) -> None:
    summary = format_report(report)
    assert (report.sv_en.share or 0.0) >= TARGET_SV_EN, summary
    assert (report.overall.share or 0.0) >= TARGET_OVERALL, summary
    assert report.false_event_rate is not None
    assert report.false_event_rate <= TARGET_FALSE_EVENT, summary
    for lang, score in report.per_language.items():  # no language is left far behind
        assert (score.share or 0.0) >= 0.8, f"{lang}\n{summary}"


def test_heldout_messages_meet_the_targets(classifier: Classifier) -> None:
    items = read_labelled(HELDOUT)
    assert {i.lang for i in items} == {"sv", "en", "ar", "fa", "uk", "so", "ti"}
    report = evaluate(items, classifier)
    _assert_targets(report)
    # questions go to the knowledge base; greetings, plans and reports do not
    assert report.question_detected.total >= 140
    assert report.question_detected.share is not None
    assert report.question_detected.share >= 0.95


@pytest.mark.slow
def test_fresh_heldout_messages_meet_the_targets(classifier: Classifier) -> None:
    _assert_targets(evaluate(read_labelled(HELDOUT_FRESH), classifier))


@pytest.mark.slow
def test_dev_file_meets_the_targets(classifier: Classifier) -> None:
    report = evaluate(read_labelled(shared_eval_file("progress-dev.jsonl")), classifier)
    assert report.meets_targets, format_report(report)
