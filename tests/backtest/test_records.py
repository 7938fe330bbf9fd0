"""Validation results round-trip through JSON files and the store's validations table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefleet.backtest.config import ValidationConfig
from tradefleet.backtest.records import (
    Check,
    JsonValidationStore,
    ValidationRecord,
    is_validated,
    open_validation_store,
    unvalidated,
)
from tradefleet.backtest.validation import decide, validate_bot
from tradefleet.orchestrator.clock import SimClock


def _rec(bot: str, ts: int, passed: bool) -> ValidationRecord:
    return ValidationRecord(bot, ts, passed, "goog", [Check("sharpe", 1.2 if passed else 0.1, ">= 1", passed)],
                            metrics={"profit_factor": float("inf")})


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_latest_record_decides(tmp_path: Path, kind: str) -> None:
    target = str(tmp_path / "v") if kind == "json" else f"sqlite:///{tmp_path / 'store.db'}"
    store = open_validation_store(target)
    assert store.latest("a") is None and not is_validated(target, "a")
    store.save(_rec("a", 1, True))
    assert is_validated(target, "a")
    store.save(_rec("a", 2, False))
    latest = store.latest("a")
    assert latest is not None and latest.ts_ns == 2 and latest.failed_checks == ["sharpe"]
    assert latest.metrics["profit_factor"] is None  # inf is not JSON
    assert not is_validated(target, "a") and not is_validated(target, "b")
    store.save(_rec("c", 3, True))
    assert unvalidated(target, ["a", "b", "c"]) == ["a", "b"]


def test_store_object_gets_validations_table(tmp_path: Path) -> None:
    from tradefleet.orchestrator.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'tf.db'}")
    try:
        open_validation_store(store).save(_rec("x", 5, True))
        assert is_validated(store, "x")
        from sqlalchemy import inspect

        assert "validations" in inspect(store.engine).get_table_names()
    finally:
        store.close()


def test_decide_thresholds() -> None:
    cfg = ValidationConfig(min_trades=100, min_win_rate=0.45, min_sharpe=1.0)
    good = {"trades": 120.0, "win_rate": 0.5, "sharpe": 1.3}
    assert all(c.passed for c in decide(cfg, good, True, 0.4))
    failed = [c.name for c in decide(cfg, {**good, "trades": 99.0, "sharpe": float("nan")}, False, 0.0) if not c.passed]
    assert failed == ["trades", "sharpe", "lookahead", "wf_oos_sharpe"]
    lax = ValidationConfig(require_clean_lookahead=False, min_trades=0)
    assert all(c.passed for c in decide(lax, {**good, "trades": 3.0}, False, 0.1))


def test_validate_bot_records_real_numbers(goog, sma_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = ValidationConfig(wf_folds=3, min_sharpe=0.5, min_trades=50)
    rec, res = validate_bot(sma_spec, cfg, frame=goog, data_name="goog", clock=SimClock(123))
    assert res is not None and rec.ts_ns == 123
    checks = {c.name: c for c in rec.checks}
    assert checks["trades"].value == res.metrics["trades"]
    assert checks["lookahead"].passed and rec.lookahead["clean"]
    assert rec.passed == all(c.passed for c in rec.checks)
    assert len(rec.walk_forward["folds"]) == 3
    JsonValidationStore(tmp_path).save(rec)
    assert is_validated(tmp_path, sma_spec.name) == rec.passed
