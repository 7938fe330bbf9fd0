"""Alembic migrations of the tradefleet store (run by orchestrator.store.migrate)."""
