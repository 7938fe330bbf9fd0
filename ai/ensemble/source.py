"""The ensemble-source contract: a vote is a score in [-1, 1] (positive: the market should
go up) with a confidence in [0, 1], or an abstention with a reason. Sources never invent
a score: without their input they abstain (reason ``"unavailable: ..."``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pandas as pd

    from tradefleet.ai.ensemble.tracker import SignalTracker
    from tradefleet.orchestrator.domain import Signal
    from tradefleet.orchestrator.pipeline.gate import GateContext


@dataclass(frozen=True)
class Vote:
    """One source's opinion on one signal's instrument, as of now."""

    source: str
    score: float = 0.0
    confidence: float = 0.0
    abstain: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.abstain:
            if not -1.0 <= self.score <= 1.0:
                raise ValueError(f"source {self.source}: score {self.score} outside [-1, 1]")
            if not 0.0 <= self.confidence <= 1.0:
                raise ValueError(f"source {self.source}: confidence {self.confidence} outside [0, 1]")

    @property
    def voted(self) -> bool:
        return not self.abstain

    @classmethod
    def abstained(cls, source: str, reason: str, **detail: Any) -> Vote:
        return cls(source, abstain=reason, detail=detail)

    def as_data(self) -> dict[str, Any]:
        """Return the JSON form stored in ``Decision.data['votes']``."""
        if self.abstain:
            out = {"source": self.source, "abstain": self.abstain}
        else:
            out = {"source": self.source, "score": round(self.score, 6), "confidence": round(self.confidence, 6)}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class SourceContext:
    """What a source sees: the signal, the gate context, and the instrument's bars up to now.

    ``closes`` (and ``ts``, the bars' close times in ns, when the gate has them) are array
    views of the window; the bars as a frame (:attr:`frame`) are built only when a source
    asks for them: ``bars`` is that frame, or a function that builds it."""

    signal: Signal
    gate: GateContext
    bars: pd.DataFrame | Callable[[], pd.DataFrame]
    closes: np.ndarray
    tracker: SignalTracker
    ts: np.ndarray | None = None

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The window's bars as a frame (built on first use)."""
        return self.bars() if callable(self.bars) else self.bars

    @property
    def now_ns(self) -> int:
        return self.gate.now_ns

    def bar_key(self) -> tuple[str, int, int, int] | None:
        """Identifies the window's bars (instrument, first and last close time, count): two
        contexts with the same key see the same closes. None without ``ts``."""
        if self.ts is None or len(self.ts) == 0:
            return None
        return (self.signal.instrument, int(self.ts[0]), int(self.ts[-1]), len(self.ts))


@runtime_checkable
class EnsembleSource(Protocol):
    """A voter. Classes register under ``tradefleet.sources`` with ``name``, ``api_version``
    and ``build(services)``; ``network`` says whether it needs the outside world."""

    name: ClassVar[str]
    network: ClassVar[bool]

    def vote(self, ctx: SourceContext) -> Vote: ...
