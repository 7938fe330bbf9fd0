"""The gate pipeline: regime -> ensemble -> veto -> risk, then the router."""
