"""Option positions of an account: ``tradefleet options positions`` and the dashboard's ``/options``.

Both show the same numbers, built here: the stored positions of the account (default: the
last run's), every open option leg marked by :func:`tradefleet.risk.options.positions.option_report`
as of the account's last equity snapshot (or ``asof``), with legs, Greeks, P&L, collateral
and days to expiry by structure.

Marks: each underlying's close at or before ``asof`` and its causal GARCH(1,1) volatility
(:func:`tradefleet.risk.options.vol.garch_filter_vol`) from the data the replay used (the file
under ``[replay.data]``, else the bundled series), unless ``spots``/``vols`` give them; the
report's ``source`` says which. A replay's option prices were model-priced and so are these
marks: the report says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradefleet.orchestrator.errors import DataError


def _account(store: Any, account: str | None) -> str | None:
    if account:
        return account
    run = store.last_run()
    if run is not None and run.summary.get("account"):
        return str(run.summary["account"])
    held = [p for p in store.positions() if p.quantity]
    return held[-1].account if held else None


def _asof(store: Any, account: str | None, clock_ns: int) -> int:
    curve = store.equity_curve(account) if account else []
    return int(curve[-1].ts_ns) if curve else clock_ns


def _closes(config: Any, symbol: str, asof_ns: int) -> Any:
    """Closes of ``symbol`` up to ``asof_ns`` from the replay's source (None: no data)."""
    from tradefleet.scrapers.bundled import BY_SYMBOL, DATASETS, load_dataset

    source = config.replay.data.get(symbol) if getattr(config, "replay", None) is not None else None
    if source is None and symbol not in BY_SYMBOL:
        return None
    if source is None:
        frame = load_dataset(BY_SYMBOL[symbol].name)
    elif source in DATASETS:
        frame = load_dataset(source)
    else:
        from tradefleet.scrapers.files import load_bar_file

        frame = load_bar_file(source, tz=config.data.file_timezone)
    close = frame["close"]
    return close[close.index.as_unit("ns").asi8 <= asof_ns]


def options_view(config: Any, store: Any, clock_ns: int, account: str | None = None, asof_ns: int | None = None,
                 spots: Mapping[str, float] | None = None, vols: Mapping[str, float] | None = None,
                 rate: float = 0.02) -> dict[str, Any]:
    """The report (see the module doc); raises DataError naming what is missing."""
    from tradefleet.risk.options.positions import option_report, underlyings
    from tradefleet.risk.options.vol import garch_filter_vol

    acct = _account(store, account)
    positions = [p for p in store.positions(account=acct)] if acct else []
    when = asof_ns if asof_ns is not None else _asof(store, acct, clock_ns)
    s, v = dict(spots or {}), dict(vols or {})
    sources = []
    for u in underlyings(positions):
        if u in s and u in v:
            sources.append(f"{u}: given")
            continue
        closes = _closes(config, u, when)
        if closes is None or len(closes) < 22:
            raise DataError(f"no market data for {u} up to the report's time: pass --spot {u}=PRICE --vol {u}=VOL")
        s.setdefault(u, float(closes.iloc[-1]))
        v.setdefault(u, float(garch_filter_vol(closes).iloc[-1]))
        sources.append(f"{u}: close and GARCH vol of the replay's data (model marks, not quotes)")
    report = option_report(positions, when, s, v, rate, "; ".join(sources))
    report["account"] = acct
    return report


def register(app: Any, config: Any, store: Any, clock: Any) -> None:
    """Add ``/options`` and its JSON twin ``/api/options`` to ``app``."""
    from flask import jsonify, render_template

    def data() -> dict[str, Any]:
        try:
            return options_view(config, store, clock.now_ns())
        except DataError as exc:
            return {"error": str(exc), "legs": [], "structures": [], "totals": {}}

    @app.get("/options")
    def options() -> Any:
        return render_template("options.html", page="options", d=data())

    app.add_url_rule("/api/options", "api_options", lambda: jsonify(data()))
