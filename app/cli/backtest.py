"""``tradefleet backtest | optimize | montecarlo | stress | validate``.

Heavy libraries (pandas, numba, optuna, plotly, dask) are imported inside the commands.
Long work shows a rich progress bar; ``--json`` prints machine-readable output instead
of tables. Fills follow the one fill model as ported by ``tradefleet.backtest.kernel`` (next bar's open
by default, ``backtest --fill close`` for the signal bar's close); ``backtest`` prints its
fill and cost assumptions with the results and in its reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from tradefleet.app.cli.args import bad_arg, bot_errors, date_option, model_from_flags
from tradefleet.app.cli.common import ConfigOption, JsonOption, emit_json, load
from tradefleet.orchestrator.errors import CommandFailed, DataError

DataOpt = typer.Option(None, "--data", help="Bundled dataset name or a CSV/Parquet bar file (default: the bot's bundled data).")
FromOpt = date_option("--from", "First date (inclusive), e.g. 2008-01-01.")
ToOpt = date_option("--to", "Last date (inclusive).")
FeeOpt = typer.Option(0.001, "--fee", help="Fee fraction of notional per side.")
SlipOpt = typer.Option(0.0005, "--slippage", help="Adverse fill fraction at market fills.")
ClusterOpt = typer.Option(None, "--cluster", help="Dask scheduler address (tcp://HOST:8786); default: local processes.")
WorkersOpt = typer.Option(None, "--workers", min=1, help="Local worker processes (1 = in this process).")
OptimizeWorkersOpt = typer.Option(None, "--workers", min=1, help=(
    "Local worker processes (1 = in this process). Default: one backtest is timed and a pool of the usable "
    "cores is used only when it is estimated to finish sooner than this process alone."))
MAX_COMBOS = 2000
ParamOpt = typer.Option(None, "--param", "-p", help="name=v1,v2,... or name=start:stop:step (repeatable).")


def _load_frame(spec: Any, data: str | None, start: str | None, end: str | None) -> tuple[str, Any]:
    """Return the data name and the bars between ``start`` and ``end`` (inclusive dates)."""
    name, frame, first = _load_with_warmup(spec, data, start, end)
    return name, frame.iloc[first:]


def _load_with_warmup(spec: Any, data: str | None, start: str | None, end: str | None) -> tuple[str, Any, int]:
    """:func:`tradefleet.backtest.history.load_with_warmup`, with ``[data]`` file settings from the config for a file."""
    from tradefleet.backtest.history import load_with_warmup
    from tradefleet.scrapers.bundled import DATASETS

    files = None
    if data is not None and data not in DATASETS:
        from tradefleet.app.config import load_config

        files = load_config(None).data
    return load_with_warmup(spec, data, start, end, files)


def parse_params(items: list[str], spec: Any) -> dict[str, Any]:
    """``name=value`` overrides (values read as JSON where they parse, else as text),
    validated against the bot's params model before anything runs."""
    import json

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            bad_arg("--param", item, "expected name=value")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    known = set(spec.bot.Params.model_fields)
    unknown = sorted(set(out) - known)
    if unknown:
        bad_arg("--param", unknown[0], f"bot {spec.name} has no such parameter (has: {', '.join(sorted(known))})")
    spec.make_params(out)  # invalid values: one line naming the bot and the field
    return out


_SIM_FLAGS = {"fee": "--fee", "slippage": "--slippage", "size": "--size", "sl_pct": "--sl", "tp_pct": "--tp",
              "tsl_pct": "--tsl", "allow_short": "--long-only", "fill": "--fill", "limit_fill": "--limit-fill",
              "execution": "--exec", "impact_bps_per_pct_volume": "--impact", "max_impact_bps": "--max-impact",
              "lot": "--lot"}


