"""The composition layer (``tradefleet.app``): the CLI, config assembly from each
component's section, and the replay, paper, live, leader and worker runtimes.

It may import anything; nothing but the app imports it (import-linter contracts in
pyproject.toml)."""
