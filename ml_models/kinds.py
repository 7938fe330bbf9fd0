"""Model kinds: which :class:`~tradefleet.ml_models.model.Model` implementation loads a card.

Kept apart from :mod:`tradefleet.ml_models.model` (the interface every kind implements) so the
LSTM module can build on that interface without the interface importing it back.
"""

from __future__ import annotations

from tradefleet.ml_models.model import GBMModel, Model


def model_class(kind: str) -> type[Model]:
    """Return the Model implementation for ``kind``."""
    if kind in GBMModel.FILES:
        return GBMModel
    if kind == "lstm":
        from tradefleet.ml_models.lstm import LSTMModel

        return LSTMModel
    raise ValueError(f"unknown model kind {kind!r} (xgboost, lightgbm, lstm)")
