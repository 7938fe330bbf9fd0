"""Offline mode: the default with no keys and always in replay; recorded fixtures through the
same client code; provenance marked offline and stored; no network, no budget spent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.scrapers.alt import alt_sources
from tradefleet.scrapers.config import DataConfig
from tradefleet.scrapers.hub import DataHub


@pytest.mark.parametrize("name", sorted(alt_sources()))
def test_every_source_answers_offline_without_keys(name: str, tmp_path: Path, clock: SimClock) -> None:
    keyed = alt_sources()[name].keyed
    # keyed sources without their key are offline even on paper; keyless ones are offline in replay
    hub = DataHub(DataConfig(cache_dir=str(tmp_path)), clock, app_mode="paper" if keyed else "replay", environ={})
    src = hub.source(name)
    assert src.offline
    ans = src.sample()
    assert ans.provenance.offline and ans.provenance.fetched_at == clock.now_ns()
    rows = hub.log.read()
    assert rows and all(r["offline"] for r in rows)
    assert (tmp_path / "provenance.jsonl").exists()
    assert all(c.network_requests == 0 and c.budget.used == 0 for c in hub._clients.values())


def test_replay_is_offline_even_with_keys(tmp_path: Path, clock: SimClock) -> None:
    hub = DataHub(DataConfig(cache_dir=str(tmp_path)), clock, app_mode="replay", environ={"FRED_API_KEY": "k"})
    assert hub.is_offline("fred", True) and hub.is_offline("nws", False)


def test_paper_with_key_is_live_and_config_can_force(tmp_path: Path, clock: SimClock) -> None:
    env = {"FRED_API_KEY": "k"}
    assert not DataHub(DataConfig(cache_dir=str(tmp_path)), clock, app_mode="paper", environ=env).is_offline("fred", True)
    assert not DataHub(DataConfig(cache_dir=str(tmp_path)), clock, app_mode="paper", environ={}).is_offline("nws", False)
    forced = DataHub(DataConfig(cache_dir=str(tmp_path), offline=True), clock, app_mode="live", environ=env)
    assert forced.is_offline("fred", True)


def test_offline_unknown_request_is_a_clear_error(tmp_path: Path, clock: SimClock) -> None:
    from tradefleet.orchestrator.errors import DataError

    hub = DataHub(DataConfig(cache_dir=str(tmp_path)), clock, environ={})
    with pytest.raises(DataError, match="HTTP 404 .*no recorded response"):
        hub.source("openmeteo").http.get("/v1/forecast")


def test_providers_register_through_entry_points() -> None:
    from tradefleet.orchestrator.registry import Registry

    reg = Registry.discover(["providers"])
    assert reg.broken("providers") == []
    assert {"bundled", "file", "ccxt", "alpaca", "oanda", "fred", "gdpnow", "openmeteo", "nws", "clevelandfed",
            "odds", "news", "funding"} <= set(reg.ok("providers"))
