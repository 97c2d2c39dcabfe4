"""Optional Langfuse tracing: a no-op unless LANGFUSE_PUBLIC_KEY and _SECRET_KEY are set."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from command_center.settings import Settings, get_settings

log = logging.getLogger(__name__)


class _NoopObservation:
    """Stands in for a Langfuse observation when tracing is off."""

    def update(self, **_fields: Any) -> None:
        """Ignore updates."""


_NOOP = _NoopObservation()


@lru_cache(maxsize=1)
def _client_for(public_key: str, secret_key: str, host: str) -> Any:
    from langfuse import Langfuse

    return Langfuse(public_key=public_key, secret_key=secret_key, host=host or None)


def tracing_client(settings: Settings | None = None) -> Any | None:
    """The Langfuse client, or None when tracing is not configured."""
    settings = settings or get_settings()
    if settings.tracing_mode != "langfuse":
        return None
    return _client_for(
        settings.langfuse_public_key, settings.langfuse_secret_key, settings.langfuse_host
    )


@contextlib.contextmanager
def observe(name: str, *, as_type: str = "span", **fields: Any) -> Iterator[Any]:
    """Trace a block as a Langfuse observation (span, generation, …); a no-op when off.

    Yields an object with `update(output=..., metadata=...)`. Tracing failures are logged,
    never raised into the traced code.
    """
    try:
        client = tracing_client()
        manager = (
            client.start_as_current_observation(name=name, as_type=as_type, **fields)
            if client is not None
            else None
        )
    except Exception as exc:
        log.warning("tracing disabled for %s: %s", name, exc)
        manager = None
    if manager is None:
        yield _NOOP
        return
    with manager as observation:
        yield observation
