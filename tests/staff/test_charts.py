"""The overview's charts: valid Vega-Lite, rendered to SVG on the server without a network."""

from __future__ import annotations

import re

from staff import charts

ROWS = [
    {"label": "Jobb eller mätbara steg", "share": 0.61, "target": 0.9},
    {"label": "Fick jobb", "share": 0.29, "target": None},
]
POINTS = [
    {"week": "5 jan.", "series": "Startenkät", "share": 0.1},
    {"week": "12 jan.", "series": "Startenkät", "share": 0.4},
    {"week": "5 jan.", "series": "Resultatenkät", "share": 0.0},
    {"week": "12 jan.", "series": "Resultatenkät", "share": 0.05},
]


def test_the_specs_are_valid_vega_lite() -> None:
    bars = charts.target_bars_spec(ROWS, percent_title="Andel", validate=True)
    lines = charts.response_lines_spec(POINTS, percent_title="Andel", validate=True)
    assert [layer["mark"]["type"] for layer in bars["layer"]] == ["bar", "tick"]
    assert lines["mark"]["type"] == "line"


def test_a_chart_is_static_svg_hidden_from_screen_readers_with_a_bar_per_row() -> None:
    svg = charts.target_bars(ROWS, lang="sv", percent_title="Andel")
    assert svg.startswith('<svg aria-hidden="true" focusable="false" ')
    assert "<script" not in svg
    assert "http" not in svg.replace("http://www.w3.org/", "")  # no fonts or files fetched
    for label in ("Jobb eller mätbara steg", "Fick jobb", "Andel"):
        assert label in svg
    assert re.search(r'\s(role|aria-label|aria-roledescription)="', svg) is None
    # one red target line: only the first row has a target
    assert svg.count(f'fill="{charts.TARGET}"') == 1
    again = charts.target_bars(ROWS, lang="sv", percent_title="Andel")
    assert again is svg  # the same numbers are not rendered twice


def test_grouped_bars_put_the_series_side_by_side() -> None:
    rows = [
        {"label": "Fick jobb", "series": "Kvinnor", "share": 0.3},
        {"label": "Fick jobb", "series": "Män", "share": 0.25},
        {"label": "Mätbara steg", "series": "Kvinnor", "share": 0.5},
        {"label": "Mätbara steg", "series": "Män", "share": None},
    ]
    spec = charts.grouped_bars_spec(rows, percent_title="Andel", validate=True)
    assert spec["encoding"]["yOffset"]["field"] == "series"
    svg = charts.grouped_bars(rows, lang="sv", percent_title="Andel")
    for text in ("Fick jobb", "Mätbara steg", "Kvinnor", "Män"):
        assert text in svg
    assert svg.count(f'fill="{charts.GROUP_COLOURS[1]}"') >= 2  # the men's bars (and legend)
