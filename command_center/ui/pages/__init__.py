"""Reflex UI."""
