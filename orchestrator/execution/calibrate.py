"""Recalibrating the impact model and the paper broker's slippage from LIVE child fills.

Only fills in accounts that trade on a live venue count: paper fills only measure the
paper broker's own assumptions, so calibrating on them would be circular. For each venue
account and instrument with at least ``min_samples`` live child fills:

- the temporary-impact scale is the least-squares fit of the price paid beyond the touch
  against the textbook prediction (:func:`~tradefleet.orchestrator.execution.impact.calibrate_eta_scale`);
- the paper slippage is the mean of the same price paid beyond the touch, in bps of the
  mid (what the paper broker should add beyond its quoted spread).

Each result is stored as a new versioned row of ``impact_calibrations`` (never updated in
place), so a fill-model configuration can always be traced to the fills that set it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tradefleet.orchestrator.execution.exec_store import ExecStore
from tradefleet.orchestrator.execution.impact import ImpactScales, calibrate_eta_scale
from tradefleet.orchestrator.execution.tca import fills_by_order


@dataclass(frozen=True, slots=True)
class Calibration:
    """One stored calibration."""

    version: str
    venue: str
    instrument: str
    eta_scale: float
    slippage_bps: float
    samples: int


def live_samples(store: Any, exec_store: ExecStore, live_accounts: Collection[str]
                 ) -> dict[tuple[str, str], list[tuple[float, float, float, float, float]]]:
    """Return, per (account, instrument), samples ``(rate, impact, spread, market_rate, bps)``."""
    parents = {p.order.client_order_id: p for p, _ in exec_store.parents() if p.order.account in live_accounts}
    out: dict[tuple[str, str], list[tuple[float, float, float, float, float]]] = {}
    by_order = fills_by_order(store)
    for child in exec_store.children(list(parents)):
        parent = parents[child.parent_id]
        sign = 1.0 if parent.order.side.value == "buy" else -1.0
        for f in by_order.get(child.child_id, ()):
            qty = float(f.quantity)
            if qty <= 0 or child.interval_s <= 0 or child.mid <= 0:
                continue
            impact = sign * (float(f.price) - child.touch)
            spread = 2.0 * abs(child.touch - child.mid)
            out.setdefault((parent.order.account, parent.order.instrument), []).append(
                (qty / child.interval_s, impact, spread, child.market_rate, impact / child.mid * 1e4))
    return out


def calibrate(store: Any, live_accounts: Collection[str], now_ns: int, current: ImpactScales | None = None,
              min_samples: int = 20) -> list[Calibration]:
    """Fit and store a calibration for every live account and instrument with enough fills."""
    exec_store = ExecStore(store)
    scale0 = (current or ImpactScales()).eta
    done: list[Calibration] = []
    for (venue, instrument), samples in sorted(live_samples(store, exec_store, live_accounts).items()):
        if len(samples) < min_samples:
            continue
        eta = calibrate_eta_scale([s[:4] for s in samples], scale0, min_samples)
        slippage = max(sum(s[4] for s in samples) / len(samples), 0.0)
        version = f"{venue}:{instrument}:{now_ns}"
        exec_store.save_calibration(version, venue, instrument, eta, 1.0, slippage, len(samples), now_ns)
        done.append(Calibration(version, venue, instrument, eta, slippage, len(samples)))
    return done


def latest_scales(store: Any, venue: str, instrument: str) -> ImpactScales:
    """Return the newest stored calibration for ``venue``/``instrument`` (the textbook default if none)."""
    rows = [r for r in ExecStore(store).calibrations() if r["venue"] == venue and r["instrument"] == instrument]
    if not rows:
        return ImpactScales()
    r = rows[-1]
    return ImpactScales(float(r["eta_scale"]), float(r["gamma_scale"]), str(r["version"]))
