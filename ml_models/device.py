"""Pick the compute device: CUDA where torch sees a GPU, the CPU otherwise."""

from __future__ import annotations

from functools import cache


@cache
def best_device() -> str:
    """Return ``"cuda"`` when ``torch.cuda.is_available()``, else ``"cpu"``."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a pinned dependency
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"
