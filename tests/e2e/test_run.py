"""End to end: `tradefleet run` as a user runs it, then the stored records must add up."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

D = Decimal
WINDOW = ["--from", "2017-04-01", "--to", "2018-02-28"]


def tradefleet(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFLEET__")}
    proc = subprocess.run([sys.executable, "-m", "tradefleet.app.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"tradefleet {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    cwd = tmp_path_factory.mktemp("run")
    out = tradefleet(cwd, "run", "--json", *WINDOW)
    return cwd, json.loads(out.stdout)


def rows(cwd: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(cwd / "var" / "tradefleet.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_run_summary_is_complete(replayed: tuple[Path, dict]) -> None:
    _, s = replayed
    assert s["bars"] > 1000 and s["fires"] > 1000 and s["fills"] > 0 and s["orders"] >= s["fills"] * 0.9
    assert s["start"] >= "2017-04-01" and s["end"] < "2018-03-02"
    assert "goog-ema-trend" in s["skipped_bots"]
    by = {b["name"]: b for b in s["bots"]}
    assert by["spx-sma-trend"]["signals"] >= 1  # its 200-day average is warm at --from: history before it loads
    assert {b["name"] for b in s["bots"]} >= {"spx-sma-trend", "spx-rsi2", "eurusd-macd"}
    assert all(b["status"] == "ok" for b in s["bots"])


def test_run_positions_equal_sum_of_fills(replayed: tuple[Path, dict]) -> None:
    cwd, _ = replayed
    fills: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for acct, bot, inst, side, qty in rows(cwd, "select o.account, o.bot, f.instrument, f.side, f.quantity from fills f "
                                                "join orders o on o.client_order_id = f.client_order_id"):
        fills[(acct, bot, inst)] += D(qty) if side == "buy" else -D(qty)
    stored = {(a, b, i): D(q) for a, b, i, q in rows(cwd, "select account, bot, instrument, quantity from positions")}
    assert stored and stored == {k: v for k, v in fills.items() if k in stored}
    assert all(v == 0 for k, v in fills.items() if k not in stored)


def test_run_cash_plus_positions_is_equity(replayed: tuple[Path, dict]) -> None:
    cwd, s = replayed
    cash = D(repr(s["starting_cash"]))
    for side, qty, price, fee in rows(cwd, "select side, quantity, price, fee from fills"):
        signed = D(qty) if side == "buy" else -D(qty)
        cash -= signed * D(price) + D(fee)
    assert float(cash) == pytest.approx(s["cash"], abs=0.01)
    assert s["cash"] + s["positions_value"] == pytest.approx(s["equity"], abs=0.02)
    last = rows(cwd, "select cash, positions_value, equity from equity order by ts desc limit 1")[0]
    assert float(D(last[0]) + D(last[1])) == pytest.approx(float(D(last[2])), abs=1e-6)
    assert float(D(last[2])) == pytest.approx(s["equity"], abs=0.02)


def test_run_every_order_has_its_signal_and_decisions(replayed: tuple[Path, dict]) -> None:
    cwd, s = replayed
    orphans = rows(cwd, "select o.client_order_id from orders o left join signals s on s.signal_id = o.signal_id "
                        "where s.signal_id is null")
    assert orphans == []
    undecided = rows(cwd, "select o.client_order_id from orders o where not exists "
                          "(select 1 from gate_decisions d where d.signal_id = o.signal_id and d.gate = 'risk')")
    assert undecided == []
    outcomes = dict(rows(cwd, "select outcome, count(*) from signals group by outcome"))
    per_signal = dict(rows(cwd, "select signal_id, count(*) from orders group by signal_id"))
    assert outcomes.get("ordered") == len(per_signal) and sum(per_signal.values()) == s["orders"]  # a bracket: 3 orders


def test_run_orders_fill_or_rest_by_the_fill_model(replayed: tuple[Path, dict]) -> None:
    """Market orders fill (at the next open); resting orders (stops, limits, bracket legs)
    are filled, still working at the end, or canceled by their OCO sibling or parent."""
    cwd, _ = replayed
    got = rows(cwd, "select o.order_type, o.status, o.quantity, coalesce(sum(f.quantity), 0) from orders o "
                    "left join fills f on f.client_order_id = o.client_order_id group by o.client_order_id")
    for kind, status, qty, filled in got:
        if status == "filled":
            assert D(str(filled)) == D(str(qty))
        else:
            assert kind != "market" or status == "accepted", (kind, status)  # only the run's last orders wait
            assert status in ("accepted", "partially_filled", "canceled"), status


def test_run_status_reports_last_run(replayed: tuple[Path, dict]) -> None:
    cwd, s = replayed
    st = json.loads(tradefleet(cwd, "status", "--json").stdout)
    assert st["last_run"]["summary"]["equity"] == s["equity"] and st["fleet"]["halted"] is False


def test_run_pause_persists_and_halt_blocks_entries(tmp_path: Path) -> None:
    tradefleet(tmp_path, "pause", "spx-rsi2", "--reason", "testing")
    tradefleet(tmp_path, "halt", "--reason", "risk review")
    s = json.loads(tradefleet(tmp_path, "run", "--json", "--bot", "spx-rsi2", "--bot", "spx-sma-trend", *WINDOW).stdout)
    by = {b["name"]: b for b in s["bots"]}
    assert by["spx-rsi2"]["evaluations"] == 0 and by["spx-rsi2"]["signals"] == 0
    assert by["spx-sma-trend"]["signals"] > 0 and by["spx-sma-trend"]["orders"] == 0 and s["halted"] is True
    tradefleet(tmp_path, "resume")
    s = json.loads(tradefleet(tmp_path, "run", "--json", "--bot", "spx-sma-trend", *WINDOW).stdout)
    assert s["orders"] > 0 and s["fills"] == s["orders"] and s["halted"] is False
    again = json.loads(tradefleet(tmp_path, "run", "--json", "--bot", "spx-sma-trend", *WINDOW).stdout)
    assert again["fills"] == s["fills"]  # a second run of the same window is its own account, not a duplicate


def test_run_second_run_on_a_held_store_exits_2(tmp_path: Path) -> None:
    from tradefleet.orchestrator.store import Store

    store = Store.open(f"sqlite:///{tmp_path}/var/tradefleet.db")
    try:
        with store.run_lock("test holder"):
            proc = tradefleet(tmp_path, "run", "--json", *WINDOW, check=False)
    finally:
        store.close()
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "held by" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--bot", "no-such-bot"], "no bot named 'no-such-bot'"),
        (["bots", "show", "spx-sma-trnd"], "did you mean spx-sma-trend"),
        (["pause", "nope"], "no bot named 'nope'"),
        (["run", "--from", "2030-01-01"], "no bars for"),
        (["run", "--speed", "-1"], "Invalid value"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    proc = tradefleet(tmp_path, *args, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr


def test_cli_bad_config_and_bad_data_file(tmp_path: Path) -> None:
    (tmp_path / "tradefleet.toml").write_text("[engine]\nstarting_cash = 'lots'\n")
    proc = tradefleet(tmp_path, "run", check=False)
    assert proc.returncode == 2 and "tradefleet.toml: engine.starting_cash" in proc.stderr
    bad = tmp_path / "spx.csv"
    bad.write_text("date,open,high,low,close\n2020-01-03,1,1,1,1\n2020-01-02,1,1,1,1\n")
    (tmp_path / "tradefleet.toml").write_text(f'[replay.data]\nSPX = "{bad}"\n')
    proc = tradefleet(tmp_path, "run", "--bot", "spx-sma-trend", check=False)
    assert proc.returncode == 2 and "out of order at line 3" in proc.stderr and str(bad) in proc.stderr
    assert not (tmp_path / "var" / "tradefleet.db").exists() or rows(tmp_path, "select count(*) from fills") == [(0,)]


def test_cli_init_then_config_check(tmp_path: Path) -> None:
    tradefleet(tmp_path, "init")
    assert "ok" in tradefleet(tmp_path, "config", "check").stdout
    assert tradefleet(tmp_path, "init", check=False).returncode == 2


def test_cli_bots_list_json(tmp_path: Path) -> None:
    listed = json.loads(tradefleet(tmp_path, "bots", "list", "--json").stdout)
    assert len(listed) >= 6
    row = next(r for r in listed if r["name"] == "spx-sma-trend")
    assert row["timezone"] == "America/New_York" and row["instruments"] == ["SPX"] and row["status"] == "ok"
    assert {"name", "strategy", "family", "asset_class", "instruments", "schedule", "timezone", "status"} <= set(row)


def test_every_entry_goes_through_the_default_chain_in_order(replayed: tuple[Path, dict]) -> None:
    """README: every signal goes through the same chain of gates (regime, ensemble, veto,
    fleet, risk). An entry that was ordered passed all five in that order; a rejected one
    stopped at the gate its outcome names, after the gates before it."""
    cwd, s = replayed
    chain = ["regime", "ensemble", "veto", "fleet", "risk"]
    assert s["stages"] == chain
    gates: dict[str, list[str]] = defaultdict(list)
    outcome: dict[str, str] = {}
    for sid, out, gate in rows(cwd, "select s.signal_id, s.outcome, d.gate from signals s join gate_decisions d "
                                    "on d.signal_id = s.signal_id where s.direction != 'flat' order by s.signal_id, d.seq"):
        gates[sid].append(gate)
        outcome[sid] = out
    ordered = [sid for sid, out in outcome.items() if out == "ordered"]
    assert len(ordered) > 50 and all(gates[sid] == chain for sid in ordered)
    for sid, out in outcome.items():
        if out.startswith("rejected:"):
            seen = [g for i, g in enumerate(gates[sid]) if i == 0 or g != gates[sid][i - 1]]
            assert seen == chain[:len(seen)] and seen[-1] == out.split(":")[1], (out, gates[sid])
