"""One validation pass before any side effect.

``config check``, ``run``, ``leader``, ``worker``, ``dashboard`` and ``telegram`` all call
:func:`preflight` before they create, open or contact anything. It covers what any of
them would refuse later: the file (kind, encoding, syntax), the models (types, ranges,
unknown keys), then the meaning of the values: timezones, cron and intervals, sane
magnitudes, bot names and their params, stage / venue / provider / source / veto names
against the registry, dates, data paths, regime markets, store URLs and secret references.

Every error is one line ``FILE: KEY: reason`` (``FILE:LINE: reason`` for syntax), and all
of them are listed at once (:class:`~tradefleet.orchestrator.errors.ConfigErrors`, exit 2).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.config_file import show_key, show_value
from tradefleet.orchestrator.errors import ConfigErrors, TradefleetError

if TYPE_CHECKING:
    from tradefleet.app.config import AppConfig
    from tradefleet.orchestrator.registry import Registry

MAGNITUDE = 1e12  # no count, amount or duration in a config is larger; 1e308 cash or 10**20 positions are typos
Problem = tuple[tuple[object, ...], str]  # (key path, reason)


def preflight(path: Path | None = None, environ: Mapping[str, str] | None = None, *,
              registry: Registry | None = None, needs: Iterable[str] = ()) -> AppConfig:
    """Return the validated config or raise ConfigErrors listing every problem (nothing is touched)."""
    cfg, errors = check_all(path, environ, registry=registry, needs=needs)
    if cfg is None or errors:
        raise ConfigErrors(errors)
    return cfg


def check_all(path: Path | None = None, environ: Mapping[str, str] | None = None, *,
              registry: Registry | None = None, needs: Iterable[str] = ()) -> tuple[AppConfig | None, list[str]]:
    """Validate file, models and meaning; return the config (None if the models fail) and every error."""
    from tradefleet.app.config import DEFAULT_PATH, check_config

    env = os.environ if environ is None else environ
    if path is None and DEFAULT_PATH.exists():
        path = DEFAULT_PATH
    cfg, errors = check_config(path, env)
    if cfg is None:
        return None, errors
    source = str(path) if path is not None else "(defaults)"
    if registry is None:
        from tradefleet.orchestrator.registry import Registry

        registry = Registry.discover()
    problems = list(semantic_problems(cfg, registry, env, set(needs)))
    return cfg, [f"{source}: {show_key(key)}: {reason}" for key, reason in problems]


def semantic_problems(cfg: AppConfig, registry: Registry, environ: Mapping[str, str],
                      needs: set[str]) -> Iterator[Problem]:
    """Every problem with the meaning of a validated config, as (key path, reason)."""
    for check in CHECKS:
        yield from check(cfg, registry, environ, needs)


# -- values anywhere in the config ---------------------------------------------------------
def _walk(obj: Any, key: tuple[object, ...] = ()) -> Iterator[tuple[tuple[object, ...], Any]]:
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), (*key, name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, (*key, k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _walk(v, (*key, i))
    else:
        yield key, obj


def _magnitudes(cfg: AppConfig, *_: Any) -> Iterator[Problem]:
    for key, value in _walk(cfg):
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            yield key, f"{value} is not a finite number"
        elif abs(value) > MAGNITUDE:
            yield key, f"{show_value(value)} is beyond any sane setting (at most {MAGNITUDE:.0e})"


def timezone_problem(name: object) -> str | None:
    """Why ``name`` is not a usable IANA timezone (None if it is)."""
    from zoneinfo import ZoneInfo

    if not isinstance(name, str) or not name.strip():
        return "empty timezone; use an IANA name like 'America/New_York' or 'UTC'"
    if not name.isascii() or not name.isprintable() or ".." in name or name.startswith(("/", "\\")) or "\\" in name:
        return f"{show_value(name)} is not an IANA timezone name (like 'America/New_York' or 'UTC')"
    try:
        ZoneInfo(name)
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError, OSError, IsADirectoryError...
        return f"unknown timezone {show_value(name)} (use an IANA name like 'America/New_York' or 'UTC')"
    return None


def _timezones(cfg: AppConfig, *_: Any) -> Iterator[Problem]:
    for key, value in _walk(cfg):
        if key and (str(key[-1]) in ("timezone", "tz") or str(key[-1]).endswith("_timezone")) and value is not None:
            why = timezone_problem(value)
            if why:
                yield key, why


def _schedules(cfg: AppConfig, *_: Any) -> Iterator[Problem]:
    from tradefleet.orchestrator.bot import Schedule
    from tradefleet.orchestrator.scheduler import build_trigger

    try:
        build_trigger(Schedule.crontab(cfg.ml.retrain_cron, timezone="UTC"))  # exactly as the runner builds it
    except TradefleetError as exc:
        yield ("ml", "retrain_cron"), str(exc)
    except Exception as exc:  # noqa: BLE001 - pydantic or APScheduler refusing the expression
        yield ("ml", "retrain_cron"), f"{show_value(cfg.ml.retrain_cron)}: {' '.join(str(exc).split())[:200]}"


# -- names against the registry ------------------------------------------------------------
def _unknown(kind: str, name: object, known: Iterable[str], see: str = "") -> str:
    import difflib

    names = sorted(known)
    close = difflib.get_close_matches(str(name), names, n=3) if isinstance(name, str) and len(name) < 200 else []
    listing = see or f"registered: {', '.join(names) or 'none'}"
    hint = f"; did you mean {', '.join(close)}?" if close else f" ({listing})"
    return f"no {kind} named {show_value(name)}{hint}"


def _bots(cfg: AppConfig, registry: Registry, *_: Any) -> Iterator[Problem]:
    records = registry.records["bots"]
    see = "see 'tradefleet bots list'"
    for name, bot_cfg in cfg.bots.items():
        if not name.strip():
            yield ("bots", name), f"empty bot name ({see})"
            continue
        rec = records.get(name)
        if rec is None:
            yield ("bots", name), _unknown("bot", name, records, see)
            continue
        if rec.obj is None:
            continue  # a broken plugin: run reports it; its params cannot be checked
        yield from _params(("bots", name, "params"), rec.obj, bot_cfg.params)
    for key, names in (("fleet", "members"), ("risk", "bots")):
        section = getattr(cfg, key, None)
        values = getattr(section, names, None) if section is not None else None
        for i, name in enumerate(values or []):
            if name not in records:
                yield ((key, names, i) if isinstance(values, list) else (key, names, name)), \
                    _unknown("bot", name, records, see)


def _params(key: tuple[object, ...], spec: Any, params: Mapping[str, Any]) -> Iterator[Problem]:
    from pydantic import ValidationError

    try:
        spec.bot.Params(**{**spec.params, **params})
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"]) or ("(params)",)
            yield (*key, *loc), f"{' '.join(str(err['msg']).split())} (got {show_value(err.get('input'))})" \
                if err["type"] != "extra_forbidden" else f"unknown param (bot {spec.name} takes: " \
                f"{', '.join(spec.bot.Params.model_fields) or 'none'})"
    except Exception as exc:  # noqa: BLE001 - a params model may raise anything from its validators
        yield key, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _names(cfg: AppConfig, registry: Registry, *_: Any) -> Iterator[Problem]:
    gates, brokers = registry.records["gates"], registry.records["brokers"]
    for i, stage in enumerate(cfg.pipeline.stages):
        if stage not in gates:
            yield ("pipeline", "stages", i), _unknown("pipeline stage", stage, gates)
    for name, acct in cfg.accounts.items():
        if acct.venue not in brokers:
            yield ("accounts", name, "venue"), _unknown("venue", acct.venue, brokers)
    providers = registry.records["providers"]
    for i, name in enumerate(cfg.data.chain):
        if name not in providers:
            yield ("data", "chain", i), _unknown("data provider", name, providers)
    sources = registry.records["sources"]
    for i, name in enumerate(cfg.ensemble.sources):
        if name not in sources:
            yield ("ensemble", "sources", i), _unknown("ensemble source", name, sources)
    for name in cfg.ensemble.weights:
        if name not in sources:
            yield ("ensemble", "weights", name), _unknown("ensemble source", name, sources)
    vetoes = registry.records["vetoes"]
    for i, name in enumerate(cfg.veto.providers):
        if name not in vetoes:
            yield ("veto", "providers", i), _unknown("veto provider", name, vetoes)


# -- dates, data, regime markets, stores, secrets -----------------------------------------------
def _dates(cfg: AppConfig, *_: Any) -> Iterator[Problem]:
    from tradefleet.app.cli.args import parse_date

    parsed = {}
    for field in ("start", "end"):
        raw = getattr(cfg.replay, field)
        if raw is None:
            continue
        try:
            parsed[field] = parse_date(raw)
        except ValueError as exc:
            yield ("replay", field), str(exc)
    if len(parsed) == 2 and parsed["start"] > parsed["end"]:
        yield ("replay", "end"), f"{cfg.replay.end} is before replay.start {cfg.replay.start}"


def data_path_problem(source: str) -> str | None:
    """Why ``source`` (a bundled dataset name or a bar-file path) cannot be loaded (None if it can)."""
    from tradefleet.scrapers.bundled import DATASETS

    if source in DATASETS:
        return None
    if not source.strip():
        return f"empty; give a bundled dataset ({', '.join(sorted(DATASETS))}) or a CSV/Parquet path"
    p = Path(source)
    try:
        if p.is_dir():
            return f"{show_value(source)} is a directory, not a bar file"
        if not p.is_file():
            return (f"{show_value(source)} is neither a bundled dataset ({', '.join(sorted(DATASETS))}) "
                    "nor an existing CSV/Parquet file")
    except OSError as exc:
        return f"{show_value(source)}: {exc.strerror or exc}"
    if p.suffix.lower() not in (".csv", ".parquet", ".pq", ".gz"):
        return f"{show_value(source)}: use a .csv, .csv.gz or .parquet file"
    return None


def _data(cfg: AppConfig, *_: Any) -> Iterator[Problem]:
    for section, field in (("replay", "data"), ("data", "files")):
        for sym, source in getattr(getattr(cfg, section), field).items():
            why = data_path_problem(source)
            if why:
                yield (section, field, sym), why


def _regime(cfg: AppConfig, *_: Any) -> Iterator[Problem]:
    from tradefleet.orchestrator.domain import AssetClass
    from tradefleet.scrapers.bundled import BY_SYMBOL

    classes = {a.value for a in AssetClass}
    mapped = set(cfg.replay.data) | set(cfg.data.files) | set(BY_SYMBOL)
    for asset, market in cfg.regime.markets.items():
        if asset not in classes:
            yield ("regime", "markets", asset), f"unknown asset class (use {', '.join(sorted(classes))})"
        if cfg.mode == "replay" and market not in mapped:
            yield ("regime", "markets", asset), (f"market {show_value(market)} has no data in a replay (bundled: "
                                                 f"{', '.join(sorted(BY_SYMBOL))}; or map it under [replay.data])")


def store_url_problem(url: str) -> str | None:
    """Why SQLAlchemy could not open ``url`` (None if its form and dialect are known); nothing is connected."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{show_value(url)} is not a database URL (like sqlite:///var/tradefleet.db or postgresql+psycopg://...)"
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        return (f"unknown scheme {show_value(parsed.drivername)} (use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DB)")
    except Exception as exc:  # noqa: BLE001 - a dialect whose driver is not installed
        return f"scheme {show_value(parsed.drivername)}: {' '.join(str(exc).split())[:200]}"
    return None


