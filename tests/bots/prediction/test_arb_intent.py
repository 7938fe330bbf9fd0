"""Kalshi-Polymarket arbitrage as ONE intent through the real engine: both legs approved and
sized together, sent to the two venues' sandbox accounts through kalshi-python and
py-clob-client; when the Polymarket venue refuses its leg, the hedge-on-fill plan unwinds
the Kalshi leg at once, so no naked exposure stays beyond one lot, and the residual is
reported."""

from __future__ import annotations

import base64
import sqlite3
from decimal import Decimal
from pathlib import Path

from tradefleet.bots.prediction.bots import KALSHI_POLY_ARB
from tradefleet.app.config import AppConfig
from tests.bots.prediction.test_live_paper import _config, _run, venues  # noqa: F401
from tests.fakes.polymarket import TOKEN

ARB = KALSHI_POLY_ARB.name


def _accounts(monkeypatch, kalshi, poly) -> dict:
    from tests.fakes.kalshi import new_rsa_pem

    pem, pub = new_rsa_pem()
    kalshi.public_key = pub
    monkeypatch.setenv("I21_KALSHI_KEY", "key-id")
    monkeypatch.setenv("I21_KALSHI_PEM", pem)
    monkeypatch.setenv("I21_POLY_KEY", "poly-key")
    monkeypatch.setenv("I21_POLY_SECRET", base64.urlsafe_b64encode(b"s" * 32).decode())
    monkeypatch.setenv("I21_POLY_PASS", "pass")
    monkeypatch.setenv("I21_POLY_WALLET", "0x" + "11" * 32)
    return {
        "kalshi": {"venue": "kalshi", "base_url": kalshi.base, "api_key": "env:I21_KALSHI_KEY",
                   "api_secret": "env:I21_KALSHI_PEM", "extra": {"instruments": ["KX*"]}},
        "poly": {"venue": "polymarket", "base_url": poly.base, "api_key": "env:I21_POLY_KEY",
                 "api_secret": "env:I21_POLY_SECRET",
                 "extra": {"instruments": ["POLY-*"], "passphrase": "env:I21_POLY_PASS",
                           "private_key": "env:I21_POLY_WALLET", "symbols": {"POLY-FED-CUT-DEC": TOKEN},
                           "markets": [TOKEN]}},
    }


def _orders(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    rows = con.execute("select o.instrument, o.side, o.quantity, o.status, o.reduce_only, o.account, "
                       "coalesce(sum(f.quantity), 0) from orders o left join fills f on "
                       "f.client_order_id = o.client_order_id where o.bot = ? group by o.client_order_id "
                       "order by o.rowid", (ARB,)).fetchall()
    con.close()
    return rows


def test_arbitrage_legs_are_one_decision_at_two_venues(tmp_path: Path, venues, monkeypatch) -> None:
    kalshi, poly = venues
    base = _config(tmp_path, kalshi, poly)
    config = AppConfig(**{**base.model_dump(), "accounts": _accounts(monkeypatch, kalshi, poly)})
    kalshi.book.prices["KXFED-T425"] = Decimal("0.40")
    poly.book.prices[TOKEN] = Decimal("0.45")
    runner = _run(config, f"sqlite:///{tmp_path}/a.db", bots=[ARB])
    rows = _orders(tmp_path / "a.db")
    entries = [r for r in rows if not r[4]]
    assert sorted((r[0], r[1], r[5]) for r in entries) == [("KXFED-T425", "buy", "kalshi"),
                                                           ("POLY-FED-CUT-DEC", "sell", "poly")]
    assert len({r[2] for r in entries}) == 1  # sized together: one quantity for both legs
    assert runner.kernel.engine.intents.unwinds == 0


def test_one_leg_refused_by_the_venue_leaves_no_naked_exposure(tmp_path: Path, venues, monkeypatch) -> None:
    kalshi, poly = venues
    base = _config(tmp_path, kalshi, poly)
    config = AppConfig(**{**base.model_dump(), "accounts": _accounts(monkeypatch, kalshi, poly)})
    kalshi.book.prices["KXFED-T425"] = Decimal("0.40")
    poly.book.behaviour.append("reject:not enough balance / allowance")  # the Polymarket leg is refused
    runner = _run(config, f"sqlite:///{tmp_path}/b.db", bots=[ARB])
    rows = _orders(tmp_path / "b.db")
    kx = [r for r in rows if r[0] == "KXFED-T425"]
    entry = next(r for r in kx if not r[4])
    unwind = next(r for r in kx if r[4])
    assert Decimal(entry[6]) > 0 and Decimal(unwind[6]) == Decimal(entry[6]) and unwind[1] == "sell"
    # the venue's own books: no naked Kalshi position, nothing on Polymarket
    assert kalshi.book.positions.get("KXFED-T425", Decimal(0)) == 0
    assert poly.book.positions.get(TOKEN, Decimal(0)) == 0
    d = runner.kernel.engine.intents
    assert d.unwinds == 1 and all(abs(q) < 1 for res in d.residuals.values() for q in res.values())
