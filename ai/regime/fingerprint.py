"""The fingerprint of a regime model's training bars and fit settings: a stored model (or one
fitted ahead) is used only on bars with the same fingerprint, fitted with the same settings,
under the same model format."""

from __future__ import annotations

import numpy as np

MODEL_FORMAT = "regime-v2"  # bump when features, scaling or labelling change


def data_key(ts: np.ndarray, closes: np.ndarray, settings: str) -> str:
    """Fingerprint the training bars and the fit ``settings``
    (:meth:`~tradefleet.ai.config.RegimeConfig.fit_settings`), so a stored model is reused
    only on identical data fitted the same way."""
    import hashlib

    h = hashlib.sha1(MODEL_FORMAT.encode())  # features/labels code version: old artifacts never match
    h.update(settings.encode())
    h.update(np.ascontiguousarray(ts, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(closes, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]

