"""Errors of the ML pipeline.

Every one is a :class:`~tradefleet.orchestrator.errors.TradefleetError`, so the CLI prints it on one
line and exits with code 2, and the ensemble can catch :class:`ModelNotReady` to abstain.
"""

from __future__ import annotations

from tradefleet.orchestrator.errors import TradefleetError


class MLError(TradefleetError):
    """Base of the ML pipeline's errors."""


class ModelNotReady(MLError):
    """No model can answer: none promoted, features missing, stale or built differently."""


class MissingFeatures(ModelNotReady):
    """The frame is too short (or has gaps) for the model's features at its last row."""


class StaleFeatures(ModelNotReady):
    """The frame's last bar is too old for a prediction at the current time."""


class FeatureSetMismatch(ModelNotReady):
    """The model was trained on a feature set (hash or timeframe) other than the current one."""


class ArtifactCorrupt(MLError):
    """A stored model artifact does not match the sha256 recorded in its metadata."""


class TrainingError(MLError):
    """Training could not run (too little data, a single class, unsupported timeframe)."""


class FutureLeak(MLError):
    """A model read a bar that closed after the time it would vote at (point in time broken)."""
