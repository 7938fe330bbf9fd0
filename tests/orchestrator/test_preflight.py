"""The one validation pass: ``config check`` catches every defect ``run`` would refuse, and
``run`` refuses it before anything is created (the folder stays byte-identical)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradefleet.app.cli.main import main


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders and links)."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("TRADEFLEET__")]:
        monkeypatch.delenv(key)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def refused_everywhere(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, expect: str) -> list[str]:
    """``config check NAME`` lists ``expect``; ``run -c NAME`` refuses it the same way, creating nothing."""
    before = snapshot(tmp_path)
    code, out, err = cli(capsys, "config", "check", name)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert any(line.startswith(expect) for line in lines), err
    code, out, err = cli(capsys, "run", "--no-view", "-c", name)
    assert code == 2 and "Traceback" not in err, err
    assert f"error: {expect}" in err
    assert all(line.startswith("error: ") for line in err.strip().splitlines())
    assert snapshot(tmp_path) == before  # no var/, no tradefleet.db, no run row
    return lines


TZ_KEYS = [("engine", "timezone"), ("risk.daily_loss", "timezone"), ("telegram", "timezone")]
BAD_TZ = ["Mars/Olympus", "", "../../etc/passwd", "\U0001F680"]


@pytest.mark.parametrize("section,key", TZ_KEYS)
@pytest.mark.parametrize("zone", BAD_TZ)
def test_bad_timezone(capsys: pytest.CaptureFixture[str], tmp_path: Path, section: str, key: str, zone: str) -> None:
    Path("c.toml").write_text(f'[{section}]\n{key} = "{zone}"\n', encoding="utf-8")
    refused_everywhere(capsys, tmp_path, "c.toml", f"c.toml: {section}.{key}: ")


CASES = {
    "huge-cash": ("[engine]\nstarting_cash = 1e308\n", "c.toml: engine.starting_cash: "),
    "huge-positions": ("[risk]\nmax_positions = 100000000000000000000\n", "c.toml: risk.max_positions: "),
    "inf-cash": ("[engine]\nstarting_cash = inf\n", "c.toml: engine.starting_cash: "),
    "bad-cron": ('[ml]\nretrain_cron = "0 99 * * *"\n', "c.toml: ml.retrain_cron: "),
    "cron-fields": ('[ml]\nretrain_cron = "every sunday"\n', "c.toml: ml.retrain_cron: "),
    "bot-empty": ('[bots.""]\n', "c.toml: bots.'': empty bot name"),
    "bot-blank": ('[bots."   "]\n', "c.toml: bots.'   ': empty bot name"),
    "bot-nul": ('[bots."a\\u0000b"]\n', "c.toml: bots.'a\\x00b': no bot named"),
    "bot-bidi": ('[bots."spx\\u202Etrend"]\n', "c.toml: bots.'spx\\u202etrend': no bot named"),
    "bot-huge": ('[bots."' + "x" * 10_000 + '"]\n', "c.toml: bots.'xxxxxxxx"),
    "bot-escape": ('[bots."../../escape"]\n', "c.toml: bots.'../../escape': no bot named"),
    "bot-param-range": ("[bots.spx-sma-trend]\nparams = { fast = 500 }\n", "c.toml: bots.spx-sma-trend.params.fast: "),
    "bot-param-unknown": ("[bots.spx-sma-trend]\nparams = { nosuch = 1 }\n",
                          "c.toml: bots.spx-sma-trend.params.nosuch: unknown param"),
    "bot-param-type": ('[bots.spx-sma-trend]\nparams = { kind = "wma" }\n', "c.toml: bots.spx-sma-trend.params.kind: "),
    "stage": ('[pipeline]\nstages = ["regime", "ensembel", "risk"]\n', "c.toml: pipeline.stages.1: no pipeline stage"),
    "venue": ('[accounts.x]\nvenue = "nasdaq"\n', "c.toml: accounts.x.venue: no venue named 'nasdaq'"),
    "provider": ('[data]\nchain = ["bundled", "yahoo"]\n', "c.toml: data.chain.1: no data provider named 'yahoo'"),
    "source": ('[ensemble]\nsources = ["technical", "astrology"]\n', "c.toml: ensemble.sources.1: no ensemble source"),
    "veto": ('[veto]\nproviders = ["rules", "oracle"]\n', "c.toml: veto.providers.1: no veto provider named 'oracle'"),
    "replay-start": ('[replay]\nstart = "2008-13-45"\n', "c.toml: replay.start: '2008-13-45' is not a date"),
    "replay-order": ('[replay]\nstart = "2010-01-01"\nend = "2009-01-01"\n', "c.toml: replay.end: "),
    "replay-data": ('[replay.data]\nSPX = "nope/spx.csv"\n', "c.toml: replay.data.SPX: 'nope/spx.csv' is neither"),
    "replay-data-dir": ('[replay.data]\nSPX = "."\n', "c.toml: replay.data.SPX: '.' is a directory"),
    "regime-market": ('[regime.markets]\nequity = "NOPE"\n', "c.toml: regime.markets.equity: market 'NOPE' has no data"),
    "regime-class": ('[regime.markets]\nstocks = "SPX"\n', "c.toml: regime.markets.stocks: unknown asset class"),
    "store-scheme": ('[engine]\nstore_url = "mongodb://localhost/x"\n', "c.toml: engine.store_url: unknown scheme 'mongodb'"),
    "store-garbage": ('[engine]\nstore_url = "not a url"\n', "c.toml: engine.store_url: "),
    "secret-unset": ('[telegram]\nenabled = true\ntoken = "env:TF_PREFLIGHT_UNSET"\n',
                     "c.toml: telegram.token: environment variable TF_PREFLIGHT_UNSET is not set"),
    "secret-not-ref": ('[telegram]\ntoken = "123:abc"\n', "c.toml: telegram.token: "),
    "account-secret": ('mode = "paper"\n[accounts.a]\nvenue = "alpaca"\napi_key = "env:TF_PREFLIGHT_UNSET"\n',
                       "c.toml: accounts.a.api_key: environment variable TF_PREFLIGHT_UNSET is not set"),
    "unknown-key": ("[engine]\nstarting_csh = 5\n", "c.toml: engine.starting_csh: unknown key"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_defect(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    text, expect = CASES[case]
    Path("c.toml").write_text(text, encoding="utf-8")
    lines = refused_everywhere(capsys, tmp_path, "c.toml", expect)
    assert all(len(line) < 600 for line in lines)  # a 10,000-character name is cut


FILES = {
    "latin-1": (b'[engine]\ncurrency = "\xe9"\n', "c.toml:2: not UTF-8 text"),
    "utf-16": ('[engine]\ncurrency = "EUR"\n'.encode("utf-16"), "c.toml: UTF-16 text"),
    "nul": (b"[engine]\n\x00\n", "c.toml:2: NUL byte"),
    "syntax": (b"[engine\n", "c.toml:1: not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(FILES))
def test_config_file_encoding_and_syntax(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    raw, expect = FILES[case]
    Path("c.toml").write_bytes(raw)
    refused_everywhere(capsys, tmp_path, "c.toml", expect)


def test_config_symlink_loop(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    os.symlink("c.toml", "c.toml")
    refused_everywhere(capsys, tmp_path, "c.toml", "c.toml: symbolic link loop")


def test_config_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    Path("c.toml").mkdir()
    code, _, err = cli(capsys, "config", "check", "c.toml")
    assert code == 2 and err.strip() == "c.toml: is a directory, not a config file"
    code, _, err = cli(capsys, "run", "--no-view", "-c", "c.toml")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "is a directory" in err
    assert snapshot(tmp_path) == {"c.toml": None}


def test_several_errors_listed_at_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    Path("c.toml").write_text('[engine]\ntimezone = "Mars/Olympus"\nstore_url = "foo://x"\n'
                              '[ml]\nretrain_cron = "x"\n[bots.nope]\n')
    lines = refused_everywhere(capsys, tmp_path, "c.toml", "c.toml: engine.timezone: ")
    keys = {line.split(": ")[1] for line in lines}
    assert keys == {"engine.timezone", "engine.store_url", "ml.retrain_cron", "bots.nope"}


def test_store_flag_with_unknown_scheme(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "run", "--no-view", "--store", "foo://x")
    assert code == 2 and err.startswith("error: tradefleet run: Invalid value for '--store': unknown scheme 'foo'")
    assert snapshot(tmp_path) == {}


def test_default_config_passes(capsys: pytest.CaptureFixture[str]) -> None:
    from tradefleet.app.preflight import check_all

    assert check_all(None, {})[1] == []
