"""The report's PDF, printed by headless Chromium and read back: its numbers are those of
``stegvis indicators --json`` and ``stegvis study --json``; Swedish and Arabic are drawn.

Two reports, each printed once by ``stegvis report --format pdf``; pages are rendered to PNG
(pypdfium2, through pdfplumber) into ``test-artifacts/report/``.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from outcomes.study_text import study_sentences
from tests.report.conftest import (
    ARABIC_NAME,
    SMALL,
    as_reported,
    expected,
    expected_gender_table,
    figures,
    same,
    shown_count,
)

pdfplumber = pytest.importorskip("pdfplumber")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(autouse=True)
def _chromium() -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")


FOOTER = re.compile(r"^Stegvis (Page|Sida) \d+ (of|av) \d+$", re.MULTILINE)


def _text(pdf_path: Path) -> str:
    """The text of every page, without the footers (a sentence may go on over a page break)."""
    with pdfplumber.open(pdf_path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return FOOTER.sub("", unicodedata.normalize("NFC", text))


def _between(text: str, start: str, end: str) -> str:
    assert start in text
    assert end in text
    return text.split(start, 1)[1].split(end, 1)[0]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_has_the_numbers_of_stegvis_indicators_and_study(program, stegvis, tmp_path):
    out = tmp_path / "report.pdf"
    stegvis("report", "--format", "pdf", "--language", "en", "--study", "rise", "--out", out)
    assert out.read_bytes().startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, ARTIFACTS / "report-en.pdf")
    text = _text(out)

    by_gender = json.loads(stegvis("indicators", "--json", "--by", "gender").stdout)
    gender = _between(text, "Women and men side by side", "What the mentors gain")
    assert same(figures(gender), expected_gender_table(by_gender))

    numbers = _between(text, "The round in numbers", "Primary outcomes against the targets")
    total = by_gender["total"]
    assert same(
        figures(numbers)[:1],
        [expected(total["measured"], total["enrolled"], total["response_rate"])],
    )
    primary = _between(text, "Primary outcomes against the targets", "Steps towards work")
    want = [expected(**total["indicators"][k]) for k in ("job_or_steps", "got_job")]
    assert same(figures(primary)[:2], want)

    # the cohort of four, among the others: its row shows no count, and no other row gives
    # its counts back by subtraction from the total
    per_cohort = _between(text, "Per cohort", "The study: RISE")
    seen = [figures(ln) for ln in per_cohort.splitlines() if len(figures(ln)) == 3]
    assert [("< 5", "< 5", "–")] * 3 in seen
    by_cohort = json.loads(stegvis("indicators", "--json", "--by", "cohort").stdout)
    want_rows = [
        [
            expected(g["measured"], g["enrolled"], g["response_rate"]),
            expected(**g["indicators"]["job_or_steps"]),
            expected(**g["indicators"]["network_expanded"]),
        ]
        for g in as_reported(by_cohort["total"], by_cohort["groups"])
    ]
    assert len(seen) == len(want_rows)
    unmatched = list(seen)
    for want_row in want_rows:
        match = next(row for row in unmatched if same(row, want_row))
        unmatched.remove(match)

    study = json.loads(stegvis("study", "rise", "--json").stdout)
    section = _between(text, "The study: RISE", "Appendix: the definitions")
    arms = study["attrition"]
    attrition = _between(section, "Who took part and who answered", "The comparisons")
    for arm, label in (("intervention", "Intervention group"), ("control", "Control group")):
        counts = " ".join(
            str(shown_count(arms[arm][k])) for k in ("randomised", "baseline", "result")
        )
        assert f"{label} {counts}" in attrition.splitlines()
    table = _between(section, "The comparisons", "In plain words")
    want_arms = []
    for c in study["comparisons"].values():
        want_arms += [
            expected(**{k: c[a][k] for k in ("n", "of", "share")})
            for a in ("intervention", "control")
        ]
    assert same(figures(table), want_arms)
    for name, c in study["comparisons"].items():
        shown = all(c[a]["n"] >= 5 and c[a]["of"] >= 5 for a in ("intervention", "control"))
        if shown and c["mde"] is not None:
            assert f"{100 * c['mde']:.1f}" in table, name
    sentences = study_sentences(study, "en")["comparisons"]
    words = _flat(section.split("In plain words", 1)[1])
    described = 0
    for name, sentence in sentences.items():
        c = study["comparisons"][name]
        if all(c[a]["n"] >= 5 and c[a]["of"] >= 5 for a in ("intervention", "control")):
            assert _flat(sentence) in words, name
            described += 1
    assert described >= 3
    assert "Too few people to describe (< 5)." in words or described == len(sentences)

    with pdfplumber.open(out) as pdf:
        assert pdf.pages[0].width == pytest.approx(595, abs=2)  # A4: 210 × 297 mm
        assert pdf.pages[0].height == pytest.approx(842, abs=2)
        pages = len(pdf.pages)
        assert f"Page 1 of {pages}" in (pdf.pages[0].extract_text() or "")
        pdf.pages[0].to_image(resolution=100).save(ARTIFACTS / "report-en-page1.png")


def _ink(image, box: tuple[float, float, float, float], scale: float) -> int:
    """Dark pixels inside a box of PDF points on a page rendered at ``scale`` pixels a point."""
    x0, top, x1, bottom = (round(v * scale) for v in box)
    crop = image.convert("L").crop((x0, top, x1, bottom))
    return sum(1 for v in crop.get_flattened_data() if v < 128)


def test_the_pdf_draws_swedish_and_an_arabic_cohort_name(small_program, client_for, tmp_path):
    """The Report button's PDF (the same code as the command, in the server's worker thread)."""
    answer = client_for("analyst").get(
        "/staff/report/download", params={"cohort": SMALL, "format": "pdf", "language": "sv"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    out = tmp_path / "rapport.pdf"
    out.write_bytes(answer.content)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, ARTIFACTS / "report-sv-arabic.pdf")
    resolution = 144
    with pdfplumber.open(out) as pdf:
        page = pdf.pages[0]
        text = unicodedata.normalize("NFC", page.extract_text() or "")
        assert "Omgången i siffror" in text
        assert "Primära utfall mot målen" in text
        rendered = page.to_image(resolution=resolution)
        rendered.save(ARTIFACTS / "report-sv-arabic-page1.png")
        image = rendered.original
        scale = resolution / 72
        swedish = [w for w in page.extract_words() if any(ch in w["text"] for ch in "åäöÅÄÖ")]
        assert swedish, text
        for word in swedish[:10]:
            assert _ink(image, (word["x0"], word["top"], word["x1"], word["bottom"]), scale) > 20
        # shaped Arabic comes back as presentation forms: NFKC gives the letters
        letters = {ch["text"]: unicodedata.normalize("NFKC", ch["text"]) for ch in page.chars}
        arabic = [ch for ch in page.chars if "\u0600" <= letters[ch["text"]][:1] <= "\u06ff"]
        assert {letters[ch["text"]] for ch in arabic} >= set(ARABIC_NAME.replace(" ", ""))
        for ch in arabic:
            assert "LastResort" not in ch["fontname"]
        box = (
            min(ch["x0"] for ch in arabic),
            min(ch["top"] for ch in arabic),
            max(ch["x1"] for ch in arabic),
            max(ch["bottom"] for ch in arabic),
        )
        assert _ink(image, box, scale) > 100  # the name is drawn, not left blank
