"""A bot's universe: which instruments it trades, fixed or chosen on a schedule.

``Universe.static(["SPX", "IXIC"])`` is a fixed list. ``Universe.select(fn, every="7d")``
runs ``fn(candidates, data, now_ns)`` over the candidates (the spec's instruments, or,
with ``candidates="*"``, every instrument the data hub knows) and keeps its answer until
``every`` has passed on the kernel's clock; it is re-evaluated on the first fire after
that. A selector sees only bars closed at or before ``now_ns`` (the data hub's frames
never run past the clock), so a universe is point-in-time too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tradefleet.orchestrator.errors import PluginError

if TYPE_CHECKING:
    from tradefleet.orchestrator.views import MarketData

Selector = Callable[[list[str], "MarketData", int], Iterable[str]]


@dataclass(frozen=True)
class Universe:
    """A static list or a scheduled selector over candidate instruments."""

    instruments: tuple[str, ...] = ()
    selector: Selector | None = None
    every_ns: int = 0  # 0: re-evaluate on every fire
    candidates: Literal["spec", "*"] = "spec"

    @classmethod
    def static(cls, instruments: Iterable[str]) -> Universe:
        names = tuple(instruments)
        if not names:
            raise PluginError("a static universe needs at least one instrument")
        return cls(instruments=names)

    @classmethod
    def select(cls, selector: Selector, every: str | None = None, candidates: Literal["spec", "*"] = "spec") -> Universe:
        """Choose among the candidates with ``selector``, re-evaluated every ``every``
        (a duration like ``"1d"`` or ``"4w"``; None: on every fire)."""
        from tradefleet.orchestrator.duration import parse_duration

        every_ns = int(parse_duration(every, "universe refresh").total_seconds() * 1e9) if every else 0
        return cls(selector=selector, every_ns=every_ns, candidates=candidates)


@dataclass
class UniverseState:
    """A universe at run time: the current members and when they were chosen."""

    universe: Universe
    spec_instruments: tuple[str, ...]
    members: tuple[str, ...] = ()
    chosen_ns: int | None = None
    evaluations: int = 0

    def current(self, data: MarketData, now_ns: int) -> tuple[str, ...]:
        """The members as of ``now_ns``, re-selecting when the refresh period is over."""
        u = self.universe
        if u.selector is None:
            if not self.members:
                self.members = u.instruments or self.spec_instruments
            return self.members
        due = self.chosen_ns is None or u.every_ns == 0 or now_ns - self.chosen_ns >= u.every_ns
        if due:
            pool = sorted(data.symbols()) if u.candidates == "*" else list(self.spec_instruments)
            picked = tuple(dict.fromkeys(str(s) for s in u.selector(pool, data, now_ns)))
            unknown = set(picked) - set(pool)
            if unknown:
                raise PluginError(f"universe selector chose instruments outside its candidates: {sorted(unknown)}")
            self.members, self.chosen_ns = picked, now_ns
            self.evaluations += 1
        return self.members


def describe(universe: Universe | None, spec_instruments: tuple[str, ...]) -> dict[str, Any]:
    """A short JSON-able description (for ``bots show`` and the dashboard)."""
    if universe is None or universe.selector is None:
        return {"kind": "static", "instruments": list((universe.instruments if universe else ()) or spec_instruments)}
    return {"kind": "selector", "candidates": universe.candidates if universe.candidates == "*" else list(spec_instruments),
            "every_ns": universe.every_ns}
