"""Options in the engine: model-priced chains quoted into the market, expiry and assignment.

One :class:`OptionListing` per run serves every underlying an option bot trades
(``BotSpec.asset_class == option``; the underlying is in its instruments). It is a bar
hook of the engine (:attr:`tradefleet.orchestrator.engine.Engine.bar_hooks`): on every
bar of an underlying it

1. updates the causal GARCH(1,1) vol of the underlying (the recursion of
   :func:`tradefleet.risk.options.vol.garch_filter_vol`, one step per bar: row t uses
   returns up to t only);
2. re-quotes every option contract the account holds or has working from the chain model
   (:func:`tradefleet.risk.options.model_chain.model_quotes`), so marks, equity and the
   risk gate see today's prices, and lets resting option orders meet the new quote;
3. settles: at the close of the expiry date every position in an expiring contract is
   exercised or assigned at its intrinsic value, or expires worthless; before expiry a
   short American leg in the money whose extrinsic value (model mid minus intrinsic) is
   below ``early_threshold`` is assigned early (the documented rule of
   :mod:`tradefleet.risk.options.lifecycle`).

A settlement is booked on the paper account as the clearing house would
(:meth:`tradefleet.orchestrator.engine.Engine.book_settlement`, no fees): the option leg
closes at its intrinsic value (its realised P&L is intrinsic minus premium), and a
physically settled contract delivers ``contracts x multiplier`` shares booked at the
settlement price, so the cash moves by exactly the strike (a cash-settled one, the S&P
500 index, pays only the intrinsic value). Collateral is released because the structure
it reserved for is gone (:mod:`tradefleet.risk.options.gate` reserves from held legs).

Bots read :meth:`chain` through ``ctx.chain(underlying)``: every contract on it is listed
as an engine instrument (:func:`tradefleet.orchestrator.occ.option_instrument`) and quoted
into the market at its bid and ask, where the paper broker fills it. A chain built here
is **model-priced** (``chain.provenance``), never recorded quotes, unless the underlying is
mapped to a file of real quotes under ``[options.chain_files]``
(:mod:`tradefleet.risk.options.quote_file`): then its chain on each session is that file's
quotes of the session's date (none that day: no chain), labelled ``quotes from <file>``;
held contracts are re-quoted from the file (a contract the file does not quote that day
keeps its last quote), and expiry and assignment work as above (early assignment on the
file's mid).

In paper and live runs an underlying may instead have a live chain source
(``sources``: ``(underlying, now_ns) -> OptionChain``, such as
:class:`tradefleet.risk.options.alpaca_chain.AlpacaChainSource` under ``[options.alpaca_chains]``):
it is fetched once per engine instant on the underlying's bars and on ``ctx.chain`` at a
fire, its quotes go into the market as above (labelled by the source, e.g. ``alpaca
snapshot <time>``), held contracts are re-quoted from it, and an expiring contract
settles on the first bar at or after 16:00 New York on its expiry date (the live clock's
close, as intraday bars arrive) instead of on the expiry date's daily bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.orchestrator.clock import ns_to_dt
from tradefleet.orchestrator.domain import AssetClass, Bar, Side
from tradefleet.orchestrator.occ import NEW_YORK, OptionSpec, option_instrument
from tradefleet.risk.options.lifecycle import DEFAULT_EARLY_THRESHOLD
from tradefleet.risk.options.model_chain import ChainModel, model_chain, model_for, model_quotes

if TYPE_CHECKING:
    from tradefleet.orchestrator.engine import Engine
    from tradefleet.risk.options.chain import OptionChain
    from tradefleet.risk.options.quote_file import QuoteFile

PERIODS = 252


@dataclass
class _Vol:
    """The GARCH(1,1) filter's state, one step per bar."""

    alpha: float = 0.09
    beta: float = 0.89
    warmup: int = 20
    n: int = 0
    total: float = 0.0
    s2: float = 0.0
    last_log: float = math.nan
    last_ts: int = -1

    def step(self, ts: int, close: float) -> None:
        if ts <= self.last_ts or not close > 0:
            return
        x = math.log(close)
        if self.last_log == self.last_log:
            e2 = (x - self.last_log) ** 2
            self.n += 1
            self.total += e2
            self.s2 = self.total if self.n == 1 else \
                (1 - self.alpha - self.beta) * (self.total / self.n) + self.alpha * e2 + self.beta * self.s2
        self.last_log, self.last_ts = x, ts

    @property
    def vol(self) -> float | None:
        return math.sqrt(self.s2 * PERIODS) if self.n >= self.warmup and self.s2 > 0 else None


