"""Walk-forward retraining on the simulated clock: point-in-time models inside a replay.

A long replay must never vote with a model trained on its own future. With
``[ml] replay_walk_forward = true`` the ``ml`` source of a replay does not read the model
registry; it asks :class:`WalkForwardModels` for the model of the instrument *as of now*:

* the schedule: cut-offs every ``[ml] replay_retrain_days`` days (anchored at the Unix
  epoch, so every run and every instrument share them); the model in force at ``now`` is
  the one trained at the latest cut-off ``<= now``;
* at a cut-off the model is fitted (:func:`~tradefleet.ml_models.training.trainer.train_asset`,
  the ``[ml]`` spec, no out-of-sample report) on the instrument's bars that closed
  *before* the cut-off only; labels are built inside that cut frame, so no label reads a
  bar after it either;
* every model carries the close time of the last bar it saw (``data_end_ns``); before it
  votes that is checked against ``now`` and the cut-off, and a model that saw a later bar
  is refused (:class:`FutureLeak`: the source abstains, naming it) whatever produced it;
* an instrument with too little history before a cut-off has no model there (the source
  abstains with the trainer's reason) until a later cut-off has enough.

Models live in memory for the run (one fit per instrument and cut-off).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradefleet.ml_models.errors import FutureLeak, MLError

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.ml_models.model import Model
    from tradefleet.ml_models.training.spec import TrainSpec

DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class PointInTimeModel:
    """A model with the cut-off it was trained at and the last bar it saw."""

    model: Model
    cutoff_ns: int
    data_end_ns: int
    rows: int


class WalkForwardModels:
    """Per-instrument models retrained at each scheduled cut-off, from bars before it only."""

    def __init__(self, history: Callable[[str], pd.DataFrame], spec: TrainSpec, every_days: float) -> None:
        self.history = history  # the instrument's bars known so far (a replay's market view)
        self.spec = spec
        self.every_ns = int(every_days * DAY_NS)
        self._models: dict[tuple[str, int], PointInTimeModel | str] = {}
        self.fits = 0

    def cutoff(self, now_ns: int) -> int:
        """The latest scheduled cut-off at or before ``now_ns``."""
        return now_ns - now_ns % self.every_ns

    def cut(self, frame: pd.DataFrame, cutoff_ns: int) -> pd.DataFrame:
        """The bars that closed strictly before ``cutoff_ns``."""
        return frame.loc[frame.index.as_unit("ns").asi8 < cutoff_ns]

    def model_at(self, instrument: str, now_ns: int) -> PointInTimeModel:
        """The model in force for ``instrument`` at ``now_ns`` (fitted on first use).

        Raises :class:`MLError` (the trainer's reason) when there is no model at this cut-off,
        :class:`FutureLeak` when the model saw a bar after ``now_ns`` or its cut-off."""
        c = self.cutoff(now_ns)
        key = (instrument, c)
        got = self._models.get(key)
        if got is None:
            got = self._fit(instrument, c)
            self._models[key] = got
        if isinstance(got, str):
            raise MLError(got)
        if got.data_end_ns >= got.cutoff_ns or got.data_end_ns > now_ns:
            raise FutureLeak(f"{instrument} model of cut-off {_day(got.cutoff_ns)} saw a bar closed at "
                             f"{_day(got.data_end_ns)}, not before its cut-off / now {_day(now_ns)}: refused")
        return got

    def _fit(self, instrument: str, cutoff_ns: int) -> PointInTimeModel | str:
        from tradefleet.ml_models.training.trainer import train_asset

        frame = self.cut(self.history(instrument), cutoff_ns)
        if len(frame) == 0:
            return f"no {instrument} bars before the cut-off {_day(cutoff_ns)}"
        try:
            result = train_asset(frame, instrument, self.spec, report=False)
        except MLError as exc:
            return f"no {instrument} model at cut-off {_day(cutoff_ns)}: {exc}"
        self.fits += 1
        end = int(frame.index[-1].value)
        model = result.model
        model.card = model.card.with_(params={**model.card.params, "walk_forward_cutoff_ns": cutoff_ns,
                                              "data_end_ns": end})
        return PointInTimeModel(model, cutoff_ns, end, len(frame))


class WalkForwardPredictor:
    """The ``ml`` source's predictor in a replay: the walk-forward model of ``now``."""

    def __init__(self, models: WalkForwardModels, data: Any, clock: Any) -> None:
        self.models = models
        self.data = data
        self.clock = clock
        self.last_reason = ""
        self.last_detail: dict[str, Any] = {}

    def predict(self, instrument: str, frame: pd.DataFrame) -> float | None:
        now = self.clock.now_ns()
        self.last_detail = {}
        try:
            pit = self.models.model_at(instrument, now)
            p = float(pit.model.predict_proba(self.data.frame(instrument), now))
        except MLError as exc:
            self.last_reason = str(exc)
            return None
        self.last_detail = {"model_cutoff_ns": pit.cutoff_ns, "model_data_end_ns": pit.data_end_ns,
                            "model_rows": pit.rows, "model": "walk-forward"}
        return p


def _day(ns: int) -> str:
    from tradefleet.orchestrator.clock import ns_to_dt

    return ns_to_dt(ns).strftime("%Y-%m-%d %H:%M")
