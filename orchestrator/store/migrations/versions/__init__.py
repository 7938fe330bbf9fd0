"""Hand-written migration scripts, one per revision."""
