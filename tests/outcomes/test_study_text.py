"""The plain sentences of a study: every verdict, every edge, both languages; never "no effect"
for a difference that was not shown, always the detectable difference; the catalog complete."""

from __future__ import annotations

import re
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from outcomes.errors import Invalid
from outcomes.study_text import (
    LANGUAGES,
    association_sentence,
    comparison_sentence,
    po_path,
    translations,
)


def comparison(
    n_i: int, of_i: int, n_c: int, of_c: int, *, verdict: str = "not_shown", mde: Any = 0.2461
) -> dict[str, Any]:
    share_i = n_i / of_i if of_i else None
    share_c = n_c / of_c if of_c else None
    difference = share_i - share_c if of_i and of_c else None  # type: ignore[operator]
    return {
        "intervention": {"n": n_i, "of": of_i, "share": share_i},
        "control": {"n": n_c, "of": of_c, "share": share_c},
        "difference": difference,
        "mde": mde,
        "verdict": verdict,
    }


def test_the_specs_example_sentence() -> None:
    assert comparison_sentence(comparison(20, 55, 17, 55)) == (
        "36 % vs 31 %: a difference of 5 points, which could be chance. "
        "With this many people, only a difference of about 25 points would have shown."
    )
    assert comparison_sentence(comparison(20, 55, 17, 55), "sv") == (
        "36 % mot 31 %: en skillnad på 5 procentenheter, som kan bero på slumpen. "
        "Med så här många deltagare hade bara en skillnad på omkring 25 procentenheter kunnat "
        "visa sig."
    )


@pytest.mark.parametrize(
    ("case", "en", "sv"),
    [
        (
            comparison(40, 50, 10, 50, verdict="more_in_intervention", mde=0.25),
            "80 % vs 20 %: 60 points more in the intervention group, more than chance would explain. "
            "With this many people, differences of about 25 points or more could be detected.",
            "80 % mot 20 %: 60 procentenheter mer i interventionsgruppen",
        ),
        (
            comparison(10, 50, 40, 50, verdict="more_in_control", mde=0.01),
            "20 % vs 80 %: 60 points more in the control group, more than chance would explain. "
            "With this many people, differences of about 1 point or more could be detected.",
            "omkring 1 procentenhet eller mer",
        ),
        (
            comparison(21, 100, 20, 100, mde=0.16),
            "21 % vs 20 %: a difference of 1 point, which could be chance.",
            "en skillnad på 1 procentenhet,",
        ),
        (
            comparison(200, 1000, 201, 1000, mde=0.05),
            "20 % vs 20 %: less than one point apart, which could be chance. With this many "
            "people, only a difference of about 5 points would have shown.",
            "mindre än en procentenhet",
        ),
        (
            comparison(0, 30, 0, 30, mde=None),
            "No one in either group had this (0 % vs 0 %), so this study could not have shown a difference.",
            "Ingen i någon av grupperna hade detta (0 % mot 0 %)",
        ),
        (
            comparison(30, 30, 30, 30, mde=None),
            "Everyone in both groups had this (100 % vs 100 %), so this study could not have shown a difference.",
            "Alla i båda grupperna",
        ),
        (
            comparison(3, 6, 0, 0, mde=None),
            "No one in the control group has been measured, so the groups cannot be compared and no difference could have shown.",
            "Ingen i kontrollgruppen har mätts",
        ),
        (
            comparison(0, 0, 3, 6, mde=None),
            "No one in the intervention group has been measured",
            "Ingen i interventionsgruppen har mätts",
        ),
        (
            comparison(0, 0, 0, 0, mde=None),
            "No one in either group has been measured",
            "Ingen i någon av grupperna har mätts",
        ),
    ],
)
def test_every_verdict_and_edge_in_both_languages(case: dict[str, Any], en: str, sv: str) -> None:
    english, swedish = comparison_sentence(case, "en"), comparison_sentence(case, "sv")
    assert en in english
    assert sv in swedish
    for text in (english, swedish):
        assert "no effect" not in text.lower()
        assert "ingen effekt" not in text.lower()
    if case["verdict"] == "not_shown" and case["mde"] is not None:
        assert "could be chance" in english
        assert f"about {round(100 * case['mde'])} point" in english
    if case["mde"] is None:  # and why no difference could have shown
        assert "could not have shown" in english or "no difference could have shown" in english


def test_associations_are_said_to_be_associations() -> None:
    block = {"with_step": {"share": 0.4}, "without_step": {"share": 0.1125}}
    assert association_sentence(block) == (
        "40 % of those who took this step got a job, 11 % of those who did not: an association, "
        "not an effect."
    )
    assert "ett samband, inte en effekt" in association_sentence(block, "sv")
    empty = {"with_step": {"share": None}, "without_step": {"share": 0.2}}
    assert "cannot be compared" in association_sentence(empty)


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(Invalid, match="fr"):
        comparison_sentence(comparison(1, 2, 1, 2), "fr")  # type: ignore[arg-type]


def test_every_text_is_translated_with_the_same_placeholders() -> None:
    import outcomes.study_text as module

    found = [
        msg
        for _line, msg, _comments, _ctx in extract_from_file(
            "python", module.__file__, keywords={"_": None, "ngettext": (1, 2), "gettext": None}
        )
    ]
    assert len(found) >= 14
    placeholder = re.compile(r"{[a-z_]+}")
    for lang in LANGUAGES:
        if lang == "en":
            continue
        with po_path(lang).open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for msg in found:
            ids = msg if isinstance(msg, tuple) else (msg,)
            entry = catalog.get(ids[0])
            assert entry is not None, (lang, ids[0])
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            assert all(strings), (lang, ids[0])
            assert not entry.fuzzy
            for text in strings:
                assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(ids[-1]))
        assert translations(lang).gettext(found[0]) != found[0]
