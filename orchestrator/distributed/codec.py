"""JSON with type tags for the frozen domain types carried on the Redis bus.

Dataclasses are written as ``{"__t": "Signal", ...fields}``; ``Decimal`` as
``{"__d": "1.50"}`` (exact, never through float), enums as ``{"__e": "Side", "v": "buy"}``,
tuples as ``{"__tuple": [...]}``. Only the types registered here decode, so a message can
never name an arbitrary class to build.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from tradefleet.orchestrator.domain import (AssetClass, Bar, Decision, Direction, Fill, Instrument, Order, OrderStatus,
                                 OrderType, Position, Side, Signal, TimeInForce, Verdict)
from tradefleet.orchestrator.errors import TradefleetError

_TYPES: dict[str, type] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}  # registered dataclass -> its field names
_PRIMS = frozenset({str, int, float, bool, type(None)})
_ENUMS: dict[str, type[Enum]] = {e.__name__: e for e in
                                 (AssetClass, Side, Direction, Verdict, OrderType, OrderStatus, TimeInForce)}


class CodecError(TradefleetError):
    """A bus message could not be encoded or decoded."""


def register(cls: type) -> type:
    """Allow the dataclass ``cls`` on the bus (usable as a decorator)."""
    if not dataclasses.is_dataclass(cls):
        raise CodecError(f"{cls.__qualname__}: only dataclasses can be registered with the bus codec")
    _TYPES[cls.__name__] = cls
    _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)  # what cls(**fields) takes
    return cls


def register_enum(cls: type[Enum]) -> type[Enum]:
    """Allow the enum ``cls`` on the bus."""
    _ENUMS[cls.__name__] = cls
    return cls


for _cls in (Bar, Signal, Decision, Order, Fill, Position, Instrument):
    register(_cls)


_LAZY = {  # events other packages publish; imported on first use, not by every bus client
    "Alert": "tradefleet.orchestrator.execution.oms",
    "RiskAlert": "tradefleet.risk.alerts",
    "ControlState": "tradefleet.orchestrator.store.records",
}


def _lazy_types() -> None:
    import importlib

    for name, module in _LAZY.items():
        if name not in _TYPES:
            register(getattr(importlib.import_module(module), name))


def _enc(obj: Any) -> Any:
    t = type(obj)
    if t in _PRIMS:
        return obj
    names = _FIELDS.get(t)
    if names is not None:  # the hot path: a registered dataclass
        out: dict[str, Any] = {"__t": t.__name__}
        for name in names:
            v = getattr(obj, name)
            out[name] = v if type(v) in _PRIMS else _enc(v)
        return out
    if isinstance(obj, Enum):
        return {"__e": type(obj).__name__, "v": obj.value}
    if isinstance(obj, Decimal):
        return {"__d": str(obj)}
    if isinstance(obj, bool | int | float | str) or obj is None:
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = type(obj).__name__
        if name not in _TYPES:
            _lazy_types()
        if _TYPES.get(name) is not type(obj):
            raise CodecError(f"{type(obj).__qualname__} is not registered with the bus codec")
        return _enc(obj)
    if isinstance(obj, tuple):
        return {"__tuple": [_enc(x) for x in obj]}
    if isinstance(obj, list):
        return [_enc(x) for x in obj]
    if isinstance(obj, dict):
        if any(not isinstance(k, str) for k in obj):
            raise CodecError("only string keys can cross the bus")
        if any(k.startswith("__") for k in obj):
            raise CodecError("dict keys starting with '__' are reserved by the bus codec")
        return {k: _enc(v) for k, v in obj.items()}
    raise CodecError(f"{type(obj).__qualname__} cannot be sent on the bus")


def _hook(obj: dict[str, Any]) -> Any:
    """Rebuild one tagged object (json calls this bottom-up, children first)."""
    if "__t" in obj:
        name = obj.pop("__t")
        cls = _TYPES.get(name)
        if cls is None:
            _lazy_types()
            cls = _TYPES.get(name)
        if cls is None:
            raise CodecError(f"unknown message type {name!r}")
        return cls(**obj)
    if "__d" in obj:
        return Decimal(obj["__d"])
    if "__e" in obj:
        enum = _ENUMS.get(obj["__e"])
        if enum is None:
            raise CodecError(f"unknown enum {obj['__e']!r}")
        return enum(obj["v"])
    if "__tuple" in obj:
        return tuple(obj["__tuple"])
    return obj


_dumps = json.JSONEncoder(separators=(",", ":"), check_circular=False, allow_nan=True).encode


_decoder = json.JSONDecoder(object_hook=_hook)


def encode(event: Any) -> bytes:
    """Serialise ``event`` to compact UTF-8 JSON with type tags."""
    try:
        return _dumps(_enc(event)).encode()
    except (TypeError, ValueError) as exc:
        raise CodecError(f"cannot encode {type(event).__qualname__}: {exc}") from None


def decode(raw: bytes | str) -> Any:
    """Rebuild the event :func:`encode` wrote."""
    try:
        return _decoder.decode(raw.decode() if isinstance(raw, bytes | bytearray) else raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CodecError(f"bus message is not JSON: {exc}") from None
    except TypeError as exc:
        raise CodecError(f"bus message does not match its type: {exc}") from None
