"""Alembic migrations of the tradefleet store (run by tradefleet.orchestrator.store.migrate)."""
