"""The real python-telegram-bot against a loopback fake of the Bot API: allowed users,
unknown users and group members not on the list; alerts and the daily summary."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import Decision, Direction, Fill, Side, Signal
from tradefleet.orchestrator.execution.oms import Alert
from tradefleet.orchestrator.store import Store
from tradefleet.risk.alerts import RiskAlert

from tradefleet.dashboard.telegram_bot import FleetTelegram, resolve_token
from tradefleet.dashboard.telegram_text import next_summary_ns
from tests.dashboard.conftest import T0
from tests.fakes.telegram import TOKEN, FakeTelegram, command_update

OWNER, FRIEND, STRANGER = 1001, 1002, 666
DM, GROUP, OTHER_GROUP = 1001, -500, -777


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    f = FakeTelegram()
    yield f
    f.close()


def _config(fake: FakeTelegram, tmp_path: Path, **tg: Any) -> AppConfig:
    base = {"token": "env:TF_TG_TOKEN", "base_url": fake.base_url, "base_file_url": fake.base_file_url,
            "allowed_users": [OWNER, FRIEND], "allowed_chats": [DM, GROUP], "alert_chats": [GROUP],
            "daily_summary_time": "17:00", **tg}
    return AppConfig.model_validate({"telegram": base, "regime": {"history_dir": str(tmp_path / "reg")}})


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def _bot(cfg: AppConfig, store: Store, specs: dict[str, Any], bus: Any = None) -> FleetTelegram:
    return FleetTelegram(cfg, store, SimClock(T0), set(specs), specs=specs, bus=bus)


async def _send(tg: FleetTelegram, fake: FakeTelegram, *updates: dict[str, Any]) -> None:
    from telegram import Update

    app = tg.build(TOKEN)
    async with app:
        for u in updates:
            await app.process_update(Update.de_json(u, app.bot))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_allowed_user_gets_status_and_bots(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    tg = _bot(_config(fake, tmp_path), store, specs)
    run(_send(tg, fake, command_update("/status", OWNER, DM), command_update("/bots", FRIEND, GROUP, "group")))
    assert fake.texts(DM)[0].startswith("fleet: ACTIVE")
    bots = fake.texts(GROUP)[0]
    assert bots.startswith(f"{len(specs)} bots") and "spx-rsi2" in bots
    assert fake.server.requests("POST", r"/bot123456:TEST-TOKEN/getMe")  # the real client initialised


def test_pause_resume_halt_write_the_store(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    tg = _bot(_config(fake, tmp_path), store, specs)
    run(_send(tg, fake, command_update("/pause spx-rsi2", OWNER, DM)))
    st = store.control("bot:spx-rsi2")
    assert st.paused and st.actor == f"telegram:{OWNER}" and fake.texts(DM)[-1] == "paused spx-rsi2"
    run(_send(tg, fake, command_update("/halt broker outage", OWNER, DM)))
    f = store.control("fleet")
    assert f.halted and f.reason == "broker outage" and fake.texts(DM)[-1] == "halted fleet: broker outage"
    run(_send(tg, fake, command_update("/resume", OWNER, DM), command_update("/resume spx-rsi2", OWNER, DM)))
    assert not store.control("fleet").halted and not store.control("bot:spx-rsi2").paused
    run(_send(tg, fake, command_update("/resume fleet:equities", OWNER, DM)))
    row = store.control("fleet:equities")  # a running engine lifts that fleet's daily-loss hold
    assert row.actor == f"telegram:{OWNER}" and not row.halted and fake.texts(DM)[-1] == "resumed fleet:equities"


def test_bad_commands_answer_with_the_reason(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    tg = _bot(_config(fake, tmp_path), store, specs)
    run(_send(tg, fake, command_update("/halt", OWNER, DM), command_update("/pause nope", OWNER, DM)))
    assert fake.texts(DM)[0].startswith("error: a halt needs a reason")
    assert fake.texts(DM)[1].startswith("error: unknown bot 'nope'")
    assert not store.control("fleet").halted


def test_unknown_user_is_ignored_and_logged(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any,
                                            caplog: pytest.LogCaptureFixture) -> None:
    tg = _bot(_config(fake, tmp_path), store, specs)
    run(_send(tg, fake, command_update("/halt pwned", STRANGER, STRANGER)))
    assert fake.sent == [] and not store.control("fleet").halted
    assert [(i.user_id, i.chat_id, i.text) for i in tg.ignored] == [(STRANGER, STRANGER, "/halt pwned")]
    assert "ignored update from user 666" in caplog.text


def test_group_member_not_on_list_is_ignored(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    tg = _bot(_config(fake, tmp_path), store, specs)
    run(_send(tg, fake, command_update("/pause", STRANGER, GROUP, "supergroup")))
    assert fake.sent == [] and not store.control("fleet").paused
    assert tg.ignored[0].chat_id == GROUP


def test_allowed_user_in_unlisted_chat_is_ignored(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    tg = _bot(_config(fake, tmp_path), store, specs)
    run(_send(tg, fake, command_update("/pause", OWNER, OTHER_GROUP, "group")))
    assert fake.sent == [] and not store.control("fleet").paused


def test_empty_allowlist_turns_control_off(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    tg = _bot(_config(fake, tmp_path, allowed_users=[], allowed_chats=[]), store, specs)
    assert not tg.cfg.control_enabled
    run(_send(tg, fake, command_update("/status", OWNER, DM), command_update("/halt x", OWNER, DM)))
    assert fake.sent == [] and len(tg.ignored) == 2 and not store.control("fleet").halted


def test_positions_pnl_daily_validate(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    from tradefleet.backtest.records import Check, SqlValidationStore, ValidationRecord

    SqlValidationStore(store.engine).save(
        ValidationRecord("goog-rsi2", 1, False, "goog", [Check("sharpe", 0.1, ">= 0.5", False)]))
    tg = _bot(_config(fake, tmp_path), store, specs)
    run(_send(tg, fake, *(command_update(t, OWNER, DM) for t in
                          ("/positions", "/pnl", "/daily", "/validate", "/validate goog-rsi2", "/validate spx-rsi2"))))
    positions, pnl, daily, valid, one, never = fake.texts(DM)
    open_pos = [p for p in store.positions() if p.quantity]
    assert positions == "no open positions" if not open_pos else positions.startswith(f"{len(open_pos)} open")
    equity = float(store.equity_curve()[-1].equity)
    assert pnl.startswith(f"equity {equity:,.2f}")
    realized = float(sum((p.realized_pnl for p in store.positions()), Decimal(0)))
    assert f"realised {realized:,.2f}" in pnl
    assert daily.startswith("daily P&L 2011-06-")
    assert valid.startswith("validated: 0 Go, 1 No-Go") and "goog-rsi2" in valid
    assert one.startswith("goog-rsi2: No-Go") and "failed: sharpe" in one
    assert never.startswith("spx-rsi2: never validated")


def test_alerts_from_the_bus(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    from telegram import Bot

    bus = InProcessBus()
    tg = _bot(_config(fake, tmp_path), store, specs, bus=bus)
    order = store.orders(bot="spx-rsi2")[0]
    fill = Fill(order.client_order_id, "paper", "v1", "t-alert", "SPX", Side.BUY, Decimal("3"),
                Decimal("1289.5"), Decimal("0.1"), T0, T0)
    sig = Signal("goog-rsi2", "GOOG", Direction.LONG, 0.9, 500.0, T0, T0)
    bus.publish(Topic.FILLS, fill)
    bus.publish(Topic.SIGNALS, sig)
    bus.publish(Topic.DECISIONS, (sig.signal_id, [Decision.passed("regime"), Decision.rejected("risk", "cooldown")]))
    bus.publish(Topic.DECISIONS, (sig.signal_id, [Decision.passed("risk")]))  # passed: no alert
    bus.publish(Topic.ALERTS, RiskAlert("daily_loss_halt", "fleet", "loss 5.2% >= 5%", T0, "halted"))
    bus.publish(Topic.ALERTS, Alert("order_rejected", "SPX qty 3: insufficient buying power", T0, "alpaca"))
    bus.publish(Topic.CONTROL, store.set_control("fleet", halted=True, reason="manual", actor="cli:bob", ts_ns=T0))
    assert bus.handler_errors == [] and tg.relay.pending() == 6  # the passed decision is dropped at flush

    async def flush() -> int:
        async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
            return await tg.relay.flush(bot)

    assert run(flush()) == 5
    texts = fake.texts(GROUP)
    assert texts[0] == "fill spx-rsi2: BUY 3 SPX @ 1289.5 (paper)"
    assert texts[1] == "rejected goog-rsi2 long GOOG by risk: cooldown"
    assert texts[2] == "risk daily_loss_halt [fleet]: loss 5.2% >= 5% -> halted"
    assert texts[3] == "order_rejected [alpaca]: SPX qty 3: insufficient buying power"
    assert texts[4] == "HALT fleet: manual (by cli:bob)"
    assert fake.texts(DM) == []  # alerts go to alert_chats only


def test_polling_through_get_updates(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    """The updater's real long-polling loop picks a command up from getUpdates."""
    tg = _bot(_config(fake, tmp_path), store, specs)
    fake.push(command_update("/status", STRANGER, STRANGER, update_id=10))
    fake.push(command_update("/pause goog-rsi2", OWNER, DM, update_id=11))

    async def main() -> None:
        app = tg.build(TOKEN)
        async with app:
            await tg._started(app)  # post_init: command menu, alert and summary tasks
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=0)
            got = await asyncio.to_thread(fake.sent_event.wait, 20)
            await app.updater.stop()
            await tg._stopped(app)
            await app.stop()
            assert got

    run(main())
    assert fake.texts() == ["paused goog-rsi2"] and store.control("bot:goog-rsi2").paused
    assert [i.user_id for i in tg.ignored] == [STRANGER]
    assert fake.server.requests("POST", r".*/deleteWebhook") and fake.server.requests("POST", r".*/setMyCommands")


