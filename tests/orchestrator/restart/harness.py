"""A paper run against the loopback Alpaca fake, restartable: generated 1-minute bars
(synthetic, not recorded) drive threshold bots through ``run_live`` on a SimClock, with
the real alpaca-py client behind the ``alpaca`` account."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import pandas as pd

from tradefleet.orchestrator.bot import Bot, BotParams, BotSpec, Schedule
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import AssetClass, Bar
from tradefleet.orchestrator.registry import Registry
from tradefleet.orchestrator.scheduler import SimScheduler, build_trigger

MIN = 60 * 10**9
T0 = 1_795_305_600 * 10**9  # generated bars start here (a Monday, 00:00 UTC)


class ThresholdParams(BotParams):
    above: float = 100.5


class ThresholdBot(Bot):
    """Long while the close is above ``above``, flat otherwise (a test bot)."""

    Params: ClassVar[type[BotParams]] = ThresholdParams
    family: ClassVar[str] = "test"

    def warmup_bars(self) -> int:
        return 5

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        above = float(self.params.above)  # type: ignore[attr-defined]
        return pd.DataFrame({"signal": (frame["close"] > above).astype(int)}, index=frame.index)


def spec(name: str, symbol: str) -> BotSpec:
    return BotSpec(name, ThresholdBot, (symbol,), Schedule.interval("1m"), "1m", AssetClass.EQUITY)


def registry(*specs: BotSpec) -> Registry:
    reg = Registry.discover()
    for s in specs:
        reg.add_entry("bots", s.name, f"tests:{s.name}", lambda s=s: s)
    return reg


@dataclass
class PriceFeed:
    """Bars of generated closes per symbol; minute ``i`` closes at ``T0 + i*MIN``."""

    closes: dict[str, list[float]]
    sent: dict[str, int] = field(default_factory=dict)

    def poll(self, symbols: list[str], now_ns: int) -> list[Bar]:
        out = []
        for sym in symbols:
            i = self.sent.get(sym, 0)
            series = self.closes.get(sym, [])
            while i < len(series) and T0 + i * MIN <= now_ns:
                c = series[i]
                out.append(Bar(sym, T0 + i * MIN, c, c, c, c, 1_000_000.0, T0 + i * MIN))
                i += 1
            self.sent[sym] = i
        return out


def config(base_url: str, symbols: Iterable[str], **risk: Any) -> AppConfig:
    return AppConfig.model_validate({
        "pipeline": {"stages": ["risk"]},
        "risk": {"exits": {"enabled": False}, **risk},
        "accounts": {"alpaca": {"venue": "alpaca", "base_url": base_url, "api_key": "env:TF_TEST_ALPACA_KEY",
                                "api_secret": "env:TF_TEST_ALPACA_SECRET",
                                "extra": {"instruments": list(symbols)}}},
    })


def sim_scheduler(clock: SimClock, first: int, last: int) -> Callable[..., Any]:
    """Fire every bot at minutes ``first..last`` (inclusive) on the simulated clock."""

    def build(enqueue: Callable[[str, int], None], specs: list[BotSpec], jobs: dict[str, Any]) -> Any:
        sched = SimScheduler(clock)
        for s in specs:
            sched.add(s.name, build_trigger(s.schedule))
        for fire_ns, job in sched.pop_due(T0 + last * MIN):
            if fire_ns >= T0 + first * MIN:
                enqueue(job, fire_ns)

        class Done:
            def shutdown(self) -> None: ...
        return Done()

    return build


def run(cfg: AppConfig, url: str, reg: Registry, bots: list[str], feed: PriceFeed, clock: SimClock,
        first: int, last: int, install_signals: bool = False) -> Any:
    """One process lifetime: warm start, reconcile, fire minutes ``first..last``, stop."""
    from tradefleet.app.live import LiveRunner, run_live

    clock.set_ns(max(clock.now_ns(), T0 + first * MIN - 1))
    handle = LiveRunner.handle_fire

    def at_fire_time(self: LiveRunner, job_id: str, fire_ns: int) -> None:
        clock.set_ns(max(clock.now_ns(), fire_ns))  # the simulated wall clock reaches the fire
        handle(self, job_id, fire_ns)

    LiveRunner.handle_fire = at_fire_time  # type: ignore[method-assign]
    try:
        return run_live(cfg, live=False, bots=bots, store_url=url, feed=feed, clock=clock,
                        scheduler=sim_scheduler(clock, first, last), install_signals=install_signals,
                        stop_when_idle=True,
                        registry=reg)
    finally:
        LiveRunner.handle_fire = handle  # type: ignore[method-assign]


def venue_qty(book: Any, symbol: str) -> Decimal:
    return Decimal(book.positions.get(symbol, Decimal(0)))
