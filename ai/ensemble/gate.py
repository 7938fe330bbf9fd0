"""The ensemble gate: every configured source votes; the weighted score, read in the
signal's direction, passes, shrinks or rejects the signal. Opposing signals from other
bots on the same instrument are suppressed. Every vote goes into ``Decision.data``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tradefleet.ai.config import EnsembleConfig
from tradefleet.ai.data import series_arrays
from tradefleet.ai.ensemble.combine import ICTracker, WeightLog, combine
from tradefleet.ai.ensemble.source import EnsembleSource, SourceContext, Vote
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.domain import Decision, Direction, Signal

if TYPE_CHECKING:
    from tradefleet.orchestrator.pipeline.gate import GateContext
    from tradefleet.orchestrator.services import MarketData, Services

log = logging.getLogger(__name__)


def builtin_sources() -> dict[str, type]:
    """The nine built-in source classes by name (what the entry points register)."""
    from tradefleet.ai.ensemble.sources.analyst import LLMAnalystSource
    from tradefleet.ai.ensemble.sources.consensus import BotConsensusSource
    from tradefleet.ai.ensemble.sources.external import CryptoDerivativesSource, MLModelSource, NewsSentimentSource
    from tradefleet.ai.ensemble.sources.macro import MacroSource
    from tradefleet.ai.ensemble.sources.technical import MultiTimeframeSource, TechnicalSource
    from tradefleet.ai.ensemble.sources.whale import WhaleFlowSource

    classes: list[type] = [MLModelSource, LLMAnalystSource, MultiTimeframeSource, BotConsensusSource,
                           TechnicalSource, CryptoDerivativesSource, MacroSource, NewsSentimentSource, WhaleFlowSource]
    return {c.name: c for c in classes}  # type: ignore[attr-defined]


class EnsembleGate:
    """Pipeline stage ``ensemble``."""

    name: ClassVar[str] = "ensemble"
    api_version: ClassVar[int] = 1

    def __init__(self, config: EnsembleConfig, data: MarketData, sources: list[EnsembleSource],
                 tracker: SignalTracker) -> None:
        self.config = config
        self.data = data
        self.sources = sources
        self.tracker = tracker
        self.ic = ICTracker(config.ic_window, config.ic_horizon_bars, config.ic_strength) if config.adaptive else None
        self.weight_log = WeightLog(config.ic_log_step)
        #: called with (ts_ns, {source: (multiplier, IC, resolved votes)}) when multipliers move
        self.on_weights: Any = None
        #: per source: votes cast, abstentions and their reasons (``run --json`` ``ensemble``)
        self.tally: dict[str, dict[str, Any]] = {}

    @classmethod
    def build(cls, services: Services) -> EnsembleGate:
        """Build the configured sources from the registry (built-ins if not registered)."""
        cfg: EnsembleConfig = services.config.ensemble
        registered = services.registry.ok("sources") if services.registry is not None else {}
        fallback = builtin_sources()
        sources = []
        for name in cfg.sources:
            source_cls = registered.get(name) or fallback.get(name)
            if source_cls is None:
                log.warning("ensemble source %s is not registered; skipped", name)
                continue
            sources.append(source_cls.build(services))
        data: MarketData = services.data
        if services.config.mode == "replay":  # same warm-up history as a live start would load
            from tradefleet.ai.data import ReplayFallbackData

            data = ReplayFallbackData(services.data, services.clock, frozenset(services.config.replay.data))
        gate = cls(cfg, data, sources, SignalTracker.shared(services))
        store = getattr(services, "store", None)
        if store is not None and cfg.adaptive:
            from tradefleet.orchestrator.execution.exec_store import ExecStore

            gate.on_weights = ExecStore(store).save_source_weights
        return gate

    def evaluate(self, signal: Signal, ctx: GateContext) -> Decision:
        """Collect the votes, combine them and judge the signal."""
        if signal.direction is Direction.FLAT:
            self.tracker.note_signal(signal)
            return Decision.passed(self.name, "exit_allowed", "exits are never held back by the ensemble")
        if signal.meta.get("kind") == "quote":
            # a two-sided quote's side is liquidity offered, not a view on direction: the
            # ensemble neither refuses nor suppresses it (nor counts it as an opposing view)
            return Decision.passed(self.name, "quote_side", "a quote's side is not a directional entry")
        opposing = self._opposing(signal, ctx.now_ns)
        self.tracker.note_signal(signal)
        if opposing is not None:
            return Decision.rejected(
                self.name, "opposing_signal",
                f"{opposing.bot} wants {opposing.direction.value} on {signal.instrument} with confidence "
                f"{opposing.confidence:.2f} >= {signal.confidence:.2f}",
                {"opposing": {"bot": opposing.bot, "direction": opposing.direction.value,
                              "confidence": opposing.confidence, "ts_event": opposing.ts_event}})
        instrument, bars = signal.instrument, self.config.history_bars
        ts, cols = series_arrays(self.data, instrument, bars)  # array views: no frame per signal
        closes = np.asarray(cols["close"], dtype=np.float64)
        sctx = SourceContext(signal, ctx, lambda: self.data.frame(instrument, bars=bars), closes, self.tracker, ts)
        votes = [self._vote(src, sctx) for src in self.sources]
        self._count(votes)
        multipliers = self._adaptive(instrument, ts, closes, votes)
        result = combine(votes, self.config.weights, multipliers)
        aligned = result.score * signal.direction.sign
        data: dict[str, Any] = {
            "votes": [v.as_data() for v in votes], "weights": {k: round(w, 6) for k, w in result.weights.items()},
            "score": round(result.score, 6), "aligned": round(aligned, 6), "voters": result.voters,
        }
        if multipliers is not None:
            data["ic_multipliers"] = {k: round(m, 4) for k, m in multipliers.items()}
        return self._decide(aligned, result.voters, data)

    def _count(self, votes: list[Vote]) -> None:
        for v in votes:
            t = self.tally.setdefault(v.source, {"voted": 0, "abstained": 0, "reasons": {}})
            if v.abstain:
                t["abstained"] += 1
                t["reasons"][v.abstain] = t["reasons"].get(v.abstain, 0) + 1
            else:
                t["voted"] += 1

    def report(self, top: int = 3) -> dict[str, Any]:
        """Which sources voted and which abstained, and why (the ``top`` commonest reasons each)."""
        out = {}
        for name, weight in self.config.weights.items():
            t = self.tally.get(name, {"voted": 0, "abstained": 0, "reasons": {}})
            reasons = sorted(t["reasons"].items(), key=lambda kv: -kv[1])
            out[name] = {"weight": weight, "voted": t["voted"], "abstained": t["abstained"],
                         "reasons": dict(reasons[:top]), "other_reasons": sum(n for _, n in reasons[top:])}
        return out

    def _decide(self, aligned: float, voters: int, data: dict[str, Any]) -> Decision:
        cfg = self.config
        if voters == 0:
            return Decision.passed(self.name, "no_votes", "every source abstained", data)
        if aligned >= cfg.pass_threshold:
            return Decision.passed(self.name, "ensemble_agrees", f"aligned score {aligned:+.3f}", data)
        if aligned <= -cfg.reject_threshold:
            return Decision.rejected(self.name, "ensemble_disagrees", f"aligned score {aligned:+.3f}", data)
        # linear between the reject and pass thresholds, floored at min_scale
        span = cfg.pass_threshold + cfg.reject_threshold
        scale = (aligned + cfg.reject_threshold) / span if span > 0 else 1.0
        scale = float(min(max(scale, cfg.min_scale), 1.0))  # np.clip's value, NaN kept
        return Decision.resized(self.name, scale, "ensemble_weak", f"aligned score {aligned:+.3f}", data)

    def _opposing(self, signal: Signal, now_ns: int) -> Signal | None:
        if not self.config.suppress_opposing:
            return None
        window = int(self.config.opposing_window_hours * 3600 * NS)
        for other in self.tracker.recent(signal.instrument, now_ns, window, exclude_bot=signal.bot):
            if other.direction.sign == -signal.direction.sign and other.confidence >= signal.confidence:
                return other
        return None

    def _vote(self, source: EnsembleSource, sctx: SourceContext) -> Vote:
        try:
            return source.vote(sctx)
        except Exception as exc:  # one broken source abstains; the others still vote
            log.exception("ensemble source %s failed", source.name)
            return Vote.abstained(source.name, f"error: {type(exc).__name__}: {str(exc)[:120]}")

    def _adaptive(self, instrument: str, ts: np.ndarray, closes: np.ndarray, votes: list[Vote]) -> dict[str, float] | None:
        if self.ic is None or len(closes) == 0:
            return None
        self.ic.resolve(instrument, ts, closes)
        self.ic.record(instrument, int(ts[-1]), float(closes[-1]), votes)
        multipliers = self.ic.multipliers([v.source for v in votes])
        changed = self.weight_log.changes(self.ic, multipliers)
        if changed and self.on_weights is not None:
            self.on_weights(int(ts[-1]), changed)
        return multipliers
