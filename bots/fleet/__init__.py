"""The fleet: a Thompson-sampling meta-controller that moves capital between sub-bots."""
