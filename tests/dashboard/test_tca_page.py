"""The dashboard's TCA page and its JSON twin show the same numbers as ``tradefleet tca --json``.

The store is filled by the real kernel working a large entry as TWAP children on generated
(synthetic) minute bars (see tests/orchestrator/execution/test_exec_engine.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import make_config, same_origin_client
from tests.orchestrator.execution.test_exec_engine import TWAP, harness


@pytest.fixture
def worked(tmp_path: Path) -> str:
    h = harness(tmp_path, TWAP)
    h.run(35)
    h.close()
    return f"sqlite:///{tmp_path}/intents.db"


def _app(tmp_path: Path, url: str, clock: Any, specs: Any) -> Any:
    from tradefleet.dashboard.app import create_app

    app = create_app(make_config(tmp_path), url, clock, specs=specs)
    app.config["TESTING"] = True
    same_origin_client(app)
    return app


@pytest.mark.parametrize("by", ["algorithm", "bot", "size"])
def test_tca_page_and_api_agree_with_the_cli(tmp_path: Path, worked: str, clock: Any, specs: Any, capsys: Any,
                                            by: str) -> None:
    from tradefleet.app.cli.main import main

    main(["tca", "--store", worked, "--json", "--by", by])
    cli = json.loads(capsys.readouterr().out)
    assert cli["parents"] == 1 and cli["total"]["total"] != 0
    app = _app(tmp_path, worked, clock, specs)
    try:
        client = app.test_client()
        api = client.get(f"/api/tca?by={by}")
        assert api.status_code == 200 and api.get_json() == cli
        page = client.get(f"/tca?by={by}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        # the chart's data is the same report
        embedded = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
        assert embedded is not None and json.loads(embedded.group(1))["tca"] == cli
        # every cell of the table shows the report's figure, group by group and the total
        rows = [*cli["groups"], {"key": "all", "parents": cli["parents"], **cli["total"]}]
        for r in rows:
            tr = re.search(rf'<tr data-key="{re.escape(str(r["key"]))}"[^>]*>(.*?)</tr>', html, re.S)
            assert tr is not None, r["key"]
            for c in ("delay", "spread", "impact", "fees", "total"):
                assert f'data-col="{c}">{r[c]:,.2f}<' in tr.group(1)
                assert f'data-col="{c}_bps">{r["bps"][c]:.2f}<' in tr.group(1)
    finally:
        app.extensions["tradefleet"]["store"].close()


def test_tca_page_refuses_an_unknown_grouping_in_one_line(tmp_path: Path, worked: str, clock: Any,
                                                           specs: Any) -> None:
    app = _app(tmp_path, worked, clock, specs)
    try:
        client = app.test_client()
        for path in ("/tca?by=colour", "/api/tca?by=colour"):
            resp = client.get(path)
            text = resp.get_data(as_text=True).strip()
            assert resp.status_code == 400 and "by='colour'" in text and len(text.splitlines()) == 1
        assert 'href="/tca"' in client.get("/").get_data(as_text=True)  # in the navigation
    finally:
        app.extensions["tradefleet"]["store"].close()


def test_tca_page_says_when_nothing_was_worked(tmp_path: Path, store_url: str, clock: Any, specs: Any) -> None:
    app = _app(tmp_path, store_url, clock, specs)
    try:
        html = app.test_client().get("/tca").get_data(as_text=True)
        assert "No worked parent orders" in html
    finally:
        app.extensions["tradefleet"]["store"].close()
