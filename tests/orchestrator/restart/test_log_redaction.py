"""No secret in any log record: a canary secret (venue keys, the Telegram bot token, a
webhook token, the SMTP password) through a fault run of the real engine, with every
logger at DEBUG and a handler added after the start (as a third-party library would)."""

from __future__ import annotations

import io
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from tradefleet.orchestrator.clock import SimClock
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.fake_http import VenueBook
from tests.fakes.hooks import FakeSmtp, FakeWebhook
from tests.fakes.telegram import FakeTelegram
from tests.orchestrator.restart.harness import T0, PriceFeed, config, registry, run, spec

CANARY_KEY = "CANARYKEY-5d1f0a77e3"
CANARY_SECRET = "CANARYSECRET-9be4412c7a"
CANARY_TG = "987654321:CANARYtgTOKENaaaaaaaaaaaaaaaaaaaaaaaaa"
CANARY_HOOK = "CANARYHOOK-77aa19f0"
CANARY_SMTP = "CANARYSMTP-0c0ffee1"
CANARIES = (CANARY_KEY, CANARY_SECRET, CANARY_TG, CANARY_TG.split(":")[1], CANARY_HOOK, CANARY_SMTP)


def test_no_canary_secret_in_any_log_line_of_a_fault_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_TEST_ALPACA_KEY", CANARY_KEY)
    monkeypatch.setenv("TF_TEST_ALPACA_SECRET", CANARY_SECRET)
    monkeypatch.setenv("TF_TG", CANARY_TG)
    monkeypatch.setenv("TF_HOOK", "")
    monkeypatch.setenv("TF_SMTP_PASSWORD", CANARY_SMTP)
    fake = FakeAlpaca(VenueBook(prices={"AAPL": Decimal(100)}))
    telegram = FakeTelegram(token="111:WRONG")  # the canary token is refused: 401 and a traceback
    hook = FakeWebhook(CANARY_HOOK)
    smtp = FakeSmtp()
    monkeypatch.setenv("TF_HOOK", hook.url)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        fake.book.behaviour.extend(["reject:bad key " + CANARY_KEY, "fill"])
        fake.server.fault("GET", r"/v2/account/activities/FILL", "status", status=500)
        base = config(fake.base, ["AAPL"])
        cfg = type(base).model_validate({
            **base.model_dump(exclude_none=True),
            "telegram": {"token": "env:TF_TG", "base_url": telegram.base_url, "base_file_url": telegram.base_file_url,
                         "alert_chats": [1]},
            "alerts": {"retries": 2, "backoff_seconds": 0.0, "telegram": {}, "discord": {"url": "env:TF_HOOK"},
                       "email": {"host": "127.0.0.1", "port": smtp.port, "sender": "a@b.test", "to": ["c@d.test"],
                                 "username": "tf", "password": "env:TF_SMTP_PASSWORD", "starttls": False}}})
        url = f"sqlite:///{tmp_path}/c.db"
        closes = {"AAPL": [101.0, 101.0, 99.0, 101.0, 101.0, 99.0]}
        run(cfg, url, registry(spec("flip-a", "AAPL")), ["flip-a"], PriceFeed(closes), SimClock(T0), 1, 2)
        # handlers added after the start, and a library logger with its own handler that
        # does not propagate (no filter of ours is on its path)
        logging.getLogger("httpx").addHandler(handler)
        root.addHandler(handler)
        lib = logging.getLogger("thirdparty.client")
        lib.propagate = False
        lib.addHandler(handler)
        lib.warning("calling https://api.telegram.org/bot%s/getMe", CANARY_TG)
        try:
            raise RuntimeError(f"auth failed for key {CANARY_KEY} at {hook.url}")
        except RuntimeError:
            lib.exception("request failed")
        run(cfg, url, registry(spec("flip-a", "AAPL")), ["flip-a"], PriceFeed(closes), SimClock(T0 + 10**12), 3, 5)
    finally:
        root.removeHandler(handler)
        logging.getLogger("httpx").removeHandler(handler)
        logging.getLogger("thirdparty.client").removeHandler(handler)
        root.setLevel(old_level)
        for f in (fake.server, telegram, hook, smtp):
            f.close()
    text = sink.getvalue()
    assert "getMe" in text and "request failed" in text and "Traceback" in text  # the run did log
    leaked = [c for c in CANARIES if c in text]
    assert not leaked, f"secrets in the logs: {leaked}"