def parse_exec(text: str | None) -> dict[str, Any] | None:
    """``--exec ALGO[:name=value,...]`` (``twap:horizon_min=30,interval_min=5,participation=0.1``,
    ``pov:participation=0.1``) or the same as JSON ``{"algo": ..., "params": {...}}``; the
    values are checked by the settings (a bad one is a one-line usage error naming --exec)."""
    import json

    if text is None or not text.strip():
        return None
    text = text.strip()
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except ValueError as exc:
            bad_arg("--exec", text, f"not JSON: {exc}")
        return raw if isinstance(raw, dict) else bad_arg("--exec", text, "expected a JSON object")
    algo, _, rest = text.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key:
            bad_arg("--exec", text, f"expected name=value, got {item!r}")
        try:
            params[key.strip()] = float(value)
        except ValueError:
            bad_arg("--exec", text, f"{key.strip()} must be a number, got {value!r}")
    return {"algo": algo.strip(), "params": params}


def _auto_workers(spec: Any, frame: Any, settings: Any, tasks: int) -> int:
    """Local workers for ``tasks`` backtests of ``frame``: time one (after a warm-up call
    that loads the compiled kernel) and let :func:`auto_workers` weigh a pool against
    this process."""
    import time

    from tradefleet.backtest.engine import run_backtest
    from tradefleet.backtest.executor import auto_workers

    try:
        run_backtest(spec, frame.iloc[: min(len(frame), 300)], settings)  # compile / load the kernel
        t = time.perf_counter()
        run_backtest(spec, frame, settings)
        took = time.perf_counter() - t
    except Exception:  # noqa: BLE001 - the sweep itself reports a bot that fails
        return 1
    return auto_workers(took, tasks)


def _settings(**values: Any) -> Any:
    """SimSettings from the command's flags; a refused value names its flag (exit 2)."""
    from tradefleet.backtest.engine import SimSettings

    return model_from_flags(SimSettings, _SIM_FLAGS, **values)


def _spec(name: str) -> Any:
    from tradefleet.orchestrator.registry import Registry

    return Registry.discover(["bots"]).bot(name)


@contextmanager
def _progress(label: str, total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """Yield an ``advance(n)`` callback driving a rich progress bar (silent with --json)."""
    if quiet:
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as prog:
        task = prog.add_task(label, total=total)
        yield lambda n: prog.advance(task, n)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.4f}"
    return str(v)


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for col in rows[0] if rows else []:
        t.add_column(col)
    for row in rows:
        t.add_row(*(_fmt(v) for v in row.values()))
    Console().print(t)


