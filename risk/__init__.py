"""Risk: sizing (Quarter-Kelly, HRP), VaR/CVaR, limits, blockers, scaled exits, Greeks.

``orchestrator.config`` is imported first on purpose: its ``AppConfig`` uses
:class:`risk.config.PortfolioRiskConfig`, which subclasses the kernel's ``RiskConfig``;
loading the kernel module first keeps that import cycle one-directional whichever module
a caller imports first.
"""

import orchestrator.config as _kernel_config  # noqa: F401  (import order, see above)
