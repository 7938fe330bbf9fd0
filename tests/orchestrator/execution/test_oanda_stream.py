"""OANDA transactions stream: fills arrive on the stream; a stream that freezes while its
heartbeats continue is detected from the heartbeats' lastTransactionID and caught up by REST."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.orchestrator.execution.venues import VenueCase, make_case


@pytest.fixture
def oanda() -> Iterator[VenueCase]:
    case = make_case("oanda")
    yield case
    case.server.close()


def test_stream_delivers_fills_once(oanda: VenueCase) -> None:
    assert oanda.broker.poll_fills() == []
    oanda.broker.submit(oanda.order("tf-s1"))
    fills = oanda.broker.stream_fills()  # type: ignore[attr-defined]
    assert [f.client_order_id for f in fills] == ["tf-s1"]
    assert oanda.broker.stream_stale is False  # type: ignore[attr-defined]
    assert oanda.broker.poll_fills() == []  # polling does not return it again
    assert oanda.server.requests("GET", r".*/transactions/sinceid")[-1] is not None


def test_frozen_stream_with_live_heartbeats_is_detected_and_caught_up(oanda: VenueCase) -> None:
    oanda.broker.poll_fills()
    oanda.fake.freeze_stream = True
    oanda.book.behaviour.append("replay")  # the fill is also served three times by REST
    oanda.broker.submit(oanda.order("tf-s2"))
    n_rest = len(oanda.server.requests("GET", r".*/transactions/sinceid"))
    fills = oanda.broker.stream_fills()  # type: ignore[attr-defined]
    assert oanda.broker.stream_stale is True  # type: ignore[attr-defined]
    assert [f.client_order_id for f in fills] == ["tf-s2"]
    assert len(oanda.server.requests("GET", r".*/transactions/sinceid")) == n_rest + 1
    assert oanda.broker.take_reconnected() is True  # the account gets reconciled
    assert oanda.broker.stream_fills() == []  # type: ignore[attr-defined]