def register(app: typer.Typer) -> None:  # noqa: C901 - one closure per command
    @app.command("backtest")
    def backtest_cmd(bot: str, data: str | None = DataOpt, start: str | None = FromOpt, end: str | None = ToOpt,
                     fee: float = FeeOpt, slippage: float = SlipOpt,
                     size: float = typer.Option(1.0, help="Fraction of equity per position."),
                     sl: float = typer.Option(0.0, "--sl", help="Stop loss fraction (0 = none)."),
                     tp: float = typer.Option(0.0, "--tp", help="Take profit fraction (0 = none)."),
                     tsl: float = typer.Option(0.0, "--tsl", help="Trailing stop fraction (0 = none)."),
                     report: Path | None = typer.Option(None, "--report", dir_okay=False, help="Write an HTML report here (+ .json)."),
                     mc_runs: int = typer.Option(300, "--mc-runs", min=1, help="Bootstrap paths for the report's fan chart."),
                     params: list[str] | None = typer.Option(None, "--param", help="Bot parameter override name=value (repeatable)."),
                     long_only: bool = typer.Option(False, "--long-only", help="Ignore short signals (stay flat instead)."),
                     fill: str = typer.Option("next-open", "--fill", help="Market fills: next-open (next bar's open) or close (the signal bar's close)."),
                     limit_fill: str = typer.Option("through", "--limit-fill", help="Targets fill on a trade-through, or on a touch."),
                     execution: str | None = typer.Option(None, "--exec", help="Work every entry as children: ALGO[:name=value,...], "
                                                          "twap:horizon_min=30,interval_min=5,participation=0.1 or "
                                                          "pov:participation=0.1 (the report then shows their TCA)."),
                     impact: float = typer.Option(0.0, "--impact", help="Volume impact: bps per % of the bar's volume (the paper broker's is 10)."),
                     max_impact: float = typer.Option(0.0, "--max-impact", help="Cap of the volume impact, bps (the paper broker's is 50)."),
                     lot: float = typer.Option(0.0, "--lot", help="A worked entry is whole multiples of this (0: fractional)."),
                     as_json: bool = JsonOption) -> None:
        """Backtest one bot on history (vectorized; the fill model's rules, printed with the results)."""
        from tradefleet.backtest.engine import run_backtest, signals_of
        from tradefleet.backtest.report import metrics_payload, write_report

        spec = _spec(bot)
        overrides = parse_params(params or [], spec)
        settings = _settings(fee=fee, slippage=slippage, size=size, sl_pct=sl, tp_pct=tp, tsl_pct=tsl,
                             allow_short=not long_only, fill=fill, limit_fill=limit_fill,
                             execution=parse_exec(execution), impact_bps_per_pct_volume=impact,
                             max_impact_bps=max_impact, lot=lot)
        name, history, first = _load_with_warmup(spec, data, start, end)
        with bot_errors(spec.name, "backtesting"):
            res = run_backtest(spec, history, settings, overrides, start=first)
        frame = history.iloc[first:]
        extra: dict[str, Any] = {"data": name, "warmup_bars": first}
        from tradefleet.backtest.lookahead import check_lookahead, lookahead_warning

        with bot_errors(spec.name, "checking lookahead"):
            look = check_lookahead(spec.build(overrides), history, spec.name, 8)
        extra["lookahead"] = look.as_dict()
        warning = lookahead_warning(look)
        if warning:
            typer.echo(warning, err=True)  # the numbers below are printed, but flagged
        if report is not None:
            from tradefleet.backtest.engine import Signals
            from tradefleet.backtest.montecarlo import monte_carlo

            with bot_errors(spec.name, "computing signals"):
                full = signals_of(spec.build(overrides), history, spec.name)
            sig = Signals(full.signal[first:], full.stop[first:] if len(full.stop) > 1 else full.stop,
                          full.target[first:] if len(full.target) > 1 else full.target)
            with _progress("monte carlo for report", 3, as_json) as adv:
                mc = monte_carlo(res, frame, sig, runs=mc_runs, progress=adv, perturb_runs=0)
            html_path, json_path = write_report(report, res, mc, extra)
            extra.update(report=str(html_path), report_json=str(json_path))
        if as_json:
            emit_json(metrics_payload(res, extra))
            return
        _table(f"{bot} on {name} ({len(frame)} bars traded, {first} warm-up)", [{"metric": k, "value": v} for k, v in res.metrics_json().items()])
        typer.echo(f"assumptions: {settings.describe()}")
        if report is not None:
            typer.echo(f"report: {extra['report']}")

    @app.command("optimize")
    def optimize_cmd(bot: str, walk_forward: bool = typer.Option(False, "--walk-forward", help="Walk-forward instead of one in-sample sweep."),
                     folds: int = typer.Option(5, min=1, help="Walk-forward folds."),
                     anchored: bool = typer.Option(False, help="Anchored train windows (default rolling)."),
                     search: str = typer.Option("grid", help="grid | optuna"),
                     trials: int = typer.Option(30, min=1, help="Optuna trials per fold."),
                     param: list[str] | None = ParamOpt, data: str | None = DataOpt, start: str | None = FromOpt,
                     end: str | None = ToOpt, fee: float = FeeOpt, slippage: float = SlipOpt,
                     cluster: str | None = ClusterOpt, workers: int | None = OptimizeWorkersOpt,
                     config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
        """Sweep a bot's params, or walk-forward optimise them (grid or Optuna)."""
        from tradefleet.backtest.executor import open_executor
        from tradefleet.backtest.sweep import default_space, grid, parse_space, sweep
        from tradefleet.backtest.walkforward import walk_forward as run_wf

        if search not in ("grid", "optuna"):
            bad_arg("--search", search, "use grid or optuna")
        settings = _settings(fee=fee, slippage=slippage)
        spec = _spec(bot)
        space = parse_space(param, spec) if param else default_space(spec)
        cluster = cluster or load(config).validation.cluster
        name, frame = _load_frame(spec, data, start, end)
        n_combos = len(grid(space))
        if n_combos > MAX_COMBOS and not (walk_forward and search == "optuna"):
            raise DataError(f"optimize {bot}: {n_combos} combinations of {', '.join(space)}; "
                            f"narrow them with --param name=v1,v2 or use --walk-forward --search optuna")
        if workers is None and not cluster:  # a pool only where it pays (measured on one backtest)
            workers = _auto_workers(spec, frame, settings, n_combos)
        with open_executor(cluster, workers) as ex:
            if walk_forward:
                with _progress(f"walk-forward {bot}", folds, as_json) as adv, bot_errors(spec.name, "walking forward"):
                    wf = run_wf(spec, frame, folds=folds, anchored=anchored, search=search,  # type: ignore[arg-type]
                                space=space, trials=trials, settings=settings, executor=ex, progress=adv)
                out = {"data": name, **wf.summary()}
                if as_json:
                    emit_json(out)
                    return
                _table(f"walk-forward {bot} on {name}", [
                    {"fold": i + 1, "train": f"{f['train'][0]}-{f['train'][1]}", "test": f"{f['test'][0]}-{f['test'][1]}",
                     "params": " ".join(f"{k}={v}" for k, v in f["params"].items()), "IS sharpe": f["is_sharpe"], "OOS sharpe": f["oos_sharpe"],
                     "OOS return": f["oos_return"]} for i, f in enumerate(out["folds"])])
                typer.echo(f"stitched OOS sharpe {_fmt(out['oos_sharpe'])}, mean IS sharpe {_fmt(out['is_sharpe'])}, "
                           f"overfit ratio {_fmt(out['overfit_ratio'])}")
                return
            combos = grid(space)
            with _progress(f"sweep {bot}", len(combos), as_json) as adv, bot_errors(spec.name, "sweeping"):
                rows = sweep(spec, frame, combos, settings, ex, adv)
        failed = [r for r in rows if not r.metrics]
        if len(failed) == len(rows):
            raise CommandFailed(f"optimize {bot}: all {len(rows)} combinations failed; first: "
                                f"{' '.join(f'{k}={v}' for k, v in failed[0].params.items())}: {failed[0].error}")
        ranked = sorted((r for r in rows if r.metrics), key=lambda r: -(r.metrics["sharpe"] if r.metrics["sharpe"] == r.metrics["sharpe"] else -1e9))  # type: ignore[index]
        table = [{**r.params, **{k: r.metrics[k] for k in ("sharpe", "total_return", "max_drawdown", "trades")}}  # type: ignore[index]
                 for r in ranked]
        if as_json:
            emit_json({"data": name, "combos": len(combos), "results": table})
            return
        _table(f"sweep {bot} on {name}: top 10 of {len(combos)} by Sharpe", table[:10])

    @app.command("montecarlo")
    def montecarlo_cmd(bot: str, runs: int = typer.Option(1000, min=1, help="Paths per method."),
                       seed: int = typer.Option(0, min=0),
                       ruin: float = typer.Option(0.5, help="Ruin = equity at this fraction of the start (0 < ruin < 1)."),
                       data: str | None = DataOpt, start: str | None = FromOpt, end: str | None = ToOpt,
                       fee: float = FeeOpt, slippage: float = SlipOpt, cluster: str | None = ClusterOpt,
                       workers: int | None = WorkersOpt, config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
        """Monte Carlo a bot: trade shuffle, return bootstrap, slippage/latency perturbation."""
        from tradefleet.backtest.engine import run_backtest, signals_of
        from tradefleet.backtest.executor import open_executor
        from tradefleet.backtest.montecarlo import monte_carlo

        if not 0 < ruin < 1:
            bad_arg("--ruin", ruin, "must be between 0 and 1 (a fraction of the starting equity)")
        settings = _settings(fee=fee, slippage=slippage)
        spec = _spec(bot)
        cluster = cluster or load(config).validation.cluster
        name, frame = _load_frame(spec, data, start, end)
        with bot_errors(spec.name, "backtesting"):
            res = run_backtest(spec, frame, settings)
            sig = signals_of(spec.build(), frame, spec.name)
        with open_executor(cluster, workers) as ex, _progress(f"monte carlo {bot}", 3, as_json) as adv, \
                bot_errors(spec.name, "running monte carlo"):
            mc = monte_carlo(res, frame, sig, runs=runs, seed=seed, ruin=ruin, executor=ex, progress=adv)
        out = {"data": name, **mc.summary()}
        if as_json:
            emit_json(out)
            return
        rows = []
        for m, d in out["methods"].items():
            for what in ("final_equity", "max_drawdown", "sharpe"):
                rows.append({"method": m, "outcome": what, **d[what], "P(ruin)": d["prob_ruin"]})
        _table(f"monte carlo {bot} on {name} ({runs} runs, ruin at {ruin:g}x)", rows)

    @app.command("stress")
    def stress_cmd(bot: str, data: str | None = DataOpt, fee: float = FeeOpt, slippage: float = SlipOpt,
                   replay: bool = typer.Option(False, "--replay", help="Also replay each crisis window through the full pipeline."),
                   config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
        """Stress a bot: crisis windows (2000, 2008, 2018-Q4; 2020 is not bundled) and synthetic shocks."""
        from tradefleet.backtest.stress import CRISES, stress

        settings = _settings(fee=fee, slippage=slippage)
        spec = _spec(bot)
        name, frame = _load_frame(spec, data, None, None)
        with bot_errors(spec.name, "stress testing"):
            rows = [r.as_dict() for r in stress(spec, frame, name, settings)]
        replays: list[dict[str, Any]] = []
        if replay:
            from tradefleet.app.stress import crisis_replays

            cfg = load(config)
            with _progress(f"replaying crisis windows for {bot}", len(CRISES), as_json) as adv:
                for crisis in CRISES:
                    replays += [r.as_dict() for r in crisis_replays(cfg, bot, only=[crisis])]
                    adv(1)
        if as_json:
            emit_json({"bot": bot, "data": name, "scenarios": rows, "replays": replays})
            return
        if replays:
            _table(f"full-pipeline replays {bot}", [
                {"scenario": r["scenario"], "data": r["data"], "window": f"{r['start']}..{r['end']}",
                 "return %": None if r["replay"] is None else r["replay"]["total_return_pct"],
                 "fills": None if r["replay"] is None else r["replay"]["fills"], "note": r["note"]} for r in replays])

        def pick(m: dict[str, Any] | None, k: str) -> Any:
            return None if m is None else m[k]

        _table(f"stress {bot}", [{"scenario": r["scenario"], "data": r["data"], "window": f"{r['start']}..{r['end']}",
                                   "return": pick(r["metrics"], "total_return"), "max DD": pick(r["metrics"], "max_drawdown"),
                                   "baseline return": pick(r["baseline"], "total_return"), "note": r["note"]} for r in rows])

    @app.command("validate")
    def validate_cmd(bot: str | None = typer.Argument(None), all_: bool = typer.Option(False, "--all", help="Every registered bot."),
                     fleet: str | None = typer.Option(None, "--fleet", help="Validate one fleet (a bot family or a [risk] "
                                                      "fleet_of name) as one portfolio: replayed with its allocator "
                                                      "through every gate."),
                     start: str | None = date_option("--from", "--fleet: replay from this date (default: [replay] start)."),
                     end: str | None = date_option("--to", "--fleet: replay to this date (default: [replay] end)."),
                     report: Path | None = typer.Option(None, "--report", help="--fleet: write an HTML report here.",
                                                        dir_okay=False),
                     store: str | None = typer.Option(None, "--store", help="Store URL or a folder for JSON results (default: engine.store_url)."),
                     cluster: str | None = ClusterOpt, workers: int | None = typer.Option(1, "--workers", help="Walk-forward worker processes."),
                     config: Path | None = ConfigOption, as_json: bool = JsonOption) -> int:
        """Validate bots (or a whole fleet) for live trading and print the Go/No-Go table.

        Results are stored. Exit 0 when every verdict is GO, 1 on any NO-GO (or a bot that
        raised), 2 on bad input. --fleet NAME judges the fleet's combined equity (trades, win
        rate, Sharpe, drawdown, out-of-sample walk-forward folds) beside each member's
        contribution, correlation, capital use and own latest verdict."""
        from tradefleet.backtest.executor import open_executor
        from tradefleet.backtest.records import open_validation_store
        from tradefleet.backtest.validation import validate_bot
        from tradefleet.orchestrator.errors import PluginError
        from tradefleet.orchestrator.registry import Registry

        if fleet is not None:
            if bot or all_:
                bad_arg("--fleet", fleet, "give a fleet, or a BOT / --all, not both")
            if start and end and start > end:
                bad_arg("--from", start, f"is after --to {end}")
            return _validate_fleet(fleet, start, end, report, store, config, as_json)
        if start or end or report:
            bad_arg("--from/--to/--report", start or end or str(report), "only with --fleet")
        if not bot and not all_:
            raise PluginError("validate: name a BOT or pass --all")
        cfg = load(config)
        reg = Registry.discover(["bots"])
        specs = [reg.bot(bot)] if bot else [reg.bots()[n] for n in sorted(reg.bots())]
        target = store or cfg.engine.store_url
        vstore = open_validation_store(target)
        records = []
        with open_executor(cluster or cfg.validation.cluster, workers) as ex, \
                _progress("validate", len(specs), as_json) as adv:
            for spec in specs:
                rec = _validate(spec, cfg, ex)
                vstore.save(rec)
                records.append(rec)
                adv(1)
        # exit 1 when any bot is NO-GO (or raised and so was not validated): scripts can gate on it
        code = 1 if any(r.error or not r.passed for r in records) else 0
        if as_json:
            emit_json({"store": str(target), "results": [r.to_dict() for r in records]})
            return code
        _table("validation (Go/No-Go)", validation_rows(records))
        return code


def _validate_fleet(fleet: str, start: str | None, end: str | None, report: Path | None, store: str | None,
                    config: Path | None, as_json: bool) -> int:
    """``validate --fleet``: replay the fleet, judge it, store the verdict as ``fleet:<name>``."""
    from tradefleet.app.fleet_validation import fleet_members, save, validate_fleet
    from tradefleet.backtest.records import open_validation_store
    from tradefleet.orchestrator.registry import Registry

    cfg = load(config)
    reg = Registry.discover()
    fleet_members(cfg, reg, fleet)  # an unknown fleet is bad input before anything is created
    target = store or cfg.engine.store_url
    vstore = open_validation_store(target)
    result = validate_fleet(cfg, fleet, start=start, end=end, registry=reg, validations=vstore)
    save(result, target)
    if report is not None:
        from tradefleet.app.fleet_report import write_report

        write_report(report, result)
    code = 0 if result.passed else 1
    if as_json:
        emit_json({"store": str(target), "report": str(report) if report else None, "result": result.to_dict()})
        return code
    m, wf = result.metrics, result.walk_forward
    typer.echo(f"fleet {fleet}: {'GO' if result.passed else 'NO-GO'} ({len(result.members)} members, "
               f"{result.window['from']}..{result.window['to']}, {result.window['data']} data)")
    _table(f"fleet {fleet}: checks", [{"check": c.name, "value": c.value, "threshold": c.threshold,
                                        "passed": "yes" if c.passed else "NO"} for c in result.checks])
    _table(f"fleet {fleet}: walk-forward folds", [{"fold": f["fold"], "role": f["role"], "return": f["return"],
                                                   "sharpe": f["sharpe"], "max DD": f["max_drawdown"]}
                                                  for f in wf["folds"]])
    _table(f"fleet {fleet}: members", [{"bot": r["bot"], "gate": r["gate"], "trades": r.get("trades"),
                                         "win rate": r.get("win_rate"), "P&L": r.get("pnl"),
                                         "share": r.get("share_of_pnl"), "budget": r.get("budget_of_equity"),
                                         "avg gross": r.get("avg_gross_of_equity"),
                                         "note": r["note"] or ("-" if r["status"] == "ok" else r["status"])}
                                        for r in result.members])
    c = result.correlation
    pair = c.get("max_pair")
    typer.echo(f"return {m['return']:.2%}, Sharpe {_fmt(m['sharpe'])}, max drawdown {m['max_drawdown']:.2%}, "
               f"capital utilisation {_fmt(m['capital_utilisation'])}, size refusals {_fmt(m['size_refusal_pct'])}%")
    typer.echo(f"correlation: mean pairwise {_fmt(c.get('mean_pairwise'))}"
               + (f", most correlated {pair['a']} / {pair['b']} ({pair['rho']})" if pair else f" ({c.get('note')})"))
    for note in result.notes:
        typer.echo(f"note: {note}")
    if report is not None:
        typer.echo(f"report: {report}")
    return code


def lookahead_cell(look: dict[str, Any]) -> str:
    """The lookahead column: ``clean``, or ``LEAK at <first bar>`` naming the bar (never a bare yes/no)."""
    if not look:
        return "-"
    if look.get("clean"):
        return "clean"
    where = look.get("first_bar") or (f"bar {look['first_index']}" if look.get("first_index") is not None else "?")
    return f"LEAK at {where}" + (f" ({look['column']})" if look.get("column") else "")


def validation_rows(records: list[Any]) -> list[dict[str, Any]]:
    """The Go/No-Go table's rows."""
    rows = []
    for r in records:
        vals = {c.name: c.value for c in r.checks}
        rows.append({"bot": r.bot, "verdict": "GO" if r.passed else "NO-GO", "data": r.data,
                     "trades": None if vals.get("trades") is None else int(vals["trades"]),
                     "win rate": vals.get("win_rate"), "sharpe": vals.get("sharpe"),
                     "lookahead": lookahead_cell(r.lookahead), "WF OOS sharpe": vals.get("wf_oos_sharpe"),
                     "failed": ", ".join(r.failed_checks) or r.error or "-"})
    return rows


def _validate(spec: Any, cfg: Any, executor: Any) -> Any:
    """The validation gate for one bot: quote replay on ``[replay] snapshots`` for an event
    bot with a tick source (a replay runtime: the app's), a replay judged on option-level
    P&L for an option bot, else the backtest gate."""
    from tradefleet.backtest.validation import validate_bot

    if spec.bot.event_driven and getattr(spec.bot, "tick_source", None):
        from tradefleet.app.quote_replay import validate_by_quote_replay
        from tradefleet.orchestrator.clock import LiveClock

        return validate_by_quote_replay(spec, cfg, cfg.validation, LiveClock().now_ns())
    from tradefleet.orchestrator.domain import AssetClass

    if spec.asset_class is AssetClass.OPTION:  # listed legs: judged on option-level P&L by replay
        from tradefleet.app.option_validation import validate_option_bot
        from tradefleet.orchestrator.clock import LiveClock

        return validate_option_bot(spec, cfg, cfg.validation, LiveClock().now_ns())
    return validate_bot(spec, cfg.validation, executor=executor)[0]
