"""``run --speed N`` paces a replay at N simulated seconds per wall second (issue #18:
``--speed 86400`` was ignored because pacing was only checked every 256 events)."""

from __future__ import annotations

from pathlib import Path

from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import Replay


def test_speed_86400_replays_a_day_per_wall_second(tmp_path: Path) -> None:
    wall = SimClock(1_700_000_000 * NS)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # a fake sleep that moves the fake wall clock
        slept.append(seconds)
        wall.advance(seconds)

    Replay(AppConfig(), bots=["spx-sma-trend"], start="2010-01-01", end="2010-12-31",
           store_url=f"sqlite:///{tmp_path}/s.db", speed=86400, wall=wall, sleep=sleep).run()
    # 2010-01-04 .. 2010-12-31 is 361 calendar days: one wall second per simulated day
    assert 355 <= sum(slept) <= 362
    assert max(slept) <= 1.0  # in steps of at most a second (control polls keep running)
