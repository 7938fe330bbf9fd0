"""Suite-wide markers: every test that needs a local service carries ``services``.

A test needs PostgreSQL or Redis when it uses one of the service fixtures (the store's
PostgreSQL variant, ``pg_url``, or the Redis stream ``prefix``). Marking them at
collection keeps the marker true as tests are added: ``pytest -m services`` selects
exactly the tests that skip (or, with ``REQUIRE_SERVICES=1``, fail) without the services,
and ``pytest -m "not services"`` runs the rest on a bare machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if os.environ.get("CI"):
    # CI is the gate a change lands through: its property tests draw the same examples on
    # every run (derandomised) with no per-example deadline (CI shares a loaded 2-core box), so a
    # red run names a real regression, not an unlucky draw or a slow moment.
    # Local runs keep exploring new examples.
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
    _hypothesis_settings.load_profile("ci")

SERVICE_FIXTURES = frozenset({"pg_url", "_pg_schema", "prefix"})


def needs_services(item: pytest.Item) -> bool:
    """Return whether ``item`` uses PostgreSQL or Redis through a service fixture."""
    names = set(getattr(item, "fixturenames", ()))
    if names & SERVICE_FIXTURES:
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("variant") == "postgresql"


@pytest.fixture(scope="session", autouse=True)
def _session_working_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Session fixtures (shared stores) write their relative paths (``var/``) in a session folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("session-cwd"))
        # subprocesses started with ``-m tests...`` or ``-m bench...`` still find the checkout
        mp.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        yield


@pytest.fixture(autouse=True)
def _own_working_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own empty working folder: the default store, the regime-model
    cache, reports and anything else under ``var/`` are never shared between tests."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if needs_services(item):
            item.add_marker(pytest.mark.services)


class _OldTopLevelNames:
    """Refuse the pre-namespace top-level names in-process (the checkout's folders are on
    sys.path under pytest): a missed ``tradefleet.`` import fails loudly instead of loading a
    second copy of a module. The ``orchestrator`` shims are tested in a subprocess."""

    OLD = ("orchestrator", "bots", "ai", "ml_models", "risk", "backtest", "scrapers", "dashboard", "app")

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in self.OLD:
            raise ImportError(f"{name}: import it as tradefleet.{name}")
        return None


sys.meta_path.insert(0, _OldTopLevelNames())  # type: ignore[arg-type]
