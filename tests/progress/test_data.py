"""The exemplars and cue words cover what the classifier must recognise, and the packaged
vectors match the exemplars (otherwise the first message waits ~25 s while they are rebuilt)."""

from __future__ import annotations

import numpy as np
import yaml

from core.languages import LANGUAGES as BOT_LANGUAGE_CODES
from progress.classify import EVENT_TYPES
from progress.cues import CUES_FILE
from progress.exemplars import VECTORS_FILE, exemplar_vectors, load_exemplars, vectors_key

LANGUAGES = set(BOT_LANGUAGE_CODES)  # every bot language


def test_every_event_type_has_exemplars_in_every_language() -> None:
    seen = {(e.label, e.lang) for e in load_exemplars() if e.is_event}
    missing = {(t, lang) for t in EVENT_TYPES for lang in LANGUAGES} - seen
    assert not missing


def test_no_event_exemplars_in_every_language() -> None:
    kinds: dict[str, set[str]] = {}
    for e in load_exemplars():
        if not e.is_event:
            kinds.setdefault(e.label, set()).add(e.lang)
    assert {"none:smalltalk", "none:plan", "none:question", "none:not_happened"} <= set(kinds)
    assert all(langs == LANGUAGES for langs in kinds.values())


def test_every_event_type_has_cue_words_in_every_language() -> None:
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    for etype in EVENT_TYPES:
        assert set(data["events"][etype]) == LANGUAGES, etype
    for section in ("plan", "negation", "question_start"):
        assert set(data[section]) == LANGUAGES, section


def test_packaged_vectors_match_the_exemplars(tmp_path) -> None:
    exemplars = load_exemplars()
    with np.load(VECTORS_FILE) as data:
        assert str(data["key"]) == vectors_key([e.text for e in exemplars]), (
            "exemplars.yaml changed: run .venv/bin/python -m progress.exemplars"
        )

    def must_not_embed(texts):
        raise AssertionError("the packaged vectors should have been used")

    vectors = exemplar_vectors(exemplars, embed_fn=must_not_embed, cache_dir=tmp_path)
    assert vectors.shape == (len(exemplars), 384)
