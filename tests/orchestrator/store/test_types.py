"""Decimal exactness and JSON encoding of stored values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.orchestrator.domain import Position
from tradefleet.orchestrator.store import Store
from tradefleet.orchestrator.store.types import canonical, decimal_text, dumps, loads, to_decimal

EXACT = ["0", "0.1", "-0.3", "1E-12", "0.000000000001", "123456789012345678901234.123456789012",
         "-99999999999999999999999999.999999999999", "65000.5", "1.10", "100"]


def test_decimal_round_trip_is_exact(store: Store) -> None:
    values = [Decimal(raw) for raw in EXACT]
    for i, value in enumerate(values):
        store.save_position(Position("b", f"X{i:02d}", value, value, value.copy_negate()), 1)
    got = store.positions()
    assert [(p.quantity, p.avg_price, p.realized_pnl) for p in got] == [
        (v, v, v.copy_negate()) for v in values]
    # the same text on every backend: insignificant trailing zeros dropped
    assert [str(p.quantity) for p in got] == [
        "0", "0.1", "-0.3", "1E-12", "1E-12", "123456789012345678901234.123456789012",
        "-99999999999999999999999999.999999999999", "65000.5", "1.1", "100"]


def test_canonical_drops_trailing_zeros_only() -> None:
    cases = {"3.000000000000": "3", "30.000": "30", "0.100000000000": "0.1", "1E+2": "1E+2",
             "0E-12": "0", "-0.500": "-0.5", "123456789012345678901234.100000000000":
             "123456789012345678901234.1", "7": "7"}
    assert {k: str(canonical(Decimal(k))) for k in cases} == cases


def test_float_sums_differ_but_decimal_sums_do_not(store: Store) -> None:
    total = sum([Decimal("0.1")] * 3, Decimal(0))
    store.record_equity(1, total, Decimal("0.2"), total + Decimal("0.2"))
    (point,) = store.equity_curve()
    assert point.cash == Decimal("0.3") and point.equity == Decimal("0.5")
    assert 0.1 + 0.1 + 0.1 != 0.3  # why the store never stores money as float


def test_more_than_twelve_places_round_half_even_on_every_backend(store: Store) -> None:
    store.record_equity(1, Decimal("1.0000000000005"), Decimal("1.0000000000015"),
                        Decimal("2.0000000000025"))
    (point,) = store.equity_curve()
    assert (point.cash, point.positions_value, point.equity) == (
        Decimal("1.000000000000"), Decimal("1.000000000002"), Decimal("2.000000000002"))


def test_to_decimal_conversions() -> None:
    assert to_decimal(0.1) == Decimal("0.1")  # shortest repr, not the binary expansion
    assert to_decimal(3) == Decimal(3)
    assert to_decimal("1.50") == Decimal("1.50")
    assert to_decimal(Decimal(1) / Decimal(3)) == Decimal("0.333333333333")
    big = Decimal("12345678901234567890.1234567890125")  # 33 digits: past the 28-digit context
    assert to_decimal(big) == Decimal("12345678901234567890.123456789012")
    for bad in (Decimal("NaN"), Decimal("Infinity"), float("inf"), Decimal("1E+26"), True):
        with pytest.raises(ValueError):
            to_decimal(bad)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("-1E+25"), max_value=Decimal("1E+25"), places=12,
                   allow_nan=False, allow_infinity=False))
def test_to_decimal_keeps_any_value_with_twelve_places(value: Decimal) -> None:
    assert to_decimal(value) == value
    assert Decimal(format(to_decimal(value), "f")) == value  # the SQLite text form


def _to_decimal_reference(value: Decimal) -> Decimal:
    """The general path of ``to_decimal`` for a Decimal (digit tuple, quantize, range)."""
    from tradefleet.orchestrator.store.types import _CONTEXT, _MAX_ABS, _QUANTUM

    if not value.is_finite():
        raise ValueError(value)
    exp = value.as_tuple().exponent
    d = value.quantize(_QUANTUM, context=_CONTEXT) if isinstance(exp, int) and exp < -12 else value
    if d.copy_abs() >= _MAX_ABS:
        raise ValueError(d)
    return d


def test_to_decimal_fast_path_is_the_general_path() -> None:
    """A Decimal taken as it is (its text shows at most 12 places) comes back digit for
    digit and exponent for exponent as the general path returns it, and its SQLite text is
    ``format(.., "f")``; every shape that is not (scientific text, more places, too big,
    not finite) still goes the general way."""
    import random
    from decimal import Context

    rng = random.Random(23)
    values = [Decimal(t) for t in ("0", "-0", "0.000000000000", "0E-13", "0E+30", "1E+25", "9.99E+25", "1E+26",
                                   "-1E+26", "1E-12", "1E-13", "0.0000001", "1E+2", "-7.50", "65000.5",
                                   "123456789012345678901234.1234567890125", "99999999999999999999999999.9999999999995")]
    for _ in range(5000):
        v = Decimal(rng.randint(-10**rng.randint(0, 30), 10**rng.randint(0, 30))).scaleb(rng.randint(-16, 6))
        # the same value again, then with one more trailing zero: rounded ones are remembered
        values += [v, v, v.quantize(Decimal(1).scaleb(v.as_tuple().exponent - 1), context=Context(prec=80))]  # type: ignore[operator]
    for v in values:
        try:
            want = _to_decimal_reference(v)
        except ValueError:
            with pytest.raises(ValueError):
                to_decimal(v)
            continue
        got = to_decimal(v)
        assert got.as_tuple() == want.as_tuple(), v
        assert decimal_text(v) == format(want, "f"), v
    assert decimal_text(1e-7) == "0.0000001" and decimal_text(Decimal("1E+2")) == "100"


def test_json_encoder_handles_numpy_decimal_and_nan() -> None:
    import numpy as np

    doc = {"a": np.float64(1.5), "b": np.int64(2), "c": np.array([1, 2]), "d": Decimal("0.1"),
           "e": float("nan"), "f": [float("inf"), {"g": float("-inf")}], "h": {1, 2} - {1}}
    assert loads(dumps(doc)) == {"a": 1.5, "b": 2, "c": [1, 2], "d": "0.1", "e": None,
                                 "f": [None, {"g": None}], "h": [2]}
    with pytest.raises(TypeError, match="object"):
        dumps({"x": object()})
    # compact, in insertion order, text as UTF-8 (orjson's output)
    small = {"b": [1, 2.5, None], "a": {"z": "é", "y": np.float64(0.1)}, "d": Decimal("2")}
    assert dumps(small) == '{"b":[1,2.5,null],"a":{"z":"é","y":0.1},"d":"2"}'
    # what orjson refuses goes through the standard library, which writes it as before
    assert dumps({1: 2, "big": 2**70}) == '{"1":2,"big":1180591620717411303424}'
    with pytest.raises(TypeError, match="object"):
        dumps({"x": [object()], 1: 2})


def _jsonish() -> st.SearchStrategy[object]:
    """What bots put in ``meta`` and gates in ``data``: JSON values, numpy scalars,
    Decimals, datetimes, NaN and infinities, integer keys, integers beyond 64 bits."""
    import numpy as np

    scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8)
               | st.decimals(allow_nan=False, allow_infinity=False, places=4) | st.datetimes() | st.dates()
               | st.floats(width=32).map(np.float32) | st.floats().map(np.float64)
               | st.integers(-2**40, 2**40).map(np.int64))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                        | st.dictionaries(st.text(max_size=4) | st.integers(-5, 5), inner, max_size=4),
                        max_leaves=20)


def _reference_dumps(value: object) -> str:
    """The encoder the store used before orjson: the standard library's, NaN as null."""
    import json

    from tradefleet.orchestrator.store.types import _finite, _json_default

    return json.dumps(_finite(json.loads(json.dumps(value, default=_json_default))), separators=(",", ":"),
                      allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(_jsonish())
def test_json_encoder_reads_back_what_the_standard_library_wrote(value: object) -> None:
    import json

    assert json.loads(dumps(value)) == json.loads(_reference_dumps(value))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["paper", "alpaca"]), st.integers(0, 5),
                          st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000"),
                                      places=6)), max_size=30))
