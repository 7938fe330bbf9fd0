"""The alert service: stored first, delivered to a fake Telegram (python-telegram-bot), a
signed webhook, Discord and Slack receivers and an SMTP server on 127.0.0.1, with retries
(backoff on a SimClock), a rate limit per channel and de-duplication."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.alerts.service import AlertService, build_service
from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.execution.oms import Alert
from tradefleet.orchestrator.store import Store
from tests.fakes.hooks import FakeSmtp, FakeWebhook
from tests.fakes.telegram import TOKEN, FakeTelegram

T0 = 1_795_305_600 * 10**9


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    yield s
    s.close()


@pytest.fixture
def receivers() -> Iterator[dict[str, Any]]:
    r = {"telegram": FakeTelegram(), "webhook": FakeWebhook(), "discord": FakeWebhook("disc-T0K"),
         "slack": FakeWebhook("slack-T0K"), "smtp": FakeSmtp()}
    yield r
    for x in r.values():
        x.close()


def _config(r: dict[str, Any], **alerts: Any) -> AppConfig:
    return AppConfig.model_validate({
        "telegram": {"token": "env:TG_TOKEN", "base_url": r["telegram"].base_url,
                     "base_file_url": r["telegram"].base_file_url, "alert_chats": [777]},
        "alerts": {"telegram": {}, "webhook": {"url": r["webhook"].url, "secret": "env:HOOK_SECRET"},
                   "discord": {"url": "env:DISCORD_URL"}, "slack": {"url": r["slack"].url},
                   "email": {"host": "127.0.0.1", "port": r["smtp"].port, "sender": "tf@example.test",
                             "to": ["ops@example.test"], "starttls": False},
                   **alerts}})


ENV = {"TG_TOKEN": TOKEN, "HOOK_SECRET": "hmac-key-123", "DISCORD_URL": ""}


def _service(r: dict[str, Any], store: Store, clock: SimClock, **alerts: Any) -> AlertService:
    env = dict(ENV, DISCORD_URL=r["discord"].url)
    return build_service(_config(r, **alerts), store, clock, env, sleep=clock.advance)


def test_an_alert_is_stored_then_reaches_every_channel(receivers: dict[str, Any], store: Store) -> None:
    clock = SimClock(T0)
    service = _service(receivers, store, clock)
    assert set(service.channels) == {"telegram", "webhook", "discord", "slack", "email"}
    bus = InProcessBus()
    service.attach(bus)
    bus.publish(Topic.ALERTS, Alert("order_rejected", "tf-1: insufficient buying power", clock.now_ns(), "alpaca"))
    (stored,) = service.alerts.alerts()
    assert stored.kind == "order_rejected" and stored.account == "alpaca"
    assert {d["channel"]: d["status"] for d in service.alerts.deliveries(stored.id)} == dict.fromkeys(
        service.channels, "sent")
    assert receivers["telegram"].texts(777) == [stored.text()]
    (hook,) = receivers["webhook"].received
    expected = "sha256=" + hmac.new(b"hmac-key-123", hook.body.encode(), hashlib.sha256).hexdigest()
    assert hook.headers["X-Tradefleet-Signature"] == expected and hook.json()["kind"] == "order_rejected"
    assert "insufficient buying power" in receivers["discord"].bodies()[0]["content"]
    assert "insufficient buying power" in receivers["slack"].bodies()[0]["text"]
    (mail,) = receivers["smtp"].mails
    assert mail.recipients == ["ops@example.test"] and "order_rejected" in mail.data


def test_failed_deliveries_are_retried_with_backoff_then_recorded_never_raised(
        receivers: dict[str, Any], store: Store) -> None:
    clock = SimClock(T0)
    service = _service(receivers, store, clock, retries=5, backoff_seconds=2.0)
    receivers["webhook"].fail_next = 2  # two 500s, then it answers
    receivers["slack"].fail_next = 99  # never answers
    alert = service.publish("breaker", "extreme move on AAPL")
    status = {d["channel"]: (d["status"], d["attempts"]) for d in service.alerts.deliveries(alert.id)}
    assert status["webhook"] == ("sent", 3) and status["slack"] == ("failed", 5)
    assert len(receivers["webhook"].received) == 1
    # backoff 2+4 s for the webhook, 2+4+8+16 s for slack: on the injected clock, no real sleep
    assert clock.now_ns() - T0 == (2 + 4 + 2 + 4 + 8 + 16) * 10**9


def test_duplicates_within_the_window_are_stored_but_sent_once(receivers: dict[str, Any], store: Store) -> None:
    clock = SimClock(T0)
    service = _service(receivers, store, clock, dedup_seconds=300)
    service.publish("account_halted", "account alpaca halted: positions differ", "alpaca")
    clock.advance(60)
    service.publish("account_halted", "account alpaca halted: positions differ", "alpaca")
    clock.advance(301)
    service.publish("account_halted", "account alpaca halted: positions differ", "alpaca")
    assert len(service.alerts.alerts()) == 3
    assert len(receivers["webhook"].received) == 2 and len(receivers["telegram"].texts()) == 2


def test_rate_limit_per_channel_waits_for_the_window(receivers: dict[str, Any], store: Store) -> None:
    clock = SimClock(T0)
    service = _service(receivers, store, clock, rate_per_minute=3, dedup_seconds=0)
    service.channels = {"webhook": service.channels["webhook"]}
    for i in range(7):
        service.publish("order_rejected", f"reject {i}")
    sent = [r.json()["message"] for r in receivers["webhook"].received]
    assert sent == [f"reject {i}" for i in range(7)]  # nothing lost
    assert clock.now_ns() - T0 >= 120 * 10**9  # 3 a minute: the 4th and 7th waited for the window


def test_per_kind_filters_and_optional_kinds(receivers: dict[str, Any], store: Store) -> None:
    clock = SimClock(T0)
    service = _service(receivers, store, clock)
    cfg = service.channels["slack"][1].model_copy(update={"kinds": ["fill_conflict"]})
    service.channels = {"slack": (service.channels["slack"][0], cfg), "webhook": service.channels["webhook"]}
    service.publish("fill", "buy 1 AAPL")  # optional: nobody asked for fills
    service.publish("order_rejected", "no")
    service.publish("fill_conflict", "overfill")
    assert [b["text"].split(": ", 1)[1] for b in receivers["slack"].bodies()] == ["overfill"]
    assert [b["message"] for b in receivers["webhook"].bodies()] == ["no", "overfill"]


def test_alerts_test_command_sends_to_every_channel(receivers: dict[str, Any], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tradefleet.app.cli.alerts import run_test

    for k, v in dict(ENV, DISCORD_URL=receivers["discord"].url).items():
        monkeypatch.setenv(k, v)
    results = run_test(_config(receivers), f"sqlite:///{tmp_path / 't.db'}")
    assert results == dict.fromkeys(("telegram", "webhook", "discord", "slack", "email"), "sent")
    assert receivers["smtp"].mails and receivers["telegram"].texts()


def test_run_delivers_a_venue_reject_to_a_webhook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``run_live`` (paper, Alpaca fake): the order rejection reaches the webhook, stored first."""
    from decimal import Decimal

    from tests.fakes.alpaca import FakeAlpaca
    from tests.fakes.fake_http import VenueBook
    from tests.orchestrator.restart.harness import T0 as H0
    from tests.orchestrator.restart.harness import PriceFeed, config, registry, run, spec

    monkeypatch.setenv("TF_TEST_ALPACA_KEY", "k-test")
    monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "s-test")
    fake = FakeAlpaca(VenueBook(prices={"AAPL": Decimal(100)}))
    hook = FakeWebhook()
    try:
        fake.book.behaviour.append("reject:insufficient buying power")
        base = config(fake.base, ["AAPL"])
        cfg = type(base).model_validate({**base.model_dump(exclude_none=True),
                                         "alerts": {"webhook": {"url": hook.url}}})
        url = f"sqlite:///{tmp_path}/r.db"
        run(cfg, url, registry(spec("flip-a", "AAPL")), ["flip-a"], PriceFeed({"AAPL": [101.0] * 3}),
            SimClock(H0), 1, 2)
        kinds = [b["kind"] for b in hook.bodies()]
        assert "order_rejected" in kinds, kinds
        store = Store.open(url)
        try:
            from tradefleet.orchestrator.alerts.store import AlertStore

            stored = AlertStore(store).alerts("order_rejected")
            assert stored and "insufficient buying power" in stored[0].message
        finally:
            store.close()
    finally:
        fake.server.close()
        hook.close()
