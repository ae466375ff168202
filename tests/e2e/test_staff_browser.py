"""The staff workspace in headless Chromium (Debian's), as a coordinator uses it.

An admin adds a staff member; she logs in, reads the overview (whose numbers are those of
``stegvis indicators --json``), finds the flagged pairs, opens one, voids an event, sets up a new
cohort from a CSV file and downloads its invite sheet, whose QR codes are decoded here to the
links ``stegvis invite`` makes. Every page gets a screenshot in test-artifacts/ and an axe-core
check: no serious or critical violation.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import Session
from typer.testing import CliRunner

from api.main import create_app
from emulator.server import bind_socket
from outcomes import invites, staff
from outcomes.clock import today
from outcomes.importer import import_jsonl
from outcomes.models import Event, Participant
from staff.deps import SESSION_COOKIE
from stegvis.cli import build_cli
from tests.utils.factories import (
    make_cohort,
    make_event,
    make_meeting,
    make_mentor,
    make_pair,
    make_participant,
)
from tests.utils.generate import generate_lines

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "staff"
ADMIN = "ops@example.org"
ADMIN_PASSWORD = "Administratören har ett långt lösenord"
LINA = "lina@example.org"
LINA_PASSWORD = "Lingonsylt och pannkakor 7"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SERIOUS = {"serious", "critical"}

SETUP_CSV = """kind,id,gender,language,occupation_field,mentor,participant,matched_on
participant,np-1,woman,ar,sjuksköterska,,,
participant,np-2,man,uk,ingenjör,,,
mentor,nm-1,,sv,vård,,,
mentor,nm-2,,en,teknik,,,
pair,npair-1,,,,nm-1,np-1,{day}
pair,npair-2,,,,nm-2,np-2,{day}
"""


@pytest.fixture
def chromium_path() -> str:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    return CHROMIUM


@pytest.fixture
def world(db, settings) -> dict[str, Any]:
    """A generated program (numbers), a running cohort with a quiet pair, and the admin."""
    with Session(db) as session:
        import_jsonl(session, generate_lines(120, seed=3, n_cohorts=2))
        study = {"kind": "study", "id": "e2e", "name": "E2E study", "cohorts": ["c01", "c02"]}
        import_jsonl(session, [json.dumps(study)])
        running = make_cohort(
            session,
            id="c-now",
            name="Omgång nu",
            start=today() - timedelta(days=120),
            end=today() + timedelta(days=120),
        )
        quiet = make_pair(
            session,
            id="pair-quiet",
            mentor=make_mentor(session, cohort=running),
            participant=make_participant(session, cohort=running),
            matched_on=today() - timedelta(days=100),
        )
        make_meeting(session, pair=quiet, held_on=today() - timedelta(days=60))
        step = make_event(
            session,
            id="ev-quiet-1",
            participant=quiet.participant,
            type="cv_improved",
            occurred_on=today() - timedelta(days=50),
        )
        busy = make_pair(
            session,
            id="pair-busy",
            mentor=make_mentor(session, cohort=running),
            participant=make_participant(session, cohort=running),
            matched_on=today() - timedelta(days=100),
        )
        make_meeting(session, pair=busy, held_on=today() - timedelta(days=5))
        staff.add_staff(
            session, email=ADMIN, role="admin", password=ADMIN_PASSWORD, actor="cli", language="en"
        )
        ids = {"quiet": quiet.id, "busy": busy.id, "event": step.id}
        session.commit()
    return ids


def stegvis_json(*args: str) -> Any:
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class Checker:
    """Screenshots and axe-core on every page a test visits."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.checked: list[str] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        results = self.axe.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
        assert not bad, (
            name,
            [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in bad],
        )
        self.checked.append(name)


def numbers_on(page: Any) -> dict[str, Any]:
    """The overview's total as the page shows it (every indicator's n and of)."""
    rows = page.locator("#all-indicators tbody tr")
    shown = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        cell = row.locator("td[data-n]").first
        shown[row.get_attribute("data-indicator")] = (
            int(cell.get_attribute("data-n")),
            int(cell.get_attribute("data-of")),
        )
    return {
        "enrolled": int(page.locator("#card-enrolled .value").get_attribute("data-value")),
        "response_rate": page.locator("#card-response .value").get_attribute("data-value"),
        "indicators": shown,
    }


