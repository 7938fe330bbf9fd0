"""Per-bot daily-loss budgets through the real replay on bundled SPX prices: a bot that
loses its budget's share on a daily bar is held on ``bot:<name>`` until local midnight,
the rest of the account keeps trading, and the one trading state shows who and until when."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tradefleet.orchestrator.clock import NS
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay

BOTS = ["spx-rsi2", "spx-ibs-reversion", "spx-cci-reversion", "spx-double-sevens", "spx-heikin-ashi",
        "spx-sma-trend", "spx-turn-of-month", "spx-stochastic-reversion"]


def test_bot_daily_loss_budget_holds_only_that_bot_until_midnight(tmp_path: Path) -> None:
    cfg = AppConfig.model_validate({"risk": {"daily_loss": {"bot_pct": 0.01}}})
    # SPX fell 0.94% on 2010-01-12: the bots long SPX lose more than 1% of their budgets
    s = run_replay(cfg, bots=BOTS, start="2010-01-01", end="2010-01-12", store_url=f"sqlite:///{tmp_path}/s.db")
    ts = s.trading_state
    assert ts["state"] == "active" and ts["may_trade"]  # the account and the fleet trade on
    held = [h for h in ts["holds"] if h["source"] == "daily_loss"]
    scopes = {h["scope"] for h in held}
    assert "bot:spx-sma-trend" in scopes and all(sc.startswith("bot:") for sc in scopes)
    assert len(scopes) < len(BOTS)  # only the bots that lost their share are held
    tz = ZoneInfo("America/New_York")
    for h in held:
        assert h["state"] == "halted" and h["set_by"] == "risk"
        loss, limit = (float(x.replace(",", "")) for x in re.findall(r"([\d,]+\.\d+)", h["reason"])[::2][:2])
        assert loss >= limit > 0
        since = datetime.fromtimestamp(h["since_ns"] / NS, tz=tz)
        midnight = datetime.fromtimestamp(h["expires_ns"] / NS, tz=tz)
        assert since.date().isoformat() == "2010-01-12" and (midnight.date() - since.date()).days == 1
        assert (midnight.hour, midnight.minute) == (0, 0)
