"""Option strategies as bar bots on the underlying (S&P 500 daily by default).

Each bot prices its structure at every bar's close with Black-Scholes-Merton and a causal
volatility estimate (a GARCH(1,1) filter with variance targeting on the expanding mean,
or trailing realised vol), and expresses its view on the underlying as the standard
signal columns (``compute``). The option legs themselves, with premium, maximum profit
and loss and breakeven, are in ``structure(frame)``, one row per bar, for reports. These
bots trade the index itself; the bots that trade listed option contracts (legs, premium,
assignment and expiry in their P&L) are in :mod:`tradefleet.bots.options.traded`.

=================  =======================================  ==========================
bot                structure at each bar                    underlying signal
=================  =======================================  ==========================
vertical spread    bull call spread in an uptrend,          +1 / -1 with the trend
                   bear put spread in a downtrend
covered call       long stock, short OTM call               +1, target the call strike
protective put     long stock, long OTM put                 +1, stop at the put strike
iron condor        short OTM strangle with long wings       0 (no directional view)
wheel              cash-secured put until assigned, then    0 while selling puts,
                   covered calls until called away          +1 while holding stock
=================  =======================================  ==========================

Strikes are set from the close and rounded to ``strike_step`` (never from the vol), so
a bot's signal does not depend on how much history fed its vol estimate.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from tradefleet.bots import indicators as ta
from tradefleet.bots.base import ALL_REGIMES, NON_BEAR, NYSE_CLOSE, BarBot, signal_frame
from tradefleet.orchestrator.bot import BotParams, BotSpec
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.risk.options.model_chain import third_friday

if TYPE_CHECKING:
    import pandas as pd

Array = np.ndarray


class OptionBotParams(BotParams):
    """Pricing inputs shared by the option bots."""

    dte: int = Field(30, ge=5, le=365, description="calendar days to expiry of the options")
    vol_model: Literal["garch", "realized"] = Field("garch", description="causal vol estimate used to price")
    vol_window: int = Field(21, ge=5, le=252, description="bars of the realised vol window")
    garch_alpha: float = Field(0.09, ge=0, lt=1)
    garch_beta: float = Field(0.89, ge=0, lt=1)
    rate: float = Field(0.02, ge=-0.05, le=0.25, description="risk-free rate, continuous")
    dividend: float = Field(0.0, ge=0, le=0.2, description="dividend yield, continuous")
    strike_step: float = Field(5.0, gt=0, description="listed strike spacing")


class OptionBarBot(BarBot):
    """Shared plumbing: causal vol, strike rounding, pricing of legs across bars."""

    family: ClassVar[str] = "options"
    params: OptionBotParams

    def lookback(self) -> int:
        return max(self.params.vol_window, 40)

    def vol(self, close: Array, index: pd.Index) -> Array:
        """Return the causal annualised vol estimate at every bar (NaN in warm-up)."""
        import pandas as pd

        from tradefleet.risk.options.vol import garch_filter_vol, realized_vol

        p = self.params
        s = pd.Series(close, index=index)
        v = (garch_filter_vol(s, p.garch_alpha, p.garch_beta) if p.vol_model == "garch"
             else realized_vol(s, p.vol_window))
        return v.to_numpy(dtype=np.float64)

    def strike(self, x: Array, how: Literal["up", "down", "near"]) -> Array:
        step = self.params.strike_step
        fn = {"up": np.ceil, "down": np.floor, "near": np.round}[how]
        return np.asarray(fn(x / step) * step, dtype=np.float64)

    def price(self, kind: str, close: Array, strike: Array, vol: Array) -> Array:
        """Return BSM premiums per bar; NaN where the vol is not yet known."""
        from tradefleet.risk.options.bsm import bsm_price  # scipy: loaded when a bot computes, not at discovery

        p = self.params
        out = np.full(close.shape, np.nan)
        ok = np.isfinite(vol) & (vol > 0) & np.isfinite(strike) & (strike > 0)
        if ok.any():
            out[ok] = bsm_price(kind, close[ok], strike[ok], p.dte / 365.0, p.rate, vol[ok], p.dividend)
        return out

    def structure(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the option legs and their figures at every bar."""
        import pandas as pd

        return pd.DataFrame(self._structure(frame), index=frame.index)

    def _structure(self, frame: pd.DataFrame) -> dict[str, Array]:
        raise NotImplementedError


