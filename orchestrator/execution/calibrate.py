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


def apply_calibrations(engine: Any, store: Any, account: str, sources: Collection[str] | None = None,
                       paper: bool = True) -> dict[str, str]:
    """Put the newest stored calibrations to work in a kernel: the execution desk's impact
    scales for ``account``'s own instruments, and every in-process paper broker's slippage
    per instrument (the newest calibration of that instrument from any live account in
    ``sources``; all when None). Return instrument -> the version the paper broker now uses."""
    from tradefleet.orchestrator.execution.paper import PaperBroker

    rows = ExecStore(store).calibrations()  # oldest first: the newest version wins
    desk = getattr(engine, "desk", None)
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if desk is not None and row["venue"] == account:
            desk.scales[row["instrument"]] = ImpactScales(row["eta_scale"], row["gamma_scale"], row["version"])
        if row["slippage_bps"] is not None and (sources is None or row["venue"] in sources):
            newest[row["instrument"]] = row
    if not paper or not newest:
        return {}
    oms = engine.oms
    brokers = [oms.broker(a) for a in oms.accounts()]
    used: dict[str, str] = {}
    for broker in brokers:
        if not isinstance(broker, PaperBroker):
            continue
        for instrument, row in newest.items():
            if broker.calibrations.get(instrument, ("",))[0] != row["version"]:
                broker.calibrate(instrument, str(row["version"]), float(row["slippage_bps"]))
            used[instrument] = str(row["version"])
    return used


class CalibrationJob:
    """The scheduled recalibration (``[execution] calibrate_every``): fit and store new
    versions from the live accounts' child fills, then put them to work in the kernel."""

    def __init__(self, engine: Any, store: Any, account: str, live_accounts: Collection[str], clock: Any,
                 min_samples: int = 20, paper: bool = True) -> None:
        self.engine, self.store, self.account = engine, store, account
        self.live_accounts = tuple(live_accounts)
        self.clock, self.min_samples, self.paper = clock, min_samples, paper
        self.runs: list[list[Calibration]] = []

    def __call__(self) -> list[Calibration]:
        done = calibrate(self.store, self.live_accounts, self.clock.now_ns(), min_samples=self.min_samples)
        self.runs.append(done)
        apply_calibrations(self.engine, self.store, self.account, self.live_accounts, self.paper)
        return done


def latest_scales(store: Any, venue: str, instrument: str) -> ImpactScales:
    """Return the newest stored calibration for ``venue``/``instrument`` (the textbook default if none)."""
    rows = [r for r in ExecStore(store).calibrations() if r["venue"] == venue and r["instrument"] == instrument]
    if not rows:
        return ImpactScales()
    r = rows[-1]
    return ImpactScales(float(r["eta_scale"]), float(r["gamma_scale"]), str(r["version"]))
