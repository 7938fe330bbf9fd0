"""A signal's id is computed once (the hot path reads it several times per signal), and a
copy with a changed field never keeps the old id."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import tradefleet.orchestrator.domain as domain
from tradefleet.orchestrator.distributed.codec import decode, encode
from tradefleet.orchestrator.domain import Direction, Signal


def test_signal_id_is_hashed_once_and_stays_the_same(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[bytes] = []

    class Counting:
        @staticmethod
        def sha1(data: bytes):  # type: ignore[no-untyped-def]
            calls.append(data)
            return hashlib.sha1(data)

    monkeypatch.setattr(domain, "hashlib", Counting)
    s = Signal("bot", "SPX", Direction.LONG, 0.5, 100.0, 10, 11, account="replay-1")
    first = s.signal_id
    assert [s.signal_id for _ in range(5)] == [first] * 5
    assert len(calls) == 1
    assert first == hashlib.sha1(b"replay-1|bot|SPX|long|10").hexdigest()[:24]


def test_a_changed_copy_gets_its_own_id_and_equal_signals_stay_equal() -> None:
    s = Signal("bot", "SPX", Direction.LONG, 0.5, 100.0, 10, 11)
    before = s.signal_id
    moved = replace(s, account="replay-2")
    assert moved.signal_id != before and moved.signal_id == Signal(
        "bot", "SPX", Direction.LONG, 0.5, 100.0, 10, 11, account="replay-2").signal_id
    assert s == Signal("bot", "SPX", Direction.LONG, 0.5, 100.0, 10, 11)  # the cached id is not compared
    assert decode(encode(moved)) == moved and decode(encode(moved)).signal_id == moved.signal_id
