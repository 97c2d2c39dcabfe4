"""Prometheus instruments for operators of the product, exposed at GET /metrics.

Names are `cc_*`. Ratios and rates are PromQL over these counters (docs/operations.md):
ingest rate `rate(cc_ingest_events_total[1m])`, cache hit ratio
`rate(cc_widget_cache_requests_total{result="hit"}[5m]) / rate(cc_widget_cache_requests_total[5m])`.

Several worker processes (STATE_MANAGER=redis) each count their own: set
`PROMETHEUS_MULTIPROC_DIR` to a shared empty directory and /metrics sums them.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SLOW = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

INGEST_EVENTS = Counter(
    "cc_ingest_events", "Events received by POST /v1/events, by outcome", ["outcome"]
)
INGEST_SECONDS = Histogram(
    "cc_ingest_batch_seconds", "Time to validate, store and apply one event batch", buckets=FAST
)
FANOUT_LAG = Histogram(
    "cc_fanout_lag_seconds", "KPI message publish → delivery to this process's fan-out",
    buckets=FAST,
)  # fmt: skip
CONNECTED_CLIENTS = Gauge(
    "cc_connected_clients", "Dashboard stream consumers (browser tabs, SSE, WebSockets)",
    multiprocess_mode="livesum",
)  # fmt: skip
LIVE_TABS = Gauge(
    "cc_live_tabs", "Browser tabs in this process's live dashboard room (one render each batch)",
    multiprocess_mode="livesum",
)  # fmt: skip
CACHE_REQUESTS = Counter(
    "cc_widget_cache_requests", "Widget-data cache lookups, by result (hit/miss)", ["result"]
)
WAREHOUSE_SECONDS = Histogram(
    "cc_warehouse_query_seconds", "Warehouse query latency, by backend", ["backend"],
    buckets=SLOW,
)  # fmt: skip
WAREHOUSE_ERRORS = Counter(
    "cc_warehouse_query_errors", "Failed warehouse queries, by backend and kind",
    ["backend", "kind"],
)  # fmt: skip
LLM_SECONDS = Histogram(
    "cc_llm_call_seconds", "LLM call latency, by tier and model", ["tier", "model"], buckets=SLOW
)
LLM_ERRORS = Counter("cc_llm_errors", "Failed LLM calls, by tier and error kind", ["tier", "kind"])


def record_ingest(seconds: float, accepted: int, duplicates: int, rejected: int) -> None:
    """One ingested batch."""
    INGEST_SECONDS.observe(seconds)
    for outcome, count in (("accepted", accepted), ("duplicate", duplicates),
                           ("rejected", rejected)):  # fmt: skip
        if count:
            INGEST_EVENTS.labels(outcome).inc(count)


def record_fanout_lag(message: dict[str, Any]) -> None:
    """A KPI message reached this process's fan-out (`published_at` set by the publisher)."""
    published = message.get("published_at")
    if isinstance(published, int | float):
        FANOUT_LAG.observe(max(0.0, time.time() - published))


def record_cache(hit: bool) -> None:
    """One widget-data cache lookup."""
    CACHE_REQUESTS.labels("hit" if hit else "miss").inc()


async def timed_query(warehouse: Any, sql: str) -> Any:
    """`warehouse.query(sql)`, counted in the latency histogram and, on failure, by error kind."""
    started = time.perf_counter()
    try:
        return await warehouse.query(sql)
    except Exception as exc:
        WAREHOUSE_ERRORS.labels(warehouse.name, getattr(exc, "kind", type(exc).__name__)).inc()
        raise
    finally:
        WAREHOUSE_SECONDS.labels(warehouse.name).observe(time.perf_counter() - started)


def record_llm(tier: str, model: str, seconds: float, error_kind: str | None) -> None:
    """One LLM call (failed ones also count by kind)."""
    LLM_SECONDS.labels(tier, model).observe(seconds)
    if error_kind:
        LLM_ERRORS.labels(tier, error_kind).inc()


def render() -> tuple[bytes, str]:
    """The exposition text and its content type (summed over workers in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
