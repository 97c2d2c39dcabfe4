"""Optional Langfuse tracing: a no-op unless LANGFUSE_PUBLIC_KEY and _SECRET_KEY are set.

Two ways to trace, both free when tracing is off:
- `traced(name)` / `traced_node(name, fn)` decorate a function; off, they return the function
  itself (no wrapper, zero overhead: `bench/bench_telemetry.py`).
- `observe(name, ...)` traces a block; off, it yields a shared no-op after one settings check.

Span names: `clarifier.<node>`, `llm.converse`, `warehouse.query`, `ingest.batch`; their
attributes are Langfuse metadata (`langfuse.observation.metadata.<key>` on the OTLP span).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

from command_center.settings import Settings, get_settings

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class _NoopObservation:
    """Stands in for a Langfuse observation (and its context manager) when tracing is off."""

    def __enter__(self) -> _NoopObservation:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def update(self, **_fields: Any) -> None:
        """Ignore updates."""


_NOOP = _NoopObservation()


@lru_cache(maxsize=4)
def _client_for(public_key: str, secret_key: str, host: str) -> Any:
    from langfuse import Langfuse

    return Langfuse(public_key=public_key, secret_key=secret_key, host=host or None)


def tracing_enabled(settings: Settings | None = None) -> bool:
    """True when Langfuse keys are configured."""
    return (settings or get_settings()).tracing_mode == "langfuse"


def tracing_client(settings: Settings | None = None) -> Any | None:
    """The Langfuse client, or None when tracing is not configured."""
    settings = settings or get_settings()
    if settings.tracing_mode != "langfuse":
        return None
    return _client_for(
        settings.langfuse_public_key, settings.langfuse_secret_key, settings.langfuse_host
    )


def flush() -> None:
    """Export buffered spans now (tests, shutdown); a no-op when off."""
    client = tracing_client()
    if client is not None:
        client.flush()


def observe(name: str, *, as_type: str = "span", **fields: Any) -> Any:
    """Trace a block as a Langfuse observation (span, generation, …); a no-op when off.

    Use as `with observe(...) as span:`; `span.update(output=..., metadata=..., level=...)`.
    Off, this is one settings check returning a shared no-op. Tracing failures are logged,
    never raised into the traced code.
    """
    if get_settings().tracing_mode != "langfuse":
        return _NOOP
    return _observed(name, as_type, fields)


@contextlib.contextmanager
def _observed(name: str, as_type: str, fields: dict[str, Any]) -> Iterator[Any]:
    try:
        manager = tracing_client().start_as_current_observation(  # type: ignore[union-attr]
            name=name, as_type=as_type, **fields
        )
    except Exception as exc:
        log.warning("tracing disabled for %s: %s", name, exc)
        yield _NOOP
        return
    with manager as observation:
        yield observation


def traced(name: str, **fields: Any) -> Callable[[F], F]:
    """Decorator: each call becomes a span with its duration; off, returns the function itself.

    Decided when the decorator is applied (at import or graph build), so set the Langfuse
    keys before the process starts.
    """

    def decorate(fn: F) -> F:
        if not tracing_enabled():
            return fn

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with observe(name, **fields) as span:
                started = time.perf_counter()
                result = fn(*args, **kwargs)
                span.update(metadata={"duration_ms": _ms(started)})
                return result

        return wrapper  # type: ignore[return-value]

    return decorate


def traced_node(name: str, fn: F) -> F:
    """A clarifier node traced as `clarifier.<name>` (duration, state delta size in bytes)."""
    if not tracing_enabled():
        return fn

    @functools.wraps(fn)
    def wrapper(state: Any, *args: Any, **kwargs: Any) -> Any:
        with observe(f"clarifier.{name}") as span:
            started = time.perf_counter()
            delta = fn(state, *args, **kwargs)
            span.update(metadata={
                "node": name,
                "duration_ms": _ms(started),
                "state_delta_bytes": len(json.dumps(delta, default=str)),
                "state_delta_keys": sorted(delta) if isinstance(delta, dict) else [],
            })  # fmt: skip
            return delta

    return wrapper  # type: ignore[return-value]


def sql_hash(sql: str) -> str:
    """A short stable id of a SQL text (for traces; the text itself stays out of them)."""
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