def _stores(cfg: AppConfig, *_: Any) -> Iterator[Problem]:
    why = store_url_problem(cfg.engine.store_url)
    if why:
        yield ("engine", "store_url"), why


def _secrets(cfg: AppConfig, _registry: Registry, environ: Mapping[str, str], needs: set[str]) -> Iterator[Problem]:
    """Secret references that will be resolved must name a set variable."""
    used: list[tuple[tuple[object, ...], str | None]] = []
    if cfg.mode in ("paper", "live"):
        for name, acct in cfg.accounts.items():
            used += [(("accounts", name, "api_key"), acct.api_key), (("accounts", name, "api_secret"), acct.api_secret)]
    if cfg.telegram.enabled or "telegram" in needs:
        used.append((("telegram", "token"), cfg.telegram.token))
        if cfg.telegram.token is None:
            yield ("telegram", "token"), "set [telegram].token = 'env:TELEGRAM_BOT_TOKEN' (the token from @BotFather)"
    if cfg.dashboard.enabled or "dashboard" in needs:
        used += [(("dashboard", "secret_key"), cfg.dashboard.secret_key),
                 (("dashboard", "password_hash"), cfg.dashboard.password_hash)]
    for key, ref in used:
        if ref is not None and str(ref).startswith("env:") and str(ref)[4:] not in environ:
            yield key, f"environment variable {str(ref)[4:]} is not set (referenced as {ref})"


CHECKS: tuple[Callable[..., Iterator[Problem]], ...] = (
    _magnitudes, _timezones, _schedules, _bots, _names, _dates, _data, _regime, _stores, _secrets,
)
