from __future__ import annotations

import numpy as np

from tradefleet.bots.crypto.momentum import BTC_MONTHLY_MOMENTUM, MultiHorizonMomentumBot
from tests.bots.crafted import build, frame_from_close


def test_multi_momentum_vote() -> None:
    # 13 rising months, then a 1-month drop (1 vote down of 4: still long), then a slide.
    close = np.concatenate([100 * 1.05 ** np.arange(13), [175.0], [140.0, 120.0, 100.0, 80.0, 60.0]])
    out = build(MultiHorizonMomentumBot, horizons=(1, 3, 6, 12), threshold=0.5).compute(
        frame_from_close(close, freq="MS"))
    sig, conf = out["signal"].to_numpy(), out["confidence"].to_numpy()
    assert (sig[:12] == 0).all()
    assert sig[12] == 1 and conf[12] == 1.0
    assert sig[13] == 1 and conf[13] == 0.5   # 1m down, 3/6/12m up: mean vote 0.5
    assert sig[-1] == 0


def test_multi_momentum_short_and_params() -> None:
    close = 100 * 0.95 ** np.arange(20)
    sig = build(MultiHorizonMomentumBot, allow_short=True).compute(frame_from_close(close, freq="MS"))["signal"]
    assert (sig.iloc[12:] == -1).all()
    assert BTC_MONTHLY_MOMENTUM.make_params({"horizons": [12, 1, 1]}).horizons == (1, 12)  # type: ignore[attr-defined]
