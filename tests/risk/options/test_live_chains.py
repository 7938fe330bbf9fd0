"""Option chains live from Alpaca in a paper run: ``run_live`` on a SimClock, the real
alpaca-py clients against the loopback fakes (tests/fakes/alpaca.py for the account,
tests/fakes/alpaca_options.py for the chain snapshots), the wheel on a generated
(synthetic, not recorded) underlying ``XYZ``.

The fake's quotes are chosen far from any model price, so a fill at them can only come
from the snapshot."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradefleet.app.config import AppConfig
from tradefleet.bots.options.traded import GOOG_WHEEL
from tradefleet.orchestrator.bot import BotSpec, Schedule
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Bar
from tradefleet.orchestrator.errors import ConfigError
from tradefleet.orchestrator.occ import occ_symbol, parse_occ
from tradefleet.orchestrator.registry import Registry
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.alpaca_options import FakeAlpacaOptions, FakeOption
from tests.fakes.fake_http import VenueBook

MIN = 60 * 10**9
T0 = 1_795_305_600 * 10**9  # Sunday 2026-11-22 00:00 UTC
EXPIRY = date(2026, 11, 24)  # Tuesday
CLOSE_NS = T0 + (48 + 21) * 60 * MIN  # 16:00 New York on the expiry date
PUT95 = occ_symbol("XYZ", EXPIRY, "put", Decimal(95))
PUT90 = occ_symbol("XYZ", EXPIRY, "put", Decimal(90))
assert CLOSE_NS == parse_occ(PUT95).expiry_ns()
FEE = 0.65


@dataclass
class Feed:
    """Generated 1-minute bars of XYZ, each released once the clock reaches it."""

    bars: list[tuple[int, float]]
    sent: int = 0

    def poll(self, symbols: list[str], now_ns: int) -> list[Bar]:
        out = []
        while self.sent < len(self.bars) and self.bars[self.sent][0] <= now_ns:
            ts, c = self.bars[self.sent]
            out.append(Bar("XYZ", ts, c, c, c, c, 1_000_000.0, ts))
            self.sent += 1
        return out


def _scheduler(clock: SimClock, fires: list[int]) -> Callable[..., Any]:
    def build(enqueue: Callable[[str, int], None], specs: list[BotSpec], jobs: dict[str, Any]) -> Any:
        for t in fires:
            enqueue(specs[0].name, t)

        class Done:
            def shutdown(self) -> None: ...
        return Done()
    return build


def _run(tmp_path: Path, closes_then: list[tuple[int, float]], fires: list[int], base: str, data_url: str,
         chains: dict[str, str] | None = None) -> tuple[Any, sqlite3.Connection]:
    from tradefleet.app.live import LiveRunner, run_live

    spec = replace(GOOG_WHEEL, name="xyz-wheel-live", instruments=("XYZ",), schedule=Schedule.interval("1m"),
                   timeframe="1m", params={**GOOG_WHEEL.params, "min_dte": 1, "take_profit": 0})
    reg = Registry.discover()
    reg.add_entry("bots", spec.name, "tests:xyz-wheel-live", lambda: spec)
    cfg = AppConfig.model_validate({
        "pipeline": {"stages": ["risk"]}, "risk": {"exits": {"enabled": False}},
        "accounts": {"alpaca": {"venue": "alpaca", "base_url": base, "api_key": "env:TF_TEST_ALPACA_KEY",
                                "api_secret": "env:TF_TEST_ALPACA_SECRET", "extra": {"instruments": []}}},
        "options": {"alpaca_chains": {"XYZ": "alpaca"} if chains is None else chains, "alpaca_data_url": data_url}})
    clock = SimClock(T0)
    feed = Feed([(T0 + i * MIN, 100.0) for i in range(61)] + closes_then)
    handle = LiveRunner.handle_fire

    def at_fire_time(self: LiveRunner, job_id: str, fire_ns: int) -> None:
        clock.set_ns(max(clock.now_ns(), fire_ns))
        handle(self, job_id, fire_ns)

    LiveRunner.handle_fire = at_fire_time  # type: ignore[method-assign]
    db = tmp_path / "paper.db"
    try:
        runner = run_live(cfg, live=False, bots=[spec.name], store_url=f"sqlite:///{db}", feed=feed, clock=clock,
                          scheduler=_scheduler(clock, fires), install_signals=False, stop_when_idle=True,
                          registry=reg)
    finally:
        LiveRunner.handle_fire = handle  # type: ignore[method-assign]
    return runner, sqlite3.connect(db)


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TF_TEST_ALPACA_KEY", "k-test")
    monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "s-test")
    account = FakeAlpaca(VenueBook(cash=Decimal(0), prices={}))
    book = [FakeOption(sym, "XYZ", "put", k, EXPIRY, bid=b, ask=a, iv=0.9, open_interest=100)
            for sym, k, b, a in ((PUT90, 90.0, 0.41, 0.58), (PUT95, 95.0, 1.37, 1.61))]
    options = FakeAlpacaOptions(book, {"XYZ": 100.0}, key="k-test", secret="s-test")
    yield account, options
    account.server.close()
    options.close()


def _fills(con: sqlite3.Connection) -> list[tuple[str, str, float, float, float]]:
    return [(i, s, float(q), float(p), float(f)) for i, s, q, p, f in con.execute(
        "select instrument, side, quantity, price, fee from fills order by ts_event, rowid")]


def test_wheel_sells_the_put_at_the_snapshot_bid_and_is_assigned_at_the_live_close(tmp_path: Path, fakes: Any) -> None:
    account, options = fakes
    expiry_day = [(CLOSE_NS - 7 * 60 * MIN, 96.0), (CLOSE_NS, 85.0)]  # 09:00 and 16:00 New York on the expiry
    runner, con = _run(tmp_path, expiry_day, [T0 + 61 * MIN, expiry_day[0][0], CLOSE_NS],
                       account.base, options.base)
    fills = _fills(con)
    # the wheel sells the 95 put (5 % below 100) at the fake's bid, 1.37, in the paper broker
    assert fills[0] == (PUT95, "sell", 1.0, 1.37, FEE)
    # the chain came from the snapshot endpoint through alpaca-py, labelled with its time
    assert options.server.requests("GET", r"/v1beta1/options/snapshots/XYZ")
    listing = runner.kernel.services.extras["option_listing"]
    assert listing._fetched["XYZ"][1].provenance.startswith("alpaca snapshot 2026-11-2")
    # out of the money at 09:00 on the expiry date (not expired then), in the money at the 16:00 close:
    # assigned at intrinsic 10, 100 shares delivered at 85
    assert fills[1:] == [(PUT95, "buy", 1.0, 10.0, 0.0), ("XYZ", "buy", 100.0, 85.0, 0.0)]
    (ts,) = {t for (t,) in con.execute("select ts_event from fills where fee = 0")}
    assert ts == CLOSE_NS
    reasons = [r for (r,) in con.execute("select reason from gate_decisions where gate = 'settlement' order by rowid")]
    assert reasons == ["assigned", "assigned_delivery"]
    # one fetch per engine instant: the opening fire; the 09:00 bar re-marks the held put from the
    # snapshot (bid 1.37, ask 1.61; not a model price) and that fire reuses it; the close settles at
    # intrinsic without a fetch, then the wheel, holding the shares, asks for a chain to write a call on
    # (the fake lists no calls: nothing is sent)
    assert len(options.server.requests("GET", r"/v1beta1/options/snapshots/XYZ")) == 3
    ts, cols = runner.market.arrays(PUT95)
    at9 = ts.tolist().index(expiry_day[0][0])
    assert (cols["low"][at9], cols["high"][at9]) == (1.37, 1.61)
    # the run's stored summary says where the chain came from
    (summary,) = [json.loads(s) for (s,) in con.execute("select summary from runs")]
    assert summary["option_chains"] == {"XYZ": "alpaca snapshot 2026-11-24T21:00:00Z"}


def test_a_failed_snapshot_gives_no_chain_that_fire_and_the_next_fire_trades(tmp_path: Path, fakes: Any) -> None:
    account, options = fakes
    options.server.fault("GET", r"/v1beta1/options/snapshots/XYZ", "status", status=500)
    runner, con = _run(tmp_path, [(T0 + 61 * MIN, 100.0), (T0 + 62 * MIN, 100.0)], [T0 + 61 * MIN, T0 + 62 * MIN],
                       account.base, options.base)
    assert runner.fires == 2  # the failed fetch did not stop the run
    assert len(options.server.requests("GET", r"/v1beta1/options/snapshots/XYZ")) == 2
    (first, ts), *_ = [((i, s, float(q), float(p)), t) for i, s, q, p, t in con.execute(
        "select instrument, side, quantity, price, ts_event from fills order by ts_event, rowid")]
    assert first == (PUT95, "sell", 1.0, 1.37) and ts == T0 + 62 * MIN  # nothing at the failed fire


def test_an_alpaca_chain_entry_naming_no_alpaca_account_stops_the_start(tmp_path: Path, fakes: Any) -> None:
    account, options = fakes
    with pytest.raises(ConfigError, match=r"\[options.alpaca_chains\] XYZ = 'nope': not an alpaca account"):
        _run(tmp_path, [], [T0 + 61 * MIN], account.base, options.base, chains={"XYZ": "nope"})
    assert not options.server.requests("GET", r"/v1beta1/options/snapshots/XYZ")
