"""The leader and worker runtimes and their CLI (beyond one machine)."""
