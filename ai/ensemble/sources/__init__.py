"""Built-in ensemble sources (registered under ``tradefleet.sources``)."""
