"""``tradefleet regime fit MARKET`` and ``tradefleet regime show MARKET``.

``fit`` fits the market's HMM on its bundled history up to ``--as-of`` (the same fit
the regime gate makes at a refit anchor) and stores it; ``show`` prints the stored regime
history. Heavy libraries load inside the commands only; ``--json`` prints JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tradefleet.app.cli.common import ConfigOption, JsonOption, emit_json, load, open_existing_store
from tradefleet.orchestrator.errors import DataError

AsOfOpt = typer.Option(None, "--as-of", help="Fit on bars closed by this date (YYYY-MM-DD; default: all).")
StoreOpt = typer.Option(None, "--store", help="Store URL (default: [engine] store_url).")
LastOpt = typer.Option(20, "--last", min=1, help="How many of the latest rows to show.")


def _fit(market: str, as_of: str | None, config: Path | None) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from tradefleet.ai.regime.features import regime_features
    from tradefleet.ai.regime.hmm import fit_regime_model
    from tradefleet.ai.regime.model_store import PickleModelStore
    from tradefleet.ai.regime.service import data_key
    from tradefleet.orchestrator.clock import LiveClock
    from tradefleet.scrapers.bundled import dataset_for, load_dataset

    cfg = load(config)
    frame = load_dataset(dataset_for(market).name)
    ts = frame.index.as_unit("ns").asi8
    if as_of is not None:
        try:
            cut_ns = int(pd.Timestamp(as_of, tz="UTC").as_unit("ns").value) + 86_400 * 10**9
        except ValueError:
            raise DataError(f"regime fit: --as-of {as_of!r}: use YYYY-MM-DD") from None
        keep = int(np.searchsorted(ts, cut_ns, side="left"))
        frame, ts = frame.iloc[:keep], ts[:keep]
    rc = cfg.regime
    if len(frame) < rc.min_bars(market):
        raise DataError(f"regime fit: {market} has {len(frame)} bars by {as_of}; need {rc.min_bars(market)}")
    closes = frame["close"].to_numpy(dtype=np.float64)
    X = regime_features(closes, rc.window(market))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        model = fit_regime_model(X, market=market, vol_window=rc.window(market), fitted_at_ns=LiveClock().now_ns(),
                                 data_end_ns=int(ts[-1]), n_iter=rc.n_iter, tol=rc.tol, seed=rc.seed,
                                 data_key=data_key(ts, closes, rc.fit_settings(market)))
    PickleModelStore(rc.model_dir).save(model)
    probs = np.exp(model.filter(X)[-1])
    meta = model.metadata()
    meta["current"] = {model.labels[i]: round(float(p), 6) for i, p in enumerate(probs)}
    meta["model_dir"] = rc.model_dir
    return meta


def register(app: typer.Typer) -> None:
    """Add the ``regime`` command group."""
    regime = typer.Typer(help="HMM market regimes: fit a market's model, show its stored history.",
                         no_args_is_help=True)

    @regime.command("fit")
    def fit(market: str = typer.Argument(..., help="Market symbol, e.g. SPX, BTC/USD, EUR/USD."),
            as_of: str | None = AsOfOpt, json_out: bool = JsonOption, config: Path | None = ConfigOption) -> None:
        """Fit and store MARKET's 3-state regime model on its bundled history."""
        if json_out:
            emit_json(_fit(market, as_of, config))
            return
        from rich.console import Console

        with Console().status(f"fitting {market} regime model"):
            meta = _fit(market, as_of, config)
        print(f"{meta['version']}: {meta['n_obs']} rows, {meta['iterations']} EM iterations, "
              f"converged={meta['converged']}, stored under {meta['model_dir']}")
        for i, label in enumerate(meta["labels"]):
            print(f"  {label:9s} mean return {meta['ret_mean_by_state'][i]:+.4f}%  "
                  f"vol {meta['ret_vol_by_state'][i]:.4f}%  now {meta['current'][label]:.3f}")

    @regime.command("show")
    def show(market: str = typer.Argument(..., help="Market symbol."), last: int = LastOpt,
             store: str | None = StoreOpt, json_out: bool = JsonOption, config: Path | None = ConfigOption) -> None:
        """Print MARKET's stored regime history (the latest rows)."""
        from dataclasses import asdict

        from tradefleet.ai.regime.store_history import StoreRegimeHistory
        from tradefleet.orchestrator.clock import ns_to_dt

        cfg = load(config)
        st = open_existing_store(cfg, store)
        try:
            rows = StoreRegimeHistory(st).read(market)[-last:]
        finally:
            st.close()
        if json_out:
            emit_json([asdict(r) for r in rows])
            return
        if not rows:
            print(f"no regime history for {market} in this store (run a replay with the regime gate)")
        for r in rows:
            print(f"{ns_to_dt(r.ts_event):%Y-%m-%d %H:%M}  {r.regime:9s} bull {r.p_bull:.3f}  "
                  f"bear {r.p_bear:.3f}  sideways {r.p_sideways:.3f}  {r.model_version}")

    app.add_typer(regime, name="regime")
