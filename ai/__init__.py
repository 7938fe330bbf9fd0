"""Signal intelligence: the regime filter, the weighted ensemble and the veto."""
