"""Execution algorithms: the contract between a parent order and the children that work it.

A *parent* is an order the risk gate approved that carries an :class:`ExecSpec`; the
execution layer (:mod:`tradefleet.orchestrator.execution.layer`) asks the parent's algorithm, at every
bar of its instrument, which *children* are due. Children are ordinary orders with their own
deterministic client ids (``<parent id>.<n>``), so every at-most-once, restart and
reconciliation guarantee of the order manager holds for them, and a parent's progress can
always be rebuilt from the children the store holds.

Algorithms are plugins: classes with a ``name`` and ``children(parent, view)``, registered
under the ``tradefleet.execalgos`` entry-point group (the built-ins register there too). An
algorithm never sizes beyond the parent: the layer caps every child at what remains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable


ENTRY_POINT_GROUP = "tradefleet.execalgos"
ChildKind = Literal["market", "limit"]


@dataclass(frozen=True, slots=True)
class ImpactParams:
    """Linear impact coefficients of the Almgren-Chriss model (units: see :mod:`.almgren_chriss`)."""

    eta: float
    gamma: float = 0.0
    epsilon: float = 0.0    # fixed cost per unit: half the spread plus fees

    def eta_tilde(self, tau: float) -> float:
        value = self.eta - 0.5 * self.gamma * tau
        if value <= 0:
            raise ValueError(f"Almgren-Chriss: eta {self.eta} too small for gamma {self.gamma} at tau {tau} "
                             "(eta - gamma * tau / 2 must be > 0)")
        return value


@dataclass(frozen=True, slots=True)
class ExecSpec:
    """How to work a parent order.

    ``horizon_s`` and ``interval_s`` bound scheduled algorithms (TWAP, VWAP,
    Almgren-Chriss); ``participation`` caps every child at that share of the bar's volume
    (and is POV's target rate); ``risk_aversion`` is Almgren-Chriss's lambda (per unit of
    currency variance); ``timeout_s`` is how long limit-with-fallback rests before it
    crosses; ``display`` is an iceberg's visible size; ``limit`` caps the price of every
    child (a buy never pays more, a sell never takes less).
    """

    algorithm: str
    horizon_s: float = 3600.0
    interval_s: float = 300.0
    participation: float | None = None
    risk_aversion: float = 0.0
    urgency: float = 1.0
    timeout_s: float = 60.0
    display: Decimal | None = None
    limit: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.algorithm:
            raise ValueError("execution spec: algorithm is empty")
        if not (self.horizon_s > 0 and self.interval_s > 0 and self.interval_s <= self.horizon_s):
            raise ValueError(f"execution spec {self.algorithm}: need 0 < interval_s <= horizon_s, "
                             f"got {self.interval_s} and {self.horizon_s}")
        if self.participation is not None and not 0 < self.participation <= 1:
            raise ValueError(f"execution spec {self.algorithm}: participation must be in (0, 1]")
        if self.risk_aversion < 0 or self.timeout_s < 0 or self.urgency <= 0:
            raise ValueError(f"execution spec {self.algorithm}: risk_aversion, timeout_s >= 0 and urgency > 0")
        if self.display is not None and self.display <= 0:
            raise ValueError(f"execution spec {self.algorithm}: display must be > 0")

    def slices(self) -> int:
        """Return how many scheduled slices the horizon holds (at least one)."""
        return max(1, int(round(self.horizon_s / self.interval_s)))

    def as_data(self) -> dict[str, object]:
        """Return the spec as JSON-ready data (stored with the parent)."""
        return {"algorithm": self.algorithm, "horizon_s": self.horizon_s, "interval_s": self.interval_s,
                "participation": self.participation, "risk_aversion": self.risk_aversion,
                "urgency": self.urgency, "timeout_s": self.timeout_s,
                "display": None if self.display is None else str(self.display),
                "limit": None if self.limit is None else str(self.limit)}

    @classmethod
    def from_data(cls, data: dict[str, object]) -> ExecSpec:
        """Rebuild a spec stored by :meth:`as_data`."""
        d = dict(data)
        for key in ("display", "limit"):
            d[key] = None if d.get(key) is None else Decimal(str(d[key]))
        return cls(**d)  # type: ignore[arg-type]

    @classmethod
    def parse(cls, raw: object) -> ExecSpec:
        """Return the spec ``raw`` names, or raise ``ValueError`` with one line saying what is wrong.

        ``raw`` is an :class:`ExecSpec`, or a mapping ``{"algo": name, "params": {...}}``
        (``algorithm`` for ``algo``; the params may also sit beside it). Params are the
        spec's fields, plus ``horizon_min``/``interval_min`` in minutes: ``{"algo": "twap",
        "params": {"horizon_min": 30, "interval_min": 5}}`` works an order over half an hour
        in 5-minute slices; ``{"algo": "pov", "params": {"participation": 0.1}}`` takes 10 %
        of the market's volume. Whether the algorithm is registered is checked where the
        registry is known (the dispatcher refuses an unknown one before the risk gate).
        """
        if isinstance(raw, ExecSpec):
            return raw
        if not isinstance(raw, Mapping):
            raise ValueError(f"execution spec must be a mapping {{'algo': name, 'params': {{...}}}} or an ExecSpec, "
                             f"got {type(raw).__name__}")
        d = dict(raw)
        name = d.pop("algo", None) or d.pop("algorithm", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"execution spec: 'algo' (the algorithm's name) is missing in {dict(raw)!r}")
        params = d.pop("params", None) or {}
        if not isinstance(params, Mapping):
            raise ValueError(f"execution spec {name}: 'params' must be a mapping, got {type(params).__name__}")
        params = {**d, **params}
        for unit in ("horizon", "interval"):
            if f"{unit}_min" in params:
                if f"{unit}_s" in params:
                    raise ValueError(f"execution spec {name}: give {unit}_s or {unit}_min, not both")
                params[f"{unit}_s"] = _number(name, f"{unit}_min", params.pop(f"{unit}_min")) * 60.0
        known = _FIELDS - {"algorithm"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"execution spec {name}: unknown parameter {unknown[0]!r} "
                             f"(known: {', '.join(sorted(known | {'horizon_min', 'interval_min'}))})")
        kw: dict[str, Any] = {}
        for key, value in params.items():
            if value is None:
                continue
            if key in ("display", "limit"):
                try:
                    kw[key] = Decimal(str(value))
                except ArithmeticError:
                    raise ValueError(f"execution spec {name}: {key} must be a number, got {value!r}") from None
                if not kw[key].is_finite():
                    raise ValueError(f"execution spec {name}: {key} must be finite, got {value!r}")
            else:
                kw[key] = _number(name, key, value)
        if "horizon_s" in kw and "interval_s" not in kw:
            kw["interval_s"] = min(_DEFAULT_INTERVAL_S, kw["horizon_s"])
        return cls(name, **kw)

    @classmethod
    def twap(cls, minutes: float, every_min: float = 5.0, participation: float | None = None) -> ExecSpec:
        """TWAP over ``minutes`` in slices of ``every_min`` minutes (capped at ``participation``)."""
        return cls("twap", minutes * 60.0, min(every_min, minutes) * 60.0, participation)

    @classmethod
    def pov(cls, participation: float, horizon_min: float = 60.0) -> ExecSpec:
        """Take ``participation`` of the market's volume; past ``horizon_min`` the rest goes
        (still capped per bar)."""
        return cls("pov", horizon_min * 60.0, min(5.0, horizon_min) * 60.0, participation)


def _number(algo: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"execution spec {algo}: {key} must be a finite number, got {value!r}")
    return float(value)


_FIELDS = frozenset(f.name for f in fields(ExecSpec))
_DEFAULT_INTERVAL_S = next(f.default for f in fields(ExecSpec) if f.name == "interval_s")


@dataclass(frozen=True, slots=True)
class MarketView:
    """What an algorithm may see at a bar: its time, prices, volume, and the touch."""

    ts_ns: int
    close: float
    volume: float
    bid: float
    ask: float
    volatility: float = 0.0     # price units per sqrt(second), for Almgren-Chriss
    volume_rate: float = 0.0    # the market's average volume per second (impact model)
    bar_seconds: float = 60.0   # the instrument's bar length

    @property
    def mid(self) -> float:
        return 0.5 * (self.bid + self.ask)


@dataclass(slots=True)
class ParentState:
    """A working parent: what it wants, what it has sent and filled, and when it began."""

    parent_id: str
    quantity: Decimal               # unsigned
    buy: bool
    spec: ExecSpec
    start_ns: int
    arrival_price: float
    sent: Decimal = Decimal(0)
    filled: Decimal = Decimal(0)
    children: int = 0
    volume_seen: float = 0.0        # bar volume since the start (POV)
    lot: Decimal = Decimal("1")     # children are whole multiples of this
    plan: tuple[float, ...] = ()    # scheduled algorithms: cumulative fraction per slice
    profile: tuple[float, ...] = () # VWAP: the volume profile the plan was built from
    impact: ImpactParams | None = None  # Almgren-Chriss: the impact model's coefficients at the start
    resting: dict[str, Decimal] = field(default_factory=dict)   # open child id -> unfilled qty
    resting_since: dict[str, int] = field(default_factory=dict)
    done: bool = False
    next_due_ns: int = 0            # a scheduled algorithm has nothing due before this (0: ask every bar)

    @property
    def remaining(self) -> Decimal:
        """Return what is neither filled nor resting in an open child."""
        return max(self.quantity - self.filled - sum(self.resting.values(), Decimal(0)), Decimal(0))

    def elapsed_s(self, now_ns: int) -> float:
        return (now_ns - self.start_ns) / 1e9


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """One child the algorithm wants sent now (the layer turns it into an order)."""

    quantity: Decimal
    kind: ChildKind = "market"
    limit_price: Decimal | None = None
    cancel: tuple[str, ...] = ()    # open children to cancel first (limit-with-fallback)


@runtime_checkable
class ExecAlgo(Protocol):
    """An execution algorithm plugin."""

    name: ClassVar[str]

    def children(self, parent: ParentState, view: MarketView) -> list[ChildSpec]:
        """Return the children due now (the layer caps them at the parent's remaining)."""
        ...
