"""Backtesting at scale: numba engine, walk-forward, Monte Carlo, stress, lookahead, validation gate."""

# orchestrator.config imports backtest.config for the [validation] section; loading it first
# makes ``import backtest.config`` work in either import order.
import orchestrator.config  # noqa: F401
