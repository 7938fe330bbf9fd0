"""Options as traded instruments, through the real replay engine (paper broker, store, risk gate).

The underlying ``XYZ`` is a generated (synthetic) daily path on real NYSE session dates
(taken from the bundled S&P 500 index), written to a Parquet file named ``generated_*``.
It alternates 101/99 (a +-2 % daily move, so the causal GARCH vol is about 30 %) and then
jumps on chosen expiry days, so the wheel's legs are assigned and called away on days the
test knows. Every P&L below is checked by hand against the premiums (read from the fills),
the strikes (read from the OCC symbols) and the intrinsic values on the crafted closes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay
from tradefleet.bots.equities.trend import SPX_SMA_TREND
from tradefleet.bots.options.traded import (GOOG_IRON_CONDOR, GOOG_VERTICAL_SPREAD, GOOG_WHEEL, OptionLegsBot,
                                            OptionLegsParams)
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.occ import parse_occ
from tradefleet.orchestrator.registry import Registry
from tradefleet.risk.options.model_chain import EQUITY_MODEL, SPX_MODEL, model_quotes
from tradefleet.risk.options.vol import garch_filter_vol

FEE = 0.65


def _sessions(start: str, end: str) -> pd.DatetimeIndex:
    from tradefleet.scrapers.bundled import BY_SYMBOL, load_dataset

    idx = load_dataset(BY_SYMBOL["SPX"].name).index
    return idx[(idx >= pd.Timestamp(start, tz="UTC")) & (idx <= pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))]


def _path(days: pd.DatetimeIndex, jumps: dict[str, float], base: float = 100.0) -> pd.DataFrame:
    """Closes alternating base+1 / base-1; from each jump date on, the base is the jump level."""
    closes = []
    level = base
    flip = 1
    for ts in days:
        day = ts.tz_convert("America/New_York").date().isoformat()
        if day in jumps:
            level = jumps[day]
            closes.append(level)
            continue
        flip = -flip
        closes.append(level * (1 + 0.01 * flip))
    c = np.array(closes)
    return pd.DataFrame({"open": c, "high": c * 1.002, "low": c * 0.998, "close": c, "volume": 1e6},
                        index=pd.DatetimeIndex(days, name="ts"))


def _run(tmp_path: Path, spec: BotSpec, frame: pd.DataFrame, symbol: str, start: str, end: str,
         risk: dict[str, Any] | None = None, cash: float = 100_000.0, stages: list[str] | None = None,
         others: tuple[BotSpec, ...] = ()) -> tuple[Any, sqlite3.Connection]:
    data = tmp_path / f"generated_{symbol.lower()}.parquet"
    frame.to_parquet(data)
    reg = Registry.discover()
    for s in (spec, *others):
        reg.add_entry("bots", s.name, "test", lambda s=s: s)
    cfg = AppConfig.model_validate({"pipeline": {"stages": stages or ["risk"]}, "replay": {"data": {symbol: str(data)}},
                                    "engine": {"starting_cash": cash}, "risk": risk or {}})
    db = tmp_path / "run.db"
    summary = run_replay(cfg, bots=[spec.name, *(o.name for o in others)], start=start, end=end,
                         store_url=f"sqlite:///{db}", registry=reg)
    return summary, sqlite3.connect(db)


def _xyz_condor() -> BotSpec:
    """The GOOG iron condor on ``XYZ``, held to expiry (no take-profit, no early close)."""
    return replace(GOOG_IRON_CONDOR, name="xyz-condor", instruments=("XYZ",),
                   params={**GOOG_IRON_CONDOR.params, "take_profit": 0, "close_dte": 0})


def _fills(con: sqlite3.Connection) -> list[tuple[str, str, float, float, float, int]]:
    return [(i, s, float(q), float(p), float(f), t) for i, s, q, p, f, t in con.execute(
        "select instrument, side, quantity, price, fee, ts_event from fills order by ts_event, rowid")]


def _close_on(frame: pd.DataFrame, day: str) -> float:
    ny = frame.index.tz_convert("America/New_York").strftime("%Y-%m-%d")
    return float(frame["close"][ny == day].iloc[0])


def test_wheel_sells_a_put_is_assigned_writes_a_call_and_is_called_away(tmp_path: Path) -> None:
    days = _sessions("2015-01-02", "2015-04-17")
    # the first put expires 2015-03-20 (first monthly expiry >= 25 days after the first fire
    # with a vol); XYZ closes at 85 that day: assigned. Calls expire 2015-04-17, close 95: called away.
    frame = _path(days, {"2015-03-20": 85.0, "2015-04-17": 95.0})
    frame.loc[frame.index > days[days.tz_convert("America/New_York").strftime("%Y-%m-%d") == "2015-03-20"][0], "close"] \
        = [95.0 if d == "2015-04-17" else (86.0 if i % 2 else 84.0) for i, d in enumerate(
            frame.index[frame.index > days[days.tz_convert("America/New_York").strftime("%Y-%m-%d") == "2015-03-20"][0]]
            .tz_convert("America/New_York").strftime("%Y-%m-%d"))]
    frame["open"] = frame["close"]
    frame["high"], frame["low"] = frame["close"] * 1.002, frame["close"] * 0.998
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    summary, con = _run(tmp_path, spec, frame, "XYZ", "2015-01-02", "2015-04-17")
    fills = _fills(con)
    kinds = [(i if i == "XYZ" else parse_occ(i).right, s) for i, s, *_ in fills]
    assert kinds == [("put", "sell"), ("put", "buy"), ("XYZ", "buy"), ("call", "sell"), ("call", "buy"),
                     ("XYZ", "sell")], fills

    put_sym, call_sym = fills[0][0], fills[3][0]
    put, call = parse_occ(put_sym), parse_occ(call_sym)
    assert put.expiry.isoformat() == "2015-03-20" and call.expiry.isoformat() == "2015-04-17"
    b1, b2 = fills[0][3], fills[3][3]
    # assignment at the 2015-03-20 close of 85: the put closes at its intrinsic value, 100 shares
    # arrive at the settlement close, so the cash moves by exactly the strike
    assert fills[1][3] == pytest.approx(float(put.strike) - 85.0) and fills[1][4] == 0
    assert fills[2][2:4] == (100.0, 85.0) and fills[2][4] == 0
    # called away at the 2015-04-17 close of 95
    assert fills[4][3] == pytest.approx(95.0 - float(call.strike)) and fills[4][4] == 0
    assert fills[5][2:4] == (100.0, 95.0) and fills[5][4] == 0
    assert fills[0][4] == fills[3][4] == FEE
    # by hand: premiums, less the strike bought at, plus the strike sold at, less two contract fees
    pnl = 100 * (b1 + b2) - 100 * float(put.strike) + 100 * float(call.strike) - 2 * FEE
    assert summary.equity == pytest.approx(100_000.0 + pnl, abs=0.01)
    assert summary.realized_pnl == pytest.approx(pnl, abs=0.01)
    assert summary.open_positions == 0
    # stored positions are flat and the settlements are stored with their reason
    rows = con.execute("select instrument, quantity from positions").fetchall()
    assert all(Decimal(q) == 0 for _, q in rows)
    reasons = [r for (r,) in con.execute("select reason from gate_decisions where gate = 'settlement' order by rowid")]
    assert reasons == ["assigned", "assigned_delivery", "assigned", "assigned_delivery"]


def test_option_legs_fill_at_the_model_chains_bid_and_ask(tmp_path: Path) -> None:
    days = _sessions("2015-01-02", "2015-03-06")
    frame = _path(days, {})
    spec = _xyz_condor()
    _, con = _run(tmp_path, spec, frame, "XYZ", "2015-01-02", "2015-03-06")
    fills = _fills(con)
    assert len(fills) == 4  # one condor: four legs, one decision
    ts = fills[0][5]
    assert all(f[5] == ts for f in fills)
    upto = frame[frame.index.as_unit("ns").asi8 <= ts]  # the bot decided at the close, that bar included
    vol = float(garch_filter_vol(upto["close"]).iloc[-1])
    spot = float(upto["close"].iloc[-1])
    signs = {}
    for sym, side, qty, price, fee, t in fills:
        c = parse_occ(sym)
        years = (c.expiry_ns() - int(upto.index[-1].value)) / (365 * 86_400e9)
        bid, ask, _, _ = model_quotes(EQUITY_MODEL, c.right, spot, float(c.strike), years, vol)
        assert price == pytest.approx(float(ask) if side == "buy" else float(bid)), sym
        assert fee == FEE and qty == 1.0
        signs[(c.right, float(c.strike))] = 1 if side == "buy" else -1
    puts = sorted(k[1] for k in signs if k[0] == "put")
    calls = sorted(k[1] for k in signs if k[0] == "call")
    assert signs[("put", puts[0])] == 1 and signs[("put", puts[1])] == -1  # long wing below the short put
    assert signs[("call", calls[0])] == -1 and signs[("call", calls[1])] == 1
    # the short strikes bracket the spot, the condor's labelled provenance is model-priced
    assert puts[1] < spot < calls[0]


def test_cash_settled_index_vertical_pays_intrinsic_and_delivers_nothing(tmp_path: Path) -> None:
    # SPX options are European and cash-settled: a bull call spread in the money at expiry pays
    # (width) x 100 in cash, no index units move
    days = _sessions("2015-01-02", "2015-03-20")
    i = np.arange(len(days))
    closes = 1900 * 1.006 ** i * (1 + 0.01 * np.where(i % 2, 1, -1))  # a steady uptrend: always above its SMA
    settle = round(float(closes[-2]) * 1.15, 2)  # the expiry close: both calls deep in the money
    closes[-1] = settle
    frame = pd.DataFrame({"open": closes, "high": closes * 1.002, "low": closes * 0.998, "close": closes,
                          "volume": 1e6}, index=pd.DatetimeIndex(days, name="ts"))
    spec = replace(GOOG_VERTICAL_SPREAD, name="spx-vertical-test", instruments=("SPX",),
                   params={**GOOG_VERTICAL_SPREAD.params, "take_profit": 0, "trend_window": 10})
    summary, con = _run(tmp_path, spec, frame, "SPX", "2015-01-02", "2015-03-20")
    fills = _fills(con)
    assert not [f for f in fills if f[0] == "SPX"]  # cash-settled: the index never moves
    opened = [f for f in fills if f[4] == FEE]
    settled = [f for f in fills if f[4] == 0]
    assert len(opened) == 2 and len(settled) == 2
    legs = {parse_occ(f[0]).strike: f for f in opened}
    lo, hi = sorted(legs)
    assert legs[lo][1] == "buy" and legs[hi][1] == "sell" and parse_occ(legs[lo][0]).right == "call"
    assert all(parse_occ(f[0]).expiry.isoformat() == "2015-03-20" for f in opened)
    debit = legs[lo][3] - legs[hi][3]
    for f in settled:
        assert f[3] == pytest.approx(settle - float(parse_occ(f[0]).strike))
    pnl = 100 * (float(hi - lo) - debit) - 2 * FEE
    assert summary.equity == pytest.approx(100_000 + pnl, abs=0.01)
    assert SPX_MODEL.style == "european"


def test_deep_in_the_money_short_put_is_assigned_early(tmp_path: Path) -> None:
    days = _sessions("2015-01-02", "2015-03-20")
    # far below any put strike 25 days before the 2015-03-20 expiry; once the GARCH vol calms
    # down the American put is worth its intrinsic value (less than 0.05 of extrinsic value)
    frame = _path(days, {"2015-02-23": 60.0})
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    _, con = _run(tmp_path, spec, frame, "XYZ", "2015-01-02", "2015-03-19")
    reasons = con.execute("select reason, s.ts_event from gate_decisions d join signals s on s.signal_id = d.signal_id "
                          "where gate = 'settlement' order by d.rowid").fetchall()
    assert [r for r, _ in reasons] == ["early_assignment", "early_assignment_delivery"]
    day = pd.Timestamp(reasons[0][1], tz="UTC").tz_convert("America/New_York").date().isoformat()
    assert "2015-02-23" <= day < "2015-03-20"  # before expiry
    shares = [f for f in _fills(con) if f[0] == "XYZ"]
    spot = _close_on(frame, day)
    assert shares and shares[0][1:4] == ("buy", 100.0, spot)
    put = [f for f in _fills(con) if f[0] != "XYZ"]
    assert put[1][1] == "buy" and put[1][3] == pytest.approx(float(parse_occ(put[1][0]).strike) - spot)


class NakedCallBot(OptionLegsBot):
    """Test bot: sells one OTM call and holds nothing else."""

    def legs(self, chain: Any, spot: float, expiry: Any, panel: Any, ctx: Any) -> dict[str, int] | None:
        k = min(x for x in chain.strikes(expiry) if x >= spot * 1.05)
        from tradefleet.orchestrator.occ import occ_symbol

        return {occ_symbol(chain.underlying, expiry, "call", k): -1}


def _naked_spec() -> BotSpec:
    return replace(GOOG_WHEEL, name="xyz-naked", bot=NakedCallBot, instruments=("XYZ",), params={})


def test_naked_short_call_is_refused_unless_the_account_allows_it(tmp_path: Path) -> None:
    days = _sessions("2015-01-02", "2015-02-20")
    frame = _path(days, {})
    _, con = _run(tmp_path / "a", _naked_spec(), frame, "XYZ", "2015-01-02", "2015-02-20") \
        if (tmp_path / "a").mkdir() is None else (None, None)
    assert not _fills(con)
    reasons = {r for (r,) in con.execute("select reason from gate_decisions where gate = 'risk'")}
    assert reasons == {"naked_option"}
    detail = con.execute("select detail from gate_decisions where reason = 'naked_option'").fetchone()[0]
    assert "uncovered" in detail
    (tmp_path / "b").mkdir()
    _, con = _run(tmp_path / "b", _naked_spec(), frame, "XYZ", "2015-01-02", "2015-02-20",
                  risk={"options": {"allow_naked": True}})
    assert [f[1] for f in _fills(con)][:1] == ["sell"]


def test_cash_secured_put_needs_its_strike_in_cash(tmp_path: Path) -> None:
    days = _sessions("2015-01-02", "2015-02-20")
    frame = _path(days, {})
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",))
    # a 92.5 or 95 put reserves 9,250 or 9,500: an account with 9,000 cannot sell one contract
    # (the gate scales the intent down to what the collateral allows: less than one contract)
    _, con = _run(tmp_path, spec, frame, "XYZ", "2015-01-02", "2015-02-20", cash=9_000.0)
    assert not _fills(con)
    rows = con.execute("select reason, detail from gate_decisions where gate = 'risk'").fetchall()
    assert rows and {r for r, _ in rows} == {"size_below_lot"}
    assert all("bound by collateral: needs" in d for _, d in rows), rows[0]


def test_greek_limit_binds_on_the_book_an_assignment_left(tmp_path: Path) -> None:
    # after the assignment the account holds 100 shares (delta 100): with a delta limit of 50
    # the covered call is refused; without the limit it is written
    days = _sessions("2015-01-02", "2015-04-10")
    frame = _path(days, {"2015-03-20": 85.0})
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, con = _run(tmp_path / "a", spec, frame, "XYZ", "2015-01-02", "2015-04-10",
                  risk={"greeks": {"max_abs_delta": 50}})
    calls = [f for f in _fills(con) if f[0] != "XYZ" and parse_occ(f[0]).right == "call"]
    assert not calls
    assert con.execute("select count(*) from gate_decisions where reason = 'greeks_delta'").fetchone()[0] > 0
    _, con = _run(tmp_path / "b", spec, frame, "XYZ", "2015-01-02", "2015-04-10")
    assert [f for f in _fills(con) if f[0] != "XYZ" and parse_occ(f[0]).right == "call"]


def test_option_legs_bot_params_are_validated() -> None:
    with pytest.raises(Exception):
        OptionLegsParams(contracts=0)


def test_validate_judges_an_option_bot_on_structure_trips(tmp_path: Path) -> None:
    """``tradefleet validate``'s path for option bots: the wheel replayed alone, its option legs
    folded into structure trips (put sold -> assigned; call written -> called away), each
    trip's P&L = premium - intrinsic paid, x 100, less the fee; shares apart; never GO on a
    model-priced chain."""
    from tradefleet.app.option_validation import validate_option_bot
    from tradefleet.backtest.config import ValidationConfig

    days = _sessions("2015-01-02", "2015-04-17")
    frame = _path(days, {"2015-03-20": 85.0, "2015-04-17": 95.0})
    ny = frame.index.tz_convert("America/New_York").strftime("%Y-%m-%d")
    after = (ny > "2015-03-20") & (ny < "2015-04-17")
    frame.loc[after, "close"] = [86.0 if i % 2 else 84.0 for i in range(int(after.sum()))]
    frame["open"] = frame["close"]
    frame["high"], frame["low"] = frame["close"] * 1.002, frame["close"] * 0.998
    data = tmp_path / "generated_xyz.parquet"
    frame.to_parquet(data)
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    reg = Registry.discover()
    reg.add_entry("bots", spec.name, "test", lambda: spec)
    app = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}, "replay": {
        "data": {"XYZ": str(data)}, "start": "2015-01-02", "end": "2015-04-17"}})
    rec = validate_option_bot(spec, app, ValidationConfig(min_trades=2, min_win_rate=0.0, min_sharpe=-99), registry=reg)
    trips = rec.walk_forward["structure_trips"]
    assert len(trips) == 2 and rec.metrics["trades"] == 2
    put, call = (parse_occ(t["legs"][0]) for t in trips)
    assert put.right == "put" and call.right == "call"
    # by hand from the crafted closes: intrinsic at 85 (put) and at 95 (call)
    for t, spec_, spot in ((trips[0], put, 85.0), (trips[1], call, 95.0)):
        premium = (t["pnl"] + 100 * spec_.intrinsic(spot) + FEE) / 100
        assert premium > 0 and premium == pytest.approx(round(premium, 2), abs=1e-9)  # a quoted price, on the tick
    assert rec.metrics["share_pnl"] == pytest.approx(100 * (95.0 - 85.0))
    failed = {c.name for c in rec.checks if not c.passed}
    assert failed == {"recorded_quotes"} and not rec.passed


def test_an_option_position_restored_before_its_chain_is_listed_still_counts_x100() -> None:
    """After a restart the ledger holds OCC positions before any chain lists them: the
    multiplier is still 100 (from the symbol), never 1."""
    from tradefleet.orchestrator.domain import Fill, Side
    from tradefleet.orchestrator.kernel import multiplier_of
    from tradefleet.orchestrator.portfolio import Ledger

    ledger = Ledger(Decimal(10_000), lambda _s: 2.5, "acct", multiplier_of({}))
    ledger.apply_fill("bot", Fill("c", "paper", "v", "t", "GOOG060317P00410000", Side.SELL, Decimal(2),
                                  Decimal("3.00"), Decimal("1.30"), 0, 0))
    assert ledger.cash() == Decimal(10_000) + 2 * 300 - Decimal("1.30")
    assert ledger.positions_value() == Decimal(-2 * 250)
    ledger.apply_fill("bot", Fill("d", "paper", "v", "t2", "GOOG", Side.BUY, Decimal(1), Decimal("3.00"),
                                  Decimal(0), 0, 0))
    assert ledger.cash() == Decimal(10_000) + 600 - Decimal("1.30") - 3


def test_a_spread_whose_short_leg_is_assigned_early_unwinds_the_delivered_shares(tmp_path: Path) -> None:
    """The condor's short put is assigned early (XYZ falls to 60): 100 shares arrive; the bot
    holds no structure that wants shares, so it sells them at the next fire (found in the
    GOOG 2008 replay: the shares used to stay, and every later entry was refused for gross
    exposure)."""
    days = _sessions("2015-01-02", "2015-03-19")
    frame = _path(days, {"2015-02-23": 60.0})
    spec = _xyz_condor()
    summary, con = _run(tmp_path, spec, frame, "XYZ", "2015-01-02", "2015-03-19")
    shares = [f for f in _fills(con) if f[0] == "XYZ"]
    assert [(s[1], s[2]) for s in shares] == [("buy", 100.0), ("sell", 100.0)], shares
    assert shares[1][5] > shares[0][5]
    pos = dict(con.execute("select instrument, quantity from positions").fetchall())
    assert Decimal(pos["XYZ"]) == 0


def test_an_expired_contracts_quotes_keep_only_the_last_one_and_the_wheel_trades_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every contract a chain lists gets a quote series; once its expiry date is over it
    keeps only its last quote (a long run's memory does not grow with every contract ever
    listed), while contracts still to expire keep their history. The wheel's trades are
    the ones asserted above."""
    import tradefleet.risk.options.listing as listing_mod

    listings: list[Any] = []
    real_install = listing_mod.install

    def install(*a: Any, **k: Any) -> Any:
        got = real_install(*a, **k)
        listings.append(got)
        return got

    monkeypatch.setattr(listing_mod, "install", install)
    days = _sessions("2015-01-02", "2015-04-17")
    frame = _path(days, {"2015-03-20": 85.0})
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    _summary, con = _run(tmp_path, spec, frame, "XYZ", "2015-01-02", "2015-04-17")
    assert [(parse_occ(i).right if i != "XYZ" else i, s) for i, s, *_ in _fills(con)][:3] == \
        [("put", "sell"), ("put", "buy"), ("XYZ", "buy")]
    (listing,) = listings
    market = listing.engine.services.market
    listed = list(listing._listed.values())
    expired = [s for s in listed if parse_occ(s).expiry.isoformat() < "2015-04-17"]
    live = [s for s in listed if parse_occ(s).expiry.isoformat() > "2015-04-17"]
    assert expired and live
    assert all(len(market.timestamps(s)) == 1 for s in expired)
    assert any(len(market.timestamps(s)) > 1 for s in live)
    put = _fills(con)[0][0]
    assert put in expired and market.quote(put) is not None  # the last quote stays readable


