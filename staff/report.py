"""The round report as HTML and PDF: the numbers of ``outcomes/report.py`` in the funder's pages.

    data = build_report(session, cohorts=..., window=..., study=..., lang="sv")
    html = report_html(data, lang="sv", settings=settings)
    with PdfPrinter(settings) as printer:
        pdf = printer.pdf(html, lang="sv", settings=settings)

``stegvis report`` and the workspace's Report button (``staff/routes/report.py``) both call these,
so they make the same file. The template is ``templates/report.html``, with the pages' Jinja2
environment and gettext catalog (Swedish and English); the charts are the pages' own
(``staff/charts.py``: SVG made on the server), each followed by the table of its numbers.

**Small cells.** A report leaves the organisation, so every count under
``STEGVIS_REPORT_MIN_CELL`` (default 5) people is shown as "< 5", and a share whose ``n`` or
``of`` is hidden is not shown (it would give the count back); where the groups by gender or by
cohort add up to a shown total, a hidden group's count could be worked out by subtraction, so the
next smallest is hidden as well, shown as "×" (:func:`protect`); the same goes for the study's
arms, whose difference, interval, p-values and sentence are left out when a count is hidden. The
staff API and pages keep the exact numbers.

**PDF engine: headless Chromium's print to PDF, through Playwright.** The project already depends
on both (the browser tests drive Debian's ``chromium`` with Playwright), Chromium shapes Arabic
and every other script with HarfBuzz and the system's fonts (fontconfig: DejaVu, Noto), prints
A4 with page numbers in its footer template, and renders the charts' SVG exactly as the browser
pages do. WeasyPrint would be a second HTML engine with a second set of native libraries (Pango)
that nothing else here needs. The browser is ``STEGVIS_REPORT_CHROMIUM``, else ``chromium`` on
the PATH; no network is used (the HTML carries its logo and charts inline; no web fonts).
"""

from __future__ import annotations

import base64
import queue
import shutil
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from datetime import date
from functools import cache
from html import escape
from pathlib import Path
from types import TracebackType
from typing import Any

from core.settings import Settings
from outcomes import clock
from staff import charts
from staff.definitions import DEFINITIONS
from staff.i18n import Format
from staff.labels import GENDERS, INDICATORS
from staff.templating import environment, gettext_for

DEFAULT_LOGO = Path(__file__).parent / "static" / "logo.svg"
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")
FONTS = '"DejaVu Sans", "Noto Sans", "Noto Sans Arabic", "Noto Sans Ethiopic", sans-serif'


class ReportError(RuntimeError):
    """The PDF cannot be made here (no browser); the message says what to install."""


class Suppressed(int):
    """A count the report hides though it is not small: shown, it would give a hidden one back
    by subtraction from the total (:func:`protect`). Shown as ``SUPPRESSED_TEXT``, not as "< 5"
    (it is not small)."""


SUPPRESSED_TEXT = "×"


def _count_paths(block: dict[str, Any]) -> list[tuple[str, ...]]:
    """Where a block of the engine has a count of people: enrolled, measured, each n and of."""
    paths: list[tuple[str, ...]] = [("enrolled",), ("measured",)]
    for name in block["indicators"]:
        paths += [("indicators", name, "n"), ("indicators", name, "of")]
    return paths


