"""Option strategies as bots: vertical spreads, covered calls, protective puts, iron
condors and the wheel (payoffs in :mod:`tradefleet.bots.options.payoff`, builders in
:mod:`tradefleet.bots.options.strategies`, bar bots in :mod:`tradefleet.bots.options.bots`, charts in
:mod:`tradefleet.bots.options.chart`)."""
