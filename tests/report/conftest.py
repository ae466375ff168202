"""The round report's fixtures: a program with a randomised study and a cohort of four people
whose name is Arabic, the ``stegvis`` command line, and readers of the report's figures."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlmodel import Session
from typer.testing import CliRunner, Result

from core.vocab import Gender
from outcomes.importer import import_jsonl
from stegvis.cli import build_cli
from tests.staff.conftest import accounts, app, client_for  # noqa: F401  (the staff pages)
from tests.utils.factories import line
from tests.utils.generate_study import generate_study

ARABIC_NAME = "مجموعة الربيع"
SMALL = "c-ar"  # the cohort of four
MIN_CELL = 5
HIDDEN = "< 5"
SUPPRESSED = "×"  # a count hidden so that a small one cannot be worked out from the total

FIGURE = re.compile(
    r"(?P<n><\s?5|×|\d[\d,]*)\s?/\s?(?P<of><\s?5|×|\d[\d,]*)\s?\((?P<pct>–|-|\d+(?:\.\d)?%)\)"
)
"""A figure of the report as English writes it: ``105/362 (29.0%)``, ``< 5/12 (–)``."""


def small_cohort() -> list[str]:
    """Four people (three women, one man) in a cohort with an Arabic name, all measured."""
    lines = [
        line(
            "cohort",
            id=SMALL,
            name=ARABIC_NAME,
            start="2025-02-01",
            end="2025-08-31",
            targets={"job_or_steps": 0.9, "network_expanded": 0.8},
        )
    ]
    for k, gender in enumerate(("woman", "woman", "woman", "man")):
        pid = f"{SMALL}-p{k}"
        lines.append(line("participant", id=pid, cohort=SMALL, gender=gender))
        lines.append(
            line(
                "survey",
                participant=pid,
                wave="baseline",
                answered_on="2025-02-03",
                answers={"employment": "none", "interviews_last_2_months": 0},
            )
        )
        lines.append(
            line(
                "survey",
                participant=pid,
                wave="result",
                answered_on="2025-08-30",
                answers={
                    "employment": "full_time" if k == 0 else "none",
                    "job_changed": False,
                    "interviews_last_2_months": k,
                    "items": {"network_expanded": True, "cv_improved": k % 2 == 0},
                    "program_contributed": {"job": "yes"},
                },
            )
        )
    return lines


@pytest.fixture
def program(db) -> None:
    """Six generated rounds (two of them the study ``rise``) and the cohort of four."""
    records = generate_study(300, seed=11, events_per_participant=6)
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    with Session(db) as session:
        import_jsonl(session, [*lines, *small_cohort()], actor="test")
        session.commit()


@pytest.fixture
def stegvis(settings) -> Callable[..., Result]:
    cli, runner = build_cli(), CliRunner()

    def run(*args: Any) -> Result:
        result = runner.invoke(cli, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result

    return run


# -- what the report should show, from the JSON of the engines -------------------------------


def shown_count(count: int) -> int | str:
    """A count as the report shows it (-1: hidden by ``as_reported``)."""
    if count == -1:
        return SUPPRESSED
    return HIDDEN if count < MIN_CELL else count


def expected(n: int, of: int, share: float | None) -> tuple[Any, Any, Any]:
    """A figure as the report must show it: the counts (or "< 5") and the share (or "–")."""
    hidden = n < MIN_CELL or of < MIN_CELL
    return (shown_count(n), shown_count(of), "–" if hidden or share is None else share)


def gender_order(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = [g.value for g in Gender]
    return sorted(groups, key=lambda g: order.index(g["key"]["gender"]))


def as_reported(total: dict[str, Any], groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups (a partition of ``total``: by gender or by cohort) with every count the report
    must hide though it is not small set to -1 (so ``expected`` shows it hidden): where exactly
    one group's count is small and the total's is not, the smallest of the other groups' counts
    (ties: the group key that sorts first as text) would give it back by subtraction."""
    out = copy.deepcopy(groups)
    counts = [("enrolled",), ("measured",)]
    counts += [("indicators", name, part) for name in total["indicators"] for part in ("n", "of")]

    def cell(block: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], str]:
        for key in path[:-1]:
            block = block[key]
        return block, path[-1]

    for path in counts:
        holder, name = cell(total, path)
        if holder[name] < MIN_CELL:
            continue
        cells = [cell(g, path) for g in out]
        small = [i for i, (block, name) in enumerate(cells) if block[name] < MIN_CELL]
        if len(out) < 2 or len(small) != 1:
            continue
        rest = sorted(
            (cells[i][0][cells[i][1]], str(out[i]["key"]), i)
            for i in range(len(out))
            if i != small[0]
        )
        block, name = cells[rest[0][2]]
        block[name] = -1
    return out


def expected_gender_table(result: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    """The gender table's figures in reading order: the response rate, then every indicator;
    in each row everyone, then women, men, other, not stated (as the report must show them)."""
    blocks = [result["total"], *as_reported(result["total"], gender_order(result["groups"]))]
    out = [expected(b["measured"], b["enrolled"], b["response_rate"]) for b in blocks]
    for name in result["total"]["indicators"]:
        out += [expected(**b["indicators"][name]) for b in blocks]
    return out


# -- reading the figures back ----------------------------------------------------------------


def _number(text: str) -> int | str:
    text = text.replace(" ", "")
    if text == SUPPRESSED:
        return SUPPRESSED
    return HIDDEN if text.startswith("<") else int(text.replace(",", ""))


def figures(text: str) -> list[tuple[Any, Any, Any]]:
    """Every figure in a text, in order: (n or "< 5", of or "< 5", share as a percentage or "–")."""
    out = []
    for m in FIGURE.finditer(text):
        pct = m.group("pct")
        out.append(
            (
                _number(m.group("n")),
                _number(m.group("of")),
                "–" if pct in ("–", "-") else float(pct.rstrip("%")),
            )
        )
    return out


def same(seen: list[tuple[Any, Any, Any]], want: list[tuple[Any, Any, Any]]) -> bool:
    """The figures read back equal the engine's: counts exactly, shares to the one decimal shown
    (the engine's 4-decimal share rounded half-even, as Babel rounds)."""
    if len(seen) != len(want):
        return False
    for (n, of, pct), (wn, wof, wshare) in zip(seen, want, strict=True):
        if (n, of) != (wn, wof):
            return False
        if wshare == "–" or pct == "–":
            if wshare != pct:
                return False
            continue
        rounded = (Decimal(str(wshare)) * 100).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
        if Decimal(str(pct)) != rounded:
            return False
    return True


class TableText(HTMLParser):
    """The text of each row of each table of an HTML page: ``tables[id] = [[cell, ...], ...]``."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = TableText()
    parser.feed(html)
    return parser.tables


@pytest.fixture
def small_program(db) -> None:
    """Only the cohort of four."""
    with Session(db) as session:
        import_jsonl(session, small_cohort(), actor="test")
        session.commit()
