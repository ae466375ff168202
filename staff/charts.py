"""Charts of the overview as SVG made on the server: Vega-Lite specs (Altair) rendered by vl-convert.

Why this way: the pages must work without a CDN and without web fonts, on a phone and with a
screen reader. Altair writes a declarative Vega-Lite spec in Python and ``vl-convert-python``
renders it to static SVG inside the server (its own embedded Vega, no browser, no network), so
the page gets a picture with no script at all; the SVG uses the browser's own sans-serif font.
Both are maintained, and the spec is the same one a data person would write in a notebook.
Every chart is paired with a table of its numbers on the page, and carries a text description.

Rendering costs ~25 ms a chart after the first (which starts the embedded engine: ~0.5 s), so
charts are cached by their numbers (before Altair builds the spec, which costs more than the
page's queries): the same numbers are never drawn twice, and new numbers always are.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import altair as alt

INK = "#1d3557"
TARGET = "#b3261e"
MUTED = "#5f6b7a"
WAVE_COLOURS = ("#1d3557", "#2a9d8f")


LOCALES = {"sv": "sv-SE", "en": "en-GB"}


def _svg(spec: dict[str, Any], lang: str) -> str:
    return _render(json.dumps(spec, sort_keys=True), LOCALES.get(lang, "en-GB"))


@lru_cache(maxsize=256)
def _render(spec_json: str, locale: str) -> str:
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(
        json.loads(spec_json),
        format_locale=locale,  # type: ignore[arg-type]
        time_format_locale=locale,  # type: ignore[arg-type]
    )
    # the page gives the chart its name (role="img" + aria-label on the figure); the SVG's own
    # roles would make a screen reader walk every bar and axis tick
    svg = re.sub(r'\s(role|aria-roledescription|aria-label)="[^"]*"', "", svg)
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


def _config(chart: alt.TopLevelMixin, validate: bool) -> dict[str, Any]:
    """The Vega-Lite spec; validating it against the schema costs ~0.3 s for a big chart, so the
    pages skip it and the tests do it (tests/staff/test_charts.py)."""
    spec: dict[str, Any] = (
        chart.configure(  # type: ignore[attr-defined]
            font="sans-serif", background="white"
        )
        .configure_axis(labelFontSize=12, titleFontSize=12, labelColor=MUTED, titleColor=MUTED)
        .configure_view(strokeWidth=0)
        .to_dict(validate=validate)
    )
    return spec


def target_bars(
    rows: list[dict[str, Any]], *, lang: str, percent_title: str, width: int = 420
) -> str:
    """Horizontal bars of shares (0–1), with each row's target as a red line across its bar.

    ``rows``: ``{"label": str, "share": float | None, "target": float | None}``.
    """
    values = [{k: r.get(k) for k in ("label", "share", "target")} for r in rows]
    return _cached("bars", json.dumps(values, sort_keys=True), lang, percent_title, width)


def target_bars_spec(
    rows: list[dict[str, Any]], *, percent_title: str, width: int = 420, validate: bool = False
) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`target_bars`."""
    values = [
        {"label": r["label"], "share": r["share"] or 0.0, "target": r.get("target")} for r in rows
    ]
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=220))
    )
    scale = alt.Scale(domain=[0, 1])
    bars = base.mark_bar(color=INK, height={"band": 0.6}).encode(
        x=alt.X("share:Q", scale=scale, axis=alt.Axis(format="%", title=percent_title))
    )
    targets = (
        base.transform_filter("datum.target != null")
        .mark_tick(color=TARGET, thickness=3, size=26, opacity=1)
        .encode(x=alt.X("target:Q", scale=scale))
    )
    chart = alt.layer(bars, targets).properties(width=width, height=alt.Step(34))
    return _config(chart, validate)


def response_lines(
    points: list[dict[str, Any]], *, lang: str, percent_title: str, width: int = 420
) -> str:
    """Lines of a cumulative share over weeks, one per series.

    ``points``: ``{"week": str, "series": str, "share": float}`` in order; ``week`` is the label
    (the week's Monday as the page's language writes it).
    """
    values = [{k: p[k] for k in ("week", "series", "share")} for p in points]
    return _cached("lines", json.dumps(values, sort_keys=True), lang, percent_title, width)


@lru_cache(maxsize=256)
def _cached(kind: str, values: str, lang: str, percent_title: str, width: int) -> str:
    """A chart by its numbers: building the Altair chart costs more than the page's queries,
    so the same numbers (a cache key, never stale) skip it and the rendering."""
    rows = json.loads(values)
    spec = _SPECS[kind](rows, percent_title=percent_title, width=width)
    return _svg(spec, lang)


