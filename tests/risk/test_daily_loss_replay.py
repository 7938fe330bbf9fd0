"""The daily-loss halt through the real replay engine, on real bundled prices.

The expected halt is computed independently of the risk gate: the account's equity is
rebuilt from the stored fills and the bundled closes at every bar and every fill, the
start-of-day base is the last such mark before local midnight (New York), and the halt
must land on the first mark whose loss reaches the limit. Entries after it that day are
refused with ``daily_loss_halt``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tradefleet.orchestrator.clock import NS
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import resolve_frames, run_replay

TZ = ZoneInfo("America/New_York")


def _replay(tmp_path: Path, bots: list[str], start: str, end: str, limit: dict[str, float | None]) -> tuple[str, str]:
    cfg = AppConfig.model_validate({"risk": {"daily_loss": limit}})
    url = f"sqlite:///{tmp_path}/s.db"
    s = run_replay(cfg, bots=bots, start=start, end=end, store_url=url)
    return str(tmp_path / "s.db"), s.account


def _rows(db: str, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _expected_halt(db: str, symbol: str, start: str, end: str, limit_of) -> int | None:
    """First mark (bar or fill) whose loss since the last mark before local midnight reaches the limit."""
    frames, _ = resolve_frames(AppConfig(), [symbol], start, end)
    f = frames[symbol]
    bar_ts = f.index.as_unit("ns").asi8
    closes = f["close"].to_numpy()
    fills = _rows(db, "select ts_init, side, quantity, price, fee from fills order by id")
    events = sorted([(int(t), 0, None) for t in bar_ts] + [(int(r[0]), 1, r) for r in fills], key=lambda e: (e[0], e[1]))
    cash, qty = Decimal(100_000), Decimal(0)
    base = last = None
    day = None
    for ts, _, fill in events:
        if fill is not None:
            signed = Decimal(fill[2]) if fill[1] == "buy" else -Decimal(fill[2])
            cash -= signed * Decimal(fill[3]) + Decimal(fill[4])
            qty += signed
        k = int(np.searchsorted(bar_ts, ts, side="right")) - 1
        equity = float(cash + qty * Decimal(repr(float(closes[k])))) if k >= 0 else float(cash)
        today = datetime.fromtimestamp(ts / NS, tz=TZ).date()
        if today != day:
            day, base = today, (last if last is not None else equity)
        last = equity
        if base - equity >= limit_of(base):
            return ts
    return None


def _check(db: str, account: str, expected: int | None, refusals: bool = True) -> None:
    halts = _rows(db, "select ts_ns, reason from control_events where scope = 'account:" + account + "' and halted = 1 "
                      "order by id")
    assert expected is not None, "the window must contain a losing day"
    assert halts, "the daily-loss limit never halted the replay"
    assert halts[0][0] == expected and halts[0][1].startswith("daily_loss")
    # no entry is ordered between the halt and the next local midnight
    day = datetime.fromtimestamp(expected / NS, tz=TZ).date()
    after = [r for r in _rows(db, f"select ts_init, outcome from signals where ts_init >= {expected} "
                                  "and direction != 'flat' order by ts_init")
             if datetime.fromtimestamp(r[0] / NS, tz=TZ).date() == day]
    assert all(o != "ordered" for _, o in after)
    refused = _rows(db, "select ts_init from signals where outcome like '%daily_loss_halt'")
    assert all(r[0] >= expected for r in refused)
    assert refused or not refusals
    # the replay's halt holds its own simulated account, never the store's live fleet
    assert not _rows(db, "select 1 from control_events where scope = 'fleet'")


def test_daily_bar_replay_halts_on_the_losing_bar(tmp_path: Path) -> None:
    start, end = "2010-01-01", "2010-03-31"
    db, account = _replay(tmp_path, ["spx-rsi2", "spx-sma-trend"], start, end, {"pct": 0.001})
    expected = _expected_halt(db, "SPX", "2009-01-01", end, lambda base: 0.001 * base)
    assert expected is not None
    frames, _ = resolve_frames(AppConfig(), ["SPX"], "2009-01-01", end)
    spx = frames["SPX"]["close"]
    k = int(np.searchsorted(spx.index.as_unit("ns").asi8, expected))
    assert spx.index[k].value == expected and spx.iloc[k] < spx.iloc[k - 1]  # it halts on the losing daily bar itself
    _check(db, account, expected)


@pytest.mark.parametrize("bots", [["eurusd-macd", "eurusd-donchian", "eurusd-ema-ribbon"]])
def test_hourly_bar_replay_halts_on_the_bar_that_breaches(tmp_path: Path, bots: list[str]) -> None:
    start, end = "2017-05-01", "2017-05-31"
    db, account = _replay(tmp_path, bots, start, end, {"pct": None, "amount": 10.0})
    expected = _expected_halt(db, "EUR/USD", "2017-01-01", end, lambda _base: 10.0)
    _check(db, account, expected)


def test_halt_lands_on_the_hourly_bar_between_a_daily_bots_fires(tmp_path: Path) -> None:
    """The engine marks the book at every bar, not only when a bot fires or a fill lands.

    A bot that decides once a day holds EUR/USD through the hourly bars in between: the
    loss that breaches the limit arrives on one of those bars, and the halt must land on it
    (not at the bot's next fire or the next day's equity snapshot)."""
    from tradefleet.bots.forex.macd import MacdCrossBot
    from tradefleet.orchestrator.bot import AssetClass, BotSpec, Schedule
    from tradefleet.orchestrator.registry import Registry

    reg = Registry.discover()
    spec = BotSpec("eurusd-macd-once-a-day", MacdCrossBot, ("EUR/USD",), Schedule.crontab("0 21 * * 1-5"), "1h",
                   AssetClass.FX)
    reg.add_entry("bots", spec.name, "tests:MacdCrossBot", lambda: spec)
    start, end = "2017-05-01", "2017-06-30"
    url = f"sqlite:///{tmp_path}/s.db"
    s = run_replay(AppConfig.model_validate({"risk": {"daily_loss": {"pct": None, "amount": 10.0}}}),
                   bots=[spec.name], start=start, end=end, store_url=url, registry=reg)
    db = str(tmp_path / "s.db")
    expected = _expected_halt(db, "EUR/USD", "2017-01-01", end, lambda _base: 10.0)
    fires = {int(r[0]) for r in _rows(db, "select ts_init from signals")}
    assert expected is not None and expected not in fires  # the breach comes between fires
    _check(db, s.account, expected, refusals=False)  # a once-a-day bot may not fire again that day