def test_daily_summary_time_and_message(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    from telegram import Bot

    ny = ZoneInfo("America/New_York")
    # 2025-06-15 16:59 New York (EDT, UTC-4) -> due at 17:00 that day; 17:00 itself -> next day
    at_1659 = int(1_750_021_140) * NS
    assert next_summary_ns(at_1659, "17:00", ny) == at_1659 + 60 * NS
    assert next_summary_ns(at_1659 + 60 * NS, "17:00", ny) == at_1659 + 60 * NS + 86_400 * NS
    tg = _bot(_config(fake, tmp_path), store, specs)
    assert tg.next_summary_ns() == next_summary_ns(T0, "17:00", ny)

    async def send() -> int:
        async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
            return await tg.send_daily_summary(bot)

    assert run(send()) == 1
    assert fake.texts(GROUP)[0].startswith("daily summary 2011-06-")


def test_summary_off_and_token_errors(fake: FakeTelegram, tmp_path: Path, store: Store, specs: Any) -> None:
    from tradefleet.orchestrator.errors import ConfigError
    from telegram.error import InvalidToken

    tg = _bot(_config(fake, tmp_path, daily_summary_time=None), store, specs)
    assert tg.next_summary_ns() is None
    with pytest.raises(ConfigError, match="TF_TG_TOKEN"):
        resolve_token(tg.config, {})
    assert resolve_token(tg.config, {"TF_TG_TOKEN": TOKEN}) == TOKEN

    async def wrong() -> None:
        async with tg.build("999:WRONG"):
            pass

    with pytest.raises(InvalidToken):
        run(wrong())


def test_config_validation() -> None:
    from tradefleet.dashboard.config import TelegramConfig

    with pytest.raises(ValueError, match="HH:MM"):
        TelegramConfig(daily_summary_time="25:00")
    with pytest.raises(ValueError, match="env:"):
        TelegramConfig(token="123:literal")
    assert TelegramConfig(allowed_chats=[1]).alert_targets == [1]
    assert not TelegramConfig(allowed_users=[1]).control_enabled


def test_long_bots_list_is_cut_between_lines_not_mid_name() -> None:
    """Issue #18: /bots was cut off mid-name at Telegram's limit."""
    from tradefleet.dashboard.telegram_text import LIMIT, clip

    lines = ["200 bots: 200 active"] + [f"a-rather-long-bot-name-number-{i:03d} pnl 1,234.56 next 2025-06-16 20:05:00Z"
                                        for i in range(200)]
    out = clip("\n".join(lines)).split("\n")
    assert len("\n".join(out)) <= LIMIT
    assert out[:-1] == lines[:len(out) - 1]  # every line kept whole
    assert out[-1] == f"… and {len(lines) - (len(out) - 1)} more lines (the dashboard lists them all)"


def test_pnl_without_any_run_says_so(tmp_path: Path, specs: Any) -> None:
    """Issue #18: /pnl with no run printed 'equity - (return -%)'."""
    from tradefleet.dashboard.telegram_text import pnl_text
    from tradefleet.dashboard.views import FleetView

    with Store.open(f"sqlite:///{tmp_path}/empty.db") as store:
        text = pnl_text(FleetView(AppConfig(), store, SimClock(T0), specs))
    assert text.startswith("no equity recorded yet") and "return -%" not in text


def test_daily_summary_can_be_turned_off_from_a_file(tmp_path: Path) -> None:
    """Issue #18: TOML has no null, so 'daily_summary_time = None' could not be written."""
    from tradefleet.app.config import load_config

    path = tmp_path / "tradefleet.toml"
    path.write_text('[telegram]\ndaily_summary_time = "off"\n')
    assert load_config(path).telegram.daily_summary_time is None
    with pytest.raises(ValueError, match="HH:MM"):
        AppConfig.model_validate({"telegram": {"daily_summary_time": "5pm"}})
