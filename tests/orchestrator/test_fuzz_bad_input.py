"""Fuzz: generated config and bar files with exactly one defect each, through the real CLI.

Every example must give exit 2, only ``error: FILE: ...`` lines that name the file and the
key (config) or the line (bar file), no traceback, and a folder byte-identical afterwards.
The suite runs a few examples per test; ``TRADEFLEET_FUZZ_EXAMPLES=300`` (see
``bench/fuzz_bad_input.py``) runs many more.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefleet.app.cli.main import main
from tradefleet.app.preflight import timezone_problem
from tests.orchestrator.test_preflight import snapshot

EXAMPLES = int(os.environ.get("TRADEFLEET_FUZZ_EXAMPLES", "6"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 10,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def registry() -> object:
    from tradefleet.orchestrator.registry import Registry

    return Registry.discover()


@pytest.fixture(autouse=True)
def _one_discovery(registry: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Discover the plugins once per module (discovery is tested elsewhere); keep the env clean."""
    from tradefleet.orchestrator.registry import Registry

    monkeypatch.setattr(Registry, "discover", classmethod(lambda cls, groups=None: registry))
    for key in [k for k in os.environ if k.startswith("TRADEFLEET__")]:
        monkeypatch.delenv(key)


def cli_fails_cleanly(folder: Path, argv: list[str], must_name: list[str]) -> list[str]:
    """Run the CLI in ``folder``: exit 2, one-line errors naming ``must_name``, nothing changed."""
    import contextlib
    import io

    before = snapshot(folder)
    err = io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
                pytest.raises(SystemExit) as exc:
            main(argv)
    finally:
        os.chdir(cwd)
    text = err.getvalue()
    lines = text.strip().splitlines()
    assert exc.value.code == 2, text
    assert "Traceback" not in text and lines, text
    assert all(line.startswith("error: ") or line.startswith(must_name[0]) for line in lines), text
    assert any(all(part in line for part in must_name) for line in lines), (must_name, text)
    assert snapshot(folder) == before
    return lines


@pytest.fixture
def folder() -> Iterator[Callable[[], Path]]:
    made: list[Path] = []

    def new() -> Path:
        made.append(Path(tempfile.mkdtemp(prefix="tf-fuzz-")))
        return made[-1]

    yield new
    for p in made:
        shutil.rmtree(p, ignore_errors=True)


# -- config files: one defect each ---------------------------------------------------------
def toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x7f"), max_size=40)
NAME = TEXT.filter(lambda s: s not in {"risk", "basic-risk", "regime", "ensemble", "veto", "fleet"})


@st.composite
def config_defect(draw: st.DrawFn) -> tuple[str, str]:
    """(TOML text, the dotted key the error must name)."""
    kind = draw(st.sampled_from(["tz", "number", "bot", "param", "stage", "venue", "provider", "source",
                                 "veto", "date", "store", "cron"]))
    if kind == "tz":
        section, key = draw(st.sampled_from([("engine", "timezone"), ("risk.daily_loss", "timezone"),
                                             ("telegram", "timezone"), ("data", "file_timezone")]))
        zone = draw(TEXT.filter(lambda z: timezone_problem(z) is not None))
        return f"[{section}]\n{key} = {toml_str(zone)}\n", f"{section}.{key}"
    if kind == "number":
        section, key = draw(st.sampled_from([("engine", "starting_cash"), ("risk", "max_positions"),
                                             ("paper", "fee_bps"), ("replay", "speed")]))
        value = draw(st.one_of(st.floats(min_value=1.01e12, max_value=1e308), st.just(float("inf")),
                               st.integers(min_value=10**12 + 1, max_value=10**30)))
        text = "inf" if value == float("inf") else repr(value)
        return f"[{section}]\n{key} = {text}\n", f"{section}.{key}"
    if kind == "bot":
        name = draw(NAME.filter(lambda n: not n.startswith(("spx-", "btc-", "goog-", "eurusd-", "ixic-"))))
        return f"[bots.{toml_str(name)}]\n", "bots."
    if kind == "param":
        pname = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(
            lambda p: p not in {"fast", "slow", "kind", "allow_short", "atr_period", "stop_atr"}))
        bad = draw(st.sampled_from([f"{pname} = 1", "fast = 100000", 'kind = "wma"', "stop_atr = -1"]))
        return f"[bots.spx-sma-trend]\nparams = {{ {bad} }}\n", "bots.spx-sma-trend.params."
    if kind in ("stage", "provider", "source", "veto"):
        section, key, first = {"stage": ("pipeline", "stages", '"regime"'), "provider": ("data", "chain", '"bundled"'),
                               "source": ("ensemble", "sources", '"technical"'),
                               "veto": ("veto", "providers", '"rules"')}[kind]
        name = draw(NAME.filter(lambda n: n not in {"bundled", "file", "technical", "rules", "risk"}))
        tail = ', "risk"' if kind == "stage" else ""
        return f"[{section}]\n{key} = [{first}, {toml_str(name)}{tail}]\n", f"{section}.{key}.1"
    if kind == "venue":
        name = draw(NAME.filter(lambda n: n not in {"alpaca", "binance", "ccxt", "coinbase", "kalshi", "oanda",
                                                     "paper", "polymarket"}))
        return f'[accounts.a]\nvenue = {toml_str(name)}\n', "accounts.a.venue"
    if kind == "date":
        raw = draw(st.one_of(TEXT.filter(lambda t: not t.strip()[:4].isdigit()),
                             st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(1900, 2100),
                                       st.integers(13, 99), st.integers(1, 28))))
        return f"[replay]\nstart = {toml_str(raw)}\n", "replay.start"
    if kind == "store":
        scheme = draw(st.from_regex(r"[a-z]{2,10}", fullmatch=True).filter(
            lambda s: s not in {"sqlite", "postgresql", "postgres", "mysql", "oracle", "mssql", "mariadb"}))
        return f'[engine]\nstore_url = "{scheme}://host/db"\n', "engine.store_url"
    expr = draw(st.one_of(TEXT.filter(lambda t: len(t.split()) != 5),
                          st.builds(lambda m, h: f"{m} {h} * * *", st.integers(60, 999), st.integers(0, 23))))
    return f"[ml]\nretrain_cron = {toml_str(expr)}\n", "ml.retrain_cron"