def test_option_legs_pass_the_rules_veto_judged_at_the_touch(tmp_path: Path) -> None:
    """The default pipeline's rules veto refuses a signal whose price has run past its entry by
    more than 0.5 %. A market leg of an intent should be judged at the touch it would take (ask
    to buy, bid to sell), so the model chain's spread (4 % of the mid, rounded out to the tick)
    is not a price move and the condor opens.

    The defect it was written for (found 2026-12-07): ``IntentDispatcher._reference`` judged a
    non-binary leg at its mark (the mid), so every option leg of the default pipeline was
    refused as past its entry by its half-spread; no GOOG option bot ever traded."""
    days = _sessions("2015-01-02", "2015-03-06")
    frame = _path(days, {})
    spec = _xyz_condor()
    _, con = _run(tmp_path, spec, frame, "XYZ", "2015-01-02", "2015-03-06", stages=["veto", "risk"])
    vetoes = con.execute("select g.verdict, g.reason from gate_decisions g where g.gate = 'veto'").fetchall()
    assert ("reject", "price_past_entry") not in vetoes
    fills = _fills(con)
    assert len(fills) == 4  # one condor: four legs, one decision
    entries = dict(con.execute("select instrument, entry from signals where bot = 'xyz-condor'").fetchall())
    for sym, side, _qty, price, _fee, _t in fills:  # judged where it filled: the touch
        assert entries[sym] == pytest.approx(price), sym


