"""The regime gate: reject signals outside the bot's declared regimes, shrink the rest by
the configured per-regime multiplier, and record the regime evidence in ``Decision.data``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from tradefleet.ai.config import RegimeConfig
from tradefleet.ai.data import ReplayFallbackData
from tradefleet.ai.regime.history import JsonlRegimeHistory, RegimeHistory
from tradefleet.ai.regime.model_store import ModelStore, PickleModelStore
from tradefleet.ai.regime.prefit import Prefitter, SeriesSource, default_workers
from tradefleet.ai.regime.service import RegimeService
from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.domain import Decision, Direction, Signal
from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    from tradefleet.orchestrator.pipeline.gate import GateContext
    from tradefleet.orchestrator.services import MarketData, Services


class RegimeGate:
    """Pipeline stage ``regime``."""

    name: ClassVar[str] = "regime"
    api_version: ClassVar[int] = 1

    def __init__(self, config: RegimeConfig, service: RegimeService) -> None:
        self.config = config
        self.service = service

    @classmethod
    def build(cls, services: Services) -> RegimeGate:
        """Wire the gate from the kernel's services (models and history under ``var/``)."""
        cfg: RegimeConfig = services.config.regime
        data: MarketData = services.data
        ahead: SeriesSource | None = None
        until: int | None = None
        if services.config.mode == "replay":
            fallback = ReplayFallbackData(services.data, services.clock, frozenset(services.config.replay.data))
            data, ahead = fallback, fallback.bundled_closes
            until = _replay_end(services.data)
        history: RegimeHistory | None = None
        if services.store is not None:
            from tradefleet.ai.regime.store_history import StoreRegimeHistory

            history = StoreRegimeHistory(services.store)
        return cls.create(cfg, data, history=history, ahead=ahead, until_ns=until)

    @classmethod
    def create(cls, config: RegimeConfig, data: MarketData, models: ModelStore | None = None,
               history: RegimeHistory | None = None, ahead: SeriesSource | None = None,
               until_ns: int | None = None) -> RegimeGate:
        """Build the gate from explicit parts (tests, benchmarks, the CLI). ``ahead`` (replay
        only) gives each market's whole series, to fit coming refits ahead in worker processes,
        up to ``until_ns`` (the replay's end) when known."""
        models = models or PickleModelStore(Path(config.model_dir))
        history = history or JsonlRegimeHistory(Path(config.history_dir))
        prefit = None
        workers = config.fit_workers if config.fit_workers is not None else default_workers()
        if config.fit_workers is None and workers < 2:
            workers = 0  # one core: workers would only compete with the loop
        if ahead is not None and workers > 0:
            store = models
            prefit = Prefitter(config, ahead, workers, until_ns=until_ns,
                               stored=lambda market, anchor, key: store.find(market, anchor, key) is not None)
        return cls(config, RegimeService(config, data, models, history, prefit))

    def warm_up(self) -> None:
        """Load the forward filter's compiled loop (numba's import and its cached machine code,
        ~0.3 s) now, before a replay starts its clock, instead of on the first signal inside
        the timed loop. The filter computes the same numbers either way."""
        from tradefleet.ai.regime.kernel import warm

        warm()

    def evaluate(self, signal: Signal, ctx: GateContext) -> Decision:
        """Pass, shrink or reject ``signal`` according to its market's filtered regime."""
        if signal.direction is Direction.FLAT:
            return Decision.passed(self.name, "exit_allowed", "exits are never held back by regime")
        market = self.service.market_for(signal.instrument, ctx.spec.asset_class.value)
        if market is None:
            return Decision.passed(self.name, "regime_not_applicable",
                                   f"no regime market for {ctx.spec.asset_class.value}")
        try:
            reading = self.service.reading(market, ctx.now_ns)
            detail = f"no regime model for {market} yet (needs {self.config.min_bars(market)} bars)"
        except DataError as exc:
            reading, detail = None, f"no data for regime market {market}: {exc}"
        if reading is not None and ctx.now_ns - reading.bar_ts > self.config.max_stale_days * 86_400 * NS:
            reading, detail = None, f"{market} regime is stale (last bar {reading.bar_ts})"
        if reading is None:
            if self.config.on_unknown == "reject":
                return Decision.rejected(self.name, "regime_unknown", detail, {"market": market})
            return Decision.passed(self.name, "regime_unknown", detail, {"market": market})
        data = reading.as_data()
        allowed = sorted(ctx.spec.regimes)
        data["allowed"] = allowed
        if reading.regime not in ctx.spec.regimes:
            return Decision.rejected(self.name, "regime_excluded",
                                     f"{market} is {reading.regime}; bot trades in {', '.join(allowed)}", data)
        mult = self.config.size_multipliers.get(reading.regime, 1.0)
        data["multiplier"] = mult
        if mult < 1.0:
            return Decision.resized(self.name, mult, "regime_size", f"{market} is {reading.regime}", data)
        return Decision.passed(self.name, "regime_ok", f"{market} is {reading.regime}", data)


def _replay_end(data: object) -> int | None:
    """The last instant a replay can reach: its latest preloaded bar plus the week of
    schedule fires a replay runs past its last bar (None if the data cannot say)."""
    stamps = getattr(data, "timestamps", None)
    symbols = getattr(data, "symbols", None)
    if stamps is None or symbols is None:
        return None
    ends = [int(t[-1]) for s in symbols() if len(t := stamps(s))]
    return max(ends) + 7 * 86_400 * NS if ends else None