@FUZZ
@given(defect=config_defect())
def test_fuzz_config_defects(defect: tuple[str, str], folder: Callable[[], Path]) -> None:
    text, key = defect
    root = folder()
    (root / "c.toml").write_text(text, encoding="utf-8")
    lines = cli_fails_cleanly(root, ["config", "check", "c.toml"], ["c.toml: ", key])
    assert all(line.startswith("c.toml: ") for line in lines)
    cli_fails_cleanly(root, ["run", "--no-view", "-c", "c.toml"], ["error: c.toml: ", key])


# -- bar files: one defect each --------------------------------------------------------------
def good_bars(n: int = 80) -> pd.DataFrame:
    idx = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC", name="ts")
    c = 100 + np.cumsum(np.random.default_rng(3).normal(0, 0.3, n))
    return pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c, "volume": 5.0}, index=idx)


GARBAGE = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20).filter(lambda t: t.strip() != "" and "," not in t and "\n" not in t and "\r" not in t
                      and "\"" not in t and not _is_number(t))


def _is_number(t: str) -> bool:
    try:
        float(t)
    except ValueError:
        return False
    return True


@st.composite
def bar_defect(draw: st.DrawFn) -> tuple[list[str], int]:
    """(CSV lines, the 1-based line the error must name)."""
    lines = good_bars().to_csv(date_format="%Y-%m-%dT%H:%M:%SZ").splitlines()
    kind = draw(st.sampled_from(["value", "stamp", "hole", "naive", "order", "duplicate", "comma"]))
    row = draw(st.integers(min_value=3, max_value=len(lines) - 6))  # 0-based index into lines (line row + 1)
    cells = lines[row].split(",")
    if kind == "value":
        cells[draw(st.integers(1, 4))] = draw(GARBAGE)
        lines[row] = ",".join(cells)
    elif kind == "stamp":
        cells[0] = draw(GARBAGE.filter(lambda t: pd.to_datetime(t, errors="coerce", utc=True, format="mixed") is pd.NaT))
        lines[row] = ",".join(cells)
    elif kind == "hole":
        k = draw(st.integers(min_value=4, max_value=5))
        del lines[row:row + k]
    elif kind == "naive":
        lines[row] = lines[row].replace("Z,", ",", 1)
    elif kind == "order":
        lines[row], lines[row + 1] = lines[row + 1], lines[row]
        row += 1
    elif kind == "duplicate":
        lines.insert(row + 1, lines[row])
        row += 1
    else:
        cells[4] = cells[4].replace(".", ",", 1)
        lines[row] = ",".join(cells)
    return lines, row + 1


def _error_line_ok(line: str, name: str, number: int) -> bool:
    return name in line and f"line {number}" in line


@FUZZ
@given(defect=bar_defect())
def test_fuzz_bar_file_defects(defect: tuple[list[str], int], folder: Callable[[], Path]) -> None:
    lines, number = defect
    root = folder()
    (root / "btc.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "tradefleet.toml").write_text('[replay.data]\n"BTC/USD" = "btc.csv"\n')
    out = cli_fails_cleanly(root, ["run", "--no-view", "--bot", "btc-sma-trend"], ["error: ", "btc.csv: "])
    assert len(out) == 1 and _error_line_ok(out[0], "btc.csv", number), (number, out)
