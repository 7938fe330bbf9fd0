"""Execution: the broker contract, the router, the paper broker and venue adapters."""
