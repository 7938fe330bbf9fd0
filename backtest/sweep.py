"""Parameter sweeps: many parameter sets of one bot, one pass over the data each.

No broadcast: each combination computes its signals, runs the numba kernel and keeps only
its metrics, so memory stays at one combination's arrays per worker (a 100-combo sweep on
1M bars peaks far below 1 GB) and combinations fan out in chunks over an executor.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradefleet.backtest.engine import SimSettings, run_backtest
from tradefleet.backtest.executor import InlineExecutor, chunks, fan_out
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SweepRow:
    """One parameter combination and its metrics (None if the params were invalid)."""

    params: dict[str, Any]
    metrics: dict[str, float] | None
    error: str = ""


def grid(space: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Return the cartesian product of a ``name -> values`` space as param dicts."""
    names = list(space)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(space[n] for n in names))]


def default_space(spec: BotSpec, points: int = 5) -> dict[str, list[Any]]:
    """Return a grid around the bot's default numeric params (x0.5 .. x1.5)."""
    base = spec.make_params().model_dump()
    space: dict[str, list[Any]] = {}
    factors = [0.5 + i / (points - 1) for i in range(points)] if points > 1 else [1.0]
    for name, value in base.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if isinstance(value, int):
            vals = sorted({max(1, round(value * f)) for f in factors})
        else:
            vals = sorted({round(value * f, 10) for f in factors})
        if len(vals) > 1:
            space[name] = vals
    return space


MAX_STEPS = 10_000


def parse_space(items: Sequence[str], spec: BotSpec | None = None) -> dict[str, list[Any]]:
    """Parse CLI ``name=v1,v2,...`` or ``name=start:stop:step`` items into a space.

    With ``spec``, every name must be one of the bot's params. A malformed item is a
    :class:`~tradefleet.orchestrator.errors.UsageError` naming it (one line, exit 2).
    """
    known = list(spec.bot.Params.model_fields) if spec is not None else None
    space: dict[str, list[Any]] = {}
    for item in items:
        name, _, raw = item.partition("=")
        name = name.strip()
        if not name or not raw:
            raise UsageError(f"--param {item!r}: use name=v1,v2 or name=start:stop:step")
        if known is not None and name not in known:
            raise UsageError(f"--param {item!r}: bot {spec.name} has no param {name!r} "  # type: ignore[union-attr]
                             f"(params: {', '.join(known) or 'none'})")
        vals = _range(item, raw) if ":" in raw else [_number(item, x) for x in raw.split(",")]
        space[name] = [int(v) if float(v).is_integer() else v for v in vals]
    return space


def _number(item: str, text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--param {item!r}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"--param {item!r}: {text.strip()!r} is not finite")
    return value


def _range(item: str, raw: str) -> list[float]:
    parts = raw.split(":")
    if len(parts) != 3:
        raise UsageError(f"--param {item!r}: a range is start:stop:step")
    a, b, c = (_number(item, x) for x in parts)
    if c <= 0:
        raise UsageError(f"--param {item!r}: step must be > 0")
    if b < a:
        raise UsageError(f"--param {item!r}: stop is below start")
    if (b - a) / c + 1 > MAX_STEPS:
        raise UsageError(f"--param {item!r}: more than {MAX_STEPS} values")
    vals: list[float] = []
    x = a
    while x <= b + 1e-12:
        vals.append(x)
        x += c
    return vals


def evaluate(spec: BotSpec, frame: pd.DataFrame, combos: Sequence[Mapping[str, Any]],
             settings: SimSettings, start: int = 0) -> list[SweepRow]:
    """Backtest each param combination on ``frame`` (bars before ``start`` are warmup).

    A bot class may evaluate a whole grid itself (``evaluate_combos(spec, frame, combos,
    settings, start)``, returning ``(metrics, error)`` per combination or None to decline),
    sharing work between combinations: the SMA-cross bot shares each distinct window's
    rolling mean. Its rows must equal one ``run_backtest`` each.
    """
    shared = getattr(spec.bot, "evaluate_combos", None)
    got = shared(spec, frame, combos, settings, start) if shared is not None else None
    if got is not None:
        return [SweepRow(dict(c), m, e) for c, (m, e) in zip(combos, got, strict=True)]
    rows = []
    for combo in combos:
        try:
            res = run_backtest(spec, frame, settings, combo, start=start)
        except Exception as exc:  # noqa: BLE001 - a combination the bot rejects (fast >= slow, ...) is skipped
            rows.append(SweepRow(dict(combo), None, f"{type(exc).__name__}: {exc}"))
            continue
        rows.append(SweepRow(dict(combo), res.metrics))
    return rows


def sweep(spec: BotSpec, frame: pd.DataFrame, combos: Sequence[Mapping[str, Any]],
          settings: SimSettings | None = None, executor: Executor | None = None,
          progress: Callable[[int], None] | None = None, chunk_count: int | None = None) -> list[SweepRow]:
    """Evaluate every combination, fanned out in chunks over ``executor`` (inline by default)."""
    ex = executor or InlineExecutor()
    n_chunks = chunk_count or (1 if isinstance(ex, InlineExecutor) else min(len(combos), 16))
    parts = chunks(list(combos), n_chunks)
    results = fan_out(ex, evaluate, [(spec, frame, part, settings or SimSettings()) for part in parts],
                      None if progress is None else _chunk_progress(progress, parts))
    return [row for part in results for row in part]


def _chunk_progress(progress: Callable[[int], None], parts: list[list[Any]]) -> Callable[[int], None]:
    sizes = iter(len(p) for p in parts)

    def tick(_n: int) -> None:
        progress(next(sizes, 0))

    return tick


def best(rows: Sequence[SweepRow], metric: str = "sharpe") -> SweepRow | None:
    """Return the row with the highest finite ``metric`` (None if none is finite)."""
    import math

    scored = [r for r in rows if r.metrics is not None and math.isfinite(r.metrics.get(metric, float("nan")))]
    return max(scored, key=lambda r: r.metrics[metric]) if scored else None  # type: ignore[index]
