"""Typed widget-builder LLM errors (live mode never falls back to offline)."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal["throttled", "timeout", "auth", "invalid_output", "unavailable"]


class BuilderModeError(Exception):
    """An LLM backend failure the operator must see; `kind` says which."""

    def __init__(self, kind: ErrorKind, message: str, *, builder_mode: str = "live") -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: ErrorKind = kind
        self.message = message
        self.builder_mode = builder_mode
