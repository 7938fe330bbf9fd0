"""Strategy API v2 bots: a universe panel in, targets and orders out.

``pairs``        SPX/NASDAQ pairs trade: two legs, dollar-neutral, one decision
``rotation``     cross-asset momentum rotation with target weights
``risk_parity``  inverse-volatility (risk-parity) portfolio with target weights
``breakout``     channel breakout entered with a resting stop order and a bracket
``reversion``    mean reversion entered with a resting limit order and a bracket
"""
