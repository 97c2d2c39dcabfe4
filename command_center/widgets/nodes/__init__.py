"""Clarifier graph nodes, one module per node."""
