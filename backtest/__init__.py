"""Backtesting at scale: numba engine, walk-forward, Monte Carlo, stress, lookahead, validation gate."""