def test_stored_fills_are_the_unique_fills_in_arrival_order(
        arrivals: list[tuple[str, int, Decimal]]) -> None:
    from tradefleet.orchestrator.domain import Fill, Order, Side

    with Store.open("sqlite://") as store:
        store.record_order_intent(Order("tf-1", "b", "X", Side.BUY, Decimal(1), 0))
        expected: dict[tuple[str, str], Decimal] = {}
        with store.batch():
            for venue, trade, qty in arrivals:
                key = (venue, f"t{trade}")
                fill = Fill("tf-1", venue, "v1", key[1], "X", Side.BUY, qty, Decimal("1.5"),
                            Decimal(0), trade, trade)
                assert store.record_fill(fill) is (key not in expected)
                expected.setdefault(key, qty)
        got = store.fills("tf-1")
    assert [((f.venue, f.trade_id), f.quantity) for f in got] == list(expected.items())
    assert sum((f.quantity for f in got), Decimal(0)) == sum(expected.values(), Decimal(0))


def test_canonical_text_reads_sqlite_text_as_canonical_does() -> None:
    """The fast text path (warm starts read tens of thousands of amounts) equals the
    general one on every shape SQLite can hold, digit for digit and exponent for exponent."""
    import random

    from tradefleet.orchestrator.store.types import canonical_text

    rng = random.Random(15)
    texts = ["0", "-0", "0.000000000000", "-0.000", "100", "30.000", "0.000000000001", "1E+2", "1e-3", "-7.50",
             "123456789012345678901234.100000000000", "-99999999999999999999999999.999999999999"]
    for _ in range(2000):
        d = Decimal(rng.randint(-10**14, 10**14)).scaleb(-rng.randint(0, 12))
        texts.append(format(to_decimal(d), "f"))
    for t in texts:
        fast, slow = canonical_text(t), canonical(Decimal(t))
        assert fast.as_tuple() == slow.as_tuple(), t
