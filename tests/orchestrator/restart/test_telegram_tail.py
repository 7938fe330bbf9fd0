"""The standalone Telegram bot's event source: the alerts every process stores.

An engine process (``run_live``, paper, the alpaca-py client against the Alpaca fake) has
an order rejected, then, at its next start, halts the account (the venue holds a position
the store never booked). A separate Telegram bot (``FleetTelegram(stored_alerts=True)``,
its own store connection, python-telegram-bot against the fake Bot API) sends each alert
exactly once, also after a restart of either process; alerts stored while it was down are
sent when it comes back. Bars are generated (synthetic)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.alerts.service import build_service
from tradefleet.orchestrator.alerts.store import AlertStore
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.fake_http import VenueBook
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.orchestrator.restart.harness import T0, PriceFeed, config, registry, run, spec

CHAT = 777


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_TEST_ALPACA_KEY", "k-test")
    monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "s-test")
    monkeypatch.setenv("TG_TOKEN", TOKEN)


def _cfg(base: str, tg: FakeTelegram, **alerts: Any) -> AppConfig:
    cfg = config(base, ["AAPL"])
    return AppConfig.model_validate({**cfg.model_dump(exclude_none=True), "alerts": alerts, "telegram": {
        "token": "env:TG_TOKEN", "base_url": tg.base_url, "base_file_url": tg.base_file_url,
        "alert_chats": [CHAT], "daily_summary_time": "off"}})


def _telegram_process(cfg: AppConfig, url: str, clock: SimClock, passes: int = 2) -> int:
    """One lifetime of the standalone bot: its own store connection, its alert loop's
    delivery step run ``passes`` times with a python-telegram-bot Bot; returns alerts sent."""
    from telegram import Bot

    from tradefleet.dashboard.telegram_bot import FleetTelegram

    store = Store.open(url)
    try:
        tg = FleetTelegram(cfg, store, clock, set(), stored_alerts=True)

        async def loop() -> int:
            async with Bot(TOKEN, base_url=cfg.telegram.base_url, base_file_url=cfg.telegram.base_file_url) as bot:
                return sum([await tg.deliver_stored(bot) for _ in range(passes)])

        return asyncio.run(loop())
    finally:
        store.close()


def test_engine_alerts_reach_the_standalone_bot_once_across_restarts(tmp_path: Path) -> None:
    fake = FakeAlpaca(VenueBook(prices={"AAPL": Decimal(100)}))
    tg = FakeTelegram()
    try:
        cfg = _cfg(fake.base, tg)
        url = f"sqlite:///{tmp_path}/s.db"
        clock = SimClock(T0)
        reg = registry(spec("flip-a", "AAPL"))
        fake.book.behaviour.append("reject:insufficient buying power")
        run(cfg, url, reg, ["flip-a"], PriceFeed({"AAPL": [101.0] * 3}), clock, 1, 2)  # the engine process
        assert tg.texts() == []  # the engine has no Telegram channel: only the bot sends

        assert _telegram_process(cfg, url, clock) == 1, tg.texts()
        (reject,) = tg.texts(CHAT)
        assert "order_rejected [alpaca]" in reject and "insufficient buying power" in reject

        assert _telegram_process(cfg, url, clock) == 0  # the bot restarted: nothing sent twice
        fake.book.positions["MSFT"] = Decimal(5)  # a position the store never booked
        run(cfg, url, reg, ["flip-a"], PriceFeed({"AAPL": [101.0] * 5}), clock, 3, 4)  # restarted: halts
        # stored while the bot was down, sent now: the halt, and the entry then blocked by it
        assert _telegram_process(cfg, url, clock) == 2, tg.texts()
        assert _telegram_process(cfg, url, clock) == 0
        texts = tg.texts(CHAT)
        assert len(texts) == 3 and texts[0] == reject
        assert "account_halted [alpaca]" in texts[1] and "positions differ" in texts[1]
        assert "order_blocked [alpaca]" in texts[2] and "is halted" in texts[2]
        store = Store.open(url)
        try:
            alerts = AlertStore(store)
            kinds = {a.id: a.kind for a in alerts.alerts()}
            sent = [kinds[d["alert_id"]] for d in alerts.deliveries() if d["status"] == "sent"]
        finally:
            store.close()
        assert sorted(sent) == ["account_halted", "order_blocked", "order_rejected"]
    finally:
        fake.server.close()
        tg.close()


def test_the_engine_and_the_bot_racing_for_one_alert_send_it_once(tmp_path: Path) -> None:
    """Both processes have the Telegram channel: whichever claims the delivery sends it."""
    from tradefleet.orchestrator.alerts.tail import AlertTail, channel_wants

    tg = FakeTelegram()
    try:
        cfg = _cfg("http://127.0.0.1:9", tg, telegram={})
        clock = SimClock(T0)
        with Store.open(f"sqlite:///{tmp_path}/r.db") as store:
            engine = build_service(cfg, store, clock, {"TG_TOKEN": TOKEN}, sleep=clock.advance)
            engine._thread = object()  # type: ignore[assignment]  # queued for its worker, not yet sent
            first = engine.publish("account_halted", "account alpaca halted: positions differ", "alpaca")
            tail = AlertTail(store, "telegram", cfg.alerts, clock, channel_wants(cfg.alerts.telegram))
            (claimed,) = tail.claim()  # the bot claims it first
            assert claimed.id == first.id and engine.drain() == 0  # the engine's worker finds it taken
            engine.channels["telegram"][0].send(claimed)  # the bot sends it (python-telegram-bot)
            tail.done(claimed, True)
            second = engine.publish("breaker", "extreme move on AAPL")
            assert engine.drain() == 1  # the engine claims this one first ...
            assert tail.claim() == []  # ... and the bot leaves it
            assert {d["status"] for d in engine.alerts.deliveries()} == {"sent"} and second.id > first.id
        assert len(tg.texts(CHAT)) == 2
    finally:
        tg.close()


def test_a_failed_send_is_retried_then_recorded(tmp_path: Path) -> None:
    """The Bot API refusing: released for a retry after a backoff, ``failed`` after the
    retries, never raised; a failed delivery is final (not resent by the next process)."""
    from telegram import Bot

    from tradefleet.dashboard.telegram_bot import FleetTelegram

    tg = FakeTelegram()
    try:
        cfg = _cfg("http://127.0.0.1:9", tg, retries=2, backoff_seconds=5.0)
        clock = SimClock(T0)
        url = f"sqlite:///{tmp_path}/f.db"
        tg.fail_next = 99
        with Store.open(url) as store:
            AlertStore(store).record(clock.now_ns(), "watchdog", "critical", "", "engine loop stalled", "k", {})
            bot = FleetTelegram(cfg, store, clock, set(), stored_alerts=True)

            async def passes() -> list[int]:
                async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
                    out = [await bot.deliver_stored(b), await bot.deliver_stored(b)]  # 2nd: backoff not over
                    clock.advance(6)
                    return out + [await bot.deliver_stored(b)]

            assert asyncio.run(passes()) == [0, 0, 0]
            (d,) = AlertStore(store).deliveries()
            assert (d["status"], d["attempts"]) == ("failed", 2) and "chat not found" in d["error"].lower()
        tg.fail_next = 0
        clock.advance(60)
        assert _telegram_process(cfg, url, clock) == 0 and tg.texts() == []
    finally:
        tg.close()


def test_the_telegram_command_as_a_process_sends_stored_alerts_once_and_logs_no_token(tmp_path: Path) -> None:
    """``tradefleet telegram`` as its own process (python-telegram-bot polling the fake Bot
    API): alerts another process stored before and while it runs are sent once; after a
    SIGTERM and a restart nothing is sent again; the bot token is in no line it logged."""
    import os
    import subprocess
    import sys
    import threading
    import time

    canary = "424242:CANARYtelegramTOKENbbbbbbbbbbbbbbbbbbbb"
    tg = FakeTelegram(token=canary)
    url = f"sqlite:///{tmp_path}/fleet.db"
    cfg_file = tmp_path / "tradefleet.toml"
    cfg_file.write_text(f'[engine]\nstore_url = "{url}"\n\n[telegram]\ntoken = "env:TF_TG"\n'
                        f'base_url = "{tg.base_url}"\nbase_file_url = "{tg.base_file_url}"\n'
                        f'alert_chats = [{CHAT}]\ndaily_summary_time = "off"\n')
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "TF_TG": canary, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}

    def store_alert(kind: str, message: str) -> None:  # as the engine process stores it
        with Store.open(url) as store:
            AlertStore(store).record(time.time_ns(), kind, "critical", "alpaca", message, f"{kind}|{message}", {})

    def until(cond: Any, what: str) -> None:
        wait = threading.Event()
        for _ in range(1200):  # waiting for the other process; nothing about time is asserted
            if cond():
                return
            wait.wait(0.1)
        raise AssertionError(f"the telegram process never {what}")

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "tradefleet.app.cli.main", "telegram", "--config", str(cfg_file)],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    logs: list[str] = []
    try:
        store_alert("account_halted", "account alpaca halted: positions differ (MSFT: store 0 vs venue 5)")
        proc = start()
        try:
            until(lambda: len(tg.texts(CHAT)) == 1, "sent the alert stored before it started")
            store_alert("order_rejected", "submit tf-1 rejected: HTTP 403: insufficient buying power")
            until(lambda: len(tg.texts(CHAT)) == 2, "sent the alert stored while it ran")
        finally:
            proc.terminate()
            logs.append(proc.communicate(timeout=60)[0])
            print("telegram process output (tail):", logs[-1][-4000:], tg.calls)  # shown on failure
        polls = tg.calls.get("getUpdates", 0)
        proc = start()
        try:
            until(lambda: tg.calls.get("getUpdates", 0) >= polls + 3, "polled again after its restart")
        finally:
            proc.terminate()
            logs.append(proc.communicate(timeout=60)[0])
        texts = tg.texts(CHAT)
        assert len(texts) == 2, texts  # nothing sent twice across the restart
        assert "account_halted [alpaca]" in texts[0] and "order_rejected [alpaca]" in texts[1]
        text = "\n".join(logs)
        assert "getUpdates" in text or "HTTP Request" in text or "telegram" in text  # it did log
        assert canary not in text and canary.split(":")[1] not in text, "the bot token is in the logs"
    finally:
        tg.close()
