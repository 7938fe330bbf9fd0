"""``tradefleet regime fit|show`` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from tradefleet.app.cli.main import main


def test_regime_fit_json_and_show(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tradefleet.toml").write_text(f'[regime]\nmodel_dir = "{tmp_path}/m"\n')
    main(["regime", "fit", "EUR/USD", "--as-of", "2017-09-30", "--json"])
    meta = json.loads(capsys.readouterr().out)
    assert meta["market"] == "EUR/USD" and sorted(meta["labels"]) == ["bear", "bull", "sideways"]
    assert meta["converged"] and meta["n_obs"] > 100 and sum(meta["current"].values()) == pytest.approx(1.0)
    assert list((tmp_path / "m" / "EUR_USD").glob("*.pkl"))
    from tradefleet.orchestrator.store import Store

    Store.open(f"sqlite:///{tmp_path}/s.db").close()  # 'regime show' only reads: it never creates a store
    main(["regime", "show", "SPX", "--store", f"sqlite:///{tmp_path}/s.db", "--json"])
    assert json.loads(capsys.readouterr().out) == []


def test_regime_fit_unknown_market_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["regime", "fit", "XYZ"])
    assert exc.value.code == 2 and "no bundled data" in capsys.readouterr().err
