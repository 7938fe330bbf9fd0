"""Thompson sampling over sub-bots' realised returns, with decay and an exploration floor.

Each arm (a sub-bot) has a Normal-Inverse-Gamma posterior over the mean and variance of its
per-trade return. Sufficient statistics are discounted by ``decay`` on every update of
that arm, so an arm whose performance changes is tracked (its effective memory is about
``1 / (1 - decay)`` trades). The allocation is *probability matching*: each arm's weight is
the posterior probability that it has the highest mean (estimated by joint sampling), then
floored at ``floor`` so no sub-bot is starved of the exploration it needs to recover.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """One worker thread for every allocator's drawing ahead (numba releases the GIL)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thompson-ahead")
    return _POOL


def _forget_pool() -> None:
    """A forked child has no worker thread: it starts its own pool when it draws ahead."""
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)


@dataclass(frozen=True)
class NigPrior:
    """Prior: mean ``mu0`` worth ``kappa0`` trades; variance ~ InvGamma(``alpha0``, ``beta0``)."""

    mu0: float = 0.0
    kappa0: float = 1.0
    alpha0: float = 2.0
    beta0: float = 1.0


@dataclass
class Arm:
    """Discounted sufficient statistics of one arm's rewards."""

    n: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    trades: int = 0

    def update(self, reward: float, decay: float) -> None:
        """Discount the past by ``decay`` and add one reward (a discounted Welford step)."""
        n = decay * self.n + 1.0
        delta = reward - self.mean
        mean = self.mean + delta / n
        self.m2 = decay * self.m2 + delta * (reward - mean) * (decay * self.n / (n - 1.0) if n > 1.0 else 0.0)
        self.n, self.mean = n, mean
        self.trades += 1

    def posterior(self, prior: NigPrior) -> tuple[float, float, float, float]:
        """Return (mu, kappa, alpha, beta) of the Normal-Inverse-Gamma posterior."""
        kappa = prior.kappa0 + self.n
        mu = (prior.kappa0 * prior.mu0 + self.n * self.mean) / kappa
        alpha = prior.alpha0 + self.n / 2.0
        beta = prior.beta0 + 0.5 * self.m2 + prior.kappa0 * self.n * (self.mean - prior.mu0) ** 2 / (2.0 * kappa)
        return mu, kappa, alpha, beta


@dataclass
class ThompsonAllocator:
    """Capital weights over arms by Thompson sampling."""

    arms: dict[str, Arm]
    decay: float = 0.98
    floor: float = 0.02
    samples: int = 1000
    prior: NigPrior = field(default_factory=NigPrior)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.arms:
            raise ValueError("a fleet needs at least one sub-bot")
        if not 0.0 < self.decay <= 1.0:
            raise ValueError(f"decay must be in (0, 1], got {self.decay}")
        if not 0.0 <= self.floor * len(self.arms) <= 1.0:
            raise ValueError(f"floor {self.floor} x {len(self.arms)} arms exceeds 1")
        self._rng = np.random.default_rng(self.seed)
        #: an allocation being drawn ahead: (posteriors and sample count, the generator
        #: state it starts from, the win counts to come, the generator it draws from)
        self._ahead: tuple[tuple[bytes, int], dict[str, Any], Future[np.ndarray], Any] | None = None

    @classmethod
    def over(cls, names: Iterable[str], **kwargs: object) -> ThompsonAllocator:
        return cls({n: Arm() for n in names}, **kwargs)  # type: ignore[arg-type]

    def update(self, arm: str, reward: float) -> None:
        """Record one closed trade's return for ``arm``."""
        self.arms[arm].update(float(reward), self.decay)

    def draw_means(self, size: int) -> np.ndarray:
        """Sample ``size`` joint draws of every arm's mean: shape (size, arms)."""
        cols = []
        for arm in self.arms.values():
            mu, kappa, alpha, beta = arm.posterior(self.prior)
            var = beta / self._rng.gamma(alpha, 1.0, size)  # InvGamma(alpha, beta)
            cols.append(mu + self._rng.standard_normal(size) * np.sqrt(var / kappa))
        return np.column_stack(cols)

    def choose(self) -> str:
        """One Thompson draw: the arm whose sampled mean is highest."""
        names = list(self.arms)
        return names[int(np.argmax(self.draw_means(1)[0]))]

    def _posteriors(self) -> np.ndarray:
        """Every arm's (mu, kappa, alpha, beta), one row per arm."""
        return np.array([arm.posterior(self.prior) for arm in self.arms.values()], dtype=np.float64)

    @staticmethod
    def _wins(rng: np.random.Generator, post: np.ndarray, samples: int) -> np.ndarray:
        from tradefleet.bots.fleet.thompson_kernel import thompson_wins_nb

        mu, kappa, alpha, beta = np.ascontiguousarray(post.T)  # one copy: each row contiguous
        return thompson_wins_nb(rng, mu, kappa, alpha, beta, samples)  # type: ignore[no-any-return]

    def draw_ahead(self) -> None:
        """Start drawing the allocation of the current posteriors in a worker thread, from
        a copy of the generator: :meth:`weights` takes it if neither the posteriors nor the
        generator changed since (it then moves its generator to where the copy ended), else
        draws as usual. Either way the weights and the generator's stream are the ones
        drawing now would give; the draws just overlap the caller's other work (the
        kernel runs without the GIL). Nothing is drawn ahead for a single arm."""
        if len(self.arms) < 2:
            return
        if self._ahead is not None:
            self._ahead[2].cancel()  # not started yet: never drawn
        post = self._posteriors()
        state = self._rng.bit_generator.state
        bits = type(self._rng.bit_generator)(0)
        bits.state = state
        self._ahead = ((post.tobytes(), self.samples), state,
                       _pool().submit(self._wins, np.random.Generator(bits), post, self.samples), bits)

    def weights(self) -> dict[str, float]:
        """Probability-matching weights, floored at ``floor`` and summing to 1.

        The count of draws each arm wins is :meth:`draw_means` then ``np.argmax`` per row,
        computed by a numba kernel that draws the same numbers from the same generator
        (:mod:`tradefleet.bots.fleet.thompson_kernel`), or taken from :meth:`draw_ahead`.
        A single arm gets the whole weight without drawing."""
        names = list(self.arms)
        if len(names) == 1:
            return {names[0]: 1.0}
        post = self._posteriors()
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == (post.tobytes(), self.samples) and ahead[1] == self._rng.bit_generator.state:
            wins = ahead[2].result()
            self._rng.bit_generator.state = ahead[3].state
        else:
            wins = self._wins(self._rng, post, self.samples)
        p = wins / wins.sum()
        free = 1.0 - self.floor * len(names)
        w = self.floor + free * p
        return dict(zip(names, (float(x) for x in w / w.sum()), strict=True))
