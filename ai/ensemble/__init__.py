"""The weighted ensemble: eight sources vote on each signal; the gate combines the votes."""