def expected(result: dict[str, Any]) -> dict[str, Any]:
    total = result["total"]
    return {
        "enrolled": total["enrolled"],
        "response_rate": str(total["response_rate"]),
        "indicators": {k: (v["n"], v["of"]) for k, v in total["indicators"].items()},
    }


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """uvicorn in a thread with its access log on, logging through the root logger (caplog)."""
    sock = bind_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, log_config=None, access_log=True, log_level="info", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def decode_qr_codes(png: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(png))]


def test_a_coordinators_round_in_the_browser(chromium_path, world, db, settings, caplog) -> None:
    from playwright.sync_api import expect, sync_playwright

    caplog.set_level(logging.INFO)
    check = Checker()
    app = create_app(settings, engine=db)
    with serving(app) as root, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900},
                locale="en-GB",
                accept_downloads=True,
                bypass_csp=False,
            )
            page = context.new_page()
            staff_root = f"{root}/staff"

            # -- the admin logs in with the keyboard and adds a staff member --------------------
            page.goto(f"{staff_root}/accounts")
            expect(page).to_have_url(re.compile(r"/staff/login\?next=%2Fstaff%2Faccounts$"))
            check(page, "01-login")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip"
            page.fill("#email", ADMIN)
            page.fill("#password", ADMIN_PASSWORD)
            page.press("#password", "Enter")
            expect(page).to_have_url(f"{staff_root}/accounts")
            page.fill("#a-email", LINA)
            page.select_option("#a-role", "staff")
            page.select_option("#a-language", "en")
            page.fill("#a-password", LINA_PASSWORD)
            page.fill("#a-password_again", LINA_PASSWORD + "!")
            page.click("text=Add the account")
            expect(page.locator("#a-password_again-error")).to_contain_text("not the same")
            expect(page.locator("#a-email")).to_have_value(LINA)  # what was typed is kept
            check(page, "02-accounts-error")
            page.fill("#a-password", LINA_PASSWORD)
            page.fill("#a-password_again", LINA_PASSWORD)
            page.click("text=Add the account")
            expect(page.locator("#done")).to_contain_text(f"{LINA} can now log in")
            check(page, "03-accounts")
            page.click("text=Log out")
            expect(page.locator(".notice")).to_contain_text("You are logged out")

            # -- the staff member logs in and reads the overview --------------------------------
            page.fill("#email", LINA)
            page.fill("#password", LINA_PASSWORD)
            page.click("button:has-text('Log in')")
            expect(page).to_have_url(f"{staff_root}/overview")
            check(page, "04-overview-all")
            assert numbers_on(page) == expected(stegvis_json("indicators", "--json"))
            cohort = "c01"  # a generated cohort, with every edge of the spec
            page.select_option("#cohort", cohort)
            page.click("button:has-text('Show')")
            expect(page).to_have_url(f"{staff_root}/overview?cohort={cohort}")
            page.click("#h-all ~ details summary")
            check(page, "05-overview-cohort")
            assert numbers_on(page) == expected(
                stegvis_json("indicators", "--json", "--cohort", cohort)
            )
            by_gender = stegvis_json("indicators", "--json", "--cohort", cohort, "--by", "gender")
            for group in by_gender["groups"]:
                row = page.locator(f"#gender-table tr[data-gender='{group['key']['gender']}']")
                assert row.locator("td").first.get_attribute("data-value") == str(group["enrolled"])

            # -- finds the flagged pairs, opens one, voids an event -----------------------------
            page.click("nav >> text=Pairs")
            page.select_option("#cohort", "c-now")
            page.click("button:has-text('Show')")
            page.click(".flag-link >> text=No meeting in 45 days")
            rows = page.locator("#pairs-table tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_have_attribute("data-pair", world["quiet"])
            check(page, "06-pairs-flagged")
            page.click(f"#pairs-table >> text={world['quiet']}")
            expect(page.locator("h1")).to_contain_text(world["quiet"])
            check(page, "07-pair")
            page.click(f"button[aria-label='Void event {world['event']}']")
            expect(page.locator("#done")).to_contain_text(f"Event {world['event']} was voided")
            expect(page.locator(f"#event-{world['event']}")).to_have_attribute(
                "data-status", "voided"
            )
            with Session(db) as session:
                assert session.get(Event, world["event"]).status == "voided"

            # -- sets up a new cohort from a CSV file --------------------------------------------
            page.click("nav >> text=Cohorts")
            page.fill("#c-id", "c-next")
            page.fill("#c-name", "Nästa omgång")
            page.fill("#c-start", today().isoformat())
            page.fill("#c-end", (today() + timedelta(days=180)).isoformat())
            page.fill("#c-target_participants", "40")
            page.fill("#c-target_job_or_steps", "85")
            check(page, "08-cohorts")
            page.click("text=Create the cohort")
            expect(page.locator("#done")).to_contain_text("The cohort was created")
            csv_path = ARTIFACTS / "setup.csv"
            csv_path.write_text(SETUP_CSV.format(day=today().isoformat()), encoding="utf-8")
            page.set_input_files("#u-file", str(csv_path))
            page.select_option("#u-kind", "auto")
            page.click("text=Import the file")
            expect(page.locator("#upload-report")).to_contain_text("The file was imported")
            expect(page.locator("#people-counts")).to_contain_text(
                "2 participants, 2 mentors, 2 pairs"
            )
            check(page, "09-cohort-setup")

            # -- downloads the invite sheet and reads its QR codes --------------------------------
            with page.expect_download() as download_info:
                page.click("text=Download the sheet")
            sheet_file = ARTIFACTS / "invite-sheet.html"
            download_info.value.save_as(str(sheet_file))
            sheet = context.new_page()
            sheet.set_viewport_size({"width": 900, "height": 1200})
            sheet.goto(sheet_file.as_uri())
            cards = sheet.locator("section.card")
            expect(cards).to_have_count(4)
            png = ARTIFACTS / "10-invite-sheet.png"
            check(sheet, "10-invite-sheet")
            decoded = decode_qr_codes(png)
            printed = [cards.nth(i).locator(".link a").inner_text() for i in range(4)]
            assert sorted(decoded) == sorted(printed)
            sheet.emulate_media(media="print")
            sheet.pdf(path=str(ARTIFACTS / "invite-sheet.pdf"), format="A4")
            with Session(db) as session:
                for i in range(4):
                    card = cards.nth(i)
                    link = card.locator(".link a").inner_text()
                    token = link.rsplit("start=", 1)[1]
                    assert link == invites.invite_link(settings.bot_username, token)
                    invite = invites.usable(session, token)
                    assert invite.pair == card.get_attribute("data-pair")
                    assert invite.role == card.get_attribute("data-role")
                language = session.get(Participant, "np-1").language
            arabic = sheet.locator("section.card[data-person='np-1']")
            expect(arabic).to_have_attribute("lang", language)
            expect(arabic).to_have_attribute("dir", "rtl")
            # the same links as the command: `stegvis invite PAIR --json` on another pair
            from_cli = stegvis_json("invite", world["busy"], "--json")
            assert from_cli["mentor"]["link"].rsplit("=", 1)[0] == printed[0].rsplit("=", 1)[0]

            # -- the rest of the pages: study, exports, the print view, on a phone ---------------
            for name, path in (("11-study", "/study"), ("12-exports", "/exports")):
                page.goto(staff_root + path)
                check(page, name)
                if name == "11-study":  # the comparison, its whiskers, funnel and balance
                    for table in ("comparisons-table", "attrition-table", "balance-measured"):
                        expect(page.locator(f"#{table}")).to_be_visible()
            expect(page.locator("h1")).to_have_text("Exports")
            page.goto(f"{staff_root}/cohorts/c-now")
            page.click("text=Open the sheet to print")
            expect(page.locator("section.card").first).to_be_visible()
            expect(page.locator("#print-sheet")).to_be_visible()  # the script is served too
            check(page, "13-invite-sheet-print-view")
            phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
            phone.add_cookies(
                [c for c in context.cookies() if c["name"] == SESSION_COOKIE]  # type: ignore[misc]
            )
            small = phone.new_page()
            for name, path in (("14-phone-overview", "/overview"), ("15-phone-pairs", "/pairs")):
                small.goto(staff_root + path)
                check(small, name)
                overflow = small.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, (name, overflow)  # wide tables scroll in their own box
            secret = next(c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE)
            phone.close()
        finally:
            browser.close()
    assert len(check.checked) == 15
    # the server's own logs (uvicorn's access log among them) never show the session id
    assert any(r.name == "uvicorn.access" for r in caplog.records)
    assert all(secret not in r.getMessage() for r in caplog.records)
