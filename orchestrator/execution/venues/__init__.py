"""Live venue adapters, one module per venue, each on the venue's official client."""
