"""The regime service: per market, keep a fitted model and advance its forward filter
incrementally on the bars that closed since the last call.

Nothing here reads beyond the data service's "now": bars come from ``data.frame`` (which
returns bars closed at or before the clock), models are fitted on that history only and
loaded from the store only if their training data ended by now. After a refit the filter
is re-run from the first bar with the new model; history rows already written are kept
(the past is never rewritten).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tradefleet.ai.config import REGIME_LABELS, RegimeConfig
from tradefleet.ai.data import series_arrays
from tradefleet.ai.regime.features import regime_features
from tradefleet.ai.regime.fingerprint import MODEL_FORMAT, data_key  # noqa: F401 (re-exported)
from tradefleet.ai.regime.history import RegimeHistory, RegimeRow
from tradefleet.ai.regime.hmm import RegimeModel, fit_regime_model
from tradefleet.ai.regime.model_store import ModelStore
from tradefleet.orchestrator.clock import NS

if TYPE_CHECKING:
    from tradefleet.ai.regime.prefit import Prefitter
    from tradefleet.orchestrator.services import MarketData

log = logging.getLogger(__name__)
_DAY_NS = 86_400 * NS
_RETRY_NS = 3600 * NS


@dataclass(frozen=True)
class RegimeReading:
    """The filtered regime of a market as of its last closed bar."""

    market: str
    regime: str
    probs: dict[str, float]
    bar_ts: int
    model_version: str

    def as_data(self) -> dict[str, object]:
        return {"market": self.market, "regime": self.regime,
                "probs": {k: round(v, 6) for k, v in self.probs.items()},
                "bar_ts": self.bar_ts, "model_version": self.model_version}


@dataclass
class _MarketState:
    model: RegimeModel | None = None
    anchor: int = -1      # the refit period the model belongs to
    retry_ns: int = -1    # no new fit attempt before this (no data yet, or a failed fit)
    last_ts: int = -1     # ts of the last bar folded into log_alpha
    log_alpha: np.ndarray | None = None
    reading: RegimeReading | None = None
    tail: np.ndarray = field(default_factory=lambda: np.empty(0))  # last closes (for features)


class RegimeService:
    """Regimes of every configured market, advanced lazily when asked."""

    def __init__(self, config: RegimeConfig, data: MarketData, models: ModelStore,
                 history: RegimeHistory, prefit: Prefitter | None = None) -> None:
        self.config = config
        self.data = data
        self.models = models
        self.history = history
        self.prefit = prefit  # replay: fits of the coming anchors run ahead in worker processes
        self._state: dict[str, _MarketState] = {}

    def market_for(self, instrument: str, asset_class: str) -> str | None:
        """Return the market series that governs ``instrument`` (None: not applicable)."""
        return self.config.instrument_markets.get(instrument) or self.config.markets.get(asset_class)

    def reading(self, market: str, now_ns: int) -> RegimeReading | None:
        """Return the market's regime as of ``now_ns`` (None until a model can be fitted)."""
        st = self._state.setdefault(market, _MarketState())
        period = int(self.config.refit_every_days * _DAY_NS)
        anchor = (now_ns // period) * period
        if st.model is not None and st.anchor != anchor:
            self._advance(market, st, until=anchor)  # bars of the old period: the old model
        self._ensure_model(market, st, now_ns)
        if st.model is None:
            return None
        self._advance(market, st)
        return st.reading

    # -- model life cycle -------------------------------------------------------------
    def _ensure_model(self, market: str, st: _MarketState, now_ns: int) -> None:
        """Use the model of the current refit period, fitting it if no run has yet.

        Refits are anchored to a fixed grid (multiples of ``refit_every_days`` since the
        epoch) and use the bars closed by the anchor, so the model in force at any instant
        is the same whichever time a run started and whatever other runs stored: replays
        are reproducible and identical to the live path on the same bars."""
        period = int(self.config.refit_every_days * _DAY_NS)
        anchor = (now_ns // period) * period
        if st.anchor == anchor or now_ns < st.retry_ns:
            return
        st.retry_ns = now_ns + _RETRY_NS  # until this period's model is settled: look again later
        ts, closes = self._closes(market)
        cut = int(np.searchsorted(ts, anchor, side="right"))
        if cut < self.config.min_bars(market):
            return  # too little history at this anchor: keep what we have (possibly nothing)
        closes = closes[:cut]
        key = data_key(ts[:cut], closes, self.config.fit_settings(market))
        stored = self.models.find(market, anchor, key)
        if stored is not None:
            self._install(st, stored, anchor)
            return
        model = self.prefit.take(market, anchor, key) if self.prefit is not None else None
        if model is None:
            X = regime_features(closes, self.config.window(market))
            try:
                model = fit_regime_model(
                    X, market=market, vol_window=self.config.window(market), fitted_at_ns=anchor,
                    data_end_ns=int(ts[cut - 1]), n_iter=self.config.n_iter, tol=self.config.tol,
                    seed=self.config.seed, data_key=key)
            except ValueError as exc:  # degenerate data: keep the previous model until the next anchor
                log.warning("%s", exc)
                return
        self.models.save(model)
        log.info("regime model %s fitted on %d bars (%d iterations, converged=%s)",
                 model.version, model.n_obs, model.iterations, model.converged)
        self._install(st, model, anchor)

    @staticmethod
    def _install(st: _MarketState, model: RegimeModel, anchor: int) -> None:
        st.model, st.anchor, st.retry_ns = model, anchor, -1
        st.log_alpha, st.last_ts, st.tail = None, -1, np.empty(0)

    # -- forward filtering ------------------------------------------------------------
    def _closes(self, market: str, bars: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The market's last ``bars`` bar close times (ns) and closes as array views (no frame)."""
        ts, cols = series_arrays(self.data, market, bars)
        return ts, np.asarray(cols["close"], dtype=np.float64)

    def _advance(self, market: str, st: _MarketState, until: int | None = None) -> None:
        """Fold the bars closed since the last call (up to ``until``) into the filter.

        History rows are written only for bars after the model's fit anchor: a row
        is always computed with a model trained on bars that closed before it."""
        assert st.model is not None
        w = st.model.vol_window
        ts, closes = self._closes(market, w + 64) if st.last_ts >= 0 else self._closes(market)
        if len(ts) == 0 or ts[-1] <= st.last_ts:
            return  # no new bar: the reading stands
        first = int(np.searchsorted(ts, st.last_ts, side="right"))
        if st.last_ts >= 0 and first < w:  # the tail is too short for the new bars' features
            ts, closes = self._closes(market)
            first = int(np.searchsorted(ts, st.last_ts, side="right"))
        if st.last_ts < 0:
            X, rows_ts = regime_features(closes, w), ts[w:]
        else:
            X, rows_ts = regime_features(closes[first - w:], w), ts[first:]
        if until is not None:
            keep = int(np.searchsorted(rows_ts, until, side="right"))
            X, rows_ts = X[:keep], rows_ts[:keep]
        if len(rows_ts) == 0:
            return
        log_probs = st.model.filter(X, st.log_alpha)
        st.log_alpha, st.last_ts = log_probs[-1], int(rows_ts[-1])
        causal = rows_ts > st.model.fitted_at_ns  # the bar at the anchor belongs to the old model
        self._record(market, st.model, rows_ts[causal], np.exp(log_probs[causal]))
        st.reading = self._reading(market, st.model, int(rows_ts[-1]), np.exp(log_probs[-1]))

    def _record(self, market: str, model: RegimeModel, ts: np.ndarray, probs: np.ndarray) -> None:
        idx = [model.label_index(lbl) for lbl in REGIME_LABELS]  # bull, bear, sideways
        labels, version = model.labels, model.version
        regimes = [labels[i] for i in np.argmax(probs, axis=1).tolist()]
        self.history.append([
            RegimeRow(market, t, r, p[idx[0]], p[idx[1]], p[idx[2]], version)
            for t, r, p in zip(ts.tolist(), regimes, probs.tolist(), strict=True)])

    @staticmethod
    def _reading(market: str, model: RegimeModel, bar_ts: int, p: np.ndarray) -> RegimeReading:
        probs = {model.labels[i]: float(p[i]) for i in range(model.n_states)}
        return RegimeReading(market, model.labels[int(np.argmax(p))], probs, bar_ts, model.version)
