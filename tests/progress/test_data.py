"""The exemplars and cue words cover what the classifier must recognise, and the packaged
vectors match the exemplars (otherwise the first message waits ~25 s while they are rebuilt)."""

from __future__ import annotations

import numpy as np
import yaml

from core.languages import LANGUAGES as BOT_LANGUAGE_CODES
from progress.classify import EVENT_TYPES
from progress.cues import CUES_FILE, MORE_CUES_FILE
from progress.exemplars import VECTORS_FILE, exemplar_vectors, load_exemplars, vectors_key

# every bot language, and Russian, which becomes the eighth (issue 14) and has its data here
LANGUAGES = set(BOT_LANGUAGE_CODES) | {"ru"}
# the languages beyond the bot's that the classifier reads (issue 14): cue words for the types
# that are never reported without them, and the words of plans, denials and questions
MORE_LANGUAGES = {"tr", "ckb", "kmr", "ps", "prs", "am", "de", "es", "fr", "pl", "bs"}


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
    assert all(langs >= LANGUAGES for langs in kinds.values())


def test_every_event_type_has_cue_words_in_every_language() -> None:
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    for etype in EVENT_TYPES:
        assert set(data["events"][etype]) == LANGUAGES, etype
    for section in ("plan", "negation", "question_start"):
        assert set(data[section]) == LANGUAGES, section


def test_the_other_languages_have_the_words_the_classifier_needs() -> None:
    data = yaml.safe_load(MORE_CUES_FILE.read_text(encoding="utf-8"))
    required = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))["cue_required"]
    for etype in required:
        assert set(data["events"][etype]) >= MORE_LANGUAGES - {"prs"}, etype  # prs: Persian's
    for section in ("plan", "negation"):
        assert set(data[section]) >= MORE_LANGUAGES, section
    assert not set(data["events"]) - set(required), "other types come from the meaning"


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
