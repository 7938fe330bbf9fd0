"""Configuration of the portfolio risk engine: the ``[risk]`` section of tradefleet.toml.

:class:`PortfolioRiskConfig` extends the kernel's :class:`~tradefleet.app.config.RiskConfig`
(so ``position_pct``, ``max_position_pct``, ``max_positions`` and ``allow_short`` keep
their meaning) with one sub-table per concern::

    [risk]
    position_pct = 0.10          # prior sizing fraction (used by the basic gate)
    max_position_pct = 0.20
    max_positions = 25
    allow_short = true
    gross_exposure_pct = 0.80
    max_trades_per_day = 10
    risk_per_trade_pct = 0.02

    [risk.kelly]      # Quarter-Kelly, shrunk toward a prior
    [risk.hrp]        # Hierarchical Risk Parity multiplier
    [risk.daily_loss] # persistent daily-loss halt
    [risk.var]        # pre-trade VaR / CVaR
    [risk.correlation]
    [risk.blockers]
    [risk.exits]
    [risk.breakers]
    [risk.confirm]    # live notional threshold confirmation
    [risk.bots.<bot>] / [risk.fleets.<fleet>]   # per-scope limit overrides
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from tradefleet.orchestrator.sections import RiskConfig, Section


class KellyConfig(Section):
    """Quarter-Kelly sizing from measured outcomes, shrunk toward a prior."""

    fraction: float = Field(0.25, gt=0, le=1, description="Kelly multiplier (0.25 = quarter Kelly)")
    prior_win_rate: float = Field(0.55, gt=0, lt=1)
    prior_payoff: float = Field(1.5, gt=0, description="prior average win / average loss")
    prior_trades: int = Field(30, ge=0, description="pseudo-trades of the prior (shrinkage strength)")
    cap: float = Field(0.20, gt=0, le=1, description="max equity fraction Kelly may ask for")


class HrpConfig(Section):
    """HRP weights across the instruments held plus the candidate, as a size multiplier."""

    enabled: bool = True
    lookback: int = Field(120, ge=10, description="bars of returns for the covariance")
    refresh_seconds: float = Field(604800.0, ge=0, description="recompute at most this often (clock time); a "
                                   "120-bar covariance moves slowly, and a new symbol always forces a rebuild")
    max_multiplier: float = Field(2.0, ge=1, description="cap on n * w_i")


class DailyLossConfig(Section):
    """Halt new entries once the day's loss reaches the limit."""

    pct: float | None = Field(0.05, gt=0, le=1, description="fraction of start-of-day equity")
    amount: float | None = Field(None, gt=0, description="absolute loss in account currency")
    timezone: str | None = Field(None, description="day boundary tz; default [engine].timezone")
    fleet_pct: float | None = Field(None, gt=0, le=1, description="each fleet's daily loss budget: fraction of "
                                    "its capital budget (unset: none)")
    bot_pct: float | None = Field(None, gt=0, le=1, description="each bot's daily loss budget: fraction of its "
                                  "capital budget (unset: none)")
    resume_actors: list[str] = Field(default_factory=lambda: ["operator", "dashboard", "telegram", "cli", "api"])

    @model_validator(mode="after")
    def _one_limit(self) -> DailyLossConfig:
        if self.pct is None and self.amount is None:
            raise ValueError("set daily_loss.pct or daily_loss.amount")
        return self


class VarConfig(Section):
    """Pre-trade portfolio VaR / CVaR limits (fractions of equity, one-bar horizon)."""

    enabled: bool = True
    lookback: int = Field(250, ge=20)
    var95_pct: float = Field(0.03, gt=0)
    var99_pct: float = Field(0.05, gt=0)
    cvar95_pct: float = Field(0.045, gt=0)
    cvar99_pct: float = Field(0.07, gt=0)
    methods: list[str] = Field(default_factory=lambda: ["historical", "parametric"])

    @model_validator(mode="after")
    def _known_methods(self) -> VarConfig:
        bad = set(self.methods) - {"historical", "parametric"}
        if bad:
            raise ValueError(f"unknown VaR methods {sorted(bad)}; use historical, parametric")
        return self


