"""Shared fixtures of the ai tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _single_threaded_blas() -> Iterator[None]:
    """Reference hmmlearn fits use tiny matrices: threads only add contention here."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
