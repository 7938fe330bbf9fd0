"""The validation gate: may this bot trade real money?

``validate_bot`` backtests the bot over its full bundled history, checks it for
lookahead, runs a walk-forward optimisation, and compares the results with the
``[validation]`` thresholds: at least ``min_trades`` closed trades, win rate >=
``min_win_rate``, Sharpe >= ``min_sharpe``, a clean lookahead check and a walk-forward
out-of-sample Sharpe > ``min_oos_sharpe``. Event-driven bots are validated by quote
replay instead (:mod:`tradefleet.app.quote_replay`): the same trade, win-rate and Sharpe thresholds
on the kernel's replay of their session, and never Go on generated data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from tradefleet.backtest.config import ValidationConfig
from tradefleet.backtest.engine import BacktestResult, SimSettings, run_backtest
from tradefleet.backtest.lookahead import check_lookahead
from tradefleet.backtest.records import Check, ValidationRecord
from tradefleet.backtest.sweep import default_space, grid
from tradefleet.backtest.walkforward import walk_forward
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.clock import Clock, LiveClock
from tradefleet.orchestrator.errors import TradefleetError

if TYPE_CHECKING:
    import pandas as pd

MAX_GRID = 27        # larger parameter grids are searched with Optuna instead
OPTUNA_TRIALS = 24


def data_for(spec: BotSpec) -> tuple[str, pd.DataFrame]:
    """Return the bundled dataset name and frame for the bot's first instrument."""
    from tradefleet.scrapers.bundled import dataset_for, load_dataset

    ds = dataset_for(spec.instruments[0])
    return ds.name, load_dataset(ds.name)


def settings_for(cfg: ValidationConfig) -> SimSettings:
    """Return the simulation settings validation runs use."""
    return SimSettings(fee=cfg.fee, slippage=cfg.slippage)


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def decide(cfg: ValidationConfig, metrics: dict[str, float], lookahead_clean: bool, oos_sharpe: float) -> list[Check]:
    """Return the Go/No-Go checks for a bot's results."""
    def ge(x: float, t: float) -> bool:
        return math.isfinite(x) and x >= t

    return [
        Check("trades", metrics["trades"], f">= {cfg.min_trades}", ge(metrics["trades"], cfg.min_trades)),
        Check("win_rate", _num(metrics["win_rate"]), f">= {cfg.min_win_rate:g}", ge(metrics["win_rate"], cfg.min_win_rate)),
        Check("sharpe", _num(metrics["sharpe"]), f">= {cfg.min_sharpe:g}", ge(metrics["sharpe"], cfg.min_sharpe)),
        Check("lookahead", lookahead_clean, "clean", lookahead_clean or not cfg.require_clean_lookahead),
        Check("wf_oos_sharpe", _num(oos_sharpe), f"> {cfg.min_oos_sharpe:g}",
              math.isfinite(oos_sharpe) and oos_sharpe > cfg.min_oos_sharpe),
    ]


def validate_bot(spec: BotSpec, cfg: ValidationConfig | None = None, frame: pd.DataFrame | None = None,
                 data_name: str | None = None, executor: Executor | None = None, clock: Clock | None = None,
                 progress: Callable[[str], None] | None = None) -> tuple[ValidationRecord, BacktestResult | None]:
    """Validate one bar bot by backtest; return the record (never raises for the bot's own failures).

    Event-driven bots are validated by quote replay, a full replay runtime that the app
    owns (``tradefleet validate`` dispatches them there); here they get a record saying so."""
    c = cfg or ValidationConfig()
    now = (clock or LiveClock()).now_ns()
    if spec.bot.event_driven and getattr(spec.bot, "tick_source", None):
        return ValidationRecord(spec.name, now, False, "-", [],
                                error="event-driven: validated by quote replay (tradefleet validate)"), None
    if spec.bot.event_driven or not spec.bot.supports_backtest:
        return ValidationRecord(spec.name, now, False, "-", [],
                                error="no backtest: event-driven without a tick source to replay"), None
    try:
        if frame is None:
            data_name, frame = data_for(spec)
        name = data_name or "custom"
        settings = settings_for(c)
        step = progress or (lambda _s: None)
        step("backtest")
        res = run_backtest(spec, frame, settings)
        step("lookahead")
        look = check_lookahead(spec.build(), frame, spec.name, c.lookahead_checkpoints)
        step("walk-forward")
        space = default_space(spec, points=3)
        search: Any = "grid" if len(grid(space)) <= MAX_GRID else "optuna"
        wf = walk_forward(spec, frame, folds=c.wf_folds, anchored=c.wf_anchored, search=search, space=space,
                          trials=OPTUNA_TRIALS, settings=settings, executor=executor)
    except TradefleetError as exc:
        return ValidationRecord(spec.name, now, False, data_name or "-", [], error=str(exc)), None
    except Exception as exc:  # noqa: BLE001 - a bot that raises is isolated and reported, never fatal
        msg = f"bot raised {type(exc).__name__}: {' '.join(str(exc).split())}"
        return ValidationRecord(spec.name, now, False, data_name or "-", [], error=msg), None
    checks = decide(c, res.metrics, look.clean, wf.oos_sharpe)
    rec = ValidationRecord(
        bot=spec.name, ts_ns=now, passed=all(ch.passed for ch in checks), data=name, checks=checks,
        metrics=res.metrics_json(), walk_forward=wf.summary(), lookahead=look.as_dict())
    return rec, res
