"""An operator's resume lifts a per-bot or per-fleet daily-loss hold in a RUNNING engine,
through the real control paths (the CLI's ``tradefleet resume``, the dashboard's and
Telegram's :class:`FleetControl`), and the hold fires again if the loss deepens by another
full budget after the resume (the resume sets a new base for the rest of the day).

The engine is the real replay engine on bundled EUR/USD hourly bars; a fake wall clock
makes it poll the store's control rows at every event, as a live engine does every
``engine.control_poll_seconds``. The operator acts from the replay's progress callback,
between two events, on its own store connection (like another process would)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from tradefleet.app.cli.main import build_app
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import Replay, ReplayProgress
from tradefleet.dashboard.control import FleetControl
from tradefleet.orchestrator.clock import NS, LiveClock, SimClock
from tradefleet.orchestrator.store import Store
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.scoped_loss import ScopedDailyLoss
from tradefleet.risk.state import StateBook
from tradefleet.risk.store_state import StoreRiskState

BOTS = ["eurusd-macd", "eurusd-donchian", "eurusd-ema-ribbon"]
TZ = ZoneInfo("America/New_York")


class _Wall:
    """A wall clock one second further on at every read: the engine polls control each event."""

    def __init__(self) -> None:
        self.clock = SimClock(1_700_000_000 * NS)

    def now_ns(self) -> int:
        self.clock.advance(1.0)
        return self.clock.now_ns()


def _holds(reader: Store) -> dict[str, dict[str, Any]]:
    run = reader.last_run()
    saved = StoreRiskState.of(reader, f"replay-{run.id}/").load_risk_state("trading_state") or {}
    return {scope: body["holds"]["daily_loss"] for scope, body in saved.items()
            if "daily_loss" in body.get("holds", {})}


def _replay_with_operator(tmp_path: Path, cfg: dict[str, Any], act: Any) -> list[tuple[str, int, str, dict]]:
    """Run the replay; ``act(scope, hold, url)`` is called once, at the first daily-loss hold.
    Return the timeline of (event, sim_ns, scope, hold) seen between events."""
    url = f"sqlite:///{tmp_path}/s.db"
    config = AppConfig.model_validate({**cfg, "engine": {"control_poll_seconds": 1}})
    reader: list[Store] = []
    seen: dict[str, dict[str, Any]] = {}
    timeline: list[tuple[str, int, str, dict]] = []

    def progress(p: ReplayProgress) -> None:
        if not reader:
            reader.append(Store.open(url))
        now = _holds(reader[0])
        for scope in now.keys() - seen.keys():
            timeline.append(("trip", p.sim_ns, scope, now[scope]))
        for scope in seen.keys() - now.keys():
            timeline.append(("lift", p.sim_ns, scope, seen[scope]))
        seen.clear()
        seen.update(now)
        if now and not any(e[0] == "resume" for e in timeline):
            scope = min(now)
            act(scope, now[scope], url)
            timeline.append(("resume", p.sim_ns, scope, now[scope]))

    try:
        Replay(config, bots=BOTS, start="2017-05-01", end="2017-05-12", store_url=url, wall=_Wall(),
               progress=progress).run()
    finally:
        for r in reader:
            r.close()
    return timeline


def _cli_resume(scope: str, _hold: dict, url: str) -> None:
    kind, name = scope.split(":", 1)
    args = ["resume", name] if kind == "bot" else ["resume", "--fleet", name]
    res = CliRunner().invoke(build_app(), [*args, "--store", url])
    assert res.exit_code == 0, res.output


def _cli_resume_everything(_scope: str, _hold: dict, url: str) -> None:
    res = CliRunner().invoke(build_app(), ["resume", "--store", url])
    assert res.exit_code == 0 and "daily-loss holds cleared" in res.output, res.output


def _dashboard_resume(scope: str, _hold: dict, url: str) -> None:
    """The dashboard's and Telegram's control object (Telegram: /resume BOT, /resume fleet:NAME)."""
    store = Store.open(url)
    try:
        kind, name = scope.split(":", 1)
        control = FleetControl(store, LiveClock(), BOTS)
        if kind == "bot":
            control.resume(name, "dashboard:alice")
        else:
            control.resume_fleet(name, "telegram:42")
    finally:
        store.close()


@pytest.mark.parametrize(("cfg", "act"), [
    ({"risk": {"daily_loss": {"bot_pct": 0.002}}}, _cli_resume),
    ({"risk": {"daily_loss": {"bot_pct": 0.002}}}, _dashboard_resume),
    ({"risk": {"daily_loss": {"fleet_pct": 0.0005}}}, _cli_resume),
    ({"risk": {"daily_loss": {"fleet_pct": 0.0005}}}, _dashboard_resume),
    ({"risk": {"daily_loss": {"bot_pct": 0.002}}}, _cli_resume_everything),
], ids=["bot-cli", "bot-dashboard", "fleet-cli", "fleet-telegram", "whole-fleet-cli"])
def test_operator_resume_lifts_a_scoped_daily_loss_hold_in_the_running_engine(tmp_path: Path, cfg: dict,
                                                                              act: Any) -> None:
    timeline = _replay_with_operator(tmp_path, cfg, act)
    resumed = [e for e in timeline if e[0] == "resume"]
    assert resumed, "the window must trip a daily-loss hold"
    _, t_resume, scope, hold = resumed[0]
    lifts = [e for e in timeline if e[0] == "lift" and e[2] == scope and e[1] >= t_resume]
    assert lifts, f"the resume never lifted {scope}"
    t_lift = lifts[0][1]
    # lifted at the next control poll, long before the hold's own expiry at local midnight
    assert t_lift < hold["expires_ns"]
    assert t_lift - t_resume <= 3600 * NS  # the very next hourly event


def test_a_resumed_hold_fires_again_when_the_loss_deepens_by_another_budget() -> None:
    """The rule: a resume re-bases the scope's budget at its P&L at the resume, for the rest
    of the day; a further full budget of loss holds it again; midnight re-bases as usual."""
    cfg = PortfolioRiskConfig.model_validate({"daily_loss": {"bot_pct": 0.01}})
    book = StateBook()
    loss = ScopedDailyLoss(cfg, "America/New_York", book)
    capital = lambda _scope: 10_000.0  # noqa: E731 - a budget of 10,000: 100 of loss per day
    fleet = lambda _bot: "fx"  # noqa: E731
    t0 = int(datetime(2026, 3, 2, 10, tzinfo=TZ).timestamp()) * NS
    hour = 3600 * NS
    loss.update(t0, {"a": 0.0}, fleet, capital)
    loss.update(t0 + hour, {"a": -100.0}, fleet, capital)
    assert "daily_loss" in book.sources("bot:a")
    loss.resume("bot:a", "cli:ops", t0 + 2 * hour)
    assert book.sources("bot:a") == []
    loss.update(t0 + 3 * hour, {"a": -199.0}, fleet, capital)  # 99 below the new base: still trading
    assert book.sources("bot:a") == []
    loss.update(t0 + 4 * hour, {"a": -200.0}, fleet, capital)  # a second full budget: held again
    assert "daily_loss" in book.sources("bot:a")
    midnight = int(datetime(2026, 3, 3, tzinfo=TZ).timestamp()) * NS
    assert book.holds()[0][2].expires_ns == midnight


def test_a_restart_the_same_day_keeps_the_days_base() -> None:
    """The loss before a restart still counts after it: the day's bases are saved with the risk state."""
    from tradefleet.risk.persistence import MemoryRiskStore

    cfg = PortfolioRiskConfig.model_validate({"daily_loss": {"bot_pct": 0.01}})
    store = MemoryRiskStore()
    capital = lambda _scope: 10_000.0  # noqa: E731 - 100 of loss per day
    fleet = lambda _bot: "fx"  # noqa: E731
    t0 = int(datetime(2026, 3, 2, 10, tzinfo=TZ).timestamp()) * NS
    hour = 3600 * NS
    before = ScopedDailyLoss(cfg, "America/New_York", StateBook(store=store), store)
    before.update(t0, {"a": 0.0}, fleet, capital)
    before.update(t0 + hour, {"a": -60.0}, fleet, capital)
    book = StateBook(store=store)  # the process restarts
    after = ScopedDailyLoss(cfg, "America/New_York", book, store)
    after.update(t0 + 2 * hour, {"a": -60.0}, fleet, capital)
    assert book.sources("bot:a") == []
    after.update(t0 + 3 * hour, {"a": -100.0}, fleet, capital)  # 100 lost today, 40 of it after the restart
    assert "daily_loss" in book.sources("bot:a")
