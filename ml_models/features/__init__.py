"""Point-in-time features over several timeframes (see :mod:`.featureset`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradefleet.ml_models.features.featureset import FeatureSet

__all__ = ["FeatureSet"]


def __getattr__(name: str) -> object:
    # lazy: importing the package must not compile numba kernels
    if name == "FeatureSet":
        from tradefleet.ml_models.features.featureset import FeatureSet

        return FeatureSet
    raise AttributeError(name)
