"""The metrics catalog: seeded definitions and backend routing."""