def _at(block: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path[:-1]:
        block = block[key]
    return block[path[-1]]


def _put(block: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        block = block[key]
    block[path[-1]] = value


def protect(data: dict[str, Any], min_cell: int) -> dict[str, Any]:
    """A copy of the report's numbers in which no hidden count can be worked out by subtraction.

    The groups by gender and the groups by cohort each add up to the total (every person is in
    exactly one), so where one group's count is hidden (under ``min_cell``) and the total is
    shown, the others would give it back: the smallest count among the others is hidden too
    (a ``Suppressed`` count), for every count (enrolled, measured, each indicator's n and of).
    """
    out = deepcopy(data)
    total = out["total"]
    for key in ("by_gender", "by_cohort"):
        groups = out.get(key) or []
        if len(groups) < 2:
            continue
        for path in _count_paths(total):
            if _at(total, path) < min_cell:
                continue  # every group is smaller still, so hidden
            values = [_at(g, path) for g in groups]
            hidden = [i for i, v in enumerate(values) if v < min_cell]
            if len(hidden) != 1:
                continue
            others = [i for i in range(len(groups)) if i != hidden[0]]
            smallest = min(others, key=lambda i: (values[i], str(groups[i]["key"])))
            _put(groups[smallest], path, Suppressed(values[smallest]))
    return out


class Cells:
    """Figures as the report shows them: ``n/of (share)``, counts under ``min_cell`` as "< 5"
    (and the ``Suppressed`` counts that would give one back)."""

    def __init__(self, fmt: Format, min_cell: int) -> None:
        self.fmt = fmt
        self.min_cell = min_cell
        self.hidden_text = f"< {min_cell}"
        self.suppressed_text = SUPPRESSED_TEXT

    def hidden(self, count: int | None) -> bool:
        return count is not None and (count < self.min_cell or isinstance(count, Suppressed))

    def count(self, count: int | None) -> str:
        if isinstance(count, Suppressed):
            return self.suppressed_text
        return self.hidden_text if self.hidden(count) else self.fmt.number(count)

    def shown(self, n: int | None, of: int | None) -> bool:
        """Whether a share of n/of may be shown (neither count is hidden)."""
        return not (self.hidden(n) or self.hidden(of))

    def share(self, n: int | None, of: int | None, share: float | None) -> str:
        return self.fmt.percent(share) if self.shown(n, of) else "–"

    def figure(self, n: int | None, of: int | None, share: float | None) -> str:
        """``105/362 (29.0%)``; ``< 5/12 (–)`` when a count is small."""
        return f"{self.count(n)}/{self.count(of)} ({self.share(n, of, share)})"

    def indicator(self, ind: dict[str, Any]) -> str:
        return self.figure(ind["n"], ind["of"], ind["share"])

    def response(self, block: dict[str, Any]) -> str:
        return self.figure(block["measured"], block["enrolled"], block["response_rate"])

    def points(self, value: float | None, signed: bool = True) -> str:
        """A difference of shares in percentage points, one decimal (``+5.0``)."""
        if value is None:
            return "–"
        text = self.fmt.number(round(100 * value, 1))
        if "." not in text and "," not in text:
            text += ",0" if self.fmt.lang == "sv" else ".0"
        return ("+" + text if value > 0 else text.replace("-", "−")) if signed else text

    def interval(self, ci: list[float | None] | None) -> str:
        if not ci or ci[0] is None or ci[1] is None:
            return "–"
        return f"{self.points(ci[0])} … {self.points(ci[1])}"

    def p(self, value: float | None) -> str:
        if value is None:
            return "–"
        return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _logo(settings: Settings) -> str:
    """The organisation's logo as a data URI (the HTML must load nothing)."""
    path = settings.org_logo or DEFAULT_LOGO
    kind = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg"}.get(
        path.suffix.lower(), "image/jpeg"
    )
    if path.suffix.lower() == ".jpeg":
        kind = "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _bar_rows(
    names: tuple[str, ...],
    block: dict[str, Any],
    cells: Cells,
    lang: str,
    targets: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    _ = gettext_for(lang)
    rows = []
    for name in names:
        ind = block["indicators"][name]
        shown = cells.shown(ind["n"], ind["of"])
        label = _(INDICATORS[name])
        rows.append(
            {
                "name": name,
                "label": label if shown else f"{label} ({cells.hidden_text})",
                "share": ind["share"] if shown else None,
                "figure": cells.indicator(ind),
                "target": ((targets or {}).get(name) or {}).get("target"),
                "met": ((targets or {}).get(name) or {}).get("met") if shown else None,
            }
        )
    return rows


def _cohort_rows(data: dict[str, Any], cells: Cells, name: str) -> list[dict[str, Any]]:
    names = {c["id"]: c["name"] for c in data["cohorts"]}
    rows = []
    for group in data["by_cohort"]:
        ind = group["indicators"][name]
        shown = cells.shown(ind["n"], ind["of"])
        cohort = group["key"]["cohort"]
        label = names.get(cohort, cohort)
        rows.append(
            {
                # LRM: a name in Arabic keeps "(< 5)" after it in a left-to-right page
                "label": label if shown else f"\u200e{label}\u200e ({cells.hidden_text})",
                "share": ind["share"] if shown else None,
                "target": ((group.get("targets") or {}).get(name) or {}).get("target"),
            }
        )
    return rows


def _charts(data: dict[str, Any], cells: Cells, lang: str) -> dict[str, Any]:
    _ = gettext_for(lang)
    sections = data["sections"]
    total = data["total"]
    primary = _bar_rows(sections["primary"], total, cells, lang, total.get("targets"))
    steps = _bar_rows(sections["steps"], total, cells, lang)
    contribution = _bar_rows(sections["contribution"], total, cells, lang)
    title = _("Share")
    out: dict[str, Any] = {
        "primary": primary,
        "steps": steps,
        "contribution": contribution,
        "primary_svg": charts.target_bars(primary, lang=lang, percent_title=title, width=360),
        "steps_svg": charts.target_bars(steps, lang=lang, percent_title=title, width=360),
        "contribution_svg": charts.target_bars(
            contribution, lang=lang, percent_title=title, width=360
        ),
        "cohorts_svg": "",
    }
    side_by_side = []
    for group in data["by_gender"]:
        if group["key"]["gender"] not in ("woman", "man"):
            continue
        for name in sections["primary"]:
            ind = group["indicators"][name]
            if cells.shown(ind["n"], ind["of"]):  # a hidden share gets no bar (the table: "< 5")
                series = _(GENDERS[group["key"]["gender"]])
                side_by_side.append(
                    {"label": _(INDICATORS[name]), "series": series, "share": ind["share"]}
                )
    out["gender_svg"] = (
        charts.grouped_bars(side_by_side, lang=lang, percent_title=title) if side_by_side else ""
    )
    if len(data["by_cohort"]) > 1:
        rows = _cohort_rows(data, cells, "job_or_steps")
        out["cohorts_svg"] = charts.target_bars(rows, lang=lang, percent_title=title, width=360)
    return out


def _study_rows(study: dict[str, Any], cells: Cells) -> list[dict[str, Any]]:
    """Each comparison with what may be shown of it."""
    result, sentences = study["result"], study["sentences"]
    rows = []
    for name, c in result["comparisons"].items():
        i, k = c["intervention"], c["control"]
        shown = all(cells.shown(arm["n"], arm["of"]) for arm in (i, k))
        rows.append(
            {
                "name": name,
                "family": c["family"],
                "intervention": cells.figure(i["n"], i["of"], i["share"]),
                "control": cells.figure(k["n"], k["of"], k["share"]),
                "shown": shown,
                "difference": cells.points(c["difference"]) if shown else "–",
                "ci": cells.interval(c["difference_ci"]) if shown else "–",
                "mde": cells.points(c["mde"], signed=False) if shown else "–",
                "p_holm": cells.p(c["p_holm"]) if shown else "–",
                "sentence": sentences["comparisons"][name] if shown else None,
            }
        )
    return rows


def definitions(lang: str, min_cell: int) -> list[tuple[str, str, str]]:
    """The appendix in one language: ``(key, title, text)``."""
    _ = gettext_for(lang)
    return [
        (key, _(title), _(text).format(limit=min_cell) if "{limit}" in text else _(text))
        for key, title, text in DEFINITIONS
    ]


_DEFINED = {key for key, _t, _x in DEFINITIONS}


def anchor(indicator: str) -> str:
    """Where an indicator is defined in the appendix (a smaller step: with the five of eight)."""
    return indicator if indicator in _DEFINED else "minor_steps_5_of_8"


def report_html(
    data: dict[str, Any], *, lang: str, settings: Settings, today: date | None = None
) -> str:
    """The report as one self-contained HTML page (styles, logo and charts inline)."""
    fmt = Format(lang)
    cells = Cells(fmt, settings.report_min_cell)
    data = protect(data, settings.report_min_cell)
    study = data["study"]
    context = {
        "data": data,
        "cells": cells,
        "org_name": settings.org_name,
        "logo": _logo(settings),
        "fonts": FONTS,
        "today": today or clock.today(),
        "charts": _charts(data, cells, lang),
        "study_rows": _study_rows(study, cells) if study else [],
        "genders": GENDERS,
        "definitions": definitions(lang, settings.report_min_cell),
        "anchor": anchor,
    }
    return environment(lang).get_template("report.html").render(context)


def footer_template(lang: str, org_name: str) -> str:
    """Chromium's footer: the organisation and "page X of Y" on every page."""
    _ = gettext_for(lang)
    page = _("Page {page} of {pages}").format(
        page='<span class="pageNumber"></span>', pages='<span class="totalPages"></span>'
    )
    return (
        f'<div style="font-family: {escape(FONTS)}; font-size: 8pt; color: #4f5b67; '
        'width: 100%; margin: 0 15mm; display: flex; justify-content: space-between;">'
        f"<span>{escape(org_name)}</span><span>{page}</span></div>"
    )


@cache
def chromium_path(configured: str | None = None) -> str:
    """The browser that prints: the setting, else ``chromium`` on the PATH (``ReportError``)."""
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise ReportError(
            "no Chromium to print the PDF with: install Debian's chromium "
            "(apt-get install chromium) or set STEGVIS_REPORT_CHROMIUM to its path"
        )
    return found


class PdfPrinter:
    """One headless Chromium that prints HTML to A4 PDF; start it once for many reports."""

    def __init__(self, settings: Settings) -> None:
        self.executable = chromium_path(settings.report_chromium)
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> PdfPrinter:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, args=list(CHROMIUM_ARGS)
            )
        except Exception:
            self._playwright.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()

    def pdf(self, html: str, *, lang: str, org_name: str) -> bytes:
        """The HTML printed to A4 with the footer (the page must load nothing from outside)."""
        page = self._browser.new_page()
        try:
            page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
            page.set_content(html, wait_until="load")
            data: bytes = page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=footer_template(lang, org_name),
                margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
            )
            return data
        finally:
            page.close()


