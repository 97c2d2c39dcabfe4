"""LLM client shared by the widget builder and the SQL generator: offline (deterministic)
and Bedrock (live) backends, their typed errors and the structured-output protocol."""

from __future__ import annotations

from command_center.llm.base import BuilderLLM
from command_center.llm.errors import BuilderModeError


def get_llm(mode: str | None = None) -> BuilderLLM:
    """The backend for `mode` (default: settings.builder_mode). Live never falls back."""
    from command_center.settings import get_settings

    settings = get_settings()
    chosen = str(mode or settings.builder_mode.value)
    if chosen == "live":
        from command_center.llm.bedrock import BedrockLLM

        return BedrockLLM(settings)
    from command_center.llm.offline import OfflineLLM

    return OfflineLLM()


__all__ = ["BuilderLLM", "BuilderModeError", "get_llm"]
