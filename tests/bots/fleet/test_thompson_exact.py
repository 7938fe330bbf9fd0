"""The Thompson controller's posterior and allocation, figure by figure (issue 25: these pin what
the statistical tests in test_thompson.py cannot see: exact updates, priors, bounds and weights)."""

from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from tradefleet.bots.fleet.thompson import Arm, NigPrior, ThompsonAllocator

def test_an_arm_without_outcomes_has_the_prior_as_its_posterior() -> None:
    arm = Arm()
    assert (arm.n, arm.mean, arm.m2, arm.trades) == (0.0, 0.0, 0.0, 0)
    assert NigPrior() == NigPrior(mu0=0.0, kappa0=1.0, alpha0=2.0, beta0=1.0)
    assert arm.posterior(NigPrior()) == (0.0, 1.0, 2.0, 1.0)
    prior = NigPrior(mu0=0.5, kappa0=2.0, alpha0=3.0, beta0=0.7)
    assert arm.posterior(prior) == (0.5, 2.0, 3.0, 0.7)
    with pytest.raises(FrozenInstanceError):  # a prior is a value: allocators may share one
        prior.mu0 = 1.0  # type: ignore[misc]


def test_posterior_is_the_normal_inverse_gamma_update_of_the_discounted_statistics() -> None:
    prior = NigPrior(mu0=0.5, kappa0=2.0, alpha0=3.0, beta0=0.7)
    arm = Arm(n=5.0, mean=2.0, m2=2.0, trades=5)  # an odd n and a mean 1.5 from the prior's: no 1 ** k, no n // 2
    mu, kappa, alpha, beta = arm.posterior(prior)
    assert kappa == 7.0 and alpha == 5.5
    assert mu == pytest.approx((2.0 * 0.5 + 5.0 * 2.0) / 7.0)
    assert beta == pytest.approx(0.7 + 0.5 * 2.0 + 2.0 * 5.0 * (2.0 - 0.5) ** 2 / (2.0 * 7.0))


def test_the_first_outcome_sets_the_mean_with_no_spread_and_counts_a_trade() -> None:
    arm = Arm()
    arm.update(2.5, 0.9)
    assert (arm.n, arm.mean, arm.m2, arm.trades) == (1.0, 2.5, 0.0, 1)
    arm.update(0.5, 0.9)  # n = 1.9: mean moves by delta / n, m2 by the discounted Welford step
    assert arm.n == pytest.approx(1.9) and arm.mean == pytest.approx(2.5 - 2.0 / 1.9) and arm.trades == 2
    assert arm.m2 == pytest.approx(0.9 * 1.0 * (0.5 - 2.5) ** 2 / 1.9)  # weights 0.9 and 1 about their mean


def test_allocator_defaults_and_boundary_settings() -> None:
    alloc = ThompsonAllocator.over(["a"])
    assert (alloc.decay, alloc.floor, alloc.samples, alloc.seed, alloc.prior) == (0.98, 0.02, 1000, 0, NigPrior())
    ThompsonAllocator.over(["a"], decay=1.0)  # no discount at all is allowed
    ThompsonAllocator.over(["a", "b"], floor=0.5)  # a floor of exactly an equal share is allowed
    ThompsonAllocator.over(["a", "b"], floor=0.0)
    with pytest.raises(ValueError, match="decay"):
        ThompsonAllocator.over(["a"], decay=1.01)
    with pytest.raises(ValueError, match="floor"):
        ThompsonAllocator.over(["a"], floor=-0.1)
    alloc.update("a", 3)  # an int reward is recorded as a float, discounted by the allocator's decay
    alloc.update("a", 1)
    assert alloc.arms["a"].n == pytest.approx(1.98) and isinstance(alloc.arms["a"].mean, float)


def test_draws_of_the_mean_follow_the_posterior_student_t() -> None:
    prior = NigPrior(mu0=0.0, kappa0=1.0, alpha0=2.0, beta0=1.0)
    alloc = ThompsonAllocator({"a": Arm(n=9.0, mean=2.0, m2=18.0), "b": Arm()}, prior=prior, seed=3)
    draws = alloc.draw_means(200_000)
    assert draws.shape == (200_000, 2)
    mu, kappa, alpha, beta = alloc.arms["a"].posterior(prior)  # 1.8, 10, 6.5, 11.8
    assert float(np.mean(draws[:, 0])) == pytest.approx(mu, abs=0.01)
    # the marginal of the mean is a Student t: variance beta / ((alpha - 1) kappa)
    assert float(np.var(draws[:, 0])) == pytest.approx(beta / ((alpha - 1.0) * kappa), rel=0.03)
    assert float(np.var(draws[:, 1])) == pytest.approx(1.0 / (1.0 * 1.0), rel=0.1)


