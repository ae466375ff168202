"""``stegvis report --format html``: the numbers of ``stegvis indicators --json``, small cells
hidden, and the workspace's Report button making the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outcomes.errors import NotFound
from outcomes.importer import import_jsonl
from outcomes.indicators import compute_indicators, share
from stegvis.cli import build_cli
from tests.report.conftest import (
    HIDDEN,
    SMALL,
    as_reported,
    expected,
    expected_gender_table,
    figures,
    same,
    shown_count,
    tables_of,
)
from tests.utils.factories import line


def _indicators(stegvis, *args: str) -> dict:
    return json.loads(stegvis("indicators", "--json", *args).stdout)


def _report(stegvis, tmp_path: Path, *args: str, name: str = "report.html") -> str:
    out = tmp_path / name
    stegvis("report", "--format", "html", "--language", "en", "--out", out, *args)
    return out.read_text(encoding="utf-8")


def _row_figures(rows: list[list[str]]) -> list:
    return [f for row in rows[1:] for f in figures(" ".join(row[1:]))]


def test_the_html_report_has_the_numbers_of_stegvis_indicators(program, stegvis, tmp_path) -> None:
    everyone = _indicators(stegvis, "--by", "gender")
    tables = tables_of(_report(stegvis, tmp_path))
    assert same(_row_figures(tables["gender-table"]), expected_gender_table(everyone))
    enrolled = [row[1] for row in tables["numbers-table"][1:]]
    want = [everyone["total"], *as_reported(everyone["total"], everyone["groups"])]
    assert sorted(enrolled) == sorted(str(shown_count(b["enrolled"])) for b in want)

    by_cohort = _indicators(stegvis, "--by", "cohort")
    per_cohort = as_reported(by_cohort["total"], by_cohort["groups"])
    rows = {row[0]: row for row in tables["cohorts-table"][1:]}
    assert len(rows) == len(per_cohort) == 7
    names = {"c-ar": "مجموعة الربيع", **{f"c0{k}": f"Omgång {k}" for k in range(1, 7)}}
    for group in per_cohort:
        row = rows[names[group["key"]["cohort"]]]
        ind = group["indicators"]
        want_row = [
            expected(group["measured"], group["enrolled"], group["response_rate"]),
            expected(**ind["job_or_steps"]),
            expected(**ind["network_expanded"]),
        ]
        assert row[1] == str(shown_count(group["enrolled"]))
        assert same(figures(" ".join(row[2:])), want_row), (group["key"], row)

    # one cohort: its targets beside the figures, as the engine compares them
    one = _indicators(stegvis, "--by", "gender", "--cohort", "c04")
    tables = tables_of(_report(stegvis, tmp_path, "--cohort", "c04", name="c04.html"))
    assert same(_row_figures(tables["gender-table"]), expected_gender_table(one))
    primary = {row[0]: row for row in tables["primary-table"][1:]}
    job_or_steps = one["total"]["targets"]["job_or_steps"]
    assert primary["Job or measurable steps"][2] == f"{job_or_steps['target']:.1%}"
    assert primary["Job or measurable steps"][3] == (
        "✓ met" if job_or_steps["met"] else "✗ not met"
    )

    # a date window: the cohorts running then, as stegvis indicators --from --to counts them
    window = ("--from", "2023-09-01", "--to", "2024-03-31")
    running = _indicators(stegvis, "--by", "gender", *window)
    assert 0 < running["total"]["enrolled"] < everyone["total"]["enrolled"]
    tables = tables_of(_report(stegvis, tmp_path, *window, name="window.html"))
    assert same(_row_figures(tables["gender-table"]), expected_gender_table(running))

    # several cohorts: the engine's numbers for those cohorts alone (each count adds up)
    both = tables_of(
        _report(stegvis, tmp_path, "--cohort", "c03", "--cohort", "c04", name="b.html")
    )
    parts = [_indicators(stegvis, "--cohort", c)["total"] for c in ("c03", "c04")]
    total = both["gender-table"][2][1]  # the row of the first indicator, everyone
    got_job = [p["indicators"]["got_job"] for p in parts]
    n, of = sum(g["n"] for g in got_job), sum(g["of"] for g in got_job)
    assert figures(total)[0][:2] == (n, of)


def test_a_cohort_of_four_shows_less_than_five_wherever_a_count_would_identify_them(
    small_program, stegvis, tmp_path
) -> None:
    exact = _indicators(stegvis, "--cohort", SMALL, "--by", "gender")
    assert exact["total"]["enrolled"] == 4  # the staff's numbers stay exact
    assert exact["total"]["indicators"]["network_expanded"]["n"] == 4
    html = _report(stegvis, tmp_path, "--cohort", SMALL)
    tables = tables_of(html)
    for table in ("numbers-table", "primary-table", "steps-table", "gender-table"):
        for row in tables[table][1:]:
            for cell in row[1:]:
                for n, of, pct in figures(cell):
                    assert (n, of, pct) == (HIDDEN, HIDDEN, "–"), (table, row)
    assert [row[1] for row in tables["numbers-table"][1:]] == [HIDDEN] * 3  # all, women, men
    assert 'class="value">4<' not in html
    assert 'class="value">3<' not in html
    # among all cohorts its row is hidden too
    everyone = tables_of(_report(stegvis, tmp_path, name="all.html"))
    (row,) = everyone["cohorts-table"][1:]
    assert row[1] == HIDDEN
    assert figures(" ".join(row[2:])) == [(HIDDEN, HIDDEN, "–")] * 3


def test_report_choices_are_checked_and_nothing_is_written(settings, tmp_path) -> None:
    out = tmp_path / "r.html"
    runner, cli = CliRunner(), build_cli()
    cases = [
        (["--format", "docx"], 2, "unknown format 'docx'"),
        (["--format", "html", "--language", "fr"], 2, "unknown language 'fr'"),
        (["--format", "html", "--cohort", "nope"], 1, "cohort 'nope' does not exist"),
        (["--format", "html", "--study", "nope"], 1, "study 'nope' does not exist"),
        (["--format", "html", "--from", "2025-05-01", "--to", "2025-01-01"], 2, "before it starts"),
    ]
    for args, code, words in cases:
        result = runner.invoke(cli, ["report", *args, "--out", str(out)])
        assert result.exit_code == code, result.output
        assert words in result.stderr
        assert not out.exists()


def test_the_report_button_makes_the_same_file(small_program, stegvis, client_for, tmp_path):
    client = client_for("analyst")
    overview = client.get("/staff/overview")
    assert 'id="report-button"' in overview.text
    form = client.get(f"/staff/report?cohort={SMALL}")
    assert form.status_code == 200
    assert f'value="{SMALL}" checked' in form.text
    answer = client.get(
        "/staff/report/download",
        params={"cohort": SMALL, "format": "html", "language": "en"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == f'attachment; filename="report-{SMALL}.html"'
    assert answer.text == _report(stegvis, tmp_path, "--cohort", SMALL)
    wrong = client.get("/staff/report/download", params={"cohort": "nope", "format": "html"})
    assert wrong.status_code == 422
    assert "There is no such cohort." in wrong.text


def test_several_cohorts_are_one_group_of_the_indicator_engine(session) -> None:
    lines = []
    for c, size in (("a", 6), ("b", 7), ("c", 5)):
        lines.append(line("cohort", id=c, name=c.upper(), start="2025-01-01", end="2025-06-30"))
        for k in range(size):
            pid = f"{c}{k}"
            gender = "woman" if k % 3 else "man"
            lines.append(line("participant", id=pid, cohort=c, gender=gender))
            if k % 4:
                items = {"network_expanded": k % 2 == 0, "internship": k == 1}
                answers = {"employment": "none", "items": items}
                lines.append(
                    line(
                        "survey",
                        participant=pid,
                        wave="result",
                        answered_on="2025-06-30",
                        answers=answers,
                    )
                )
    import_jsonl(session, lines, actor="test")
    session.commit()

    both = compute_indicators(session, cohorts=["a", "b"], by="gender")
    assert both["filters"]["cohorts"] == ["a", "b"]
    parts = [
        g for g in compute_indicators(session, by="cohort")["groups"] if g["key"]["cohort"] != "c"
    ]
    total = both["total"]
    assert total["enrolled"] == sum(g["enrolled"] for g in parts) == 13
    assert total["measured"] == sum(g["measured"] for g in parts)
    assert total["response_rate"] == share(total["measured"], total["enrolled"])
    for name, ind in total["indicators"].items():
        assert ind["n"] == sum(g["indicators"][name]["n"] for g in parts), name
        assert ind["of"] == sum(g["indicators"][name]["of"] for g in parts), name
    assert sum(g["enrolled"] for g in both["groups"]) == 13
    # one cohort given this way is the engine's one-cohort view
    assert compute_indicators(session, cohorts=["b"]) == compute_indicators(session, cohort="b")
    with pytest.raises(NotFound, match="cohort 'zz' does not exist"):
        compute_indicators(session, cohorts=["a", "zz"])


def test_no_hidden_count_can_be_worked_out_by_subtraction_from_the_total() -> None:
    from staff.i18n import Format
    from staff.report import Cells, Suppressed, protect

    def block(gender, enrolled, measured, n, of):
        return {
            "key": {"gender": gender},
            "enrolled": enrolled,
            "measured": measured,
            "response_rate": share(measured, enrolled),
            "indicators": {"got_job": {"n": n, "of": of, "share": share(n, of)}},
        }

    total = block(None, 73, 60, 20, 60)
    groups = [block("woman", 40, 33, 11, 33), block("man", 30, 24, 6, 24)]
    groups.append(block("other", 3, 3, 3, 3))
    data = {"total": total, "by_gender": groups, "by_cohort": [], "study": None}
    out = protect(data, 5)
    cells = Cells(Format("en"), 5)
    # "other" (3 people) is small; the next smallest of each count goes too, so that
    # 73 − 40 − 30 does not give the 3 back
    shown = [
        [cells.count(g["enrolled"]), cells.indicator(g["indicators"]["got_job"])]
        for g in out["by_gender"]
    ]
    assert shown == [["40", "11/33 (33.3%)"], ["×", "×/× (–)"], ["< 5", "< 5/< 5 (–)"]]
    assert isinstance(out["by_gender"][1]["enrolled"], Suppressed)
    assert cells.count(out["total"]["enrolled"]) == "73"  # the total stays
    assert data["by_gender"][1]["enrolled"] == 30  # the engine's numbers are not changed
    assert not isinstance(data["by_gender"][1]["enrolled"], Suppressed)
    # two small groups already hide each other: nothing more is hidden
    groups[1] = block("man", 4, 4, 1, 4)
    again = protect({**data, "by_gender": groups}, 5)
    assert [cells.count(g["enrolled"]) for g in again["by_gender"]] == ["40", "< 5", "< 5"]
