"""Memory: a recorded session is read through the system allocator.

Arrow's default pool (mimalloc) keeps the pages it touched while decoding after the
tables are freed (about 20-30 MB of the default replay's peak RSS for the bundled
session). ``load_session`` swaps in the system pool for the read and puts the default back.
"""

from __future__ import annotations

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def test_a_session_reads_through_the_system_pool_with_the_same_content(monkeypatch: pytest.MonkeyPatch) -> None:
    from tradefleet.bots.prediction import session as mod
    from tradefleet.bots.prediction.source import session_path

    path = session_path("synthetic_session")
    assert path is not None
    before = pa.default_memory_pool().backend_name
    plain = mod._load_session(path)  # the default pool, as before
    seen: list[str] = []
    real = pq.read_table

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(pa.default_memory_pool().backend_name)
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    got = mod.load_session(path)
    assert seen and set(seen) == {"system"}  # every table read through the system allocator
    assert pa.default_memory_pool().backend_name == before  # and the default put back
    assert len(got.snapshots) == len(plain.snapshots) > 0
    assert got.snapshots[0] == plain.snapshots[0] and got.snapshots[-1] == plain.snapshots[-1]
    assert got.settlements == plain.settlements


def test_the_default_pool_comes_back_when_a_read_fails(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tradefleet.bots.prediction.session import load_session
    from tradefleet.orchestrator.errors import DataError

    before = pa.default_memory_pool().backend_name
    with pytest.raises(DataError):
        load_session(tmp_path)  # no session here
    assert pa.default_memory_pool().backend_name == before
