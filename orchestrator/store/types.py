"""Column types shared by the models and the migrations.

Money and quantities are stored as exact decimals: a string on SQLite (which has no exact
numeric type) and ``NUMERIC(38, 12)`` on PostgreSQL. Both backends keep at most 12
fractional digits, so a value reads back the same whichever database holds it.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import Enum
from typing import Any

import orjson
from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

SCALE = 12
PRECISION = 38
_QUANTUM = Decimal(1).scaleb(-SCALE)
_MAX_ABS = Decimal(10) ** (PRECISION - SCALE)
# Wide enough that quantizing to 12 places never overflows (the default context has 28 digits).
_CONTEXT = Context(prec=PRECISION + SCALE, rounding=ROUND_HALF_EVEN)
_ONE = Decimal(1)
#: a finite nonzero value is below 10**(PRECISION - SCALE) in magnitude iff its adjusted
#: exponent (that of its leading digit) is below this
_MAX_ADJUSTED = PRECISION - SCALE
#: values of more than 12 places, rounded (equal values round to the same digits)
_ROUNDED: dict[Decimal, Decimal] = {}
_ROUNDED_MAX = 256


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    """Return ``value`` as a finite Decimal with at most 12 fractional digits.

    Floats go through their shortest repr (``0.1`` becomes ``Decimal("0.1")``, not the
    binary expansion). More than 12 fractional digits are rounded half-even, exactly as
    PostgreSQL's NUMERIC(38, 12) would; NaN, infinities and values too large for 38 digits
    raise ValueError instead of being stored wrong.
    """
    if type(value) is Decimal and value.is_finite() and value.adjusted() < _MAX_ADJUSTED:
        # the common case (an amount the ledger already holds): its plain text tells its
        # fractional digits without building the digit tuple that ``as_tuple`` would
        text = str(value)
        if "E" not in text:
            dot = text.find(".")
            if dot < 0 or len(text) - dot <= SCALE + 1:
                return value
            # more places: rounded as below, to the same digits whatever its exponent (the
            # ledger's cash, written with every day's equity, is rounded once)
            hit = _ROUNDED.get(value)
            if hit is None:
                hit = value.quantize(_QUANTUM, context=_CONTEXT)
                if hit.adjusted() >= _MAX_ADJUSTED:  # rounded up out of range: raise below
                    hit = None
                else:
                    if len(_ROUNDED) >= _ROUNDED_MAX:
                        _ROUNDED.clear()
                    _ROUNDED[value] = hit
            if hit is not None:
                return hit
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool):
        raise ValueError(f"not a decimal amount: {value!r}")
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        d = Decimal(value)
    if not d.is_finite():
        raise ValueError(f"cannot store non-finite decimal {d}")
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -SCALE:
        d = d.quantize(_QUANTUM, context=_CONTEXT)
    if d.copy_abs() >= _MAX_ABS:  # copy_abs: abs() would round to the 28-digit context
        raise ValueError(f"decimal {d} exceeds NUMERIC({PRECISION}, {SCALE})")
    return d


def decimal_text(value: Decimal | int | float | str) -> str:
    """``format(to_decimal(value), "f")``, the SQLite text of an amount: ``str`` is the same
    text and three times cheaper unless it picks scientific notation."""
    d = to_decimal(value)
    text = str(d)
    return text if "E" not in text else format(d, "f")


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact Decimal column: TEXT on SQLite, NUMERIC(38, 12) on PostgreSQL."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(PRECISION, SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        # Plain notation (no exponent) so the text sorts and reads like a number.
        return decimal_text(value) if dialect.name == "sqlite" else to_decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, str):
            return canonical_text(value)
        return canonical(value if isinstance(value, Decimal) else Decimal(str(value)))


def canonical_text(text: str) -> Decimal:
    """:func:`canonical` of a decimal's plain text (how SQLite holds it), by trimming the
    text: a warm start reads tens of thousands of amounts, and ``Decimal.as_tuple`` per
    value cost about a second there. Text in exponent notation takes the general path."""
    if "e" in text or "E" in text:
        return canonical(Decimal(text))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
        if text in ("", "-", "+"):  # ".000" and the like: zero, signed as written
            return canonical(Decimal(text + "0"))
    return Decimal(text)


def canonical(d: Decimal) -> Decimal:
    """Drop insignificant trailing zeros (``3.000000000000`` -> ``3``, ``1.10`` -> ``1.1``),
    so a value reads back the same from SQLite text and from PostgreSQL NUMERIC(38, 12)."""
    exp = d.as_tuple().exponent
    if not isinstance(exp, int) or exp >= 0:
        return d
    if d == d.to_integral_value():
        return d.quantize(_ONE, context=_CONTEXT)
    return d.normalize(_CONTEXT)


def _json_default(obj: Any) -> Any:
    """Serialise values bots commonly put in ``meta``/``data`` (numpy scalars, Decimals)."""
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    tolist = getattr(obj, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return tolist()
    item = getattr(obj, "item", None)  # other array-likes' scalars
    if callable(item):
        return item()
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


def _finite(value: Any) -> Any:
    """Replace NaN and infinities (invalid JSON, refused by PostgreSQL) with null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# what json.dumps(value, default=_json_default, separators=(",", ":"), allow_nan=False) builds
# per call: one encoder, the same output. The fallback of the fast path below.
_ENCODER = json.JSONEncoder(default=_json_default, separators=(",", ":"), allow_nan=False)
# orjson hands datetimes and dataclasses to _json_default as the standard library does
# (it would write its own forms of them); it writes NaN and infinities as null itself
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """The engine's JSON serialiser: compact, tolerant of numpy and Decimal values;
    NaN and infinities become null.

    orjson writes what the standard library would read back as the same value, ~15x
    faster (the store encodes every gate decision's evidence): a float in its shortest
    round-trip form (``1e-05`` may read ``0.00001``), text as UTF-8 rather than ``\\u``
    escapes. What orjson refuses (keys that are not strings, integers beyond 64 bits, an
    object ``_json_default`` refuses) goes through the standard library's encoder, which
    handles it or raises ``TypeError`` as before."""
    try:
        return orjson.dumps(value, default=_json_default, option=_ORJSON).decode()
    except orjson.JSONEncodeError:
        pass
    try:
        return _ENCODER.encode(value)
    except ValueError:
        cleaned = _finite(json.loads(json.dumps(value, default=_json_default)))
        return json.dumps(cleaned, separators=(",", ":"), allow_nan=False)


def loads(value: str) -> Any:
    """The engine's JSON deserialiser."""
    return json.loads(value)
