"""The paper-trading period of the live gate.

Before ``run --live``, the fleet must have traded on paper for ``[validation].paper_days``
(default 14) and each live bot must have ``paper_trades`` paper fills, in the paper store
``[validation].paper_store`` names. That store is opened read-only (SQLite in ``mode=ro``;
other databases only ever see SELECTs): the live process never writes to it.

Paper days are the summed wall-clock span of the store's ``paper`` runs (a run still
going counts up to its latest fill or equity snapshot).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

NS_PER_DAY = 86_400 * 10**9


@contextmanager
def _read_only(url: str) -> Iterator[Any]:
    from sqlalchemy import create_engine

    if url.startswith("sqlite:///") and "mode=ro" not in url:
        path = url.removeprefix("sqlite:///")
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def paper_record(url: str, bots: list[str]) -> tuple[float, dict[str, int]]:
    """Return (paper days, paper fills per bot) from the paper store at ``url``."""
    from sqlalchemy import text

    with _read_only(url) as conn:
        runs = conn.execute(text("select started_ns, ended_ns from runs where mode = 'paper'")).all()
        last = conn.execute(text("select max(ts_init) from fills")).scalar() or 0
        fills = {b: 0 for b in bots}
        for bot, n in conn.execute(text("select o.bot, count(*) from fills f join orders o "
                                        "on o.client_order_id = f.client_order_id group by o.bot")).all():
            if bot in fills:
                fills[bot] = int(n)
    days = sum(max((end or last) - start, 0) for start, end in runs) / NS_PER_DAY
    return days, fills


def paper_period_missing(cfg: Any, bots: list[str]) -> list[str]:
    """Return what the paper period still lacks for ``bots`` (empty: the gate passes)."""
    if cfg.paper_days <= 0 and cfg.paper_trades <= 0:
        return []
    if not cfg.paper_store:
        return [f"no paper period: [validation] paper_store does not name the paper store to trust "
                f"({cfg.paper_days:g} days of paper trading required)"]
    try:
        days, fills = paper_record(cfg.paper_store, bots)
    except Exception as exc:  # noqa: BLE001 - any database error means: no usable paper record
        return [f"paper store {cfg.paper_store} unreadable: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"]
    out = []
    if days < cfg.paper_days:
        out.append(f"paper period {days:.1f} of {cfg.paper_days:g} days in {cfg.paper_store}")
    short = [b for b in bots if fills.get(b, 0) < cfg.paper_trades]
    if short:
        out.append(f"fewer than {cfg.paper_trades} paper fills: " + ", ".join(f"{b} ({fills.get(b, 0)})" for b in short))
    return out
