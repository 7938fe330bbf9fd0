"""JSON text of view data for pages and the API (Decimals exact, as strings; enums as values)."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = ["dumps", "embed_json"]


def _json_default(obj: Any) -> Any:
    """Decimals as strings (exact), enums as their values."""
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def dumps(obj: Any) -> str:
    """JSON text of view data (Decimals exact, as strings)."""
    return json.dumps(obj, default=_json_default, separators=(",", ":"))


def embed_json(obj: Any) -> str:
    """JSON for a ``<script type="application/json">`` block (no ``</`` can close it)."""
    return dumps(obj).replace("</", "<\\/")
