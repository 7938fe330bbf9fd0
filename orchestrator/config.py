"""Configuration: ``tradefleet.toml`` validated into frozen pydantic models.

Unknown keys are rejected; ``TRADEFLEET__SECTION__KEY=value`` environment variables
overlay the file (values parse as TOML literals, else as strings); secrets appear only as
references to environment variables (``"env:NAME"``) and are resolved to ``SecretStr`` at
use. Every error names the file, the key and the reason.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from orchestrator.errors import ConfigError

DEFAULT_PATH = Path("tradefleet.toml")
ENV_PREFIX = "TRADEFLEET__"


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
        return SecretStr(env[name])


def _check_secret_ref(value: str | None) -> SecretRef | None:
    if value is None:
        return None
    if not value.startswith("env:") or len(value) <= 4:
        raise ValueError("secrets must be references to environment variables, like 'env:ALPACA_API_KEY'")
    return SecretRef(value)


from ai.config import EnsembleConfig, RegimeConfig, VetoConfig  # noqa: E402  (needs Section above)


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


class PaperConfig(Section):
    spread_bps: float = Field(2.0, ge=0)
    slippage_bps: float = Field(1.0, ge=0)
    fee_bps: float = Field(1.0, ge=0)


class RiskConfig(Section):
    position_pct: float = Field(0.10, gt=0, le=1, description="equity fraction per new position")
    max_position_pct: float = Field(0.20, gt=0, le=1)
    max_positions: int = Field(25, ge=1)
    allow_short: bool = True


class PipelineConfig(Section):
    stages: list[str] = Field(default_factory=lambda: ["risk"])

    @field_validator("stages")
    @classmethod
    def _risk_last(cls, v: list[str]) -> list[str]:
        if not v or v[-1] != "risk":
            raise ValueError("the last stage must be 'risk': no order reaches a broker without it")
        if len(set(v)) != len(v):
            raise ValueError("a stage is listed twice")
        return v


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
        return _check_secret_ref(v)


from risk.config import PortfolioRiskConfig  # noqa: E402  (subclasses RiskConfig above)
from backtest.config import ValidationConfig  # noqa: E402  (needs Section above)
from ml_models.config import MLConfig  # noqa: E402  (needs Section above)
from dashboard.config import DashboardConfig, MetricsConfig, TelegramConfig  # noqa: E402
from orchestrator.distributed.config import ScaleConfig  # noqa: E402  (needs Section above)


class AppConfig(Section):
    engine: EngineConfig = EngineConfig()
    replay: ReplayConfig = ReplayConfig()
    paper: PaperConfig = PaperConfig()
    risk: PortfolioRiskConfig = PortfolioRiskConfig()
    pipeline: PipelineConfig = PipelineConfig()
    bots: dict[str, BotConfig] = Field(default_factory=dict)
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)
    mode: Literal["replay", "paper", "live"] = "replay"
    regime: RegimeConfig = RegimeConfig()
    ensemble: EnsembleConfig = EnsembleConfig()
    veto: VetoConfig = VetoConfig()
    validation: ValidationConfig = ValidationConfig()
    ml: MLConfig = MLConfig()
    dashboard: DashboardConfig = DashboardConfig()
    telegram: TelegramConfig = TelegramConfig()
    metrics: MetricsConfig = MetricsConfig()
    scale: ScaleConfig = ScaleConfig()


def env_overlay(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Return ``data`` with every ``TRADEFLEET__A__B=v`` variable applied as ``a.b = v``."""
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for key, raw in sorted(environ.items()):
        if not key.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in key[len(ENV_PREFIX):].split("__") if p]
        if not path:
            continue
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
            node[part] = child = dict(child)
            node = child
        node[path[-1]] = _parse_env_value(raw)
    return out


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _format_errors(source: str, exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{source}: {key}: {msg}")
    return lines


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file or raise ConfigError with the file and position."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (run 'tradefleet init' to write one)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def check_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> tuple[AppConfig | None, list[str]]:
    """Validate a config; return it (or None) and every error as 'file: key: reason'."""
    env = os.environ if environ is None else environ
    source = str(path) if path is not None else "(defaults)"
    try:
        data = read_toml(path) if path is not None else {}
    except ConfigError as exc:
        return None, [str(exc)]
    try:
        return AppConfig.model_validate(env_overlay(data, env)), []
    except ValidationError as exc:
        return None, _format_errors(source, exc)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Load ``path`` (or ./tradefleet.toml if present, else the embedded defaults)."""
    if path is None and DEFAULT_PATH.exists():
        path = DEFAULT_PATH
    cfg, errors = check_config(path, environ)
    if cfg is None:
        more = f" (and {len(errors) - 1} more; run 'tradefleet config check')" if len(errors) > 1 else ""
        raise ConfigError(errors[0] + more)
    return cfg


STARTER = '''\
# tradefleet configuration. Every key is optional; the values shown are the defaults.
# Environment variables override any key: TRADEFLEET__ENGINE__STARTING_CASH=50000
# Secrets are never written here, only references: api_key = "env:ALPACA_API_KEY"

mode = "replay"            # replay (bundled history on a simulated clock) | paper | live

[engine]
store_url = "sqlite:///var/tradefleet.db"   # any SQLAlchemy URL, e.g. postgresql+psycopg://...
starting_cash = 100000.0
currency = "USD"
timezone = "America/New_York"              # fleet timezone (daily resets, reports)
control_poll_seconds = 1.0                 # how often a run picks up pause/resume/halt

[replay]
speed = 0.0                # simulated seconds per wall second; 0 = as fast as it computes
# start = "2008-01-01"
# end = "2012-12-31"
# [replay.data]            # symbol -> bundled dataset name or a CSV/Parquet path
# SPX = "data/spx.csv"

[paper]
spread_bps = 2.0           # quoted spread around the bar close
slippage_bps = 1.0
fee_bps = 1.0

[risk]
position_pct = 0.10        # equity fraction for a new position
max_position_pct = 0.20
max_positions = 25
allow_short = true

[pipeline]
stages = ["risk"]          # gates in order; "risk" must be last

# Per-bot overrides, by registered name (see 'tradefleet bots list'):
# [bots.spx-sma-trend]
# enabled = true
# params = { fast = 20, slow = 100 }

# Broker accounts (live trading needs live = true here AND 'tradefleet run --live'):
# [accounts.alpaca]
# venue = "alpaca"
# live = false
# api_key = "env:ALPACA_API_KEY"
# api_secret = "env:ALPACA_API_SECRET"
'''