class BackgroundPrinter:
    """A :class:`PdfPrinter` started in a thread of its own as soon as a PDF is asked for, so
    that Chromium starts while the numbers and the charts are made (Playwright's sync API stays
    in the one thread that started it). ``pdf`` hands it the page; ``cancel`` lets it go."""

    def __init__(self, settings: Settings) -> None:
        chromium_path(settings.report_chromium)  # no browser: ReportError here, at once
        self._settings = settings
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=1)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-pdf")
        self._result = self._executor.submit(self._run)

    def _run(self) -> bytes | None:
        with PdfPrinter(self._settings) as printer:
            job = self._jobs.get()
            if job is None:
                return None
            html, lang = job
            return printer.pdf(html, lang=lang, org_name=self._settings.org_name)

    def pdf(self, html: str, *, lang: str) -> bytes:
        self._jobs.put((html, lang))
        try:
            data = self._result.result()
        finally:
            self._executor.shutdown(wait=True)
        assert data is not None  # a job was given
        return data

    def cancel(self) -> None:
        if not self._result.done():
            self._jobs.put(None)
        self._executor.shutdown(wait=True)


def report_pdf(html: str, *, lang: str, settings: Settings) -> bytes:
    """The report as PDF, with a browser of its own (started and closed here)."""
    with PdfPrinter(settings) as printer:
        return printer.pdf(html, lang=lang, org_name=settings.org_name)