@dataclass(frozen=True, slots=True)
class Settlement:
    """One position settled: what, for whom, how, at which spot."""

    bot: str
    symbol: str
    outcome: str          # exercised / assigned / expired / early_assignment
    contracts: float
    intrinsic: float
    spot: float
    delivered: float      # shares received (+) or delivered (-)
    ts_ns: int


@dataclass
class OptionListing:
    """The option market of one run (see the module doc)."""

    engine: Engine
    underlyings: tuple[str, ...]
    models: Mapping[str, ChainModel] = field(default_factory=dict)
    early_threshold: float = DEFAULT_EARLY_THRESHOLD
    files: Mapping[str, QuoteFile] = field(default_factory=dict)
    sources: Mapping[str, Callable[[str, int], OptionChain]] = field(default_factory=dict)
    settlements: list[Settlement] = field(default_factory=list)
    _vols: dict[str, _Vol] = field(default_factory=dict)
    _chains: dict[str, tuple[int, OptionChain]] = field(default_factory=dict)
    _listed: dict[tuple[str, date, str, float], str] = field(default_factory=dict)  # contract -> listed symbol
    _fetched: dict[str, tuple[int, OptionChain]] = field(default_factory=dict)

    _failed: dict[str, int] = field(default_factory=dict)
    _expiring: dict[date, list[str]] = field(default_factory=dict)  # expiry -> listed symbols not yet trimmed

    def fetch(self, underlying: str) -> OptionChain | None:
        """The live source's chain of ``underlying`` at the engine's now (one fetch per instant).

        A transient failure (timeout, 5xx, 429 after alpaca-py's retries) is logged and gives
        None for this instant: no chain for the bots (nothing is traded on stale quotes) and
        held legs keep their last quote; the next bar or fire tries again."""
        from tradefleet.orchestrator.errors import TransientBrokerError

        now = self.engine.services.clock.now_ns()
        got = self._fetched.get(underlying)
        if got is not None and got[0] == now:
            return got[1]
        if self._failed.get(underlying) == now:
            return None
        try:
            chain = self.sources[underlying](underlying, now)
        except TransientBrokerError as exc:
            import logging

            logging.getLogger(__name__).warning("option chain %s: %s (no chain this instant)", underlying, exc)
            self._failed[underlying] = now
            return None
        self._fetched[underlying] = (now, chain)
        return chain

    def model(self, underlying: str) -> ChainModel:
        return self.models.get(underlying) or model_for(underlying)

    # -- vol ----------------------------------------------------------------------------
    def vol(self, underlying: str) -> float | None:
        """The causal GARCH vol of ``underlying`` as of its last closed bar."""
        v = self._vols.get(underlying)
        market = self.engine.services.market
        if v is None:  # first use: run the filter over the history visible now
            v = self._vols[underlying] = _Vol()
            ts, cols = market.arrays(underlying)  # type: ignore[attr-defined]
            for t, c in zip(ts.tolist(), cols["close"].tolist(), strict=True):
                v.step(t, c)
        else:
            bar = market.last_bar(underlying)
            if bar is not None:
                v.step(bar.ts_event, bar.close)
        return v.vol

    # -- chains -------------------------------------------------------------------------
    def chain(self, underlying: str) -> OptionChain | None:
        """The model-priced chain on ``underlying`` now; its contracts listed and quoted."""
        if underlying not in self.underlyings:
            return None
        now = self.engine.services.clock.now_ns()
        cached = self._chains.get(underlying)
        if cached is not None and cached[0] == now:
            return cached[1]
        market = self.engine.services.market
        bar = market.last_bar(underlying)
        qf = self.files.get(underlying)
        if underlying in self.sources:
            chain = self.fetch(underlying)
            if chain is None:
                return None
        elif qf is not None:
            chain = None if bar is None else qf.chain(_day(bar.ts_event), bar.ts_event, bar.close)
            if chain is None:
                return None
        else:
            vol = self.vol(underlying)
            if bar is None or vol is None:
                return None
            chain = model_chain(underlying, bar.ts_event, bar.close, vol, self.model(underlying))
        listed = self._listed
        for q in chain:
            c = q.contract
            key = (underlying, c.expiry, c.kind, c.strike)
            sym = listed.get(key)
            if sym is None:  # first sight of the contract: list it (instruments are never delisted)
                spec = self._spec(*key)
                self.list(spec)
                sym = listed[key] = spec.symbol
                self._expiring.setdefault(c.expiry, []).append(sym)
            market.set_quote(sym, now, float(q.bid or 0.0), float(q.ask or 0.0))  # type: ignore[attr-defined]
        self._chains[underlying] = (now, chain)
        return chain

    def _spec(self, underlying: str, expiry: date, right: str, strike: float) -> OptionSpec:
        m = self.model(underlying)
        return OptionSpec(underlying, expiry, right, Decimal(repr(float(strike))), m.style,  # type: ignore[arg-type]
                          m.settlement, Decimal(m.multiplier))

    def list(self, spec: OptionSpec) -> None:
        """Make ``spec`` an engine instrument (idempotent)."""
        insts = self.engine.services.instruments
        if spec.symbol not in insts:
            insts[spec.symbol] = option_instrument(spec, tick=Decimal(repr(self.model(spec.underlying).tick)))

    # -- the bar hook -------------------------------------------------------------------
    def __call__(self, bar: Bar) -> None:
        if bar.symbol not in self.underlyings:
            return
        if self._expiring:
            self._trim_expired(bar.ts_event)
        vol = self.vol(bar.symbol)
        held = self._held(bar.symbol)
        if not held:
            return
        specs = [s for s, _ in held.values()]
        mids = self._requote(bar, specs, vol)
        self._settle(bar, held, mids)

    def _trim_expired(self, ts_ns: int) -> None:
        """Once a contract's expiry date is over (settled at that date's close), its quote
        series keeps only its last row: a long run's memory does not grow with every
        contract ever listed (the default run lists ~13k). The instrument stays listed."""
        today = _day(ts_ns)
        if today <= min(self._expiring):
            return
        market = self.engine.services.market
        for expiry in sorted(e for e in self._expiring if e < today):
            for sym in self._expiring.pop(expiry):
                market.keep_last_only(sym)  # type: ignore[attr-defined]

    def _held(self, underlying: str) -> dict[str, tuple[OptionSpec, list[tuple[str, Decimal]]]]:
        """Option symbols on ``underlying`` the account holds or has working: spec and holders."""
        e = self.engine
        insts = e.services.instruments
        out: dict[str, tuple[OptionSpec, list[tuple[str, Decimal]]]] = {}

        def on_underlying(sym: str) -> OptionSpec | None:
            inst = insts.get(sym)
            return inst.option if inst is not None and inst.option is not None \
                and inst.option.underlying == underlying else None

        for bot, sym, qty, _avg, _realized in e.ledger.open_books():
            spec = on_underlying(sym)
            if spec is not None:
                out.setdefault(sym, (spec, []))[1].append((bot, qty))
        if e.paper is not None and e.paper.has_resting_orders():
            for vo in e.paper.open_orders():
                spec = on_underlying(vo.instrument)
                if spec is not None:
                    out.setdefault(vo.instrument, (spec, []))
        return out

    def _requote(self, bar: Bar, specs: list[OptionSpec], vol: float | None) -> dict[str, float]:
        """Quote every held contract at this bar; return the mids (model or file)."""
        e = self.engine
        market = e.services.market
        now = e.services.clock.now_ns()
        m = self.model(bar.symbol)
        live = [s for s in specs if s.expiry_ns() > bar.ts_event]
        mids: dict[str, float] = {}
        qf = self.files.get(bar.symbol)
        if bar.symbol in self.sources and live:
            quoted = {q.contract.symbol: q for q in (self.fetch(bar.symbol) or ())}
            for s in live:
                q = quoted.get(s.symbol)
                if q is not None and q.bid is not None and q.ask is not None:  # else the last quote stands
                    mids[s.symbol] = (q.bid + q.ask) / 2
                    market.set_quote(s.symbol, now, q.bid, q.ask)  # type: ignore[attr-defined]
        elif qf is not None:
            day = _day(bar.ts_event)
            for s in live:
                q = qf.quote(day, s.symbol)
                if q is not None:  # not quoted today: the last quote stands
                    mids[s.symbol] = float(q.mid)  # type: ignore[arg-type]
                    market.set_quote(s.symbol, now, float(q.bid), float(q.ask))  # type: ignore[arg-type,attr-defined]
        elif vol is not None and live:
            kind = np.array([s.right for s in live])
            k = np.array([float(s.strike) for s in live])
            t = np.array([(s.expiry_ns() - bar.ts_event) / (365 * 86_400e9) for s in live])
            bid, ask, mid, _ = model_quotes(m, kind, bar.close, k, t, vol)
            for s, b, a, mi in zip(live, bid.tolist(), ask.tolist(), mid.tolist(), strict=True):
                mids[s.symbol] = mi
                market.set_quote(s.symbol, now, b, a)  # type: ignore[attr-defined]
        for s in specs:
            if s.expiry_ns() <= bar.ts_event:  # expiring at this close: worth its intrinsic value
                x = s.intrinsic(bar.close)
                mids[s.symbol] = x
                market.set_quote(s.symbol, now, x, x)  # type: ignore[attr-defined]
        paper = e.paper
        if paper is not None and paper.has_resting_orders():
            for s in specs:
                last = market.last_bar(s.symbol)
                if last is not None:
                    e.on_bar(last)  # resting option orders meet the new quote
        return mids

    def _settle(self, bar: Bar, held: dict[str, tuple[OptionSpec, list[tuple[str, Decimal]]]],
                mids: dict[str, float]) -> None:
        day = _day(bar.ts_event)
        spot = bar.close
        for sym, (spec, holders) in held.items():
            expiring = day >= spec.expiry if spec.underlying not in self.sources \
                else (day > spec.expiry or bar.ts_event >= spec.expiry_ns())  # intraday: at the close
            for bot, qty in holders:
                value = spec.intrinsic(spot)
                if expiring:
                    outcome = "expired" if value <= 0 else "exercised" if qty > 0 else "assigned"
                elif (qty < 0 and spec.style == "american" and value > 0 and sym in mids
                      and mids[sym] - value < self.early_threshold):
                    outcome = "early_assignment"
                else:
                    continue
                self._book(bot, sym, spec, qty, value, spot, outcome, bar.ts_event)

    def _book(self, bot: str, sym: str, spec: OptionSpec, qty: Decimal, value: float, spot: float, outcome: str,
              ts: int) -> None:
        e = self.engine
        price = Decimal(repr(round(value, 4)))
        side = Side.SELL if qty > 0 else Side.BUY
        detail = f"{sym} {outcome} at spot {spot:g} (intrinsic {value:g})"
        e.book_settlement(bot, sym, side, abs(qty), price, outcome, detail, {"spot": spot, "underlying": spec.underlying})
        delivered = 0.0
        if value > 0 and spec.settlement == "physical":
            units = qty * spec.multiplier  # + long, - short contracts in shares
            # a call holder buys the shares, a put holder sells them; the writer takes the other side
            shares = units if spec.right == "call" else -units
            pos = e.ledger.position(bot, spec.underlying)
            held = pos.quantity if pos is not None else Decimal(0)
            reduces = held != 0 and (held > 0) != (shares > 0) and abs(shares) <= abs(held)
            e.book_settlement(bot, spec.underlying, Side.BUY if shares > 0 else Side.SELL, abs(shares),
                              Decimal(repr(spot)), f"{outcome}_delivery", detail, {"option": sym}, reduces=reduces)
            delivered = float(shares)
        self.settlements.append(Settlement(bot, sym, outcome, float(qty), value, spot, delivered, ts))


def _day(ts_ns: int) -> date:
    """The New York session date of a bar stamped ``ts_ns``."""
    return ns_to_dt(ts_ns).astimezone(NEW_YORK).date()


def option_underlyings(specs: Any) -> tuple[str, ...]:
    """The underlyings of every option bot in ``specs`` (asset class ``option``)."""
    return tuple(sorted({i for s in specs if s.asset_class is AssetClass.OPTION for i in s.instruments}))


def install(engine: Engine, specs: Any, models: Mapping[str, ChainModel] | None = None,
            files: Mapping[str, QuoteFile] | None = None,
            sources: Mapping[str, Callable[[str, int], OptionChain]] | None = None) -> OptionListing | None:
    """Give ``engine`` an option market if any of ``specs`` trades options; return it.
    ``files``: underlyings whose chains are quote files (loaded beforehand, see
    :func:`tradefleet.risk.options.quote_file.load_chain_files`)."""
    unders = option_underlyings(specs)
    if not unders:
        return None
    listing = OptionListing(engine, unders, dict(models or {}), files=dict(files or {}), sources=dict(sources or {}))
    engine.bar_hooks.append(listing)
    engine.chains = listing.chain
    engine.services.extras["option_listing"] = listing
    return listing
