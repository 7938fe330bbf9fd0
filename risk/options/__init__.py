"""Options: pricing, implied volatility, Greeks, chains, portfolio Greeks, volatility.

Modules (import what you need; heavy libraries load only where used):

``bsm``        vectorised Black-Scholes-Merton with continuous dividend yield, analytic Greeks
``binomial``   Cox-Ross-Rubinstein trees, European and American, tree Greeks
``bump``       Greeks by central finite differences of any pricer (BSM or binomial)
``implied``    implied volatility: bracketed Newton with a Brent fallback
``chain``      the option chain model and its CSV loader
``alpaca_chain`` the chain loader built on alpaca-py's OptionHistoricalDataClient
``portfolio``  positions and :func:`~tradefleet.risk.options.portfolio.portfolio_greeks` for the risk engine
``limits``     portfolio Greek limits and a what-if trade check
``provider``   the ``greeks_provider`` the portfolio risk gate calls each tick (currency Greeks)
``vol``        realised volatility, GARCH(1,1) with ``arch``, realised versus implied
"""

from tradefleet.risk.options.errors import ChainDataError, ImpliedVolError, OptionInputError, OptionsError
from tradefleet.risk.options.greeks import GREEK_NAMES, Greeks, Valuation

__all__ = ["GREEK_NAMES", "ChainDataError", "Greeks", "ImpliedVolError", "OptionInputError",
           "OptionsError", "Valuation"]
