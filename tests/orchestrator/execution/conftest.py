"""Fixtures: one loopback fake + adapter per venue (parametrized), and a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.orchestrator.execution.venues import VENUES, VenueCase, make_case


@pytest.fixture(params=VENUES)
def venue(request: pytest.FixtureRequest) -> Iterator[VenueCase]:
    case = make_case(request.param)
    yield case
    case.server.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[object]:
    from tradefleet.orchestrator.store import Store

    s = Store.open(f"sqlite:///{tmp_path / 'tf.db'}")
    yield s
    s.close()
