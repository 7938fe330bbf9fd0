"""The multi-source chain: primary -> fallback -> skip.

Each provider is asked in order; its answer must pass the bar checks (order, duplicates,
prices, OHLC, gaps, bad ticks, and a stale last bar against the clock). The first valid
answer wins and the chain records which source gave it and why the earlier ones failed.
When none answers, the symbol is *skipped*: the answer holds no frame. The chain keeps no
memory of earlier answers, so it can never hand back an old price as if it were new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.checks import Finding, check_bars, errors, stale_after_ns
from tradefleet.scrapers.provenance import Provenance

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.scrapers.providers import BarProvider


@dataclass(frozen=True)
class Attempt:
    """One provider's try: ``error`` empty when it answered validly."""

    source: str
    ok: bool
    error: str = ""
    bars: int = 0


@dataclass(frozen=True)
class BarAnswer:
    """What the chain returned for one symbol: a frame and its source, or a skip with reasons."""

    symbol: str
    timeframe: str
    frame: pd.DataFrame | None
    source: str | None
    attempts: tuple[Attempt, ...]
    warnings: tuple[Finding, ...] = ()
    provenance: Provenance | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        return self.frame is None

    def reason(self) -> str:
        """One line: who answered, or why every source failed."""
        if self.source is not None:
            fell = [a for a in self.attempts if not a.ok]
            tail = f" after {'; '.join(f'{a.source}: {a.error}' for a in fell)}" if fell else ""
            return f"{self.symbol} {self.timeframe}: answered by {self.source}{tail}"
        return f"{self.symbol} {self.timeframe}: skipped, no valid source (" + \
            "; ".join(f"{a.source}: {a.error}" for a in self.attempts) + ")"


class SourceChain:
    """Ask providers in order and keep the first valid answer."""

    def __init__(self, providers: list[BarProvider], clock: Clock, *, outlier_sigma: float = 8.0,
                 stale_bars: float = 3.0) -> None:
        if not providers:
            raise DataError("data chain is empty: list at least one provider in [data].chain")
        self.providers = providers
        self.clock = clock
        self.outlier_sigma = outlier_sigma
        self.stale_bars = stale_bars

    def fetch(self, symbol: str, tf: str, start_ns: int | None = None, end_ns: int | None = None,
              require_fresh: bool = True, cached_last_ns: int | None = None) -> BarAnswer:
        """Return the first valid answer for ``symbol`` (``require_fresh``: the last bar must not be stale).

        ``cached_last_ns``: the newest bar already cached; remote providers are then asked only
        for what follows it, and "no new bar yet" is a valid answer while that bar is fresh."""
        now = self.clock.now_ns()
        end = now if end_ns is None else min(end_ns, now)
        attempts: list[Attempt] = []
        for p in self.providers:
            incremental = cached_last_ns is not None and getattr(p, "remote", False)
            ask = cached_last_ns + 1 if incremental and cached_last_ns is not None else start_ns
            try:
                frame = p.bars(symbol, tf, ask, end)
            except DataError as exc:
                attempts.append(Attempt(p.name, False, str(exc)))
                continue
            except Exception as exc:  # a provider bug must not stop the chain
                attempts.append(Attempt(p.name, False, f"{type(exc).__name__}: {exc}"))
                continue
            if incremental and len(frame) == 0 and cached_last_ns is not None:
                if require_fresh and now - cached_last_ns > stale_after_ns(tf, self.stale_bars):
                    attempts.append(Attempt(p.name, False, f"{p.name}: stale: no bar since the cached one at "
                                                           f"{cached_last_ns} ns"))
                    continue
                attempts.append(Attempt(p.name, True, "", 0))
                prov = Provenance(p.name, f"{p.name}:{symbol}:{tf}", now, cached_last_ns)
                return BarAnswer(symbol, tf, frame, p.name, tuple(attempts), (), prov, {"incremental": True})
            found = check_bars(frame, tf, now_ns=now if require_fresh else None,
                               outlier_sigma=self.outlier_sigma, stale_bars=self.stale_bars)
            errs = errors(found)
            if errs:
                attempts.append(Attempt(p.name, False, errs[0].message(p.name), len(frame)))
                continue
            attempts.append(Attempt(p.name, True, "", len(frame)))
            prov = Provenance(p.name, f"{p.name}:{symbol}:{tf}", now, int(frame.index.as_unit("ns").asi8[-1]))
            return BarAnswer(symbol, tf, frame, p.name, tuple(attempts), tuple(found), prov,
                             {"incremental": incremental})
        return BarAnswer(symbol, tf, None, None, tuple(attempts))