class VerticalSpreadParams(OptionBotParams):
    trend_window: int = Field(50, ge=5, le=400, description="SMA span that sets the view")
    width_pct: float = Field(0.05, gt=0, le=0.5, description="distance of the short strike")
    allow_bearish: bool = Field(True, description="buy bear put spreads in downtrends (else flat)")


class VerticalSpreadBot(OptionBarBot):
    """Debit vertical spreads in the direction of the trend (close versus its SMA)."""

    description: ClassVar[str] = "Debit vertical spreads with the trend: bull call spreads up, bear put spreads down"
    Params: ClassVar[type[BotParams]] = VerticalSpreadParams
    params: VerticalSpreadParams

    def lookback(self) -> int:
        return max(super().lookback(), self.params.trend_window)

    def _structure(self, frame: pd.DataFrame) -> dict[str, Array]:
        p = self.params
        close = frame["close"].to_numpy(dtype=np.float64)
        vol = self.vol(close, frame.index)
        sma = ta.sma(close, p.trend_window)
        view = np.where(np.isnan(sma) | np.isnan(vol), 0.0, np.sign(close - sma))
        if not p.allow_bearish:
            view = np.maximum(view, 0.0)
        up = view > 0
        long_k = np.where(up, self.strike(close, "down"), self.strike(close, "up"))
        short_k = np.where(up, self.strike(close * (1 + p.width_pct), "up"),
                           self.strike(close * (1 - p.width_pct), "down"))
        debit = np.where(up, self.price("call", close, long_k, vol) - self.price("call", close, short_k, vol),
                         self.price("put", close, long_k, vol) - self.price("put", close, short_k, vol))
        width = np.abs(short_k - long_k)
        on = view != 0
        nan = np.full(close.shape, np.nan)
        return {"view": view, "vol": vol, "long_strike": np.where(on, long_k, nan),
                "short_strike": np.where(on, short_k, nan), "premium": np.where(on, debit, nan),
                "max_profit": np.where(on, width - debit, nan), "max_loss": np.where(on, -debit, nan),
                "breakeven": np.where(on, long_k + view * debit, nan)}

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        s = self._structure(frame)
        close = frame["close"].to_numpy(dtype=np.float64)
        view, vol = s["view"], s["vol"]
        sma = ta.sma(close, self.params.trend_window)
        horizon = vol * math.sqrt(self.params.dte / 365.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            conf = 0.5 + 0.5 * np.clip(np.abs(close / sma - 1.0) / horizon, 0.0, 1.0)
        stop = close * (1.0 - view * self.params.width_pct)
        return signal_frame(frame, view, np.nan_to_num(conf), stop=stop, target=s["short_strike"])


class CoveredCallParams(OptionBotParams):
    otm_pct: float = Field(0.03, ge=0, le=0.5, description="call strike above the close")
    stop_pct: float = Field(0.10, gt=0, le=0.9, description="stop below the premium-adjusted breakeven")


class CoveredCallBot(OptionBarBot):
    """Hold the underlying and write an out-of-the-money call against it."""

    description: ClassVar[str] = "Covered call: long the underlying, short an OTM call"
    Params: ClassVar[type[BotParams]] = CoveredCallParams
    params: CoveredCallParams

    def _structure(self, frame: pd.DataFrame) -> dict[str, Array]:
        close = frame["close"].to_numpy(dtype=np.float64)
        vol = self.vol(close, frame.index)
        k = self.strike(close * (1 + self.params.otm_pct), "up")
        prem = self.price("call", close, k, vol)
        return {"vol": vol, "call_strike": k, "premium": -prem, "max_profit": k - close + prem,
                "max_loss": -(close - prem), "breakeven": close - prem}

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        s = self._structure(frame)
        on = np.where(np.isfinite(s["premium"]), 1.0, 0.0)
        stop = s["breakeven"] * (1.0 - self.params.stop_pct)
        return signal_frame(frame, on, 1.0, stop=stop, target=s["call_strike"])


class ProtectivePutParams(OptionBotParams):
    otm_pct: float = Field(0.05, ge=0, le=0.5, description="put strike below the close")


class ProtectivePutBot(OptionBarBot):
    """Hold the underlying with an out-of-the-money put under it as insurance."""

    description: ClassVar[str] = "Protective put: long the underlying, long an OTM put as a floor"
    Params: ClassVar[type[BotParams]] = ProtectivePutParams
    params: ProtectivePutParams

    def _structure(self, frame: pd.DataFrame) -> dict[str, Array]:
        close = frame["close"].to_numpy(dtype=np.float64)
        vol = self.vol(close, frame.index)
        k = self.strike(close * (1 - self.params.otm_pct), "down")
        prem = self.price("put", close, k, vol)
        return {"vol": vol, "put_strike": k, "premium": prem, "max_loss": -(close - k + prem),
                "breakeven": close + prem}

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        s = self._structure(frame)
        on = np.where(np.isfinite(s["premium"]), 1.0, 0.0)
        return signal_frame(frame, on, 1.0, stop=s["put_strike"])


class IronCondorParams(OptionBotParams):
    otm_pct: float = Field(0.05, gt=0, le=0.5, description="short strikes this far from the close")
    wing_pct: float = Field(0.03, gt=0, le=0.5, description="long wings this far beyond the shorts")


class IronCondorBot(OptionBarBot):
    """Sell an OTM put spread and an OTM call spread (range view, no underlying exposure).

    Not registered as a fleet bot: its underlying signal is always flat, so it only makes
    sense once an options router trades its ``structure``.
    """

    description: ClassVar[str] = "Iron condor: short OTM put and call spreads, flat on the underlying"
    Params: ClassVar[type[BotParams]] = IronCondorParams
    params: IronCondorParams

    def _structure(self, frame: pd.DataFrame) -> dict[str, Array]:
        p = self.params
        close = frame["close"].to_numpy(dtype=np.float64)
        vol = self.vol(close, frame.index)
        ps = self.strike(close * (1 - p.otm_pct), "down")
        pl = self.strike(ps * (1 - p.wing_pct), "down")
        cs = self.strike(close * (1 + p.otm_pct), "up")
        cl = self.strike(cs * (1 + p.wing_pct), "up")
        credit = (self.price("put", close, ps, vol) - self.price("put", close, pl, vol)
                  + self.price("call", close, cs, vol) - self.price("call", close, cl, vol))
        wing = np.maximum(ps - pl, cl - cs)
        return {"vol": vol, "put_long": pl, "put_short": ps, "call_short": cs, "call_long": cl,
                "premium": -credit, "max_profit": credit, "max_loss": -(wing - credit),
                "breakeven_low": ps - credit, "breakeven_high": cs + credit}

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        return signal_frame(frame, np.zeros(len(frame)))


class WheelParams(OptionBotParams):
    put_otm_pct: float = Field(0.05, ge=0, le=0.5, description="cash-secured put strike below the close")
    call_otm_pct: float = Field(0.03, ge=0, le=0.5, description="covered call strike above the close")
    min_dte: int = Field(20, ge=1, le=120, description="open on the first monthly expiry at least this far out")


class WheelBot(OptionBarBot):
    """The wheel: sell cash-secured puts on the monthly expiry cycle until assigned, then
    sell covered calls on the shares until they are called away, and repeat.

    Expiries are the monthly options' third Fridays; a cycle opens at the first bar after
    the previous one settled, on the first expiry at least ``min_dte`` days out. Settlement
    uses the close of the expiry day (or the next bar if it was a holiday).
    """

    description: ClassVar[str] = "The wheel: cash-secured puts until assigned, then covered calls until called away"
    Params: ClassVar[type[BotParams]] = WheelParams
    params: WheelParams

    def lookback(self) -> int:
        return max(super().lookback(), 100)

    def _structure(self, frame: pd.DataFrame) -> dict[str, Array]:
        p = self.params
        close = frame["close"].to_numpy(dtype=np.float64)
        vol = self.vol(close, frame.index)
        days = frame.index.tz_convert("America/New_York").date if len(frame) else []
        n = len(close)
        phase, strike, left = (np.full(n, np.nan) for _ in range(3))
        opens: list[int] = []
        held, k, expiry = 0, math.nan, None
        step = p.strike_step
        for i, (c, v, d) in enumerate(zip(close.tolist(), vol.tolist(), days, strict=True)):
            if not v > 0:  # vol still warming up (NaN)
                continue
            if expiry is not None and d >= expiry:
                if held == 0 and c < k:
                    held = 1  # assigned: the put buyer sold us the shares at k
                elif held == 1 and c > k:
                    held = 0  # called away at k
                expiry = None
            if expiry is None:
                expiry = next_monthly_expiry(d, p.min_dte)
                k = (math.ceil(c * (1 + p.call_otm_pct) / step) if held
                     else math.floor(c * (1 - p.put_otm_pct) / step)) * step
                opens.append(i)
            phase[i], strike[i], left[i] = held, k, (expiry - d).days
        # premiums do not steer the cycle: price every opening at once
        premium = np.full(n, np.nan)
        if opens:
            from tradefleet.risk.options.bsm import bsm_price

            at = np.array(opens)
            put_phase = phase[at] == 0  # a put is sold; else a covered call
            prem = bsm_price(~put_phase, close[at], strike[at], np.maximum(left[at], 1.0) / 365.0, p.rate, vol[at],
                             p.dividend)
            premium[at] = -prem
        income = np.full(n, np.nan)
        started = np.isfinite(phase)
        income[started] = np.cumsum(np.nan_to_num(-premium))[started]
        return {"vol": vol, "phase": phase, "strike": strike, "premium": premium,
                "days_to_expiry": left, "income": income}

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        s = self._structure(frame)
        close = frame["close"].to_numpy(dtype=np.float64)
        held = np.nan_to_num(s["phase"]) > 0
        target = np.where(held & (s["strike"] > close), s["strike"], np.nan)
        return signal_frame(frame, held.astype(np.float64), 1.0, target=target)


def next_monthly_expiry(today: date, min_days: int) -> date:
    """Return the first monthly expiry at least ``min_days`` calendar days after ``today``."""
    y, m = today.year, today.month
    while True:
        e = third_friday(y, m)
        if (e - today).days >= min_days:
            return e
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


SPX_VERTICAL_SPREAD = BotSpec(
    name="spx-vertical-spread", bot=VerticalSpreadBot, params={"trend_window": 50, "width_pct": 0.05},
    regimes=ALL_REGIMES, description="S&P 500 30-day debit verticals with the 50-day trend, GARCH-priced",
    instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d", asset_class=AssetClass.INDEX)
SPX_COVERED_CALL = BotSpec(
    name="spx-covered-call", bot=CoveredCallBot, params={"otm_pct": 0.03}, regimes=NON_BEAR,
    description="S&P 500 long with 30-day 3% OTM calls written against it",
    instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d", asset_class=AssetClass.INDEX)
SPX_PROTECTIVE_PUT = BotSpec(
    name="spx-protective-put", bot=ProtectivePutBot, params={"otm_pct": 0.05}, regimes=ALL_REGIMES,
    description="S&P 500 long insured by 30-day 5% OTM puts",
    instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d", asset_class=AssetClass.INDEX)
SPX_WHEEL = BotSpec(
    name="spx-wheel", bot=WheelBot, params={"put_otm_pct": 0.05, "call_otm_pct": 0.03}, regimes=NON_BEAR,
    description="S&P 500 wheel on the monthly cycle: 5% OTM puts, then 3% OTM calls",
    instruments=("SPX",), schedule=NYSE_CLOSE, timeframe="1d", asset_class=AssetClass.INDEX)
