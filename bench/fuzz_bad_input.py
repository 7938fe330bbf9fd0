"""Run the bad-input fuzz tests with many examples (the suite runs a handful).

    PYTHONPATH=. python bench/fuzz_bad_input.py [EXAMPLES]   # default 300

Each example writes a config or bar file with one generated defect and drives the real CLI
(`config check`, `run`): exit 2, one-line errors naming file and key or line, no traceback,
folder byte-identical. Prints the wall time; exits non-zero on the first failing example
(hypothesis prints the shrunk file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "300"
    env = {**os.environ, "TRADEFLEET_FUZZ_EXAMPLES": examples}
    t0 = time.perf_counter()
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          str(ROOT / "tests" / "orchestrator" / "test_fuzz_bad_input.py")], cwd=ROOT, env=env)
    print(f"fuzz_bad_input: {examples} examples per test, {time.perf_counter() - t0:.1f} s, exit {rc}")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