FORMATS: tuple[str, ...] = ("html", "pdf")
REPORT_LANGUAGES: tuple[str, ...] = ("sv", "en")


def make_report(
    session: Any,
    settings: Settings,
    *,
    cohorts: list[str] | None = None,
    window: tuple[date | None, date | None] | None = None,
    study: str | None = None,
    basis: str = "measured",
    lang: str = "sv",
    output: str = "pdf",
    printer: PdfPrinter | None = None,
) -> bytes:
    """The report file (HTML or PDF) for these choices: what the command and the button make.

    ``printer``: a running :class:`PdfPrinter` to reuse (else one is started for this file)."""
    from outcomes.errors import Invalid
    from outcomes.report import build_report

    if output not in FORMATS:
        raise Invalid(f"unknown format {output!r}; expected one of {', '.join(FORMATS)}")
    if lang not in REPORT_LANGUAGES:
        raise Invalid(f"unknown language {lang!r}; expected one of {', '.join(REPORT_LANGUAGES)}")
    background = BackgroundPrinter(settings) if output == "pdf" and printer is None else None
    try:
        data = build_report(
            session,
            cohorts=cohorts,
            window=window,
            study=study,
            basis=basis,  # type: ignore[arg-type]
            lang=lang,
        )
        html = report_html(data, lang=lang, settings=settings)
    except BaseException:
        if background is not None:
            background.cancel()
        raise
    if output == "html":
        return html.encode("utf-8")
    if printer is not None:
        return printer.pdf(html, lang=lang, org_name=settings.org_name)
    assert background is not None  # output is "pdf"
    return background.pdf(html, lang=lang)