def test_a_neutral_condor_is_not_refused_as_contradicting_another_bots_stock(tmp_path: Path) -> None:
    """Another bot holds XYZ long; a condor whose short strikes bracket the spot is neutral and
    contradicts nobody, so it opens.

    The defect it was written for (found 2026-12-07): the risk gate checked each leg of an
    option structure for a contradiction on its own (a condor's short call was "short XYZ",
    its long put too), so another bot holding the underlying either way refused every condor.
    The structure is now judged as one position (:mod:`tradefleet.risk.structure`)."""
    days = _sessions("2015-01-02", "2015-03-06")
    i = np.arange(len(days))
    closes = 100 * 1.002 ** i * (1 + 0.01 * np.where(i % 2, 1, -1))  # a gentle uptrend: the stock bot stays long
    frame = pd.DataFrame({"open": closes, "high": closes * 1.002, "low": closes * 0.998, "close": closes,
                          "volume": 1e6}, index=pd.DatetimeIndex(days, name="ts"))
    stock = replace(SPX_SMA_TREND, name="xyz-trend", instruments=("XYZ",), params={"fast": 2, "slow": 5, "kind": "sma"})
    condor = _xyz_condor()
    _, con = _run(tmp_path, condor, frame, "XYZ", "2015-01-02", "2015-03-06", others=(stock,))
    bought = con.execute("select min(f.ts_event) from fills f join orders o on o.client_order_id = f.client_order_id "
                         "where o.bot = 'xyz-trend' and f.side = 'buy'").fetchone()[0]
    assert bought is not None  # the stock bot holds XYZ long from early on
    refusals = [r for (r,) in con.execute("select g.reason from gate_decisions g join signals s on "
                                          "s.signal_id = g.signal_id where s.bot = 'xyz-condor' and g.verdict = 'reject'")]
    assert "contradictory_position" not in refusals
    legs = [f for f in _fills(con) if f[0] != "XYZ"]
    assert len(legs) == 4  # one condor: four legs


