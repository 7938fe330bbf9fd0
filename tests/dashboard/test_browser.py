"""Headless Chromium (Debian's, driven by Playwright): log in, see the bots table and the
equity chart, pause a bot, see it paused in the store. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.store import Store

from tests.dashboard.conftest import PASSWORD, SECRET, make_config

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if shutil.which(CHROMIUM) is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing and REQUIRE_SERVICES=1")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")


@pytest.fixture
def server(tmp_path: Path, store_url: str, clock: Any, specs: Any, password_hash: str) -> Iterator[str]:
    """The dashboard on a real werkzeug server on 127.0.0.1 (port 0), with a password."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    _require_chromium()
    cfg = make_config(tmp_path, password_hash="env:PW", secret_key="env:KEY")
    app = create_app(cfg, store_url, clock, specs=specs, environ={"PW": password_hash, "KEY": SECRET})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(10)
    app.extensions["tradefleet"]["store"].close()


def test_login_see_bots_and_chart_pause_a_bot(server: str, store_url: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server + "/bots")
            assert "/login" in page.url
            page.fill("#password", "wrong")
            page.click("#login-submit")
            assert page.inner_text("#login-error") == "wrong password"
            page.fill("#password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_url(server + "/bots")
            page.screenshot(path=str(ARTIFACTS / "bots.png"), full_page=True)
            rows = page.locator("#bots-table tr[data-bot]")
            assert rows.count() >= 50
            row = page.locator('#bots-table tr[data-bot="spx-rsi2"]')
            assert row.locator(".bot-status").inner_text() == "active"

            page.goto(server + "/")
            page.wait_for_selector("#equity-chart[data-points]")
            points = int(page.get_attribute("#equity-chart", "data-points") or 0)
            assert points > 100
            assert page.evaluate("() => Chart.getChart('equity-chart').data.datasets[0].data.length") == points
            page.wait_for_function("() => document.getElementById('live-state').textContent.startsWith('ACTIVE')")
            page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

            page.goto(server + "/bots")
            page.click('#bots-table tr[data-bot="spx-rsi2"] button[data-action="pause"]')
            page.wait_for_url(server + "/bots")
            row = page.locator('#bots-table tr[data-bot="spx-rsi2"]')
            assert row.locator(".bot-status").inner_text() == "paused"
            assert row.locator('button[data-action="resume"]').count() == 1
            page.screenshot(path=str(ARTIFACTS / "bots-paused.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
    with Store.open(store_url) as store:
        st = store.control("bot:spx-rsi2")
        assert st.paused and st.actor == "dashboard:operator"
