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

    def liquidity(self, instrument: str) -> tuple[float, float]:
        """Return (market volume per second, bar length in seconds) over the configured window;
        the rate is 0 when the bars' volume is not traded volume (FX tick counts)."""
        frame = self.market.frame(instrument, self.config.adv_bars + 1)
        if frame is None or frame.empty:
            return 0.0, 60.0
        ts = frame.index.asi8
        bar_s = float(np.median(np.diff(ts))) / 1e9 if len(ts) > 1 else 60.0
        if not self._has_volume(instrument) or "volume" not in frame or bar_s <= 0:
            return 0.0, max(bar_s, 1.0)
        v = frame["volume"].to_numpy(dtype=np.float64)[-self.config.adv_bars:]
        v = v[np.isfinite(v)]
        return (float(v.mean()) / bar_s if v.size else 0.0), bar_s

    def adv(self, instrument: str) -> float:
        """Average daily volume (the volume rate over 24 hours; 0 when volume is not real)."""
        return self.liquidity(instrument)[0] * 86_400.0

    def view(self, instrument: str, bar: Bar | None = None) -> MarketView | None:
        bar = bar or self.market.last_bar(instrument)
        if bar is None:
            return None
        quote = self.market.quote(instrument) or (float(bar.close), float(bar.close))
        volume = float(bar.volume) if self._has_volume(instrument) else 0.0
        return MarketView(bar.ts_event, float(bar.close), volume, quote[0], quote[1], self._volatility(instrument),
                          self.liquidity(instrument)[0])

    def _volatility(self, instrument: str) -> float:
        frame = self.market.frame(instrument, self.config.adv_bars + 1)
        if frame is None or len(frame) < 3:
            return 0.0
        close = frame["close"].to_numpy(dtype=np.float64)
        ts = frame.index.asi8 if hasattr(frame.index, "asi8") else np.arange(len(close))
        dt = float(np.median(np.diff(ts))) / 1e9 if len(ts) > 1 else 0.0
        diffs = np.diff(close)
        return float(np.std(diffs) / math.sqrt(dt)) if dt > 0 else 0.0

    # -- orders -----------------------------------------------------------------------
    def choose(self, order: Order, signal: Signal | None) -> ExecSpec | None:
        """Return the spec ``order`` is worked with, or None to send it as it is."""
        if order.reduce_only:
            return None
        own = spec_from_meta(signal.meta) if signal is not None else None
        if own is not None:
            return own
        view = self.view(order.instrument)
        if view is None or not self.works_by_default(order.instrument, order.quantity, view.close):
            return None
        return self.layer.default.spec

    def works_by_default(self, instrument: str, quantity: Decimal, price: float) -> bool:
        """Whether the default algorithm would work an order of this size (else one market order)."""
        adv = self.adv(instrument)
        return self.layer.default.choose(float(quantity) * price,
                                         float(quantity) / adv if adv > 0 else 0.0) is not None

    def route(self, order: Order, signal: Signal | None) -> list[Order]:
        """Return what to send now for an approved order: itself, or its first children."""
        spec = self.choose(order, signal)
        view = self.view(order.instrument) if spec is not None else None
        if spec is None or view is None:
            return [order]
        spread = max(view.ask - view.bid, 0.0)
        params = self.impact_for(order.instrument).params(spread, self.liquidity(order.instrument)[0])
        profile: list[float] = []
        if spec.algorithm == "vwap":
            frame = self.market.frame(order.instrument, None)
            if frame is not None and not frame.empty and "volume" in frame:
                profile = volume_profile(frame.index.asi8, frame["volume"].to_numpy(), view.ts_ns,
                                         spec.interval_s, spec.slices())
        lot = self._lot(order.instrument)
        self.stops[order.client_order_id] = signal.stop if signal is not None else None
        return self.layer.accept(order, spec, view, lot, params, profile)

    def _lot(self, instrument: str) -> Decimal:
        spec = self.instruments.get(instrument)
        lot = getattr(spec, "lot_size", None) or getattr(spec, "lot", None)
        return Decimal(str(lot)) if lot else Decimal("0.00000001")

    def on_bar(self, bar: Bar) -> list[Order]:
        if bar.symbol not in self.layer._by_instrument:
            return []
        view = self.view(bar.symbol, bar)
        return self.layer.on_bar(bar.symbol, view) if view is not None else []

    def on_fill(self, order: Order, fill: Fill) -> bool:
        return self.layer.on_fill(order, fill)

    def stop_for(self, child: Order) -> float | None:
        """The stop of the signal behind a child's parent (for the exit manager)."""
        return self.stops.get(child.client_order_id.rsplit(".", 1)[0])

    def drain_cancels(self) -> list[str]:
        out, self.layer.cancels = self.layer.cancels, []
        return out
