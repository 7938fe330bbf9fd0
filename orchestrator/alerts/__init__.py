"""The alert service: every alert is stored first, then delivered to the configured
channels (Telegram, Discord, Slack, a signed webhook, email) with retries, a rate limit per
channel and de-duplication; a failed delivery is logged, never fatal.

Modules: ``kinds`` (alert kinds and severities), ``config`` (``[alerts]``), ``store``
(tables ``alerts`` and ``alert_deliveries``), ``channels``, ``build`` (channels from the
config), ``service`` (:class:`~tradefleet.orchestrator.alerts.service.AlertService`, ``install``).
"""
