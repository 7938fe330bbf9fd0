"""Shared fixtures: one short replay (run once per session) copied per test, bot specs,
a SimClock, and app factories with and without a password."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.app.config import AppConfig

REPLAY_BOTS = ["spx-rsi2", "spx-sma-trend", "goog-rsi2"]
PASSWORD = "correct horse battery staple"
SECRET = "k" * 8 + "0123456789abcdefghijklmnopqrstuvwxyz"
T0 = 1_750_000_000 * NS


@pytest.fixture(scope="session")
def replay_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled by a real replay of three bots over 18 months of bundled data."""
    from tradefleet.app.replay import run_replay

    path = tmp_path_factory.mktemp("replay") / "replay.db"
    summary = run_replay(AppConfig(), bots=REPLAY_BOTS, start="2010-01-01", end="2011-06-30",
                         store_url=f"sqlite:///{path}")
    assert summary.fills > 10
    return path


@pytest.fixture(scope="session")
def specs() -> dict[str, Any]:
    from tradefleet.orchestrator.registry import Registry

    return Registry.discover(["bots"]).ok("bots")


@pytest.fixture
def store_url(replay_db: Path, tmp_path: Path) -> str:
    """A private copy of the replay store (tests write control state)."""
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(replay_db) + suffix)
        if src.exists():
            shutil.copy(src, tmp_path / (replay_db.name + suffix))
    return f"sqlite:///{tmp_path / replay_db.name}"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(T0)


@pytest.fixture(scope="session")
def password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


def same_origin_client(app: Any) -> None:
    """Make ``app.test_client()`` send the Origin a browser on the dashboard's own page sends."""
    from flask.testing import FlaskClient

    class BrowserLikeClient(FlaskClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.environ_base["HTTP_ORIGIN"] = "http://localhost"

    app.test_client_class = BrowserLikeClient


def make_config(tmp_path: Path, **dashboard: Any) -> AppConfig:
    data: dict[str, Any] = {"dashboard": {"reports_dir": str(tmp_path / "reports"), **dashboard},
                            "regime": {"history_dir": str(tmp_path / "regimes")}}
    return AppConfig.model_validate(data)


@pytest.fixture
def secured(tmp_path: Path, store_url: str, clock: SimClock, specs: dict[str, Any],
            password_hash: str) -> Iterator[Any]:
    """An app that requires login (password hash and secret key from the environment)."""
    from tradefleet.dashboard.app import create_app

    cfg = make_config(tmp_path, password_hash="env:TF_TEST_PW_HASH", secret_key="env:TF_TEST_KEY")
    app = create_app(cfg, store_url, clock, specs=specs,
                     environ={"TF_TEST_PW_HASH": password_hash, "TF_TEST_KEY": SECRET})
    app.config["TESTING"] = True
    same_origin_client(app)
    yield app
    app.extensions["tradefleet"]["store"].close()


@pytest.fixture
def open_app(tmp_path: Path, store_url: str, clock: SimClock, specs: dict[str, Any]) -> Iterator[Any]:
    """A loopback app without a password (no login)."""
    from tradefleet.dashboard.app import create_app

    app = create_app(make_config(tmp_path), store_url, clock, specs=specs)
    app.config["TESTING"] = True
    same_origin_client(app)
    yield app
    app.extensions["tradefleet"]["store"].close()


def csrf_of(client: Any) -> str:
    """The CSRF token of the client's session (issued on any request)."""
    client.get("/login")
    with client.session_transaction() as sess:
        return str(sess["csrf"])


def login(client: Any, password: str = PASSWORD) -> Any:
    token = csrf_of(client)
    return client.post("/login", data={"password": password, "username": "alice", "csrf_token": token})
