"""Execution algorithms (TWAP, VWAP, POV, Almgren-Chriss, limit with fallback, iceberg) and
their plugin registry; see :mod:`tradefleet.orchestrator.execution.algos.base` for the contract."""

from __future__ import annotations

from importlib.metadata import entry_points

from tradefleet.orchestrator.execution.algos.base import ENTRY_POINT_GROUP, ChildSpec, ExecAlgo, ExecSpec, MarketView, ParentState


def builtin_algos() -> dict[str, type]:
    """The built-in algorithm classes by name (what the entry points register)."""
    from tradefleet.orchestrator.execution.algos.almgren_chriss import AlmgrenChrissAlgo
    from tradefleet.orchestrator.execution.algos.fallback import LimitFallbackAlgo
    from tradefleet.orchestrator.execution.algos.iceberg import IcebergAlgo
    from tradefleet.orchestrator.execution.algos.pov import PovAlgo
    from tradefleet.orchestrator.execution.algos.twap import TwapAlgo
    from tradefleet.orchestrator.execution.algos.vwap import VwapAlgo

    classes: list[type] = [TwapAlgo, VwapAlgo, PovAlgo, AlmgrenChrissAlgo, LimitFallbackAlgo, IcebergAlgo]
    return {c.name: c for c in classes}  # type: ignore[attr-defined]


def load_algos() -> dict[str, ExecAlgo]:
    """Return every registered algorithm by name: entry points first, then the built-ins.

    A plugin that fails to load or lacks ``name``/``children`` is skipped (the registry's
    broken-plugin report covers bots; an algorithm that cannot load cannot be chosen).
    """
    found: dict[str, ExecAlgo] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
            algo = cls()
        except Exception:  # noqa: BLE001 - a broken plugin must not stop execution
            continue
        if isinstance(algo, ExecAlgo) and getattr(algo, "name", "") == ep.name:
            found[ep.name] = algo
    for name, cls in builtin_algos().items():
        found.setdefault(name, cls())
    return found


__all__ = ["ENTRY_POINT_GROUP", "ChildSpec", "ExecAlgo", "ExecSpec", "MarketView", "ParentState",
           "builtin_algos", "load_algos"]