def whiskers(rows: list[dict[str, Any]], *, lang: str, percent_title: str, width: int = 420) -> str:
    """A point per row (a difference in percentage points, as a share) with its interval drawn
    as a whisker, and a line at zero (no difference).

    ``rows``: ``{"label": str, "difference": float | None, "low": float | None,
    "high": float | None}``; rows without a difference are left out of the picture.
    """
    values = [
        {k: r.get(k) for k in ("label", "difference", "low", "high")}
        for r in rows
        if r.get("difference") is not None
    ]
    return _cached("whiskers", json.dumps(values, sort_keys=True), lang, percent_title, width)


def whiskers_spec(
    rows: list[dict[str, Any]], *, percent_title: str, width: int = 420, validate: bool = False
) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`whiskers`."""
    ends = [
        v for r in rows for v in (r.get("low"), r.get("high"), r.get("difference")) if v is not None
    ]
    reach = max([0.1, *(abs(v) for v in ends)])
    scale = alt.Scale(domain=[-reach, reach], nice=True)
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=220))
    )
    axis = alt.Axis(format="+%", title=percent_title)
    whisker = (
        base.transform_filter("datum.low != null && datum.high != null")
        .mark_rule(color=INK, strokeWidth=2)
        .encode(x=alt.X("low:Q", scale=scale, axis=axis), x2="high:Q")
    )
    point = base.mark_point(color=INK, filled=True, size=70, opacity=1).encode(
        x=alt.X("difference:Q", scale=scale, axis=axis)
    )
    zero = (
        alt.Chart(alt.Data(values=[{"zero": 0}]))
        .mark_rule(color=MUTED, strokeDash=[4, 3])
        .encode(x=alt.X("zero:Q", scale=scale))
    )
    chart = alt.layer(zero, whisker, point).properties(width=width, height=alt.Step(28))
    return _config(chart, validate)


def funnel(rows: list[dict[str, Any]], *, lang: str, percent_title: str, width: int = 420) -> str:
    """The attrition funnel: per stage (randomised, then each wave answered) a bar per arm.

    ``rows``: ``{"stage": str, "arm": str, "people": int}`` in order (stages top to bottom,
    the arms in the order of the legend); ``percent_title`` is the axis title (a head count).
    """
    values = [{k: r[k] for k in ("stage", "arm", "people")} for r in rows]
    return _cached("funnel", json.dumps(values, sort_keys=True), lang, percent_title, width)


def funnel_spec(
    rows: list[dict[str, Any]], *, percent_title: str, width: int = 420, validate: bool = False
) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`funnel`."""
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=stages, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("arm:N", sort=arms),
            x=alt.X("people:Q", axis=alt.Axis(title=percent_title, tickMinStep=1)),
            color=alt.Color(
                "arm:N",
                scale=alt.Scale(domain=arms, range=list(WAVE_COLOURS[: len(arms)])),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
        .properties(width=width, height=alt.Step(16))
    )
    return _config(chart, validate)


def response_lines_spec(
    points: list[dict[str, Any]], *, percent_title: str, width: int = 420, validate: bool = False
) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`response_lines`."""
    series = sorted({p["series"] for p in points}, key=[p["series"] for p in points].index)
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X(
                "week:O",
                sort=None,
                title=None,
                axis=alt.Axis(labelAngle=0, labelOverlap="greedy", labelPadding=4),
            ),
            y=alt.Y(
                "share:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", title=percent_title),
            ),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=series, range=list(WAVE_COLOURS[: len(series)])),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
        .properties(width=width, height=220)
    )
    return _config(chart, validate)


GROUP_COLOURS = ("#1d3557", "#e9a23b", "#2a9d8f", "#8d99ae")


def grouped_bars(
    rows: list[dict[str, Any]], *, lang: str, percent_title: str, width: int = 360
) -> str:
    """Horizontal bars of shares (0–1), one bar per series within each label (women and men
    side by side). ``rows``: ``{"label": str, "series": str, "share": float | None}``."""
    return _svg(grouped_bars_spec(rows, percent_title=percent_title, width=width), lang)


def grouped_bars_spec(
    rows: list[dict[str, Any]], *, percent_title: str, width: int = 360, validate: bool = False
) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`grouped_bars`."""
    values = [
        {"label": r["label"], "series": r["series"], "share": r["share"] or 0.0} for r in rows
    ]
    series = list(dict.fromkeys(r["series"] for r in rows))
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar(height={"band": 0.8})
        .encode(
            y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("series:N", sort=series),
            x=alt.X(
                "share:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", title=percent_title),
            ),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=series, range=list(GROUP_COLOURS[: len(series)])),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
        .properties(width=width, height=alt.Step(14))
    )
    return _config(chart, validate)


_SPECS: dict[str, Any] = {
    "bars": target_bars_spec,
    "lines": response_lines_spec,
    "whiskers": whiskers_spec,
    "funnel": funnel_spec,
}
