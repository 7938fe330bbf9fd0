"""Volatility: realised, GARCH(1,1) with ``arch``, and realised versus implied.

All vols are annualised decimals (0.2 = 20 %) on daily closes with 252 periods a year
unless told otherwise. ``arch`` fits on percent log-returns (its optimiser is scaled for
that); :class:`GarchFit` keeps its parameters in those units and converts on output.

* :func:`realized_vol` (trailing, causal) and :func:`forward_realized_vol` (the vol that
  then happened over the next window: what an implied vol at *t* tries to predict).
* :func:`fit_garch` / :func:`sp500_garch`: GARCH(1,1) fits and multi-step forecasts.
* :func:`garch_filter_vol`: a causal GARCH(1,1) filter with fixed alpha/beta and variance
  targeting on the expanding mean, for bots (no parameter lookahead).
* :func:`realized_vs_implied`: aligns an implied series (e.g. VIX) with the S&P 500
  realised vol and reports the variance risk premium and forecast errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.risk.options.errors import OptionsError

if TYPE_CHECKING:
    import pandas as pd

PERIODS_PER_YEAR = 252


def log_returns(close: pd.Series) -> pd.Series:
    """Return close-to-close log returns (first row dropped)."""
    if (close <= 0).any():
        raise OptionsError("log returns need strictly positive closes")
    return np.log(close).diff().dropna()


def realized_vol(close: pd.Series, window: int = 21, periods: int = PERIODS_PER_YEAR) -> pd.Series:
    """Return the trailing annualised realised vol (std of the last ``window`` log returns)."""
    r = np.log(close).diff()
    return r.rolling(window, min_periods=window).std(ddof=1) * math.sqrt(periods)


def forward_realized_vol(close: pd.Series, window: int = 21, periods: int = PERIODS_PER_YEAR) -> pd.Series:
    """Return, at each date, the annualised vol realised over the *next* ``window`` returns.

    Not causal by design: it is the target an implied vol at that date forecasts.
    """
    return realized_vol(close, window, periods).shift(-window)


@dataclass(frozen=True)
class GarchFit:
    """A fitted GARCH(1,1) on percent log-returns: ``s2[t+1] = omega + alpha e[t]^2 + beta s2[t]``."""

    mu: float
    omega: float
    alpha: float
    beta: float
    loglikelihood: float
    nobs: int
    last_variance: float  # one-step-ahead variance after the last observation, %^2
    conditional_vol: pd.Series  # in-sample, annualised decimals
    periods: int = PERIODS_PER_YEAR

    @property
    def persistence(self) -> float:
        return self.alpha + self.beta

    @property
    def long_run_vol(self) -> float:
        """Return the unconditional annualised vol ``sqrt(omega / (1 - alpha - beta))``."""
        if self.persistence >= 1:
            return math.inf
        return math.sqrt(self.omega / (1.0 - self.persistence) * self.periods) / 100.0

    def forecast_variances(self, horizon: int) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Return the daily variance forecasts (%^2) for steps 1..``horizon``."""
        if horizon < 1:
            raise OptionsError(f"forecast horizon must be >= 1, got {horizon}")
        steps = np.arange(horizon)
        p = self.persistence
        if p >= 1:
            return self.last_variance + self.omega * steps
        lr = self.omega / (1.0 - p)
        return lr + p ** steps * (self.last_variance - lr)

    def forecast_vol(self, horizon: int) -> float:
        """Return the annualised vol expected over the next ``horizon`` days (the vol to
        price a ``horizon``-day option with)."""
        return math.sqrt(float(self.forecast_variances(horizon).mean()) * self.periods) / 100.0


def fit_garch(close: pd.Series, periods: int = PERIODS_PER_YEAR, dist: str = "normal") -> GarchFit:
    """Fit GARCH(1,1) with a constant mean on the closes' percent log-returns (``arch``)."""
    from arch import arch_model

    returns = 100.0 * log_returns(close)
    if len(returns) < 250:
        raise OptionsError(f"GARCH(1,1) needs at least 250 returns, got {len(returns)}")
    res = arch_model(returns, mean="Constant", vol="GARCH", p=1, q=1, dist=dist).fit(disp="off")
    if res.convergence_flag != 0:
        raise OptionsError(f"GARCH(1,1) fit did not converge (flag {res.convergence_flag})")
    prm = res.params
    fc = res.forecast(horizon=1, reindex=False)
    cond = res.conditional_volatility * math.sqrt(periods) / 100.0
    return GarchFit(float(prm["mu"]), float(prm["omega"]), float(prm["alpha[1]"]), float(prm["beta[1]"]),
                    float(res.loglikelihood), int(res.nobs), float(fc.variance.iloc[-1, 0]), cond, periods)


