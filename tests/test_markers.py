"""The ``services`` marker selects exactly the tests that use PostgreSQL or Redis."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _collected(*args: str) -> set[str]:
    out = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:randomly", *args],
                         cwd=ROOT, capture_output=True, text=True).stdout
    return {line for line in out.splitlines() if "::" in line}


def test_services_marker_selects_the_postgres_and_redis_tests() -> None:
    files = ("tests/orchestrator/store/test_repo.py", "tests/orchestrator/distributed/test_health_config.py")
    marked = _collected("-m", "services", *files)
    assert any("[postgresql]" in t for t in marked)
    assert any("distributed" in t for t in marked)
    assert not any("[sqlite" in t for t in marked)
    unmarked = _collected("-m", "not services", files[0])
    assert unmarked and not any("[postgresql]" in t for t in unmarked)
