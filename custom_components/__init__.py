"""Reflex custom components of Command Center (the sandboxed TSX widget renderer, the
react-grid-layout dashboard grid)."""
