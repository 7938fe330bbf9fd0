"""The veto stage: offline rules, then optional LLM reviewers (registered under ``tradefleet.vetoes``)."""