class CorrelationConfig(Section):
    """Cap on the summed exposure of one correlated cluster."""

    threshold: float = Field(0.7, gt=0, lt=1, description="rho above which instruments cluster")
    cluster_cap_pct: float = Field(0.40, gt=0, description="max gross exposure of one cluster / equity")
    lookback: int = Field(120, ge=10)


class BlockersConfig(Section):
    """Contradictory positions, re-entry cooldown and the losing-streak size cut."""

    block_contradictory: bool = True
    cooldown_minutes: float = Field(30.0, ge=0)
    loss_streak: int = Field(10, ge=1, description="consecutive losses that trigger the cut")
    loss_streak_scale: float = Field(0.5, gt=0, le=1)
    recover_wins: int = Field(1, ge=1, description="wins that lift the cut")


class ExitsConfig(Section):
    """Scaled exits: tranches at R multiples, the rest on an ATR trailing stop."""

    enabled: bool = Field(True, description="apply the scaled-exit policy to every position")
    targets_r: list[float] = Field(default_factory=lambda: [1.0, 2.0])
    fractions: list[float] = Field(default_factory=lambda: [0.33, 0.33])
    trail_atr: float = Field(1.5, gt=0)
    breakeven_after_first: bool = True
    default_stop_atr: float = Field(1.5, gt=0, description="R when the signal has no stop")

    @model_validator(mode="after")
    def _tranches(self) -> ExitsConfig:
        if len(self.targets_r) != len(self.fractions):
            raise ValueError("exits.targets_r and exits.fractions must have the same length")
        if any(f <= 0 for f in self.fractions) or sum(self.fractions) >= 1:
            raise ValueError("exits.fractions must be positive and sum below 1 (the rest trails)")
        if sorted(self.targets_r) != self.targets_r or any(t <= 0 for t in self.targets_r):
            raise ValueError("exits.targets_r must be positive and increasing")
        return self


class BreakersConfig(Section):
    """Circuit breakers that move an instrument, asset class, venue or the fleet to REDUCING or HALTED."""

    extreme_move_pct: float = Field(0.10, gt=0, description="|bar return| of a held instrument")
    extreme_move_state: str = Field("reducing", pattern="^(reducing|halted)$")
    extreme_move_reset_seconds: float = Field(3600.0, ge=0)
    stale_after_seconds: float | None = Field(4 * 86400.0, gt=0, description="None disables")
    stale_bars: float = Field(3.0, gt=0, description="or this many bars of the instrument, if longer")
    stale_state: str = Field("halted", pattern="^(reducing|halted)$")
    extreme_move_scope: str = Field("instrument", pattern="^(instrument|asset_class|venue|fleet)$",
                                    description="what an extreme move holds: the instrument (default), its "
                                    "asset class, its venue, or the whole fleet")
    stale_scope: str = Field("instrument", pattern="^(instrument|asset_class|venue|fleet)$",
                             description="what a stale feed holds (default: only the instrument it feeds)")


class ConfirmConfig(Section):
    """Live orders above a notional wait for an operator's confirmation."""

    live_notional_threshold: float | None = Field(25_000.0, gt=0)
    ttl_seconds: float = Field(300.0, gt=0)


class GreeksConfig(Section):
    """Portfolio Greek limits (units of risk/options); set any to turn the check on."""

    max_abs_delta: float | None = Field(None, gt=0, description="shares of underlying")
    max_abs_gamma: float | None = Field(None, gt=0, description="shares per unit of spot")
    max_abs_theta: float | None = Field(None, gt=0, description="currency per year")
    max_abs_vega: float | None = Field(None, gt=0, description="currency per 1.00 of vol")
    max_abs_rho: float | None = Field(None, gt=0, description="currency per 1.00 of rate")
    rate: float = Field(0.0, description="risk-free rate for the default provider's pricer")

    @property
    def enabled(self) -> bool:
        return any(v is not None for v in (self.max_abs_delta, self.max_abs_gamma, self.max_abs_theta,
                                           self.max_abs_vega, self.max_abs_rho))


