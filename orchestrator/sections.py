"""Config section bases and the kernel's own sections.

Component packages define their sections on :class:`Section` from here (not from
:mod:`tradefleet.app.config`, which assembles every section into ``AppConfig``), so any
config module can be imported first without an import cycle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from tradefleet.orchestrator.errors import ConfigError


class Section(BaseModel):
    """Base of every config section: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SecretRef(str):
    """A reference to a secret held in an environment variable: ``env:NAME``."""

    def resolve(self, environ: Mapping[str, str] | None = None) -> SecretStr:
        """Return the secret, or raise ConfigError naming the missing variable."""
        env = os.environ if environ is None else environ
        name = self.removeprefix("env:")
        if name not in env:
            raise ConfigError(f"secret {self}: environment variable {name} is not set")
        from tradefleet.orchestrator.redaction import REDACTOR

        REDACTOR.add(env[name])  # every resolved secret is masked in every log record from now on
        return SecretStr(env[name])


def check_secret_ref(value: str | None) -> SecretRef | None:
    """Accept only ``env:NAME`` references (None passes)."""
    if value is None:
        return None
    if not value.startswith("env:") or len(value) <= 4:
        raise ValueError("secrets must be references to environment variables, like 'env:ALPACA_API_KEY'")
    return SecretRef(value)



class EngineConfig(Section):
    store_url: str = "sqlite:///var/tradefleet.db"
    starting_cash: float = Field(100_000.0, gt=0)
    currency: str = "USD"
    timezone: str = "America/New_York"
    control_poll_seconds: float = Field(1.0, gt=0)


class ReplayConfig(Section):
    speed: float = Field(0.0, ge=0, description="simulated seconds per wall second; 0 = as fast as it computes")
    start: str | None = None
    end: str | None = None
    data: dict[str, str] = Field(default_factory=dict, description="symbol -> dataset name or CSV/Parquet path")
    news: str | None = Field(None, description="recorded headlines (CSV/Parquet: published, instrument, title[, score]) "
                             "the news source votes from in a replay; none: it abstains")
    funding: str | None = Field(None, description="recorded perpetual funding (CSV/Parquet: ts, instrument, funding_rate"
                                "[, open_interest]) the derivatives source votes from in a replay; none: it abstains")
    snapshots: str = Field("synthetic_session", description=("prediction-market session the event bots replay: a bundled name "
                                                                 "or a folder written by tradefleet data record"))


class PaperConfig(Section):
    spread_bps: float = Field(2.0, ge=0)
    slippage_bps: float = Field(1.0, ge=0)
    fee_bps: float = Field(1.0, ge=0)
    fill: Literal["next-open", "close"] = Field(
        "next-open", description="market orders fill at the next bar's open, or at the close of the bar they were decided on")
    limit_fill: Literal["through", "touch"] = Field(
        "through", description="a limit fills when a bar trades through it, or already when it touches it")
    same_bar: Literal["adverse", "favourable"] = Field(
        "adverse", description="which of take-profit and stop fills first when one bar reaches both")
    max_volume_share: float = Field(0.1, ge=0, le=1, description="most of a bar's volume one order takes (0 = no cap)")
    latency_ms: float = Field(0.0, ge=0, description="delay between an order's decision and its arrival")
    fee_per_contract: float = Field(0.65, ge=0, description="option fee per contract (instead of fee_bps)")
    option_improvement: float = Field(
        0.0, ge=0, le=1, description="option fills inside the spread: share of the half-spread given back "
        "(0 = at the bid/ask, 1 = at the mid)")


class RiskConfig(Section):
    position_pct: float = Field(0.10, gt=0, le=1, description="equity fraction per new position")
    max_position_pct: float = Field(0.20, gt=0, le=1)
    max_positions: int = Field(25, ge=1)
    allow_short: bool = True


class PipelineConfig(Section):
    stages: list[str] = Field(default_factory=lambda: ["regime", "ensemble", "veto", "fleet", "risk"])

    @field_validator("stages")
    @classmethod
    def _risk_last(cls, v: list[str]) -> list[str]:
        if not v or not v[-1].endswith("risk"):
            raise ValueError("the last stage must be a risk gate ('risk', or the kernel's 'basic-risk'): "
                             "no order reaches a broker without it")
        if len(set(v)) != len(v):
            raise ValueError("a stage is listed twice")
        return v


class ExecutionConfig(Section):
    """The execution layer between the risk gate and the order manager (issue 22)."""

    default_algorithm: str | None = Field("twap", description="algorithm for large orders without a spec; "
                                          "empty/None: every order goes as one market order")
    horizon_s: float = Field(3600.0, gt=0, le=30 * 86_400, description="default algorithm's horizon")
    interval_s: float = Field(300.0, gt=0, le=86_400, description="default algorithm's slice interval")
    participation: float | None = Field(0.1, gt=0, le=1, description="cap every child at this share of bar volume")
    min_adv_share: float | None = Field(0.05, gt=0, description="orders at least this share of average daily "
                                        "volume are worked by the default algorithm")
    min_notional: float | None = Field(None, gt=0, le=1e15, description="orders at least this notional are worked")
    adv_bars: int = Field(20, ge=1, le=10_000, description="bars in the average-volume and volatility window")
    impact_check: bool = Field(True, description="refuse or shrink entries whose expected cost eats their edge")
    default_edge_bps: float = Field(50.0, gt=0, le=10_000, description="expected edge of a signal with no "
                                    "target or stop, in bps of its price")
    max_cost_share: float = Field(0.5, gt=0, le=1, description="largest share of the expected edge the "
                                  "expected cost may take")
    calibrate_every: str | None = Field("1d", description="paper and live runs refit the impact model and the "
                                        "paper slippage from LIVE child fills this often (a duration: 1d, 12h); "
                                        "none/empty: never (tradefleet tca-calibrate still does it by hand)")
    calibrate_accounts: list[str] | None = Field(None, description="the live venue accounts whose fills "
                                                 "calibrate (default: every account with live = true)")
    calibrate_min_samples: int = Field(20, ge=1, le=1_000_000, description="child fills an instrument needs "
                                       "before it is calibrated")
    paper_calibration: bool = Field(True, description="the paper broker prices an instrument's slippage with "
                                    "its newest stored calibration (its fills record the version)")

    @field_validator("calibrate_every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        if v is None or not str(v).strip() or str(v).strip().lower() == "none":
            return None
        from tradefleet.orchestrator.duration import parse_duration

        try:
            parse_duration(v, "execution.calibrate_every")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return str(v).strip()


class BotConfig(Section):
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


class AccountConfig(Section):
    venue: str
    live: bool = False
    base_url: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    account_id: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("api_key", "api_secret")
    @classmethod
    def _secret_refs(cls, v: str | None) -> SecretRef | None:
        return check_secret_ref(v)


_check_secret_ref = check_secret_ref  # the name component configs first used


class KernelConfig(Section):
    """The sections the kernel itself reads.

    The app's ``AppConfig`` extends it with every component's section (``[regime]``,
    ``[veto]``, ``[dashboard]`` ...) and the portfolio risk section; kernel code and
    components type a whole config as ``KernelConfig`` so they never import the app.
    """

    engine: EngineConfig = EngineConfig()
    replay: ReplayConfig = ReplayConfig()
    paper: PaperConfig = PaperConfig()
    risk: RiskConfig = RiskConfig()
    pipeline: PipelineConfig = PipelineConfig()
    bots: dict[str, BotConfig] = Field(default_factory=dict)
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)
    mode: Literal["replay", "paper", "live"] = "replay"
    execution: ExecutionConfig = ExecutionConfig()
