"""``tradefleet train [ASSET]`` and ``tradefleet models list|promote|rollback``.

Heavy libraries (numpy, pandas, numba, xgboost, lightgbm, torch, sklearn) load inside the
commands only. ``--json`` prints machine-readable output; training shows a rich
progress bar otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from tradefleet.app.cli.args import date_option
from tradefleet.app.cli.common import ConfigOption, JsonOption, emit_json, load

RootOpt = typer.Option(None, "--root", help="Model registry folder (default: [ml] root, var/models).")


def _registry(config: Path | None, root: str | None) -> Any:
    from tradefleet.ml_models.registry import ModelRegistry

    cfg = load(config)
    return ModelRegistry(root or cfg.ml.root)


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """Yield a ``progress(label, done, total)`` callback driving a rich progress bar."""
    if quiet:
        yield lambda _l, _d, _t: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as prog:
        tasks: dict[str, Any] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = prog.add_task(label, total=total)
            prog.update(tasks[label], completed=done, total=total)

        yield update


def _row(card: Any, promoted: int | None) -> dict[str, Any]:
    m = card.metrics or {}
    return {"asset": card.asset, "version": card.version, "promoted": card.version == promoted,
            "kind": card.kind, "objective": card.objective, "feature_hash": card.feature_hash,
            "train_start": card.train_start, "train_end": card.train_end, "n_train": card.n_train,
            "oos_logloss": m.get("oos_logloss"), "baseline_logloss": m.get("baseline_logloss"),
            "oos_accuracy": m.get("oos_accuracy"), "baseline_accuracy": m.get("baseline_accuracy"),
            "created": card.created, "sha256": card.sha256}


def _table(title: str, rows: list[dict[str, Any]], cols: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for c in cols:
        table.add_column(c)
    for r in rows:
        table.add_row(*[_fmt(r.get(c)) for c in cols])
    Console().print(table)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _until(loader: Callable[[str], Any], day: str) -> Callable[[str], Any]:
    """Wrap a bar loader so it returns only bars closed on or before ``day`` (UTC): features
    and labels then see nothing after it."""
    import pandas as pd

    from tradefleet.ml_models.errors import TrainingError

    cut = pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)

    def load(asset: str) -> Any:
        frame = loader(asset)
        out = frame.loc[frame.index < cut]
        if len(out) == 0:
            raise TrainingError(f"train {asset} --until {day}: no bars on or before {day}")
        return out

    return load


def register(app: typer.Typer) -> None:
    """Add ``train`` and the ``models`` group to the app."""
    models = typer.Typer(help="List, promote and roll back trained per-asset models.", no_args_is_help=True)
    app.add_typer(models, name="models")

    @app.command("train")
    def train(asset: str = typer.Argument(None, help="Symbol or bundled dataset (default: every [ml] asset)."),
              model: str = typer.Option(None, "--model", help="xgboost | lightgbm | lstm (default: [ml] model)."),
              objective: str = typer.Option(None, "--objective", help="logloss | profit (default: [ml] objective)."),
              promote: bool = typer.Option(False, "--promote", help="Promote the new version whatever its score."),
              until: str | None = date_option("--until", "Train only on bars up to this date (YYYY-MM-DD, "
                                               "inclusive): a point-in-time model a replay after it may use."),
              root: str = RootOpt, config: Path = ConfigOption, as_json: bool = JsonOption) -> None:
        """Train per-asset models, report out-of-sample vs a naive baseline, register them."""
        from tradefleet.ml_models.errors import TrainingError
        from tradefleet.ml_models.registry import ModelRegistry
        from tradefleet.ml_models.training.schedule import RetrainJob, spec_from_config

        cfg = load(config)
        if root and Path(root).exists() and not Path(root).is_dir():
            from tradefleet.app.cli.args import bad_arg

            bad_arg("--root", root, "is a file; give the model registry folder")
        ml = cfg.ml.model_copy(update={"root": root or cfg.ml.root})
        if model and model not in ("xgboost", "lightgbm", "lstm"):
            raise TrainingError(f"train --model {model}: use xgboost, lightgbm or lstm")
        if objective and objective not in ("logloss", "profit"):
            raise TrainingError(f"train --objective {objective}: use logloss or profit")
        job = RetrainJob(ml, spec_from_config(ml, model, objective))
        if until:
            job.loader = _until(job.loader, until)
        with _progress(as_json) as progress:
            outcomes = job.run([asset] if asset else None, progress)
        if promote:
            reg = ModelRegistry(ml.root)
            for i, o in enumerate(outcomes):
                if o.version is not None and not o.promoted:
                    reg.promote(o.asset, o.version)
                    outcomes[i] = replace(o, promoted=True)
        rows = [{"asset": o.asset, "version": o.version, "promoted": o.promoted, "error": o.error,
                 **{k: o.metrics.get(k) for k in ("oos_logloss", "baseline_logloss", "oos_accuracy",
                                                   "baseline_accuracy", "oos_auc", "beats_baseline")}}
                for o in outcomes]
        if as_json:
            emit_json(rows)
        else:
            _table(f"trained ({job.spec.kind}, {job.spec.objective}) into {ml.root}", rows,
                   ["asset", "version", "promoted", "oos_logloss", "baseline_logloss", "oos_accuracy",
                    "baseline_accuracy", "oos_auc", "error"])
        failed = [o for o in outcomes if o.error]
        if failed and len(failed) == len(outcomes):
            raise TrainingError(f"train: every asset failed; {failed[0].asset}: {failed[0].error}")

    @models.command("list")
    def list_(asset: str = typer.Argument(None, help="Only this asset."), root: str = RootOpt,
              config: Path = ConfigOption, as_json: bool = JsonOption) -> None:
        """List model versions with their metrics; the promoted one is marked."""
        reg = _registry(config, root)
        rows = []
        for a in [asset] if asset else reg.assets():
            promoted = reg.promoted_version(a)
            rows += [_row(c, promoted) for c in reg.versions(a)]
        if as_json:
            emit_json(rows)
        else:
            _table(f"models in {reg.root}", rows, ["asset", "version", "promoted", "kind", "objective",
                                                   "train_end", "oos_logloss", "baseline_logloss", "feature_hash"])

    @models.command("promote")
    def promote_(asset: str = typer.Argument(..., help="Asset symbol."),
                 version: int = typer.Argument(..., help="Version number to promote."),
                 root: str = RootOpt, config: Path = ConfigOption, as_json: bool = JsonOption) -> None:
        """Make VERSION the model the orchestrator loads for ASSET."""
        reg = _registry(config, root)
        card = reg.promote(asset, version)
        _done(as_json, {"asset": card.asset, "promoted": card.version}, f"{card.asset}: promoted v{card.version}")

    @models.command("rollback")
    def rollback(asset: str = typer.Argument(..., help="Asset symbol."), root: str = RootOpt,
                 config: Path = ConfigOption, as_json: bool = JsonOption) -> None:
        """Promote ASSET's previously promoted version again."""
        reg = _registry(config, root)
        card = reg.rollback(asset)
        _done(as_json, {"asset": card.asset, "promoted": card.version}, f"{card.asset}: rolled back to v{card.version}")


def _done(as_json: bool, obj: dict[str, Any], text: str) -> None:
    if as_json:
        emit_json(obj)
    else:
        typer.echo(text)
