"""pytest plugin for the mutation runner: which tests execute which lines of one module.

Loaded with ``-p bench.mutation_lines`` and ``MUTATION_TRACE_FILE=<module file>``,
``MUTATION_TRACE_OUT=<json>``. It traces only frames whose code lives in that file (every other
frame is refused at its call event, so the cost is one Python-level check per call) and writes
``{"import": [lines run outside any test], "tests": {nodeid or "@<test file>": [lines]}, "durations":
{nodeid: s}, "order": [nodeid, ...]}`` (``@<test file>``: the lines a module or class fixture of that file ran). The mutation runner then runs, for each mutant, only the tests that
execute a line of its statement; a line run outside any test (module import, class bodies,
decorators, session fixtures) selects every test.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

_TARGET = os.path.realpath(os.environ.get("MUTATION_TRACE_FILE", ""))
_lines: dict[str, set[int]] = {"": set()}
_current = [""]
_durations: dict[str, float] = {}
_order: list[str] = []
_same: dict[str, bool] = {}


def _is_target(filename: str) -> bool:
    hit = _same.get(filename)
    if hit is None:
        hit = _same[filename] = os.path.realpath(filename) == _TARGET
    return hit


def _local(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "line":
        _lines[_current[0]].add(frame.f_lineno)
    return _local


def _global(frame: FrameType, event: str, arg: Any) -> Any:
    if _is_target(frame.f_code.co_filename):
        _lines[_current[0]].add(frame.f_lineno)
        return _local
    return None


if _TARGET:
    sys.settrace(_global)
    threading.settrace(_global)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _current[0] = item.nodeid
    _lines.setdefault(item.nodeid, set())
    _order.append(item.nodeid)
    t0 = time.perf_counter()
    yield
    _durations[item.nodeid] = time.perf_counter() - t0
    _current[0] = ""


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    """A wider-scoped fixture's lines belong to every test that shares it: a module or class
    fixture's to its file (key ``@<file>``), a session or package fixture's to every test."""
    saved = _current[0]
    if fixturedef.scope in ("module", "class"):
        _current[0] = "@" + request.node.nodeid.split("::")[0]
        _lines.setdefault(_current[0], set())
    elif fixturedef.scope != "function":
        _current[0] = ""
    yield
    _current[0] = saved


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = os.environ.get("MUTATION_TRACE_OUT")
    if not out:
        return
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]
    data = {"import": sorted(_lines[""]), "tests": {k: sorted(v) for k, v in _lines.items() if k},
            "durations": _durations, "order": _order, "exitstatus": int(exitstatus)}
    with open(out, "w") as fh:
        json.dump(data, fh)
