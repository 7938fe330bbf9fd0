"""The lookahead check passes causal bots and names the first bar of a peeking one."""

from __future__ import annotations

import pandas as pd

from tradefleet.backtest.lookahead import check_lookahead
from tradefleet.backtest.strategies import SmaCrossBot, SmaCrossParams


class PeekingBot(SmaCrossBot):
    """Trades tomorrow's crossover today."""

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = super().compute(frame)
        out["signal"] = out["signal"].shift(-1).fillna(0.0)
        return out


class CenteredBot(SmaCrossBot):
    """A centered rolling mean: looks 5 bars ahead."""

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        mid = frame["close"].rolling(11, center=True).mean()
        return pd.DataFrame({"signal": (frame["close"] > mid).astype(float)}, index=frame.index)


def test_lookahead_clean_for_causal_bot(goog) -> None:  # type: ignore[no-untyped-def]
    rep = check_lookahead(SmaCrossBot(SmaCrossParams()), goog, "sma", count=8)
    assert rep.clean and rep.first_bar is None and rep.checkpoints == 8


def test_lookahead_names_first_differing_bar(goog) -> None:  # type: ignore[no-untyped-def]
    rep = check_lookahead(PeekingBot(SmaCrossParams()), goog, "peek", count=8)
    assert not rep.clean and rep.column == "signal"
    full = PeekingBot(SmaCrossParams()).compute(goog)["signal"].to_numpy()
    # the earliest checkpoint t differs at its last bar iff the next signal flips there
    assert rep.first_index is not None and rep.first_bar == goog.index[rep.first_index].isoformat()
    cut = PeekingBot(SmaCrossParams()).compute(goog.iloc[: rep.first_index + 1])["signal"].to_numpy()
    assert cut[-1] != full[rep.first_index]
    rep2 = check_lookahead(CenteredBot(SmaCrossParams()), goog, "centered", count=8)
    assert not rep2.clean and "differs" in rep2.detail


def test_validate_table_names_the_leaking_bar(goog) -> None:  # type: ignore[no-untyped-def]
    """Issue #18: the validate table said ``lookahead: no`` for a leaky bot (read as "no
    lookahead") and named the bar only in --json."""
    from tradefleet.app.cli.backtest import validation_rows
    from tradefleet.backtest.records import Check, ValidationRecord

    rep = check_lookahead(PeekingBot(SmaCrossParams()), goog, "peek", count=8)
    clean = check_lookahead(SmaCrossBot(SmaCrossParams()), goog, "sma", count=8)
    leaky = ValidationRecord("peek", 0, False, "goog", [Check("lookahead", False, "clean", False)],
                             lookahead=rep.as_dict())
    fine = ValidationRecord("sma", 0, True, "goog", [Check("lookahead", True, "clean", True)], lookahead=clean.as_dict())
    rows = validation_rows([leaky, fine])
    assert rows[0]["lookahead"] == f"LEAK at {rep.first_bar} (signal)" and rows[0]["verdict"] == "NO-GO"
    assert rows[1]["lookahead"] == "clean"


def test_backtest_and_run_warn_about_a_leaky_bot(goog, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Issue #18: run and backtest traded a bot that fails the lookahead check with no warning."""
    from tradefleet.backtest.lookahead import lookahead_warning
    from tradefleet.backtest.records import Check, SqlValidationStore, ValidationRecord
    from tradefleet.app.cli.main import main

    rep = check_lookahead(PeekingBot(SmaCrossParams()), goog, "peek", count=8)
    msg = lookahead_warning(rep)
    assert msg is not None and rep.first_bar in msg and "not trustworthy" in msg
    assert lookahead_warning(check_lookahead(SmaCrossBot(SmaCrossParams()), goog, "sma", count=8)) is None
    # a stored NO-GO for lookahead: `run` warns before trading the bot
    url = f"sqlite:///{tmp_path}/tf.db"
    vs = SqlValidationStore.from_url(url)
    vs.save(ValidationRecord("spx-sma-trend", 1, False, "spx", [Check("lookahead", False, "clean", False)],
                             lookahead={**rep.as_dict(), "bot": "spx-sma-trend"}))
    vs.engine.dispose()
    main(["run", "--bot", "spx-sma-trend", "--from", "2010-01-01", "--to", "2010-03-31", "--store", url,
          "--json", "--no-view", "--no-dashboard"])
    err = capsys.readouterr().err
    assert f"warning: spx-sma-trend fails the lookahead check: its signal at {rep.first_bar}" in err
