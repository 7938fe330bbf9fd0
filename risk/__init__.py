"""Risk: sizing (Quarter-Kelly, HRP), VaR/CVaR, limits, blockers, scaled exits, Greeks."""
