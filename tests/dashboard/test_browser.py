"""Headless Chromium (Debian's, driven by Playwright): log in, see the bots table and the
equity chart, pause a bot; filter and page signals; open a backtest report with its charts;
halt and resume with confirmation. Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.store import Store

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
    """The dashboard served by waitress on 127.0.0.1 (port 0), with a password."""
    from tradefleet.dashboard.serve import DashboardServer

    _require_chromium()
    cfg = make_config(tmp_path, password_hash="env:PW", secret_key="env:KEY")
    os.environ["PW"], os.environ["KEY"] = password_hash, SECRET
    try:
        srv = DashboardServer(cfg, store_url, clock, port=0, specs=specs).start()
    finally:
        del os.environ["PW"], os.environ["KEY"]
    yield srv.url
    srv.stop()


def _login(page: Any, server: str, path: str = "/") -> None:
    page.goto(server + path)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(server + path)


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


def _browser(p: Any) -> Any:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def test_filter_and_page_signals(server: str, store_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with Store.open(store_url) as store:
        spx = [s for s in store.signals() if s.instrument == "SPX"]
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            _login(page, server, "/signals")
            page.select_option("select[name=instrument]", "SPX")
            page.click("#filter-apply")
            page.wait_for_url("**/signals?*instrument=SPX*")
            assert f"({len(spx):,} matching" in page.inner_text("h1")
            rows = page.locator("tr.signal-row")
            assert rows.count() == min(50, len(spx))
            assert page.locator('tr.signal-row[data-bot="goog-rsi2"]').count() == 0
            assert page.locator("table.votes").count() > 0  # votes as tables, not JSON
            page.screenshot(path=str(ARTIFACTS / "signals-filtered.png"), full_page=False)
            if len(spx) > 50:
                page.click("#page-next")
                page.wait_for_url("**page=2**")
                assert page.locator("tr.signal-row").count() == min(50, len(spx) - 50)
                assert "instrument=SPX" in page.url
            assert errors == []
        finally:
            browser.close()


def test_report_opens_with_its_charts(server: str, tmp_path: Path, specs: Any, clock: Any) -> None:
    from playwright.sync_api import sync_playwright

    from tradefleet.dashboard.backtest_jobs import BacktestJobs

    jobs = BacktestJobs(str(tmp_path / "reports"), clock, specs, mc_runs=30)
    job = jobs.wait(jobs.start("spx-rsi2", "2010-01-01", "2012-12-31", "test").id, timeout=300)
    jobs.close()
    assert job.state == "done", job.error
    html = (tmp_path / "reports" / str(job.report)).read_text()
    figures = html.count('class="plotly-graph-div"')
    assert figures >= 3
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            blocked: list[str] = []
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda e: blocked.append(str(e)))
            _login(page, server, "/reports")
            page.click(f'a[href$="{job.report}"]')
            page.wait_for_load_state()
            target = page
            target.wait_for_selector(".js-plotly-plot .main-svg")
            drawn = target.locator(".js-plotly-plot").count()
            target.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
            assert drawn == figures, f"{drawn} of {figures} charts drawn; CSP: {blocked}"
            assert blocked == []
        finally:
            browser.close()


def test_halt_and_resume_need_confirmation(server: str, store_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            _login(page, server, "/")
            page.fill("input[name=reason]", "broker outage")
            page.click("button.halt")
            page.wait_for_selector("#confirm-yes")
            page.screenshot(path=str(ARTIFACTS / "halt-confirm.png"))
            with Store.open(store_url) as store:
                assert not store.control("fleet").halted  # not before the confirmation
            page.click("#confirm-yes")
            page.wait_for_url(server + "/")
            assert page.inner_text("#fleet-state") == "HALTED"
            assert "broker outage" in page.inner_text("#holds")
            page.screenshot(path=str(ARTIFACTS / "halted.png"), full_page=True)
            page.click('button[data-action="resume"]')
            page.wait_for_selector("#confirm-yes")
            assert "HALTED" in page.inner_text("#confirm-box")
            with Store.open(store_url) as store:
                assert store.control("fleet").halted  # one click does not clear a halt
            page.click("#confirm-yes")
            page.wait_for_url(server + "/")
            assert page.inner_text("#fleet-state") == "ACTIVE"
            assert errors == []
        finally:
            browser.close()
    with Store.open(store_url) as store:
        events = [(e.halted, e.actor) for e in store.control_events("fleet")]
    assert events[-2:] == [(True, "dashboard:operator"), (False, "dashboard:operator")]


def test_tca_page_draws_its_chart(tmp_path: Path, clock: Any, specs: Any, password_hash: str) -> None:
    from playwright.sync_api import sync_playwright

    from tradefleet.dashboard.serve import DashboardServer
    from tests.orchestrator.execution.test_exec_engine import TWAP, harness

    _require_chromium()
    h = harness(tmp_path, TWAP)  # the real kernel works a large entry as TWAP children
    h.run(35)
    h.close()
    cfg = make_config(tmp_path, password_hash="env:PW", secret_key="env:KEY")
    os.environ["PW"], os.environ["KEY"] = password_hash, SECRET
    try:
        srv = DashboardServer(cfg, f"sqlite:///{tmp_path}/intents.db", clock, port=0, specs=specs).start()
    finally:
        del os.environ["PW"], os.environ["KEY"]
    try:
        with sync_playwright() as p:
            browser = _browser(p)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                missing: list[str] = []
                page.on("response", lambda r: missing.append(r.url) if r.status == 404 and "favicon" not in r.url
                        else None)
                _login(page, srv.url, "/tca?by=algorithm")
                page.wait_for_selector("#tca-chart")
                sets = page.evaluate("() => { const c = Chart.getChart(document.getElementById('tca-chart'));"
                                     " return c ? c.data.datasets.map(d => [d.label, d.data.length]) : null; }")
                page.screenshot(path=str(ARTIFACTS / "tca.png"), full_page=False)
                assert sets == [["delay (bps)", 1], ["spread (bps)", 1], ["impact (bps)", 1], ["fees (bps)", 1]]
                assert page.locator('#tca-table tr[data-key="twap"]').count() == 1
                assert errors == [] and missing == []
            finally:
                browser.close()
    finally:
        srv.stop()
