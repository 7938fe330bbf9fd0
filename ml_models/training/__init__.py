"""Per-asset model training: labels, purged walk-forward splits, GBMs, calibration, retraining."""
