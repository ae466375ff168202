"""Translated materials follow their Swedish original: the check and the repository's materials."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.materials import (
    LRI,
    MATERIALS_DIR,
    PDI,
    Material,
    check_translations,
    compare_to_original,
    load_materials,
    main,
    parse_material,
    sections,
)

SWEDISH = """---
topic: validation
lang: sv
audience: both
title: Utländsk utbildning
---
## UHR:s utlåtande

UHR bedömer utländsk utbildning. Ansök på uhr.se, det kan ta 3 månader.

1. Ansök på webben.
2. Ladda upp dokumenten.

## Legitimation i vården

Socialstyrelsen ger legitimation. Du behöver svenska på nivå C1.

- Läkare och sjuksköterskor.
- Tandläkare.

## Svenska först

Börja med svenskan tidigt – det tar längst tid av allt, och det lönar sig alltid.
"""

ENGLISH = """---
topic: validation
lang: en
audience: both
title: Foreign education
---
## UHR's statement

UHR assesses foreign education. Apply at uhr.se, it can take 3 months.

1. Apply online.
2. Upload the documents.

## A licence in health care

Socialstyrelsen gives the licence. You need Swedish at level C1.

- Doctors and nurses.
- Dentists.

## Swedish first

Start with Swedish early – it takes the longest of all, and it always pays off.
"""


def _material(text: str, name: str) -> Material:
    return parse_material(text, Path(name))


def _problems(translation: str, name: str = "validation.en.md") -> list[str]:
    return compare_to_original(_material(SWEDISH, "validation.sv.md"), _material(translation, name))


def test_a_faithful_translation_has_no_problems() -> None:
    assert _problems(ENGLISH) == []


def test_sections_are_read_with_their_lists_numbers_and_addresses() -> None:
    first, second, third = sections(_material(SWEDISH, "validation.sv.md"))
    assert first.heading == "UHR:s utlåtande"
    assert (first.numbered, first.bullets) == (2, 0)
    assert first.numbers == ("3",)  # the list markers 1. and 2. are not numbers of the text
    assert first.links == ("uhr.se",)
    assert (second.bullets, second.numbers) == (2, ("1",))
    assert third.numbers == ()
    assert third.links == ()


def test_a_missing_section_is_named_with_the_originals_headings() -> None:
    dropped = ENGLISH.split("## Swedish first")[0]
    [problem] = _problems(dropped)
    assert "validation.en.md" in problem
    assert "2 sections, the original has 3" in problem
    assert "UHR:s utlåtande | Legitimation i vården | Svenska först" in problem


def test_an_empty_section_is_reported() -> None:
    empty = ENGLISH.replace(
        "Start with Swedish early – it takes the longest of all, and it always pays off.\n", ""
    )
    problems = _problems(empty)
    assert any("section 3 'Swedish first' is empty" in p for p in problems), problems


def test_a_changed_number_or_address_is_reported() -> None:
    changed = ENGLISH.replace("3 months", "6 months").replace("uhr.se", "uhr.example.org")
    problems = _problems(changed)
    assert any("numbers 6; the original has 3" in p for p in problems), problems
    assert any("web addresses uhr.example.org; the original has uhr.se" in p for p in problems)


def test_list_items_must_match() -> None:
    extra = ENGLISH.replace("2. Upload the documents.\n", "2. Upload the documents.\n3. Wait.\n")
    fewer = ENGLISH.replace("- Dentists.\n", "")
    assert any("3 numbered items, the original has 2" in p for p in _problems(extra))
    assert any("1 bulleted items, the original has 2" in p for p in _problems(fewer))


def test_a_section_much_shorter_than_the_original_is_reported() -> None:
    cut = ENGLISH.replace(
        "Start with Swedish early – it takes the longest of all, and it always pays off.",
        "Start early.",
    )
    problems = _problems(cut)
    assert any("section 3 'Swedish first' is shorter" in p for p in problems), problems


def test_a_translation_of_a_different_audience_is_reported() -> None:
    mentors = ENGLISH.replace("audience: both", "audience: mentor")
    assert any("audience 'mentor', the original says 'both'" in p for p in _problems(mentors))


def test_text_before_the_first_heading_must_correspond() -> None:
    intro = ENGLISH.replace(
        "---\n## UHR's statement", "---\nAn introduction.\n\n## UHR's statement"
    )
    [problem] = _problems(intro)
    assert "4 sections, the original has 3" in problem


def test_digits_in_another_script_are_the_same_numbers() -> None:
    persian = ENGLISH.replace("lang: en", "lang: fa").replace("3 months", "۳ ماه")
    assert _problems(persian, "validation.fa.md") == []


def test_a_latin_quotation_ending_in_an_ellipsis_needs_an_isolate_in_arabic() -> None:
    quoted = "Socialstyrelsen gives the licence. Say «Jag har arbetat som …» in Swedish."
    arabic = ENGLISH.replace("lang: en", "lang: ar").replace(
        "Socialstyrelsen gives the licence.", quoted
    )
    [problem] = _problems(arabic, "validation.ar.md")
    assert "«Jag har arbetat som …» needs U+2066 before and U+2069 after" in problem
    isolated = arabic.replace("«Jag har arbetat som …»", f"«{LRI}Jag har arbetat som …{PDI}»")
    assert _problems(isolated, "validation.ar.md") == []
    # the same quotation is fine in a left-to-right language, and without the ellipsis in Arabic
    assert _problems(ENGLISH.replace("Socialstyrelsen gives the licence.", quoted)) == []
    plain = arabic.replace("«Jag har arbetat som …»", "«Jag har arbetat som sjuksköterska.»")
    assert _problems(plain, "validation.ar.md") == []


def test_a_translation_without_a_swedish_original_is_reported() -> None:
    english = _material(ENGLISH, "validation.en.md")
    assert check_translations([english]) == [
        "validation.en.md: no Swedish original (validation.sv.md)"
    ]


def test_every_translation_in_the_repository_follows_its_swedish_original() -> None:
    materials = load_materials(MATERIALS_DIR)
    assert {m.lang for m in materials} >= {"sv", "en", "ar", "fa", "uk", "so", "ti", "ru"}
    assert check_translations(materials) == []


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "validation.sv.md").write_text(SWEDISH, encoding="utf-8")
    (tmp_path / "validation.en.md").write_text(ENGLISH, encoding="utf-8")
    return tmp_path


def test_the_command_passes_a_faithful_folder(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", str(folder)]) == 0
    assert "1 translated material follows its Swedish original" in capsys.readouterr().out


def test_the_command_fails_and_names_the_drifting_file(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "validation.en.md").write_text(ENGLISH.replace("3 months", "4 months"), "utf-8")
    assert main(["--check", str(folder)]) == 1
    out = capsys.readouterr()
    assert "validation.en.md" in out.out
    assert "numbers 4; the original has 3" in out.out
    assert "1 problem in 1 translated material" in out.err


def test_the_command_says_why_it_cannot_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", str(tmp_path / "nowhere")]) == 2
    assert "materials folder not found" in capsys.readouterr().err
