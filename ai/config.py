"""Config sections of the signal-intelligence layers: ``[regime]``, ``[ensemble]``, ``[veto]``.

LLM providers share one section shape (:class:`LLMConfig`); API keys are references to
environment variables (``"env:ANTHROPIC_API_KEY"``), never the keys themselves.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tradefleet.orchestrator.sections import SecretRef, Section, _check_secret_ref

REGIME_LABELS = ("bull", "bear", "sideways")

DEFAULT_WEIGHTS: dict[str, float] = {
    "ml": 20.0,
    "llm_analyst": 15.0,
    "mtf": 15.0,
    "consensus": 10.0,
    "technical": 10.0,
    "derivatives": 10.0,
    "macro": 10.0,
    "news": 5.0,
    "whale": 10.0,  # large-order flow of binary contracts; abstains on everything else
}


class LLMConfig(Section):
    """One LLM endpoint: Anthropic, OpenAI, or an OpenAI-compatible server (Ollama, vLLM)."""

    provider: Literal["anthropic", "openai"]
    model: str
    base_url: str | None = None
    api_key: str | None = Field(None, description="env:NAME reference; None for a local server")
    timeout_seconds: float = Field(20.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
    max_backoff_seconds: float = Field(30.0, ge=0)
    daily_budget: int = Field(500, ge=0, description="calls per UTC day, cache hits excluded")
    max_tokens: int = Field(400, ge=16)
    temperature: float = Field(0.0, ge=0, le=2)
    cache_path: str = "var/llm_cache.sqlite"

    @field_validator("api_key")
    @classmethod
    def _secret_ref(cls, v: str | None) -> SecretRef | None:
        return _check_secret_ref(v)


class RegimeMarketConfig(Section):
    """Per-market feature settings (coarse series need shorter windows)."""

    vol_window: int | None = Field(None, ge=2)
    min_fit_bars: int | None = Field(None, ge=30)


class RegimeConfig(Section):
    """The HMM regime filter: one model per market, refit on a schedule, forward-filtered."""

    markets: dict[str, str] = Field(
        default_factory=lambda: {"equity": "SPX", "index": "SPX", "option": "SPX", "crypto": "BTC/USD",
                                 "fx": "EUR/USD"},
        description="asset class -> the market series whose regime governs it",
    )
    instrument_markets: dict[str, str] = Field(default_factory=dict, description="per-instrument override")
    n_states: Literal[3] = 3
    n_iter: int = Field(300, ge=200, description="EM iterations (hmmlearn's default of 10 is far from converged)")
    tol: float = Field(1e-4, gt=0)
    vol_window: int = Field(20, ge=2, description="bars in the rolling volatility feature")
    min_fit_bars: int = Field(120, ge=30)
    per_market: dict[str, RegimeMarketConfig] = Field(
        default_factory=lambda: {"BTC/USD": RegimeMarketConfig(vol_window=6, min_fit_bars=60)},
        description="overrides by market; the bundled BTC/USD series is monthly (156 bars)")
    refit_every_days: float = Field(91.0, gt=0, description="refits on a fixed grid: multiples of this since the epoch")
    seed: int = 7
    size_multipliers: dict[str, float] = Field(
        default_factory=lambda: {"bull": 1.0, "sideways": 0.75, "bear": 0.5})
    on_unknown: Literal["pass", "reject"] = "pass"
    max_stale_days: float = Field(45.0, gt=0, description="older regime market data counts as unknown")
    model_dir: str = "var/regime/models"
    fit_workers: int | None = Field(
        None, ge=0, description="replay: worker processes fitting the coming refits ahead of the clock "
        "(0: fit in the loop; default: the usable cores when there are two or more, else 0)")
    history_dir: str = "var/regime/history"

    def window(self, market: str) -> int:
        """Return the volatility window of ``market``."""
        over = self.per_market.get(market)
        return over.vol_window if over is not None and over.vol_window is not None else self.vol_window

    def fit_settings(self, market: str) -> str:
        """The settings a fit of ``market`` depends on, as they enter a stored model's key: a
        model fitted with another window, iteration cap, tolerance or seed is never reused."""
        return f"window={self.window(market)};n_iter={self.n_iter};tol={self.tol!r};seed={self.seed}"

    def min_bars(self, market: str) -> int:
        """Return how many bars ``market`` needs before a fit: min rows plus the window."""
        over = self.per_market.get(market)
        rows = over.min_fit_bars if over is not None and over.min_fit_bars is not None else self.min_fit_bars
        return rows + self.window(market) + 1

    @field_validator("size_multipliers")
    @classmethod
    def _multipliers(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = set(v) - set(REGIME_LABELS)
        if unknown:
            raise ValueError(f"unknown regimes {sorted(unknown)}; use {', '.join(REGIME_LABELS)}")
        bad = {k: x for k, x in v.items() if not 0.0 < x <= 1.0}
        if bad:
            raise ValueError(f"multipliers must be in (0, 1] (a gate can only shrink a size): {bad}")
        return v


class EnsembleConfig(Section):
    """The weighted ensemble of sources and its thresholds."""

    sources: list[str] = Field(default_factory=lambda: list(DEFAULT_WEIGHTS))
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    history_bars: int = Field(512, ge=64, description="bars of the instrument handed to the sources")
    pass_threshold: float = Field(0.05, ge=-1, le=1, description="aligned score at or above: pass")
    reject_threshold: float = Field(0.30, ge=0, le=1, description="aligned score at or below minus this: reject")
    min_scale: float = Field(0.25, gt=0, le=1)
    mtf_factors: list[int] = Field(default_factory=lambda: [1, 4, 12])
    consensus_window_hours: float = Field(24.0, gt=0)
    suppress_opposing: bool = True
    opposing_window_hours: float = Field(24.0, gt=0)
    adaptive: bool = Field(True, description="scale each source's weight by its measured information coefficient "
                           "once enough outcomes exist (bounded; every change is stored in source_weights)")
    ic_log_step: float = Field(0.05, gt=0, le=1, description="store a source's multiplier when it moves this much")
    ic_window: int = Field(60, ge=10, description="resolved votes per source in the rolling IC")
    ic_horizon_bars: int = Field(5, ge=1)
    ic_strength: float = Field(2.0, ge=0, description="weight multiplier = clip(1 + strength * IC, 0, 2)")
    analyst: LLMConfig | None = None

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return v


class VetoConfig(Section):
    """The veto stage: offline rules first, then any LLM reviewers."""

    providers: list[str] = Field(default_factory=lambda: ["rules"])
    on_error: Literal["auto", "reject", "pass"] = Field(
        "auto", description="auto: reject (fail closed) in live mode, pass otherwise")
    stale_bars: float = Field(3.0, gt=0, description="last bar older than this many bar lengths: stale")
    max_entry_drift_pct: float = Field(0.5, ge=0, description="price already past entry by more: reject")
    event_horizon_hours: float = Field(24.0, ge=0)
    event_calendar: str | None = Field(None, description="JSON file of events; None: the bundled FOMC/CPI list")
    closed_trade_cooldown_hours: float = Field(24.0, ge=0)
    session_grace_minutes: float = Field(60.0, ge=0, description="minutes after the close still in session")
    anthropic: LLMConfig | None = None
    openai: LLMConfig | None = None
