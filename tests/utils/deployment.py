"""Real processes for the deployment tests and the webhook benchmark: ``stegvis serve``
instances (``tests/utils/instance.py``, with its test hooks) and nginx from
``deploy/nginx.conf.template``, each on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.utils.paths import REPO as ROOT

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
WEBHOOK_PATH = "/telegram/webhook"
SECRET = "deploy-test_secret"  # noqa: S105 - a test's webhook secret


def nginx_binary() -> str | None:
    """Debian's nginx (``apt-get install nginx``; ``./dev test`` installs it when root)."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        if time.monotonic() > deadline:
            process.send_signal(signal.SIGUSR1)  # an instance writes its stacks to its log
            time.sleep(0.5)  # for the stacks to be written
            raise TimeoutError(f"{what} did not answer {url} within {within:.0f} s")
        time.sleep(0.05)  # the deadline loop's pace, not a wait for the event


def render_nginx(prefix: Path, listen: int, upstreams: list[int], *, access_log: bool) -> Path:
    """``deploy/nginx.conf.template`` filled in for ``upstreams`` on loopback; the file."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    for path in [prefix, *prefix.parents]:  # nginx's workers (nobody) reach their temp files
        if path == Path("/tmp") or path == Path("/"):
            break
        path.chmod(path.stat().st_mode | 0o005)
    (prefix / "tmp").chmod(0o777)
    for sub in (prefix / "tmp").iterdir():
        sub.chmod(0o777)
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=1s;" for port in upstreams
    )
    text = (
        TEMPLATE.read_text()
        .replace("{{PREFIX}}", str(prefix))
        .replace("{{ACCESS_LOG}}", f"{prefix}/access.log" if access_log else "off")
        .replace("{{UPSTREAMS}}", servers)
        .replace("{{LISTEN}}", f"127.0.0.1:{listen}")
        .replace("{{WEBHOOK_PATH}}", WEBHOOK_PATH)
    )
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


@dataclass
class Nginx:
    """nginx in the foreground with a prefix of its own."""

    prefix: Path
    upstreams: list[int]
    access_log: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = nginx_binary()
        assert binary is not None
        conf = render_nginx(self.prefix, self.port, self.upstreams, access_log=self.access_log)
        self.process = subprocess.Popen(  # noqa: S603 - Debian's nginx, our own config
            [binary, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(self.prefix / "stderr.log").open("ab"),
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        "nginx exited: " + (self.prefix / "stderr.log").read_text()[-500:]
                    ) from None
                if time.monotonic() > deadline:
                    raise TimeoutError("nginx did not listen within 10 s") from None
                time.sleep(0.05)  # the deadline loop's pace

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Instance:
    """One ``stegvis serve`` process (with the test hooks of ``tests/utils/instance.py``)."""

    env: Mapping[str, str]
    log: Path
    hooks: Path | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, within: float = 300) -> None:
        """Start, and wait until it serves and its bot runs (it prints its line then)."""
        env = dict(self.env)
        if self.hooks is not None:
            self.hooks.mkdir(parents=True, exist_ok=True)
            env["STEGVIS_TEST_HOOKS"] = str(self.hooks)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "tests.utils.instance",
                    "--port",
                    str(self.port),
                    "--no-rate-limiter",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        lines = self._ready_lines()
        _wait_http(f"{self.url}/health", self.process, f"the instance on {self.port}", within)
        deadline = time.monotonic() + within
        while self._ready_lines() <= lines:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot of the instance on {self.port} did not start")
            time.sleep(0.05)  # the deadline loop's pace

    def _ready_lines(self) -> int:
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count("Stegvis instance on ")

    def kill(self) -> None:
        """kill -9."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Ctrl+C (SIGINT): the instance finishes what it has and stops."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def instance_env(
    *, database_url: str, data_dir: Path, token: str, bot_api: str, webhook_url: str
) -> dict[str, str]:
    """The environment of an instance against the emulator (``bot_api``: its ``/bot`` URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEGVIS_")}
    env.update(
        STEGVIS_DATABASE_URL=database_url,
        STEGVIS_DATA_DIR=str(data_dir),
        STEGVIS_TELEGRAM_TOKEN=token,
        STEGVIS_TELEGRAM_BASE_URL=bot_api,
        STEGVIS_WEBHOOK_URL=webhook_url,
        STEGVIS_WEBHOOK_SECRET=SECRET,
        STEGVIS_KNOWLEDGE_WARMUP="false",
        STEGVIS_HOST="127.0.0.1",
    )
    return env
