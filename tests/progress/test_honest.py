"""Honest evaluation (issue 14): no evaluation line is copied into what the methods learn from.

An evaluation line is a line of ``../shared/eval/*.jsonl`` or of the project's held-out files
(``tests/*/heldout*.jsonl``). The test fails when one is >= 0.9 similar to a progress exemplar or a
material heading (``difflib.SequenceMatcher`` ratio on normalised text: NFKC, lower case,
punctuation as spaces), or when a cue word matches an evaluation line but nothing in the
exemplars, the materials or the tuning files (a cue that exists only for that line).
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from progress.cues import CUES_FILE, MORE_CUES_FILE, _read, merge_cues, normalize, normalize_pattern
from progress.exemplars import load_exemplars

ROOT = Path(__file__).resolve().parents[2]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
HELDOUT = sorted((ROOT / "tests").glob("*/heldout*.jsonl"))
TUNING = sorted((ROOT / "tests").glob("*/tune*.jsonl"))
MATERIALS = sorted((ROOT / "knowledge" / "materials").glob("*.md"))
SIMILAR = 0.9


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _lines(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                obj = json.loads(raw)
                out.append(str(obj.get("text") or obj.get("q")))
    return out


def _eval_lines() -> list[str]:
    return _lines(sorted(SHARED_EVAL.glob("*.jsonl")) + HELDOUT)


BUCKETS = 512


def _counts(text: str) -> np.ndarray:
    """Character counts, hashed into BUCKETS (collisions only ever raise the bound below)."""
    out = np.zeros(BUCKETS, dtype=np.int32)
    for char in text:
        out[ord(char) % BUCKETS] += 1
    return out


def _close(texts: list[str], evals: list[str]) -> list[tuple[float, str, str]]:
    """Pairs (ratio, text, evaluation line) whose ``difflib.SequenceMatcher`` ratio >= SIMILAR.

    The ratio is at most 2·(characters in common, as multisets)/(total length) — what
    ``quick_ratio`` computes; hashed counts give a bound that is higher still. Only the pairs
    that bound lets through are matched (one matcher per evaluation line), so the result is
    exactly that of matching every pair, in a fraction of the time.
    """
    found = []
    normed = [_norm(e) for e in evals]
    lengths = np.array([len(b) for b in normed])
    counts = np.stack([_counts(b) for b in normed]) if normed else np.zeros((0, BUCKETS))
    matchers: dict[int, difflib.SequenceMatcher[str]] = {}
    for text in texts:
        a = _norm(text)
        common = np.minimum(_counts(a), counts).sum(axis=1)
        bound = 2 * common >= SIMILAR * (len(a) + lengths)
        for i in np.flatnonzero(bound):
            matcher = matchers.get(int(i))
            if matcher is None:
                matcher = matchers[int(i)] = difflib.SequenceMatcher(None)
                matcher.set_seq2(normed[i])
            matcher.set_seq1(a)
            if matcher.ratio() >= SIMILAR:
                found.append((round(matcher.ratio(), 3), text, evals[i]))
    return found


@pytest.mark.skipif(not SHARED_EVAL.exists(), reason="../shared/eval is not beside this checkout")
def test_no_exemplar_is_a_copy_of_an_evaluation_line() -> None:
    assert not _close([e.text for e in load_exemplars()], _eval_lines())


def _headings() -> list[str]:
    return [
        line.lstrip("#").strip()
        for path in MATERIALS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    ]


@pytest.mark.skipif(not SHARED_EVAL.exists(), reason="../shared/eval is not beside this checkout")
def test_no_material_heading_is_a_copy_of_an_evaluation_line() -> None:
    assert not _close(_headings(), _eval_lines())


def _patterns() -> list[str]:
    data = merge_cues(_read(CUES_FILE), _read(MORE_CUES_FILE))
    out = []
    for section in ("events", "unless"):
        for by_lang in data[section].values():
            out += [p for patterns in by_lang.values() for p in patterns]
    return out


@pytest.mark.skipif(not SHARED_EVAL.exists(), reason="../shared/eval is not beside this checkout")
def test_no_cue_word_exists_only_for_an_evaluation_line() -> None:
    evals = [normalize(t) for t in _eval_lines()]
    known = [normalize(e.text) for e in load_exemplars()]
    known += [normalize(t) for t in _lines(TUNING)]
    known += [normalize(p.read_text(encoding="utf-8")) for p in MATERIALS]
    only_eval = []
    for pattern in _patterns():
        cue = re.compile(normalize_pattern(pattern), re.IGNORECASE)
        if any(cue.search(t) for t in evals) and not any(cue.search(t) for t in known):
            only_eval.append(pattern)
    assert not only_eval