class ScopeLimits(Section):
    """Limit overrides for one bot or one fleet (unset = inherit the global value)."""

    max_position_pct: float | None = Field(None, gt=0, le=1)
    max_positions: int | None = Field(None, ge=0)
    gross_exposure_pct: float | None = Field(None, gt=0)
    max_trades_per_day: int | None = Field(None, ge=0)
    daily_loss_pct: float | None = Field(None, gt=0, le=1, description="daily loss budget: fraction of this "
                                         "fleet's or bot's capital budget")
    capital_pct: float | None = Field(None, gt=0, le=1, description="capital budget: fraction of account "
                                      "equity this fleet or bot may use (default: an equal share per running bot)")


class OptionsRiskConfig(Section):
    """How the risk gate judges option legs (:mod:`tradefleet.risk.options.gate`)."""

    allow_naked: bool = Field(False, description="allow short calls not covered by shares or long calls "
                              "(and short legs outliving their long hedge)")
    naked_margin: float = Field(0.20, gt=0, le=1, description="reserve of an allowed naked short: this share of "
                                "the uncovered underlying notional")


#: fleets whose capital budget is set unless the config sets it: the portfolio bots (rotation,
#: risk parity, pairs...) allocate the account by target weights, so they get half of it; the
#: other fleets share the rest by their number of running bots (:mod:`tradefleet.risk.budgets`)
DEFAULT_FLEET_CAPITAL: dict[str, float] = {"portfolio": 0.5}


class PortfolioRiskConfig(RiskConfig):
    """The full ``[risk]`` section (a superset of the kernel's RiskConfig)."""

    gross_exposure_pct: float = Field(0.80, gt=0, description="sum |notional| / equity")
    max_trades_per_day: int = Field(10, ge=0)
    risk_per_trade_pct: float = Field(0.02, gt=0, le=1, description="equity lost if the stop is hit")
    min_notional: float = Field(1.0, ge=0, description="orders below this are dropped")
    snapshot_seconds: float = Field(60.0, ge=0, description="how often the CLI report is saved")
    rebuild_seconds: float = Field(300.0, ge=0, description="re-read positions at least this often "
                                   "even without a fill (approved orders count as held until then)")
    kelly: KellyConfig = KellyConfig()
    hrp: HrpConfig = HrpConfig()
    daily_loss: DailyLossConfig = DailyLossConfig()
    var: VarConfig = VarConfig()
    correlation: CorrelationConfig = CorrelationConfig()
    blockers: BlockersConfig = BlockersConfig()
    exits: ExitsConfig = ExitsConfig()
    breakers: BreakersConfig = BreakersConfig()
    confirm: ConfirmConfig = ConfirmConfig()
    greeks: GreeksConfig = GreeksConfig()
    options: OptionsRiskConfig = OptionsRiskConfig()
    bots: dict[str, ScopeLimits] = Field(default_factory=dict)
    fleets: dict[str, ScopeLimits] = Field(
        default_factory=dict, validate_default=True,
        description="per-fleet limits and capital budgets; the portfolio fleet's capital_pct is 0.5 unless set")
    fleet_of: dict[str, str] = Field(default_factory=dict, description="bot -> fleet (default: bot family)")

    @field_validator("fleets", mode="before")
    @classmethod
    def _default_fleet_capital(cls, value: Any) -> Any:
        """A ``[risk.fleets]`` table (or none) keeps the default fleet budgets it does not set itself."""
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for fleet, pct in DEFAULT_FLEET_CAPITAL.items():
            scope = out.get(fleet)
            if scope is None:
                out[fleet] = {"capital_pct": pct}
            elif isinstance(scope, dict) and "capital_pct" not in scope:
                out[fleet] = {**scope, "capital_pct": pct}
        return out
