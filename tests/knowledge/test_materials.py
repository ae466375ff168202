"""Loading, checking and splitting the support material."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.languages import LANGUAGES
from knowledge.materials import (
    MATERIALS_DIR,
    TOPICS,
    MaterialError,
    load_materials,
    parse_material,
    split_material,
)

GOOD = """---
topic: cv
lang: sv
audience: participant
title: Ett svenskt CV
title_en: A Swedish CV
summary: Kort om CV.
keywords: [CV, резюме]
---
## Längd
Ett CV är en eller två sidor.

## Foto
Foto behövs inte.
"""


def test_front_matter_and_sections_are_read() -> None:
    material = parse_material(GOOD, Path("cv.sv.md"))
    assert (material.topic, material.lang, material.audience) == ("cv", "sv", "participant")
    assert material.title_en == "A Swedish CV"
    assert material.keywords == ("CV", "резюме")
    card, *chunks = split_material(material)
    assert [c.section for c in chunks] == ["Längd", "Foto"]
    assert chunks[0].text == "Ett CV är en eller två sidor."
    assert chunks[0].id == "cv.sv:00.0"
    assert chunks[0].embed_text == "Längd\nEtt CV är en eller två sidor."
    meta = chunks[0].metadata()
    assert meta["topic"] == "cv"
    assert meta["lang"] == "sv"
    assert meta["title"] == "Ett svenskt CV"
    assert meta["kind"] == "passage"
    # the card carries the titles, summary and keywords: cross-lingual anchors, never shown
    assert card.kind == "card"
    assert card.id == "cv.sv:card"
    assert card.embed_text == "Ett svenskt CV (A Swedish CV). Kort om CV.\nCV, резюме"


def test_a_long_section_is_cut_into_parts_at_sentence_ends() -> None:
    sentence = "Det här är en mening om praktik på en arbetsplats i Sverige. "
    text = GOOD.replace("Foto behövs inte.", sentence * 40)
    chunks = split_material(parse_material(text, Path("cv.sv.md")), max_chars=400)
    parts = [c for c in chunks if c.section == "Foto" and c.kind == "passage"]
    assert len(parts) > 2
    assert all(len(c.text) <= 400 for c in parts)
    assert all(c.text.endswith(".") for c in parts)
    assert [c.part for c in parts] == list(range(len(parts)))


def test_content_hash_changes_only_with_the_text() -> None:
    first = split_material(parse_material(GOOD, Path("cv.sv.md")))[1:]
    changed = split_material(
        parse_material(GOOD.replace("Foto behövs inte.", "Inget foto."), Path("cv.sv.md"))
    )[1:]
    assert first[0].content_hash == changed[0].content_hash
    assert first[1].content_hash != changed[1].content_hash


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter", "missing YAML front matter"),
        (GOOD.replace("topic: cv", "topic: cooking"), "unknown topic 'cooking'"),
        (GOOD.replace("lang: sv", "lang: de"), "unknown lang 'de'"),
        (GOOD.replace("title: Ett svenskt CV\n", ""), "needs 'title'"),
        (GOOD.replace("audience: participant", "audience: everyone"), "audience must be"),
        (GOOD.replace("keywords: [CV, резюме]", "keywords: {a: 1}"), "keywords must be a list"),
        (GOOD.replace("lang: sv", "lang: [sv"), "not valid YAML"),
    ],
)
def test_bad_material_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(MaterialError, match="cv.sv.md") as err:
        parse_material(text, Path("cv.sv.md"))
    assert message in str(err.value)


def test_file_name_must_match_front_matter(tmp_path: Path) -> None:
    (tmp_path / "cv.en.md").write_text(GOOD)
    with pytest.raises(MaterialError, match="file name says cv.en"):
        load_materials(tmp_path)


def test_the_repository_materials_cover_every_topic() -> None:
    """Every topic in Swedish and English, the six most used in every bot language."""
    materials = load_materials(MATERIALS_DIR)
    have = {(m.topic, m.lang) for m in materials}
    most_used = ("cv", "interview", "internship", "validation", "swedish_language", "social_codes")
    missing = [(t, lang) for t in TOPICS for lang in ("sv", "en") if (t, lang) not in have]
    missing += [(t, lang) for t in most_used for lang in LANGUAGES if (t, lang) not in have]
    assert missing == []
    for m in materials:
        assert m.source == f"knowledge/materials/{m.topic}.{m.lang}.md"
        assert all((m.title_en, m.summary, m.keywords)), m.source
        assert split_material(m), m.source
