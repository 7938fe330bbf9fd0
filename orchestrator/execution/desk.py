"""The execution desk: the engine's one entry into the execution layer.

It decides which approved orders are worked as parents (their own spec in the signal's
``meta["execution"]``, or the configured default for orders above a share of average
daily volume or a notional), builds the market view each algorithm sees (touch, bar
volume, price volatility), estimates impact with :mod:`tradefleet.orchestrator.execution.impact`
for Almgren-Chriss, and hands children back to the engine to send.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from tradefleet.orchestrator.domain import AssetClass, Bar, Fill, Order, Signal
from tradefleet.orchestrator.execution.algos import load_algos
from tradefleet.orchestrator.execution.algos.base import ExecSpec, MarketView
from tradefleet.orchestrator.execution.algos.vwap import volume_profile
from tradefleet.orchestrator.execution.impact import ImpactModel, ImpactScales
from tradefleet.orchestrator.execution.layer import DefaultExecution, ExecutionLayer, ExecutionStore
from tradefleet.orchestrator.sections import ExecutionConfig

# asset classes whose bar volume is not traded volume (FX tick counts) or not comparable
NO_VOLUME = frozenset({AssetClass.FX, AssetClass.PREDICTION})


def spec_from_meta(meta: Mapping[str, Any]) -> ExecSpec | None:
    """Return the execution spec a signal carries in ``meta["execution"]`` (a mapping), if any."""
    raw = meta.get("execution")
    if raw is None:
        return None
    if isinstance(raw, ExecSpec):
        return raw
    if not isinstance(raw, Mapping) or "algorithm" not in raw:
        raise ValueError(f"signal meta 'execution' must be a mapping with an 'algorithm', got {raw!r}")
    return ExecSpec.from_data(dict(raw))


class ExecutionDesk:
    """Routes approved orders through the execution layer (see the module doc)."""

    def __init__(self, config: ExecutionConfig, market: Any, instruments: Mapping[str, Any],
                 store: ExecutionStore | None = None, impact: ImpactModel | None = None) -> None:
        self.config = config
        self.market = market
        self.instruments = instruments
        self.impact = impact or ImpactModel()
        default = None
        if config.default_algorithm:
            default = ExecSpec(config.default_algorithm, config.horizon_s, min(config.interval_s, config.horizon_s),
                               config.participation)
        self.layer = ExecutionLayer(load_algos(), store, DefaultExecution(
            default, config.min_notional or math.inf, config.min_adv_share or math.inf))
        self.stops: dict[str, float | None] = {}
        #: calibrated impact scales per instrument (newest stored version), see ``calibrate``
        self.scales: dict[str, ImpactScales] = {}

    def impact_for(self, instrument: str) -> ImpactModel:
        """Return the impact model with the instrument's calibrated scales (textbook if none)."""
        scales = self.scales.get(instrument)
        return self.impact if scales is None else ImpactModel(scales)

    # -- market -----------------------------------------------------------------------
    def _has_volume(self, instrument: str) -> bool:
        spec = self.instruments.get(instrument)
        return getattr(spec, "asset_class", None) not in NO_VOLUME

    def view(self, instrument: str, bar: Bar | None = None) -> MarketView | None:
        """The market an algorithm or the impact check sees, from one read of recent bars:
        touch, bar volume, price volatility per sqrt(second), the volume rate (0 when the bars'
        volume is not traded volume, as FX tick counts) and the bar length."""
        bar = bar or self.market.last_bar(instrument)
        if bar is None:
            return None
        quote = self.market.quote(instrument) or (float(bar.close), float(bar.close))
        has_volume = self._has_volume(instrument)
        vol, rate, bar_s = 0.0, 0.0, 60.0
        recent = self._recent(instrument, self.config.adv_bars + 1)
        if recent is not None and len(recent[0]) > 1:
            ts, close, volume = recent
            bar_s = max(float(np.median(np.diff(ts))) / 1e9, 1.0)
            if len(ts) >= 3:
                vol = float(np.std(np.diff(close)) / math.sqrt(bar_s))
            if has_volume and volume is not None:
                v = volume[-self.config.adv_bars:]
                v = v[np.isfinite(v)]
                rate = float(v.mean()) / bar_s if v.size else 0.0
        return MarketView(bar.ts_event, float(bar.close), float(bar.volume) if has_volume else 0.0, quote[0],
                          quote[1], vol, rate, bar_s)

    def _recent(self, instrument: str, bars: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """The last ``bars`` bars' (None: every bar's) close times in ns, closes and volumes
        (None: no volume column) as float64 arrays; array views when the market has them (no
        frame built). A frame's index may be in any unit (pandas 3 makes microseconds)."""
        arrays = getattr(self.market, "arrays", None)
        if arrays is not None:
            ts, cols = arrays(instrument, bars)
            return ts, cols["close"], cols.get("volume")
        frame = self.market.frame(instrument, bars)
        if frame is None:
            return None
        return (frame.index.as_unit("ns").asi8, frame["close"].to_numpy(dtype=np.float64),
                frame["volume"].to_numpy(dtype=np.float64) if "volume" in frame else None)

    # -- orders -----------------------------------------------------------------------
    def choose(self, order: Order, signal: Signal | None, view: MarketView | None,
               spec: ExecSpec | None = None) -> ExecSpec | None:
        """Return the spec ``order`` is worked with (``spec``: the intent's own), or None to send it as it is."""
        if order.reduce_only:
            return None
        own = spec or (spec_from_meta(signal.meta) if signal is not None else None)
        if own is not None:
            return own
        if view is None or not self.works_by_default(view, order.quantity):
            return None
        return self.layer.default.spec

    def works_by_default(self, view: MarketView, quantity: Decimal) -> bool:
        """Whether the default algorithm would work an order of this size (else one market order)."""
        adv = view.volume_rate * 86_400.0  # the volume of a day at the recent rate
        return self.layer.default.choose(float(quantity) * view.close,
                                         float(quantity) / adv if adv > 0 else 0.0) is not None

    def route(self, order: Order, signal: Signal | None, own: ExecSpec | None = None) -> list[Order]:
        """Return what to send now for an approved order: itself, or its first children.
        ``own`` is the spec an intent carries (else the signal's, else the default)."""
        view = None if order.reduce_only else self.view(order.instrument)
        spec = self.choose(order, signal, view, own)
        if spec is None or view is None:
            return [order]
        spread = max(view.ask - view.bid, 0.0)
        params = self.impact_for(order.instrument).params(spread, view.volume_rate)
        profile: list[float] = []
        if spec.algorithm == "vwap":
            recent = self._recent(order.instrument, None)
            if recent is not None and len(recent[0]) and recent[2] is not None:
                profile = volume_profile(recent[0], recent[2], view.ts_ns, spec.interval_s, spec.slices())
        lot = self._lot(order.instrument)
        self.stops[order.client_order_id] = signal.stop if signal is not None else None
        return self.layer.accept(order, spec, view, lot, params, profile)

    def _lot(self, instrument: str) -> Decimal:
        spec = self.instruments.get(instrument)
        return spec.lot_size if spec is not None else Decimal("0.00000001")

    def on_bar(self, bar: Bar) -> list[Order]:
        if not self.layer.has_work(bar.symbol):
            return []
        view = self.view(bar.symbol, bar)
        return self.layer.on_bar(bar.symbol, view) if view is not None else []

    def on_fill(self, order: Order, fill: Fill) -> bool:
        return self.layer.on_fill(order, fill)

    def working(self, parent_id: str) -> bool:
        """Whether ``parent_id`` is a parent still being worked."""
        state = self.layer.parents.get(parent_id)
        return state is not None and not state.done

    def unfilled(self, parent_id: str) -> Decimal | None:
        """A working parent's quantity not yet filled (None when it is not a working parent)."""
        state = self.layer.parents.get(parent_id)
        return None if state is None or state.done else state.quantity - state.filled

    def stop_against(self, bot: str, instrument: str, sign: int, ts_ns: int) -> list[str]:
        """Stop ``bot``'s parents on ``instrument`` that a new signal of direction ``sign``
        (0: flat) no longer wants: every one when flat, those on the other side on a flip.
        Their resting children are left in ``drain_cancels``. Return the parents stopped."""
        stopped = []
        for state in self.layer.working_on(instrument):
            t = self.layer.templates[state.parent_id]
            if t.bot == bot and t.instrument == instrument and (sign == 0 or (1 if state.buy else -1) != sign):
                self.layer.cancel(state.parent_id, ts_ns)
                stopped.append(state.parent_id)
        return stopped

    def cancel(self, parent_id: str, ts_ns: int) -> bool:
        """Stop working a parent; its resting children are left in ``drain_cancels``."""
        return self.layer.cancel(parent_id, ts_ns)

    @staticmethod
    def parent_of(client_order_id: str) -> str:
        """The parent id of a child's client id (``<parent>.<n>``; '' for any other id)."""
        head, dot, tail = client_order_id.rpartition(".")
        return head if dot and tail.isdigit() else ""

    def stop_for(self, child: Order) -> float | None:
        """The stop of the signal behind a child's parent (for the exit manager)."""
        return self.stops.get(child.client_order_id.rsplit(".", 1)[0])

    def drain_cancels(self) -> list[str]:
        out, self.layer.cancels = self.layer.cancels, []
        return out