def test_weights_are_the_floor_plus_the_free_share_times_the_win_frequency() -> None:
    arms = {"a": Arm(n=3.0, mean=0.4, m2=1.0), "b": Arm(n=5.0, mean=0.1, m2=2.0), "c": Arm(n=2.0, mean=0.3, m2=0.5)}
    alloc = ThompsonAllocator({k: Arm(**vars(v)) for k, v in arms.items()}, floor=0.1, samples=300, seed=8)
    twin = ThompsonAllocator({k: Arm(**vars(v)) for k, v in arms.items()}, floor=0.1, samples=300, seed=8)
    wins = np.bincount(np.argmax(twin.draw_means(300), axis=1), minlength=3) / 300
    w = alloc.weights()
    assert list(w) == ["a", "b", "c"]
    assert [w[k] for k in "abc"] == pytest.approx(list(0.1 + 0.7 * wins), abs=1e-12)
    assert 0 < wins.min()  # every arm won some draws: the test sees each term


def test_a_dominant_arm_gets_everything_above_the_others_floors_and_is_chosen() -> None:
    alloc = ThompsonAllocator({"lo": Arm(n=1e6, mean=-5.0, m2=1e3), "hi": Arm(n=1e6, mean=5.0, m2=1e3),
                               "mid": Arm(n=1e6, mean=0.0, m2=1e3)}, floor=0.05, samples=200)
    assert alloc.weights() == pytest.approx({"lo": 0.05, "hi": 0.9, "mid": 0.05}, abs=1e-12)
    assert {alloc.choose() for _ in range(20)} == {"hi"}


def test_same_seed_same_allocation_other_seed_another() -> None:
    def weights(seed: int) -> dict[str, float]:
        return ThompsonAllocator({"a": Arm(n=2.0, mean=0.1, m2=1.0), "b": Arm(n=2.0, mean=0.0, m2=1.0)},
                                 samples=200, seed=seed).weights()

    assert weights(4) == weights(4) and weights(4) != weights(5)


# -- survivors of the 2026-12-06 mutation run ------------------------------------------------
def test_an_arm_that_remembers_only_its_last_outcome_has_no_spread() -> None:
    arm = Arm()
    arm.update(0.7, 1e-300)  # a decay this small leaves n at exactly 1.0: only the last outcome counts
    arm.update(0.1, 1e-300)  # the new mean, 0.7 + (0.1 - 0.7), is 0.1 only up to rounding
    assert (arm.n, arm.trades) == (1.0, 2) and arm.mean == pytest.approx(0.1, abs=1e-15)
    assert arm.m2 == 0.0  # one outcome has no spread, whatever the rounding of the mean


def test_a_decay_of_zero_or_below_is_rejected() -> None:
    for decay in (0.0, -0.5, -1.0):
        with pytest.raises(ValueError, match="decay"):
            ThompsonAllocator.over(["a"], decay=decay)
    assert ThompsonAllocator.over(["a"], decay=1e-300).decay == 1e-300


def test_each_choice_is_one_joint_draw_from_the_allocators_generator() -> None:
    arms = {"a": Arm(n=2.0, mean=0.1, m2=1.0), "b": Arm(n=2.0, mean=0.0, m2=1.0), "c": Arm(n=3.0, mean=0.05, m2=1.5)}
    alloc = ThompsonAllocator({k: Arm(**vars(v)) for k, v in arms.items()}, seed=11)
    twin = ThompsonAllocator({k: Arm(**vars(v)) for k, v in arms.items()}, seed=11)
    chosen = [alloc.choose() for _ in range(40)]
    assert chosen == ["abc"[int(np.argmax(twin.draw_means(1)[0]))] for _ in range(40)]
    assert set(chosen) == {"a", "b", "c"}  # close arms: each is chosen sometimes


def _numpy_weights(alloc: ThompsonAllocator) -> dict[str, float]:
    """The allocation as numpy computes it: the joint draws, the first highest per row."""
    names = list(alloc.arms)
    wins = np.bincount(np.argmax(alloc.draw_means(alloc.samples), axis=1), minlength=len(names))
    w = alloc.floor + (1.0 - alloc.floor * len(names)) * (wins / wins.sum())
    return dict(zip(names, (float(x) for x in w / w.sum()), strict=True))


