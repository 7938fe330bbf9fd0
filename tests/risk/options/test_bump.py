"""Greeks by bump and reprice against the analytic ones."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.risk.options.binomial import crr_tree
from tradefleet.risk.options.bsm import bsm_valuation
from tradefleet.risk.options.bump import binomial_bump_valuation, bsm_bump_valuation

GREEKS = ("delta", "gamma", "theta", "vega", "rho")


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("k", [80.0, 100.0, 120.0])
def test_bsm_bump_greeks_match_analytic(kind: str, k: float) -> None:
    a = bsm_valuation(kind, 100.0, k, 0.75, 0.04, 0.25, 0.02)
    b = bsm_bump_valuation(kind, 100.0, k, 0.75, 0.04, 0.25, 0.02)
    for g in GREEKS:
        assert float(getattr(b, g)) == pytest.approx(float(getattr(a, g)), rel=1e-5, abs=1e-6), g


def test_bump_is_vectorised() -> None:
    k = np.linspace(70, 130, 13)
    a = bsm_valuation("put", 100.0, k, 0.5, 0.03, 0.3)
    b = bsm_bump_valuation("put", 100.0, k, 0.5, 0.03, 0.3)
    np.testing.assert_allclose(b.delta, a.delta, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.vega, a.vega, rtol=1e-5, atol=1e-6)


def test_binomial_bump_greeks_of_european_approach_bsm() -> None:
    a = bsm_valuation("call", 100.0, 105.0, 1.0, 0.05, 0.2, 0.01)
    b = binomial_bump_valuation("call", 100.0, 105.0, 1.0, 0.05, 0.2, 0.01, steps=500, style="european")
    assert float(b.delta) == pytest.approx(float(a.delta), abs=2e-4)
    assert float(b.gamma) == pytest.approx(float(a.gamma), abs=2e-4)
    assert float(b.vega) == pytest.approx(float(a.vega), rel=2e-3)
    assert float(b.rho) == pytest.approx(float(a.rho), rel=2e-3)
    assert float(b.theta) == pytest.approx(float(a.theta), rel=2e-3)


def test_american_tree_and_bump_greeks_agree() -> None:
    tree = crr_tree("put", 100.0, 100.0, 1.0, 0.05, 0.2, 0.0, 500, "american")
    bump = binomial_bump_valuation("put", 100.0, 100.0, 1.0, 0.05, 0.2, 0.0, 500, "american")
    assert float(tree.delta) == pytest.approx(float(bump.delta), abs=1e-3)
    assert float(tree.gamma) == pytest.approx(float(bump.gamma), abs=1e-3)
    assert float(tree.theta) == pytest.approx(float(bump.theta), rel=1e-2)
    # early exercise makes the American put less rate-sensitive than the European one
    assert float(bump.rho) > float(bsm_valuation("put", 100.0, 100.0, 1.0, 0.05, 0.2).rho)
