"""Client-server mode: the same code against a Chroma server (several bot instances share it)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from knowledge.embeddings import E5Embeddings
from knowledge.index import build_index
from knowledge.retrieve import Retriever

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A Chroma server on loopback, stopped after the test."""
    if CHROMA is None:
        pytest.skip("the chroma command is not installed")
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
        [
            CHROMA,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                pytest.fail(f"the Chroma server exited with code {server.returncode}")
            if time.monotonic() > deadline:
                pytest.fail("the Chroma server did not answer its heartbeat within 60 s")
            time.sleep(0.2)  # the deadline loop's pace, not a wait for the event
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_index_and_search_through_a_chroma_server(
    chroma_url: str, tmp_path: Path, materials_copy: Path, e5: E5Embeddings
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", materials_dir=materials_copy, chroma_url=chroma_url
    )
    first = build_index(settings, embeddings=e5)
    assert first.embedded == first.passages > 0
    assert build_index(settings, embeddings=e5).embedded == 0
    assert not settings.chroma_dir.exists()  # nothing stored locally
    retriever = Retriever.from_settings(settings, embeddings=e5)
    best = retriever.search("Should I put a photo on my CV?").passages[0].passage
    assert (best.topic, best.lang) == ("cv", "en")