def test_a_structures_collateral_counts_against_the_bots_capital_budget(tmp_path: Path) -> None:
    """Two option bots on XYZ (about 100), each with 5 % of a 100,000 account: the wheel's
    cash-secured put reserves its strike x 100 (about 9,500) and is refused every day for its
    budget; the condor reserves its wing width x 100 less the credit and opens.

    The defect this was written for (found 2026-12-07): the risk gate never held an intent to
    the bot's budget, so the put was sold and assigned 100 shares on a 5,000 budget."""
    days = _sessions("2015-01-02", "2015-03-06")
    frame = _path(days, {})
    wheel = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    condor = _xyz_condor()
    risk = {"bots": {"xyz-wheel": {"capital_pct": 0.05}, "xyz-condor": {"capital_pct": 0.05}}}
    _, con = _run(tmp_path, wheel, frame, "XYZ", "2015-01-02", "2015-03-06", risk=risk, others=(condor,))
    refusals = {f"{r}: {d}" for r, d in con.execute(
        "select g.reason, g.detail from gate_decisions g join signals s on s.signal_id = g.signal_id "
        "where s.bot = 'xyz-wheel' and g.verdict = 'reject'")}
    # one contract is the least it can sell: scaled to fit the budget, it rounds to none
    assert refusals and all(r.startswith("size_below_lot") and "bound by capital_budget" in r for r in refusals), \
        refusals
    bots = dict(con.execute("select o.bot, count(*) from fills f join orders o on "
                            "o.client_order_id = f.client_order_id group by o.bot").fetchall())
    assert "xyz-wheel" not in bots and bots.get("xyz-condor") == 4, bots


