"""The layers are checked: the import-linter contracts of pyproject.toml hold for the project, and
they break when a module imports across a layer, into the emulator's isolation, Telegram into the
domain, or in a circle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LINTER = PYPROJECT["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in LINTER["contracts"]}
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# A module planted in a copy of the project, what it imports, and the contract it must break.
WRONG_IMPORTS = {
    "domain imports the bot": ("outcomes/_wrong_bot.py", "import bot.state\n", "layers"),
    "an adapter imports another": ("api/_wrong_bot.py", "import bot.replies\n", "layers"),
    "domain imports the root": ("knowledge/_wrong_root.py", "import stegvis.up\n", "layers"),
    "knowledge imports progress": (
        "knowledge/_wrong_progress.py",
        "from progress import classification\n",
        "domain-direction",
    ),
    "outcomes imports knowledge": (
        "outcomes/_wrong_knowledge.py",
        "import knowledge.langid\n",
        "outcomes-records",
    ),
    "domain imports Telegram": ("progress/_wrong_telegram.py", "import telegram\n", "domain-no-io"),
    "domain imports httpx": ("knowledge/_wrong_httpx.py", "import httpx\n", "domain-no-io"),
    "emulator imports core": (
        "emulator/_wrong_core.py",
        "from core.settings import Settings\n",
        "emulator-alone",
    ),
    "core imports the domain": ("core/_wrong_domain.py", "import outcomes.clock\n", "core-leaf"),
    "two modules import each other": (
        "progress/_cycle_a.py",
        "from progress import _cycle_b\n",
        "no-cycles",
    ),
}
CYCLE_PARTNER = ("progress/_cycle_b.py", "from progress import _cycle_a\n")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the packages under ``root`` with that tree's pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def broken_sections(report: str) -> dict[str, str]:
    """The text of each broken contract's section of a report, by contract id."""
    _, _, broken = report.partition("Broken contracts")
    heads = sorted(
        (broken.find(f"\n{c['name']}\n"), cid)
        for cid, c in CONTRACTS.items()
        if f"\n{c['name']}\n" in broken
    )
    return {
        cid: broken[start : heads[i + 1][0] if i + 1 < len(heads) else len(broken)]
        for i, (start, cid) in enumerate(heads)
    }


@pytest.fixture(scope="module")
def wrong_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of lint-imports on a copy of the project with every wrong import planted."""
    root = tmp_path_factory.mktemp("wrong")
    for package in LINTER["root_packages"]:
        shutil.copytree(
            REPO / package,
            root / package,
            ignore=lambda d, names: (
                [n for n in names if not (n.endswith(".py") or (Path(d) / n).is_dir())]
                + ["__pycache__"]
            ),
        )
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    for path, source, _ in [*WRONG_IMPORTS.values(), (*CYCLE_PARTNER, "")]:
        (root / path).write_text(source)
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


def test_the_project_keeps_its_contracts() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in CONTRACTS.values():
        assert f"{contract['name']} KEPT" in result.stdout


@pytest.mark.parametrize("case", list(WRONG_IMPORTS), ids=list(WRONG_IMPORTS))
def test_a_wrong_import_breaks_its_contract(wrong_report: str, case: str) -> None:
    path, _, contract = WRONG_IMPORTS[case]
    module = path.removesuffix(".py").replace("/", ".")
    sections = broken_sections(wrong_report)
    assert contract in sections, wrong_report
    section = sections[contract]
    if contract == "no-cycles":  # names the package and one import that would break the circle
        assert "No cycles are allowed in progress." in section
        assert "._cycle_a -> ._cycle_b" in section or "._cycle_b -> ._cycle_a" in section
    else:
        assert module in section, section


def test_every_package_of_ours_is_under_the_contracts() -> None:
    """A new top-level package must join the contracts (else import-linter would not see it)."""
    packages = {
        p.removesuffix("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert set(LINTER["root_packages"]) == packages
    in_layers = {
        name.strip()
        for layer in CONTRACTS["layers"]["layers"]
        for name in layer.replace(":", "|").split("|")
    }
    assert in_layers == packages
    assert set(CONTRACTS["no-cycles"]["ancestors"]) == packages
