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
from typing import Any

from pydantic import Field, ValidationError

from tradefleet.orchestrator.config_file import show_key
from tradefleet.orchestrator.errors import ConfigError, ConfigErrors
from tradefleet.orchestrator.sections import (  # noqa: F401  (re-exported: the public config API)
    AccountConfig,
    BotConfig,
    EngineConfig,
    ExecutionConfig,
    KernelConfig,
    PaperConfig,
    PipelineConfig,
    ReplayConfig,
    RiskConfig,
    SecretRef,
    Section,
    _check_secret_ref,
    check_secret_ref,
)
from tradefleet.ai.config import EnsembleConfig, RegimeConfig, VetoConfig
from tradefleet.orchestrator.alerts.config import AlertsConfig
from tradefleet.backtest.config import ValidationConfig
from tradefleet.bots.fleet.config import FleetConfig
from tradefleet.bots.prediction.config import PredictionConfig
from tradefleet.dashboard.config import DashboardConfig, MetricsConfig, TelegramConfig
from tradefleet.ml_models.config import MLConfig
from tradefleet.orchestrator.distributed.config import ScaleConfig
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.options.config import OptionsConfig
from tradefleet.scrapers.config import DataConfig

__all__ = [
    "AccountConfig", "AppConfig", "BotConfig", "EngineConfig", "KernelConfig", "PaperConfig", "PipelineConfig", "ReplayConfig",
    "RiskConfig", "STARTER", "SecretRef", "Section", "check_config", "check_secret_ref", "env_overlay",
    "load_config", "read_toml", "_check_secret_ref",
]

DEFAULT_PATH = Path("tradefleet.toml")
ENV_PREFIX = "TRADEFLEET__"




class AppConfig(KernelConfig):
    """The whole config: the kernel's sections plus every component's."""

    risk: PortfolioRiskConfig = PortfolioRiskConfig()
    regime: RegimeConfig = RegimeConfig()
    fleet: FleetConfig = FleetConfig()
    ensemble: EnsembleConfig = EnsembleConfig()
    veto: VetoConfig = VetoConfig()
    validation: ValidationConfig = ValidationConfig()
    ml: MLConfig = MLConfig()
    dashboard: DashboardConfig = DashboardConfig()
    telegram: TelegramConfig = TelegramConfig()
    metrics: MetricsConfig = MetricsConfig()
    scale: ScaleConfig = ScaleConfig()
    data: DataConfig = DataConfig()
    prediction: PredictionConfig = PredictionConfig()
    execution: ExecutionConfig = ExecutionConfig()
    alerts: AlertsConfig = AlertsConfig()
    options: OptionsConfig = OptionsConfig()


def app_config_class() -> type[AppConfig]:
    """``AppConfig``, extended with the sections other packages register under
    ``tradefleet.sections`` (the built-in components' sections are declared above)."""
    from pydantic import create_model

    from tradefleet.orchestrator.extensions import SECTIONS, discover

    extra: dict[str, Any] = {}
    for ext in discover(SECTIONS):
        if ext.error or not (isinstance(ext.obj, type) and issubclass(ext.obj, Section)):
            raise ConfigError(f"config section plugin {ext.name} ({ext.target}): "
                              f"{ext.error or 'not a Section subclass'}")
        if ext.name in AppConfig.model_fields:
            raise ConfigError(f"config section plugin {ext.name} ({ext.target}): [{ext.name}] is a built-in section")
        extra[ext.name] = (ext.obj, ext.obj())
    if not extra:
        return AppConfig
    return create_model("AppConfig", __base__=AppConfig, **extra)


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
        key = show_key(err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else " ".join(str(err["msg"]).split())
        lines.append(f"{source}: {key}: {msg}")
    return lines


def read_toml(path: Path) -> dict[str, Any]:
    """Read and parse a TOML config file, or raise a one-line ConfigError (file kind,
    encoding, ``FILE:LINE`` syntax)."""
    from tradefleet.orchestrator.config_file import read_toml as read

    return read(path)


def check_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> tuple[AppConfig | None, list[str]]:
    """Validate a config; return it (or None) and every error as 'file: key: reason'."""
    env = os.environ if environ is None else environ
    source = str(path) if path is not None else "(defaults)"
    try:
        data = read_toml(path) if path is not None else {}
    except ConfigError as exc:
        return None, [str(exc)]
    try:
        return app_config_class().model_validate(env_overlay(data, env)), []
    except ValidationError as exc:
        return None, _format_errors(source, exc)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Load ``path`` (or ./tradefleet.toml if present, else the embedded defaults)."""
    if path is None and DEFAULT_PATH.exists():
        path = DEFAULT_PATH
    cfg, errors = check_config(path, environ)
    if cfg is None:
        raise ConfigErrors(errors)
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
fill = "next-open"         # market orders: "next-open" (next bar's open) or "close" (the decision bar's close)
limit_fill = "through"     # a limit fills on "through" (traded past it) or "touch"
same_bar = "adverse"       # take-profit and stop in one bar: "adverse" or "favourable" fills first
max_volume_share = 0.1     # an order takes at most this share of a bar's volume (0 = no cap)
latency_ms = 0.0           # decision to arrival at the venue

[pipeline]
stages = ["regime", "ensemble", "veto", "fleet", "risk"]   # gates in order; "risk" must be last

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

# Component sections, rendered from their models so the starter never drifts from the code.
_KERNEL_SECTIONS = ("engine", "replay", "paper", "pipeline", "bots", "accounts", "mode")


def _toml_value(value: Any) -> str | None:
    import json

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str, bool)) for v in value):
        return "[" + ", ".join(_toml_value(v) or "" for v in value) + "]"
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, dict) and all(isinstance(v, (int, float, str, bool)) for v in value.values()):
        return "{ " + ", ".join(f"{json.dumps(k) if not str(k).isidentifier() else k} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    return None


def render_section(name: str, model: Section) -> list[str]:
    """Commented TOML for one section: every simple key with its default and description."""
    lines = [f"# [{name}]"]
    nested = []
    for key, field in type(model).model_fields.items():
        value = getattr(model, key)
        if isinstance(value, Section):
            nested.append((f"{name}.{key}", value))
            continue
        rendered = _toml_value(value)
        note = f"   # {field.description}" if field.description else ""
        lines.append(f"# {key} = {rendered}{note}" if rendered is not None
                     else f"#   ({key}: unset by default{'; ' + field.description if field.description else ''})")
    for sub, value in nested:
        lines += [""] + render_section(sub, value)
    return lines


def starter_text() -> str:
    """The starter config: the kernel's sections by hand, every other section rendered."""
    out = [STARTER, "# ---- Component sections (defaults shown; uncomment to change) ----", ""]
    cls = app_config_class()
    defaults = cls()
    # component sections in declaration order; [execution] (a kernel section) last, as it always was
    names = [n for n in cls.model_fields if n != "execution"] + ["execution"]
    for name in names:
        if name in _KERNEL_SECTIONS or name == "risk":
            continue
        out += render_section(name, getattr(defaults, name)) + [""]
    out += render_section("risk", defaults.risk) + [""]
    return "\n".join(out)
