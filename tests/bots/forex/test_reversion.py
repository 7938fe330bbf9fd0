from __future__ import annotations

import numpy as np

from tradefleet.bots import indicators as ta
from tradefleet.bots.forex.reversion import EmaRibbonBot, ZScoreReversionBot
from tests.bots.crafted import build, frame_from_close


def test_zscore_fades_stretch_and_exits_at_mean() -> None:
    base = 1.10 + 0.001 * np.sin(np.arange(60) * 0.9)
    close = np.concatenate([base, [1.094, 1.095, 1.098, 1.1003, 1.1010, 1.106, 1.104, 1.0995]])
    out = build(ZScoreReversionBot, period=30, entry_z=2.0, exit_z=0.0).compute(frame_from_close(close, freq="1h",
                                                                                                 spread=0.0002))
    sig = out["signal"].to_numpy()
    z = ta.zscore(close, 30)
    assert z[60] < -2 and sig[60] == 1
    back = 60 + int(np.flatnonzero(z[60:] > 0)[0])
    assert (sig[60:back] == 1).all() and sig[back] == 0
    up = int(np.flatnonzero(z > 2)[0])
    assert sig[up] == -1
    assert out["target"].iloc[60] > close[60]


def test_ribbon_alignment() -> None:
    close = np.concatenate([np.linspace(1.0, 1.2, 150), np.linspace(1.2, 1.0, 150)])
    sig = build(EmaRibbonBot, spans=(5, 10, 20)).compute(frame_from_close(close, freq="1h"))["signal"].to_numpy()
    assert (sig[:19] == 0).all()
    assert (sig[30:150] == 1).all() and (sig[190:] == -1).all()
    sig_lo = build(EmaRibbonBot, spans=(5, 10, 20), allow_short=False).compute(frame_from_close(close, freq="1h"))
    assert (sig_lo["signal"].to_numpy()[190:] == 0).all()
