"""Paths from the repository, never absolute: the checkout and ``../shared/eval/`` beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_EVAL = REPO.parent / "shared" / "eval"


def shared_eval_file(name: str) -> Path:
    """A labelled file of ``../shared/eval/``; a missing one fails the test (CI always has the
    folder beside the checkout, so its absence is a broken setup, not a reason to skip)."""
    path = SHARED_EVAL / name
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: the shared evaluation files must be in ../shared/eval/ beside "
            f"the checkout {REPO} (in a worktree, link the shared folder there)",
            pytrace=False,
        )
    return path