def test_a_structure_that_cannot_fit_the_bots_capital_is_not_proposed(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A covered call on XYZ (about 100) buys 100 shares per contract, about 10,000. On a 5 %
    budget (5,000) the bot proposes nothing and says so once; on 30 % it trades.

    Before (2026-12-07, the default run): the GOOG covered call, protective put, spreads and
    condor, each on about 700 of capital, sent their structure through regime, ensemble, veto
    and the risk gate on every fire (2,152 fires each) to be refused there as
    ``size_below_lot``, bound by ``capital_budget``: 23,394 refused signals, a third of the
    replay loop. The condor here (its premiums a few hundred) still proposes and opens."""
    from tradefleet.bots.options.traded import GOOG_COVERED_CALL

    days = _sessions("2015-01-02", "2015-03-06")
    frame = _path(days, {})
    call = replace(GOOG_COVERED_CALL, name="xyz-covered-call", instruments=("XYZ",))
    condor = _xyz_condor()
    small = {"bots": {"xyz-covered-call": {"capital_pct": 0.05}, "xyz-condor": {"capital_pct": 0.05}}}
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    with caplog.at_level("INFO", logger="tradefleet.bots.options.traded"):
        _, con = _run(tmp_path / "small", call, frame, "XYZ", "2015-01-02", "2015-03-06", risk=small, others=(condor,))
    signals = dict(con.execute("select bot, count(*) from signals group by bot").fetchall())
    assert "xyz-covered-call" not in signals and signals.get("xyz-condor", 0) > 0, signals
    waits = [r.getMessage() for r in caplog.records if "not proposed until it fits" in r.getMessage()]
    assert len(waits) == 1 and waits[0].startswith("xyz-covered-call: one structure needs"), waits
    large = {"bots": {"xyz-covered-call": {"capital_pct": 0.3}}}
    _, con = _run(tmp_path / "large", call, frame, "XYZ", "2015-01-02", "2015-03-06", risk=large)
    filled = {i for i, *_ in _fills(con)}
    assert "XYZ" in filled and len(filled) > 1 and all(parse_occ(i).right == "call" for i in filled - {"XYZ"}), filled


def test_the_capital_left_is_the_bots_capital_less_its_positions_at_their_marks() -> None:
    """100 shares at 100 held on 10,100 of capital leave 100: a call written for 2.00 x 100 does
    not fit, one for 0.90 does (and the context without a capital always fits)."""
    from tradefleet.bots.options.traded import GOOG_COVERED_CALL
    from tradefleet.orchestrator.context import Ctx
    from tradefleet.orchestrator.domain import AssetClass, Instrument

    bot = GOOG_COVERED_CALL.bot(GOOG_COVERED_CALL.bot.Params.model_validate(GOOG_COVERED_CALL.params))
    insts = {"XYZ": Instrument("XYZ", AssetClass.EQUITY)}
    ctx = Ctx.build("cc", 0, Decimal(100_000), Decimal(90_000), {"XYZ": Decimal(100)}, [], insts, {"XYZ": 100.0},
                    capital=Decimal(10_100))
    assert not bot._affordable(200.0, ctx) and bot._affordable(90.0, ctx)
    assert bot._affordable(1e9, replace(ctx, capital=None))
