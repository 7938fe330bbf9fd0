"""Options benchmarks (issue 12): vectorised Black-Scholes with Greeks, binomial trees,
implied volatility.

Run: ``.venv/bin/python -m bench.options_bench [--json] [--repeat N]``

* BSM price + delta, gamma, theta, vega, rho for 1,000,000 random options in one call
  (target < 1 s), side by side with a scalar pure-Python loop (``math.erf``) timed on
  20,000 options and scaled to 1,000,000.
* Binomial, 500 steps, American puts: one option per call (target < 5 ms per option) for
  the default refinement (Broadie-Detemple + Richardson, 500 + 250 steps) and for the
  plain CRR tree, with the numba induction and (side by side) the numpy one; and a batch
  of 1,000 options in one call.
* Option book (issue 20): marking a 500-leg mixed book (American and European, calls and
  puts) with price and all five Greeks through :func:`tradefleet.risk.options.book.mark_book`
  (Bjerksund-Stensland 2002 for American legs; target < 50 ms), side by side with the
  same 500 legs valued by the refined binomial tree with bumped Greeks.
* The wheel (issue 20, :mod:`tradefleet.backtest.options_wheel`): GOOG's bundled daily history
  (2004-2013, American, physically settled, model-priced chain) and, for the 20-year timing
  target, the bundled S&P 500 closes 1999-2018 treated as an American, physically settled
  underlying (a timing proxy: listed SPX options are European and cash-settled); target < 10 s.
* Implied vol: 100,000 European quotes solved by the vectorised bracketed Newton, side by
  side with ``scipy.optimize.brentq`` per quote (timed on 1,000, scaled).

Each figure is the best of ``--repeat`` runs (the box is shared; medians move with load).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def random_book(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"call": rng.random(n) < 0.5, "s": rng.uniform(50, 150, n), "k": rng.uniform(50, 150, n),
            "t": rng.uniform(0.02, 2.0, n), "v": rng.uniform(0.05, 0.9, n)}


def _scalar_bsm(call: bool, s: float, k: float, t: float, r: float, v: float, q: float) -> tuple[float, ...]:
    sq = v * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * v * v) * t) / sq
    d2 = d1 - sq
    cdf = lambda x: 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))  # noqa: E731
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    eq, er = math.exp(-q * t), math.exp(-r * t)
    sign = 1.0 if call else -1.0
    n1, n2 = cdf(sign * d1), cdf(sign * d2)
    price = sign * (s * eq * n1 - k * er * n2)
    return (price, sign * eq * n1, eq * pdf / (s * sq), -s * eq * pdf * v / (2 * math.sqrt(t))
            + sign * (q * s * eq * n1 - r * k * er * n2), s * eq * pdf * math.sqrt(t), sign * k * t * er * n2)


def bench_bsm(repeat: int) -> dict[str, Any]:
    from tradefleet.risk.options.bsm import bsm_valuation

    n = 1_000_000
    b = random_book(n)
    vec = best_of(lambda: bsm_valuation(b["call"], b["s"], b["k"], b["t"], 0.03, b["v"], 0.01), repeat)
    m = 20_000
    small = random_book(m, 1)
    rows = list(zip(*(small[c].tolist() for c in ("call", "s", "k", "t", "v")), strict=True))
    loop = best_of(lambda: [_scalar_bsm(c, s, k, t, 0.03, v, 0.01) for c, s, k, t, v in rows], max(1, repeat // 2))
    loop_1m = loop * n / m
    return {"options": n, "vectorised_s": round(vec, 3), "scalar_python_s (scaled)": round(loop_1m, 2),
            "speed-up": round(loop_1m / vec, 1), "target_s": 1.0, "pass": vec < 1.0}


def bench_binomial(repeat: int) -> dict[str, Any]:
    from tradefleet.risk.options.binomial import crr_price

    def single(method: str, engine: str = "numba") -> float:
        args = ("put", 100.0, 100.0, 1.0, 0.05, 0.2, 0.0, 500, "american", method, engine)
        crr_price(*args)  # warm up
        reps = 40
        return best_of(lambda: [crr_price(*args) for _ in range(reps)], repeat) / reps * 1e3

    n = 1_000
    b = random_book(n, 2)
    batch = best_of(lambda: crr_price("put", b["s"], b["k"], b["t"], 0.05, b["v"], 0.0, 500, "american"),
                    max(1, repeat // 2)) / n * 1e3
    refined, plain, numpy_engine = single("bbsr"), single("crr"), single("bbsr", "numpy")
    return {"steps": 500, "single_bbsr_ms": round(refined, 2), "single_crr_ms": round(plain, 2),
            "single_bbsr_numpy_engine_ms": round(numpy_engine, 2), "numba_speed-up": round(numpy_engine / refined, 1),
            "batch_1000_bbsr_ms_per_option": round(batch, 3), "batch_speed-up": round(refined / batch, 1),
            "target_ms": 5.0, "pass": refined < 5.0}


def bench_implied(repeat: int) -> dict[str, Any]:
    from scipy.optimize import brentq

    from tradefleet.risk.options.bsm import bsm_price
    from tradefleet.risk.options.implied import implied_vol_array

    n = 100_000
    b = random_book(n, 3)
    prices = bsm_price(b["call"], b["s"], b["k"], b["t"], 0.03, b["v"])
    vec = best_of(lambda: implied_vol_array(prices, b["call"], b["s"], b["k"], b["t"], 0.03), repeat)
    m = 1_000

    def loop() -> None:
        for i in range(m):
            c, s, k, t, p = bool(b["call"][i]), b["s"][i], b["k"][i], b["t"][i], prices[i]
            try:
                brentq(lambda v: float(bsm_price(c, s, k, t, 0.03, v)) - p, 1e-6, 20.0, xtol=1e-12)  # noqa: B023
            except ValueError:
                pass

    per = best_of(loop, 1) / m
    return {"quotes": n, "vectorised_newton_s": round(vec, 3), "brentq_per_quote_s (scaled)": round(per * n, 1),
            "speed-up": round(per * n / vec, 1)}


def bench_book(repeat: int) -> dict[str, Any]:
    from datetime import date, datetime, timezone

    from tradefleet.orchestrator.clock import dt_to_ns
    from tradefleet.risk.options.book import OptionLeg, mark_book
    from tradefleet.risk.options.bump import binomial_bump_valuation
    from tradefleet.risk.options.chain import OptionContract

    rng = np.random.default_rng(4)
    n = 500
    asof = dt_to_ns(datetime(2024, 1, 2, 21, tzinfo=timezone.utc))
    expiries = [date(2024, 1, 19), date(2024, 2, 16), date(2024, 3, 15), date(2024, 6, 21), date(2024, 12, 20)]
    legs = [OptionLeg(OptionContract(f"U{i % 20}", "call" if rng.random() < 0.5 else "put",
                                     float(round(rng.uniform(80, 120))), expiries[i % 5],
                                     "american" if i % 4 else "european"),
                      float(rng.integers(-5, 6) or 1), 1.0, f"s{i // 4}") for i in range(n)]
    spots = {f"U{j}": float(rng.uniform(90, 110)) for j in range(20)}
    vols = {u: float(rng.uniform(0.15, 0.5)) for u in spots}
    mark_book(legs, asof, spots, vols, 0.03, 0.01)  # warm up
    fast = best_of(lambda: mark_book(legs, asof, spots, vols, 0.03, 0.01), repeat) * 1e3
    kind = ["call" if leg.contract.kind == "call" else "put" for leg in legs]
    s = [spots[leg.contract.underlying] for leg in legs]
    t = [leg.contract.years_to_expiry(asof) for leg in legs]
    v = [vols[leg.contract.underlying] for leg in legs]
    k = [leg.contract.strike for leg in legs]
    tree = best_of(lambda: binomial_bump_valuation(kind, s, k, t, 0.03, v, 0.01), 1) * 1e3
    return {"legs": n, "mark_book_ms": round(fast, 1), "tree_500_steps_bumped_ms": round(tree, 1),
            "speed-up": round(tree / fast, 1), "target_ms": 50.0, "pass": fast < 50.0}


def bench_wheel(repeat: int) -> dict[str, Any]:
    from tradefleet.backtest.options_wheel import backtest_wheel
    from tradefleet.scrapers.bundled import load_dataset

    goog, spx = load_dataset("goog")["close"], load_dataset("sp500")["close"]
    t_goog = best_of(lambda: backtest_wheel(goog, "GOOG"), max(1, repeat // 2))
    t_spx = best_of(lambda: backtest_wheel(spx, "SPXPROXY"), max(1, repeat // 2))
    return {"goog_days": len(goog), "goog_s": round(t_goog, 2), "sp500_20y_days": len(spx),
            "sp500_20y_s": round(t_spx, 2), "target_s": 10.0, "pass": t_spx < 10.0,
            "summary_goog": backtest_wheel(goog, "GOOG").summary()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    result = {"bsm_greeks_1m": bench_bsm(a.repeat), "binomial_500": bench_binomial(a.repeat),
              "implied_vol_100k": bench_implied(a.repeat),
              "option_book_500_legs": bench_book(a.repeat), "wheel": bench_wheel(a.repeat)}
    if a.json:
        print(json.dumps(result, indent=2))
        return
    for name, row in result.items():
        print(f"{name}:")
        for k, v in row.items():
            print(f"  {k:34s} {v}")


if __name__ == "__main__":
    main()
