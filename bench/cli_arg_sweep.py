"""Every option of every command given bad values (-1, abc, 1e309, empty): one line or success.

    PYTHONPATH=. python bench/cli_arg_sweep.py

Run in a scratch folder (it changes into a temporary one). Commands that start long-lived
services or write operator state (run, leader, worker, dashboard, telegram, pause, resume,
halt, init, new-bot, lease take) are skipped. Prints each invocation that exits non-zero with
anything but exactly one stderr line, or raises; exits 1 if there was one.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

SKIP = {"run", "leader", "worker", "dashboard", "telegram", "pause", "resume", "halt", "init", "new-bot", "lease"}
FIRST_ARG = {"backtest": "spx-sma-trend", "optimize": "spx-sma-trend", "montecarlo": "spx-sma-trend",
             "stress": "spx-sma-trend", "validate": "spx-sma-trend"}
VALUES = ("-1", "abc", "1e309", "")


def commands(cmd: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            yield from commands(sub, [*path, name])
    else:
        yield path, cmd


def main() -> int:
    import typer

    from tradefleet.app.cli.main import build_app
    from tradefleet.app.cli.main import main as cli

    os.chdir(tempfile.mkdtemp(prefix="tf-argsweep-"))
    bad = 0
    for path, cmd in commands(typer.main.get_command(build_app()), []):
        if path[0] in SKIP:
            continue
        required = [p for p in cmd.params if "Argument" in type(p).__name__ and p.required]
        base = path + [FIRST_ARG.get(path[0], "SPX") for _ in required]
        for opt in cmd.params:
            if "Option" not in type(opt).__name__ or getattr(opt, "is_flag", False) or opt.name in ("as_json", "json_out"):
                continue
            for value in VALUES:
                argv = [*base, opt.opts[0], value]
                if path[0] in ("optimize", "montecarlo") and opt.opts[0] != "--workers":
                    argv += ["--workers", "1"]
                err = io.StringIO()
                try:
                    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                        cli(argv)
                    code: Any = 0
                except SystemExit as exc:
                    code = exc.code
                except BaseException as exc:  # noqa: BLE001 - exactly what this sweep looks for
                    code = f"raised {type(exc).__name__}: {exc}"
                lines = err.getvalue().strip().splitlines()
                if not isinstance(code, int) or (code != 0 and len(lines) != 1):
                    bad += 1
                    print("BAD", " ".join(argv), code, lines[-2:], flush=True)
    print(f"cli_arg_sweep: {bad} bad invocation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
