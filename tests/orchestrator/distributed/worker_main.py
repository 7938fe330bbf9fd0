"""A signal worker process for the fleet tests: the real worker, plus an optional hang.

``python -m tests.orchestrator.distributed.worker_main PREFIX NAME BOTS [HANG_BOT:SEQ]``:
with a hang, the worker marks ``PREFIX:hung`` with its pid when it starts computing that
task, then blocks, so the test can SIGKILL it mid-tick.
"""

from __future__ import annotations

import os
import sys
import threading

from tradefleet.app.config import load_config
from tradefleet.app.distributed.runtime import build_worker, redis_bus
from tradefleet.orchestrator.distributed.work import TickTask


def main() -> None:
    prefix, name, bots = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    hang = sys.argv[4] if len(sys.argv) > 4 else ""
    env = {"TRADEFLEET__SCALE__BUS__KIND": "redis", "TRADEFLEET__SCALE__BUS__PREFIX": prefix,
           "TRADEFLEET__SCALE__BUS__URL": os.environ.get("TRADEFLEET_TEST_REDIS", "redis://127.0.0.1:6379/0"),
           "TRADEFLEET__SCALE__BUS__CLAIM_IDLE_MS": "300", "TRADEFLEET__SCALE__BUS__BLOCK_MS": "100"}
    config = load_config(None, env)
    bus = redis_bus(config, "workers", name)

    def before(task: TickTask) -> None:
        # one-shot for the whole fleet: the worker that claims the task afterwards computes it
        if hang and f"{task.bot}:{task.seq}" == hang and bus.client.set(f"{prefix}:hung", os.getpid(), nx=True):
            threading.Event().wait()  # mid-tick forever: only SIGKILL ends this process

    build_worker(config, bus, bots, before)
    bus.client.set(f"{prefix}:ready:{name}", os.getpid())
    stop = threading.Event()
    from tradefleet.app.distributed.runtime import serve

    serve(bus, stop)


if __name__ == "__main__":
    main()
