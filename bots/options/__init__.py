"""Option strategies as bots: vertical spreads, covered calls, protective puts, iron
condors and the wheel (payoffs in :mod:`bots.options.payoff`, builders in
:mod:`bots.options.strategies`, bar bots in :mod:`bots.options.bots`, charts in
:mod:`bots.options.chart`)."""
