"""``[options]`` config section: where replay option chains come from."""

from __future__ import annotations

from pydantic import Field

from tradefleet.orchestrator.sections import Section


class OptionsConfig(Section):
    """Option chains: replay files, paper/live Alpaca snapshots (``[options]`` in ``tradefleet.toml``)."""

    chain_files: dict[str, str] = Field(
        default_factory=dict,
        description="underlying -> CSV/Parquet file of real option quotes (date, expiry, strike, right, bid, "
                    "ask, ...; see risk/options/quote_file.py), used instead of the model-priced chain")
    alpaca_chains: dict[str, str] = Field(
        default_factory=dict,
        description="paper/live runs: underlying -> name of an alpaca account under [accounts] whose keys read the "
                    "chain from Alpaca's option snapshot endpoint (risk/options/alpaca_chain.py), refreshed on "
                    "every bar and fire of the underlying")
    alpaca_data_url: str | None = Field(
        None, description="base URL of Alpaca's market data API for alpaca_chains (unset: alpaca-py's default, "
                          "data.alpaca.markets)")
