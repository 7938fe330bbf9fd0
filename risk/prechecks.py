"""Pre-trade checks that need more than a limit lookup: VaR/CVaR fitting, Greeks, and
the per-tick snapshot that carries the exposure book between signals.

:func:`var_fit` answers "how much of this order can the portfolio take and stay within
every VaR/CVaR limit?": full size if it fits; the largest fraction that fits (bisection,
risk being monotone in the order's size along one direction for the parametric measures
and nearly so for the historical ones, so the result is re-checked); zero when the
portfolio is already over a limit and the order adds risk; full size when the portfolio
is over a limit but the order lowers it (a hedge or a partial exit is never blocked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tradefleet.risk.config import GreeksConfig, VarConfig
from tradefleet.risk.exposure import ExposureBook
from tradefleet.risk.var import VarProbe

BISECTION_STEPS = 10


@dataclass
class Snapshot:
    """The exposure book of one clock tick (plus the orders approved since) and Greeks."""

    key: tuple[Any, ...]
    book: ExposureBook
    greeks: Any = None
    probe: VarProbe | None = None
    probe_key: tuple[int, int] = (-1, -1)
    built_ns: int = 0
    #: the portfolio's position change counter when the book was built (None: it has none)
    changes: int | None = None


_LIMIT_KEYS = ("var95", "var99", "cvar95", "cvar99")


def _excess(cfg: VarConfig, probe: VarProbe, j: int, dw: float) -> tuple[float, dict[str, float]]:
    """Return (worst measure / its limit, every measure) of the probe's portfolio + dw e_j."""
    worst, out = 0.0, {}
    limits = (cfg.var95_pct, cfg.var99_pct, cfg.cvar95_pct, cfg.cvar99_pct)
    for method in cfg.methods:
        m = probe.at(j, dw, method)
        for k, value, lim in zip(_LIMIT_KEYS, (m.var95, m.var99, m.cvar95, m.cvar99), limits, strict=True):
            out[f"{method}_{k}"] = value
            worst = max(worst, value / lim)
    return worst, out


def var_fit(cfg: VarConfig, probe: VarProbe, symbol: str, order_weight: float,
            close_weight: float) -> tuple[float, dict[str, Any]]:
    """Return (the |weight| of the order that fits the limits, evidence).

    ``probe`` holds the current portfolio; ``close_weight`` is the signed weight of a
    flip's closing leg (applied first, in full); ``order_weight`` the signed weight of
    the new position."""
    j = probe.pv.index.get(symbol)
    if j is None:
        return abs(order_weight), {"unmeasured": symbol}

    def at(t: float) -> tuple[float, dict[str, float]]:
        return _excess(cfg, probe, j, close_weight + t * order_weight)

    full, m_full = at(1.0)
    if full <= 1.0:
        return abs(order_weight), {"after": m_full, "use": full}
    zero, _ = at(0.0)
    if zero >= 1.0:
        fits = full < zero  # over already: only an order that lowers risk passes
        return (abs(order_weight) if fits else 0.0), {"after": m_full, "use": full, "before_use": zero}
    lo, hi = 0.0, 1.0
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        if at(mid)[0] <= 1.0:
            lo = mid
        else:
            hi = mid
    use, m = at(lo)
    return lo * abs(order_weight), {"after": m, "use": use, "fraction": lo}


def greeks_breach(cfg: GreeksConfig, greeks: Any) -> tuple[str, str] | None:
    """Return (reason, detail) when a portfolio Greek is beyond its limit."""
    for name, cap in (("delta", cfg.max_abs_delta), ("gamma", cfg.max_abs_gamma), ("theta", cfg.max_abs_theta),
                      ("vega", cfg.max_abs_vega), ("rho", cfg.max_abs_rho)):
        if cap is None:
            continue
        value = float(getattr(greeks, name, 0.0) if not isinstance(greeks, dict) else greeks.get(name, 0.0))
        if abs(value) > cap:
            return f"greeks_{name}", f"portfolio {name} {value:,.2f} beyond +-{cap:,.2f}"
    return None


@dataclass
class OutcomeWatcher:
    """Notice closed trades from the portfolio: a (bot, instrument) position that went
    flat or flipped closed a trade worth its realised P&L since it opened."""

    opened: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)

    def scan(self, book: ExposureBook) -> list[tuple[str, str, float]]:
        """Return (bot, instrument, pnl) of trades closed since the previous scan."""
        closed = []
        for key, (qty, realized_at_open) in list(self.opened.items()):
            h = book.holdings.get(key)
            if h is not None and (h.quantity > 0) == (qty > 0):
                continue
            realized = h.realized if h is not None else book.flat_realized.get(key)
            if realized is not None:
                closed.append((key[0], key[1], realized - realized_at_open))
            del self.opened[key]
        for key, h in book.holdings.items():
            if key not in self.opened:
                self.opened[key] = (h.quantity, h.realized)
        return closed
