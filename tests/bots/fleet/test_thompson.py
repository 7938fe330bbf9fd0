"""The Thompson-sampling controller on synthetic arms whose means switch."""

import numpy as np
import pytest

from tradefleet.bots.fleet.thompson import Arm, NigPrior, ThompsonAllocator


def _simulate(means_a: list[float], means_b: list[float], steps: int, seed: int) -> tuple[np.ndarray, ThompsonAllocator, list[float]]:
    rng = np.random.default_rng(seed)
    alloc = ThompsonAllocator.over([f"bot{i}" for i in range(len(means_a))], decay=0.99, floor=0.02,
                                   samples=400, prior=NigPrior(beta0=0.25), seed=seed)
    names = list(alloc.arms)
    regret = np.zeros(2 * steps)
    best_weight = []
    for t in range(2 * steps):
        means = means_a if t < steps else means_b
        arm = alloc.choose()
        i = names.index(arm)
        alloc.update(arm, rng.normal(means[i], 0.5))
        regret[t] = max(means) - means[i]
        if t >= steps and t % 10 == 0:
            best_weight.append(alloc.weights()[names[int(np.argmax(means_b))]])
    return np.cumsum(regret), alloc, best_weight


def test_thompson_regret_grows_sublinearly_in_each_phase() -> None:
    steps = 1500
    cum, _, _ = _simulate([0.3, 0.0, -0.2, 0.1], [-0.2, 0.0, 0.1, 0.4], steps, seed=7)
    for start in (0, steps):  # each stationary phase: the last quarter costs far less than the first
        q = steps // 4
        first = cum[start + q - 1] - (cum[start - 1] if start else 0.0)
        last = cum[start + steps - 1] - cum[start + steps - q - 1]
        assert last < 0.5 * first, (start, first, last)
    linear = 2 * steps * 0.35  # what uniform random play would lose (mean gap)
    assert cum[-1] < 0.25 * linear


def test_thompson_allocation_moves_to_the_new_best_arm_within_bounded_trades() -> None:
    _, alloc, best_weight = _simulate([0.3, 0.0, -0.2, 0.1], [-0.2, 0.0, 0.1, 0.4], 1500, seed=11)
    first_majority = next(i for i, w in enumerate(best_weight) if w > 0.5) * 10
    assert first_majority <= 400  # trades after the switch
    assert alloc.weights()["bot3"] > 0.8


def test_thompson_weights_floor_and_sum() -> None:
    alloc = ThompsonAllocator.over(["a", "b", "c"], floor=0.05, seed=1)
    for _ in range(200):
        alloc.update("a", 1.0)
        alloc.update("b", -1.0)
        alloc.update("c", -1.0)
    w = alloc.weights()
    assert sum(w.values()) == pytest.approx(1.0)
    assert min(w.values()) >= 0.05 - 1e-12 and w["a"] > 0.85


def test_arm_decay_matches_weighted_statistics() -> None:
    rng = np.random.default_rng(3)
    xs = rng.normal(0.2, 1.0, 200)
    arm = Arm()
    for x in xs:
        arm.update(x, 0.95)
    w = 0.95 ** np.arange(len(xs))[::-1]
    mean = float(np.sum(w * xs) / w.sum())
    assert arm.n == pytest.approx(w.sum()) and arm.mean == pytest.approx(mean)
    assert arm.m2 == pytest.approx(float(np.sum(w * (xs - mean) ** 2)), rel=1e-9)


def test_allocator_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ThompsonAllocator({})
    with pytest.raises(ValueError, match="decay"):
        ThompsonAllocator.over(["a"], decay=0.0)
    with pytest.raises(ValueError, match="floor"):
        ThompsonAllocator.over(["a", "b"], floor=0.6)
