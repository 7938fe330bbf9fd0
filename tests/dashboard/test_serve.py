"""The interfaces next to the engine: dashboard and Telegram threads sharing its bus."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.execution.oms import Alert
from tradefleet.orchestrator.store import Store

from tradefleet.dashboard.serve import DashboardServer, TelegramRunner
from tradefleet.dashboard.telegram_bot import FleetTelegram
from tests.dashboard.conftest import T0, make_config
from tests.fakes.telegram import TOKEN, FakeTelegram, command_update


def test_dashboard_server_thread(tmp_path: Path, store_url: str, specs: Any) -> None:
    srv = DashboardServer(make_config(tmp_path), store_url, SimClock(T0), port=0, specs=specs).start()
    try:
        with urllib.request.urlopen(srv.url + "/api/status", timeout=10) as r:
            assert json.load(r)["state"] == "active"
            assert r.headers["Server"] == "tradefleet"  # waitress, no product version
    finally:
        srv.stop()


def test_dashboard_command_serves_with_waitress(tmp_path: Path, store_url: str) -> None:
    """``tradefleet dashboard`` as a process: no development-server banner, no version in
    the Server header, answers on the port it announces."""
    import os
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "TRADEFLEET__DASHBOARD__REPORTS_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "tradefleet.app.cli.main", "dashboard", "--port", "0",
                             "--store", store_url], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))  # type: ignore[union-attr]
        assert port > 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
            assert r.status == 200 and r.headers["Server"] == "tradefleet"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "development server" not in err and "Werkzeug" not in err


def test_telegram_runner_polls_and_relays_alerts(tmp_path: Path, store_url: str, specs: Any) -> None:
    fake = FakeTelegram()
    try:
        cfg = AppConfig.model_validate({"telegram": {
            "base_url": fake.base_url, "base_file_url": fake.base_file_url, "allowed_users": [7],
            "allowed_chats": [7], "daily_summary_time": None}})
        bus = InProcessBus()
        with Store.open(store_url) as store:
            bot = FleetTelegram(cfg, store, SimClock(T0), set(specs), specs=specs, bus=bus)
            runner = TelegramRunner(bot, TOKEN).start()
            try:
                fake.push(command_update("/pause spx-rsi2", 7, 7, update_id=1))
                assert fake.sent_event.wait(20)
                fake.sent_event.clear()
                bus.publish(Topic.ALERTS, Alert("bot_faulted", "spx-rsi2: ZeroDivisionError", T0))
                assert fake.sent_event.wait(20)
            finally:
                runner.stop()
            assert store.control("bot:spx-rsi2").paused
        assert fake.texts(7) == ["paused spx-rsi2", "bot_faulted: spx-rsi2: ZeroDivisionError"]
    finally:
        fake.close()


def test_telegram_runner_reports_bad_token(tmp_path: Path, store_url: str, specs: Any) -> None:
    from telegram.error import InvalidToken

    fake = FakeTelegram()
    try:
        cfg = AppConfig.model_validate({"telegram": {"base_url": fake.base_url, "base_file_url": fake.base_file_url}})
        with Store.open(store_url) as store:
            runner = TelegramRunner(FleetTelegram(cfg, store, SimClock(T0), set(specs), specs=specs), "1:BAD")
            with pytest.raises(InvalidToken):
                runner.start()
    finally:
        fake.close()
