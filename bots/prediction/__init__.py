"""Prediction-market bots (Kalshi, Polymarket): event-driven, fed one snapshot per tick.

They read a :class:`~tradefleet.bots.prediction.market.PredictionSnapshot` from ``TickContext.data``
(quotes, contract terms and the source data each bot needs) and return signals on the
binary contract's YES side: LONG buys YES, SHORT buys NO (sells YES).
"""