def test_weights_are_numpys_draw_for_draw_and_leave_the_generator_where_numpy_does() -> None:
    import copy
    import random

    rnd = random.Random(7)
    for trial in range(60):
        arms = [f"b{i}" for i in range(rnd.randint(2, 45))]
        alloc = ThompsonAllocator.over(arms, seed=trial, samples=rnd.choice([1, 7, 1000]))
        for name in arms:  # posteriors from the prior (no outcome) to sharp ones, with ties
            for _ in range(rnd.choice([0, 0, 1, 3, 40])):
                alloc.update(name, rnd.gauss(0.05, 2.0))
        if trial % 10 == 0:  # a NaN reward: np.argmax picks a row's first NaN
            alloc.update(arms[-1], float("nan"))
        twin = copy.deepcopy(alloc)
        for _ in range(3):  # each allocation, then the generator's next draws, are numpy's
            assert alloc.weights() == _numpy_weights(twin)
        assert alloc._rng.random() == twin._rng.random()


def test_one_arm_gets_everything_without_drawing() -> None:
    alloc = ThompsonAllocator.over(["a"], seed=4)
    alloc.update("a", 1.5)
    before = alloc._rng.bit_generator.state
    assert alloc.weights() == {"a": 1.0} == _numpy_weights(ThompsonAllocator.over(["a"], seed=4))
    assert alloc._rng.bit_generator.state == before


class _Recording(ThompsonAllocator):
    """An allocator that notes which thread drew each allocation."""

    drawn_on: list[str]

    def _wins(self, rng: np.random.Generator, post: np.ndarray, samples: int) -> np.ndarray:  # type: ignore[override]
        import threading

        self.drawn_on = [*getattr(self, "drawn_on", []), threading.current_thread().name]
        return ThompsonAllocator._wins(rng, post, samples)


def _pair(seed: int) -> tuple[ThompsonAllocator, ThompsonAllocator]:
    """Two allocators with the same posteriors and generator: one draws ahead, one never does."""
    made = []
    for cls in (_Recording, ThompsonAllocator):
        alloc = cls({n: Arm() for n in ("a", "b", "c")}, seed=seed, samples=300)
        for i, name in enumerate(("a", "b", "c", "a")):
            alloc.update(name, 0.5 * i - 0.4)
        made.append(alloc)
    return made[0], made[1]


def test_drawn_ahead_weights_are_the_ones_drawing_now_gives_and_are_drawn_off_the_caller() -> None:
    ahead, now = _pair(11)
    ahead.draw_ahead()
    ahead._ahead[2].result()  # type: ignore[index]
    assert ahead.weights() == now.weights()
    assert ahead.drawn_on[0].startswith("thompson-ahead") and len(ahead.drawn_on) == 1  # taken, not redrawn
    assert ahead._rng.random() == now._rng.random()  # the generator moved on as if drawn here


def test_an_allocation_drawn_ahead_of_a_new_outcome_or_draw_is_dropped() -> None:
    ahead, now = _pair(12)
    ahead.draw_ahead()
    ahead.update("b", 2.0)  # a newer outcome: other posteriors
    now.update("b", 2.0)
    assert ahead.weights() == now.weights()
    assert ahead._rng.random() == now._rng.random()
    ahead.draw_ahead()
    assert ahead.choose() == now.choose()  # the generator moved since it was copied
    assert ahead.weights() == now.weights()
    assert ahead._rng.random() == now._rng.random()
    ahead.draw_ahead()
    ahead.samples = now.samples = 50  # another sample count
    assert ahead.weights() == now.weights()
    assert ahead._rng.random() == now._rng.random()


def test_a_forked_child_draws_ahead_on_its_own_worker() -> None:
    import multiprocessing

    ahead, now = _pair(13)
    ahead.draw_ahead()  # the parent's worker exists before the fork
    ahead.weights()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # the child's copy of the pool has no thread: it must not wait forever
        got = pool.apply_async(_drawn_ahead_in_child, (13,)).get(timeout=60)
    assert got == _pair(13)[1].weights()


def _drawn_ahead_in_child(seed: int) -> dict[str, float]:
    alloc, _ = _pair(seed)
    alloc.draw_ahead()
    return alloc.weights()
