"""Data providers: bundled market data, files, venues and alternative data."""
