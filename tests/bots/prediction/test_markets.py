"""``tradefleet markets``: every configured market with its touch, fair value, edge and the
age of each input, from one live snapshot (the fakes and the offline source fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

from tradefleet.bots.prediction.markets import markets_view
from tradefleet.orchestrator.clock import SimClock
from tests.bots.prediction.test_live_paper import NOW, _config, venues  # noqa: F401


def test_markets_view_shows_edge_sources_and_ages(tmp_path: Path, venues) -> None:
    kalshi, poly = venues
    view = markets_view(_config(tmp_path, kalshi, poly), SimClock(NOW))
    rows = {r["market"]: r for r in view["markets"]}
    t85 = rows["KXHIGHNY-T85"]
    assert (t85["bid"], t85["ask"]) == (0.75, 0.77)
    assert t85["basis"] == "gfs_ensemble+nws" and t85["fair"] < 0.05
    assert t85["side"] == "NO" and t85["edge"] > 0.5  # ~1 - 0.25 - fee
    assert set(t85["ages_s"]) == {"kalshi", "gfs_ensemble", "nws"} and t85["ages_s"]["nws"] > 0
    nba = rows["KXNBA-LAL-BOS"]
    assert nba["basis"].startswith("odds") and nba["side"] == "YES" and "odds" in nba["ages_s"]
    poly_row = rows["POLY-FED-CUT-DEC"]
    assert poly_row["venue"] == "polymarket" and poly_row["fair"] is None and poly_row["edge"] is None


def test_markets_command_json(tmp_path: Path, venues, capsys, monkeypatch) -> None:
    from tradefleet.app.cli.main import main

    kalshi, poly = venues
    cfg = _config(tmp_path, kalshi, poly)
    toml = tmp_path / "tf.toml"
    lines = ['mode = "paper"', "[data]", "offline = true", f'cache_dir = "{tmp_path / "c"}"', "[prediction]",
             f'kalshi_url = "{kalshi.base}"', f'polymarket_url = "{poly.base}"', "max_source_age_minutes = 20000"]
    for sym, m in cfg.prediction.markets.items():
        lines += [f'[prediction.markets."{sym}"]', f'venue = "{m.venue}"']
        if m.venue_id:
            lines.append(f'venue_id = "{m.venue_id}"')
    toml.write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    main(["markets", "--json", "-c", str(toml)])
    out = json.loads(capsys.readouterr().out)
    assert {r["market"] for r in out["markets"]} == set(cfg.prediction.markets)
    assert all(r["bid"] is not None and "kalshi" in r["ages_s"] or r["venue"] == "polymarket"
               for r in out["markets"])


def test_dashboard_prediction_page(tmp_path: Path, venues) -> None:
    from tradefleet.dashboard.app import create_app

    kalshi, poly = venues
    cfg = _config(tmp_path, kalshi, poly)
    cfg = cfg.model_copy(update={"dashboard": cfg.dashboard.model_copy(update={"host": "127.0.0.1"})})
    app = create_app(cfg, f"sqlite:///{tmp_path}/d.db", SimClock(NOW), specs={})
    app.config["TESTING"] = True
    try:
        c = app.test_client()
        page = c.get("/prediction")
        assert page.status_code == 200 and b"KXHIGHNY-T85" in page.data and b"gfs_ensemble+nws" in page.data
        api = c.get("/api/prediction").get_json()
        assert {r["market"] for r in api["markets"]} == set(cfg.prediction.markets)
    finally:
        app.extensions["tradefleet"]["store"].close()
