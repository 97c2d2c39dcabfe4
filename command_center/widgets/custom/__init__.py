"""Custom (TSX) widgets: static checks, offline templates, component synthesis."""