def sp500_garch() -> GarchFit:
    """Fit GARCH(1,1) to the bundled S&P 500 daily closes (1999-2018)."""
    from tradefleet.scrapers.bundled import load_dataset

    return fit_garch(load_dataset("sp500")["close"])


def garch_filter_vol(close: pd.Series, alpha: float = 0.09, beta: float = 0.89,
                     periods: int = PERIODS_PER_YEAR, warmup: int = 20) -> pd.Series:
    """Return a causal one-step-ahead GARCH(1,1) vol (annualised) at every bar.

    ``omega`` is variance-targeted on the *expanding* mean of squared returns, so row t
    uses only returns up to t. Rows before ``warmup`` returns are NaN.
    """
    if not (alpha >= 0 and beta >= 0 and alpha + beta < 1):
        raise OptionsError(f"GARCH filter needs alpha, beta >= 0 and alpha + beta < 1, got {alpha}, {beta}")
    import pandas as pd

    logs = np.log(close.to_numpy(dtype=np.float64))
    sq = (np.diff(logs) ** 2).tolist()  # plain floats: the recursion runs in Python, not numpy scalars
    out = [math.nan] * len(logs)
    rest = 1.0 - alpha - beta
    s2, total = 0.0, 0.0
    for n, e2 in enumerate(sq, start=1):
        total += e2
        s2 = total if n == 1 else rest * (total / n) + alpha * e2 + beta * s2
        if n >= warmup:
            out[n] = math.sqrt(s2 * periods)
    return pd.Series(out, index=close.index, name="garch_vol")


@dataclass(frozen=True)
class VolComparison:
    """Implied versus realised vol on common dates, and summary statistics."""

    frame: pd.DataFrame  # implied, realized_trailing, realized_forward, premium
    summary: dict[str, float]


def realized_vs_implied(close: pd.Series, implied: pd.Series, window: int = 21,
                        periods: int = PERIODS_PER_YEAR) -> VolComparison:
    """Compare an implied vol series (decimals) with realised vol of ``close``.

    The two are aligned on calendar date in New York (bar close stamps are UTC). Summary:
    mean implied, mean forward realised, mean premium (implied minus forward realised,
    the variance risk premium in vol points), share of dates with implied above realised,
    correlation, and RMSE of implied and of trailing realised as forecasts of forward
    realised vol.
    """
    import pandas as pd

    def by_date(s: pd.Series) -> pd.Series:
        idx = pd.DatetimeIndex(s.index)
        if idx.tz is not None:
            idx = idx.tz_convert("America/New_York").tz_localize(None)
        out = s.copy()
        out.index = idx.normalize()
        return out

    frame = pd.DataFrame({"implied": by_date(implied),
                          "realized_trailing": by_date(realized_vol(close, window, periods)),
                          "realized_forward": by_date(forward_realized_vol(close, window, periods))}).dropna()
    if len(frame) < 30:
        raise OptionsError(f"realised vs implied: only {len(frame)} common dates (need 30); check the series overlap")
    frame["premium"] = frame["implied"] - frame["realized_forward"]
    err_iv = frame["implied"] - frame["realized_forward"]
    err_rv = frame["realized_trailing"] - frame["realized_forward"]
    summary = {
        "days": float(len(frame)),
        "mean_implied": float(frame["implied"].mean()),
        "mean_realized": float(frame["realized_forward"].mean()),
        "mean_premium": float(frame["premium"].mean()),
        "share_implied_above": float((frame["premium"] > 0).mean()),
        "correlation": float(frame["implied"].corr(frame["realized_forward"])),
        "rmse_implied": float(np.sqrt((err_iv ** 2).mean())),
        "rmse_trailing": float(np.sqrt((err_rv ** 2).mean())),
    }
    return VolComparison(frame, summary)


def vix_implied() -> pd.Series:
    """Return the VIX (30-day S&P 500 implied vol) bundled in ``arch``, as decimals, 2014-2018."""
    import pandas as pd
    from arch.data import vix

    s = vix.load()["vix"].astype(float) / 100.0
    s.index = pd.DatetimeIndex(s.index)
    return s.rename("vix")
