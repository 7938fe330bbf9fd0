"""The fingerprint of a regime model's training bars: a stored model (or one fitted ahead)
is used only on bars with the same fingerprint, under the same model format."""

from __future__ import annotations

import numpy as np

MODEL_FORMAT = "regime-v2"  # bump when features, scaling or labelling change


def data_key(ts: np.ndarray, closes: np.ndarray) -> str:
    """Fingerprint the training bars, so a stored model is reused only on identical data."""
    import hashlib

    h = hashlib.sha1(MODEL_FORMAT.encode())  # features/labels code version: old artifacts never match
    h.update(np.ascontiguousarray(ts, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(closes, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]

