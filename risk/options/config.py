"""``[options]`` config section: where replay option chains come from."""

from __future__ import annotations

from pydantic import Field

from tradefleet.orchestrator.sections import Section


class OptionsConfig(Section):
    """Option chains in replay (``[options]`` in ``tradefleet.toml``)."""

    chain_files: dict[str, str] = Field(
        default_factory=dict,
        description="underlying -> CSV/Parquet file of real option quotes (date, expiry, strike, right, bid, "
                    "ask, ...; see risk/options/quote_file.py), used instead of the model-priced chain")
