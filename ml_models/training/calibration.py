"""Probability calibration fitted on a held-out fold, stored as plain numbers (no pickle).

``isotonic`` fits sklearn's ``IsotonicRegression`` and keeps its thresholds; applying it
is ``np.interp`` over them, which is what sklearn's ``predict`` does with
``out_of_bounds="clip"``. ``sigmoid`` is Platt scaling: a logistic regression on the
raw probability's log-odds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """Return the log-odds of ``p`` (clipped away from 0 and 1)."""
    q = np.clip(p, EPS, 1.0 - EPS)
    return np.log(q / (1.0 - q))


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from raw to calibrated probabilities."""

    method: str = "none"
    x: tuple[float, ...] = field(default_factory=tuple)
    y: tuple[float, ...] = field(default_factory=tuple)
    a: float = 1.0
    b: float = 0.0

    @classmethod
    def fit(cls, p_raw: np.ndarray, y: np.ndarray, method: str) -> Calibrator:
        """Fit ``method`` (``isotonic``, ``sigmoid`` or ``none``) on held-out predictions."""
        if method == "none" or np.unique(y).shape[0] < 2:
            return cls("none")
        if method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p_raw, y)
            return cls("isotonic", tuple(map(float, iso.X_thresholds_)), tuple(map(float, iso.y_thresholds_)))
        if method == "sigmoid":
            from sklearn.linear_model import LogisticRegression

            lr = LogisticRegression(C=1e6).fit(logit(p_raw).reshape(-1, 1), y)
            return cls("sigmoid", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
        raise ValueError(f"unknown calibration method {method!r}")

    def __call__(self, p_raw: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities, clipped to [EPS, 1 - EPS]."""
        p = np.asarray(p_raw, dtype=np.float64)
        if self.method == "isotonic":
            out = np.interp(p, np.asarray(self.x), np.asarray(self.y))
        elif self.method == "sigmoid":
            out = 1.0 / (1.0 + np.exp(-(self.a * logit(p) + self.b)))
        else:
            out = p
        return np.clip(out, EPS, 1.0 - EPS)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {"method": self.method, "x": list(self.x), "y": list(self.y), "a": self.a, "b": self.b}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibrator:
        """Rebuild from :meth:`to_json` output."""
        return cls(data["method"], tuple(data["x"]), tuple(data["y"]), float(data["a"]), float(data["b"]))
