"""resolve_widget_data: cache keys, single flight, degradation, TTLs, routing and the audit log."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import ValidationError
from sqlmodel import select

from command_center import resolver
from command_center.bootstrap import prepare
from command_center.db.models import SqlGenerationLog
from command_center.db.session import session_scope
from command_center.metrics.catalog import UnknownMetric
from command_center.metrics.routing import load_routing
from command_center.realtime.widget_cache import RedisBackend
from command_center.resolver import cache_key, canonical_hash, resolve_widget_data
from command_center.settings import Settings, get_settings
from command_center.warehouse import factory
from command_center.warehouse.errors import WarehouseUnavailable

WAREHOUSE_METRIC = "claims_by_product_l3_asurion"
SPEC = {
    "type": "chart",
    "chart_kind": "bar",
    "title": "Claims by product",
    "data_intent": {"metric": WAREHOUSE_METRIC, "dimensions": ["product_name"]},
}
OLTP_SPEC = {
    "type": "chart",
    "title": "Claims filed by region",
    "data_intent": {"metric": "claims_filed", "dimensions": ["region"]},
}


def _reset() -> None:
    factory.close_all()
    resolver.reset_caches()


@pytest.fixture
def prepared(settings_env: Path) -> Iterator[Settings]:
    """Migrated + seeded SQLite database and a small local warehouse; in-process cache."""
    _reset()
    settings = get_settings()
    prepare(settings)
    yield settings
    _reset()


@pytest.fixture
def redis_prepared(
    settings_env: Path, redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """As `prepared`, with the widget cache on Redis under the test's prefix."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("REDIS_KEY_PREFIX", redis_prefix)
    get_settings.cache_clear()
    _reset()
    settings = get_settings()
    prepare(settings)
    yield settings
    _reset()


def count_queries(monkeypatch: pytest.MonkeyPatch, backend: str, settings: Settings) -> list[str]:
    """Wrap the routed warehouse's `query` so every executed statement is recorded."""
    warehouse = factory.warehouse_for(backend, settings)  # type: ignore[arg-type]
    original = warehouse.query
    seen: list[str] = []

    async def counting(sql: str, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(sql)
        await asyncio.sleep(0.02)  # keep the flight open long enough for everyone to join
        return await original(sql, **kwargs)

    monkeypatch.setattr(warehouse, "query", counting)
    return seen


def _same(a: list[dict], b: list[dict]) -> bool:
    """Equal rows, ignoring the order of ties (ORDER BY value leaves equal values unordered)."""
    return sorted(map(repr, a)) == sorted(map(repr, b))


async def _logs() -> list[SqlGenerationLog]:
    await resolver.drain_background()
    with session_scope() as session:
        return list(session.exec(select(SqlGenerationLog).order_by(SqlGenerationLog.id)).all())


# --------------------------------------------------------------------------- cache keys


def test_cache_key_shape_and_stability() -> None:
    key = cache_key("w1", SPEC)
    prefix, data, widget_id, spec_hash, intent_hash = key.split(":")
    assert (prefix, data, widget_id) == ("widget", "data", "w1")
    assert spec_hash == canonical_hash(SPEC)
    assert intent_hash == canonical_hash(SPEC["data_intent"])
    assert len(spec_hash) == len(intent_hash) == 16
    reordered = {k: SPEC[k] for k in reversed(list(SPEC))}
    reordered["data_intent"] = dict(reversed(list(SPEC["data_intent"].items())))
    assert cache_key("w1", reordered) == key
    assert cache_key("w2", SPEC).split(":")[3:] == key.split(":")[3:]
    assert cache_key("w2", SPEC) != key


@pytest.mark.parametrize("field,value", [("title", "Other"), ("chart_kind", "pie"), ("x", 1)])
def test_cache_key_changes_with_any_spec_field_but_not_the_intent_hash(field, value) -> None:
    changed = {**SPEC, field: value}
    before, after = cache_key("w", SPEC).split(":"), cache_key("w", changed).split(":")
    assert after[3] != before[3]
    assert after[4] == before[4]  # intent hash moves only with the intent


@pytest.mark.parametrize(
    "change",
    [
        {"dimensions": ["region"]},
        {"dimensions": []},
        {"filters": {"region": "West"}},
        {"window_days": 7},
        {"metric": "claim_volume_l3_asurion"},
        {"limit": 5},
    ],
)
def test_cache_key_changes_with_the_intent(change) -> None:
    changed = copy.deepcopy(SPEC)
    changed["data_intent"].update(change)
    before, after = cache_key("w", SPEC).split(":"), cache_key("w", changed).split(":")
    assert after[3] != before[3] and after[4] != before[4]


# --------------------------------------------------------------------------- single flight


async def test_fifty_concurrent_cold_calls_run_one_query(
    prepared: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = count_queries(monkeypatch, "databricks", prepared)
    results = await asyncio.gather(*(resolve_widget_data("w-sf", SPEC) for _ in range(50)))
    assert len(seen) == 1
    assert all(r.rows == results[0].rows for r in results)
    assert results[0].rows and all(not r.cached for r in results)
    assert {r.source for r in results} == {"local warehouse"}

    warm = await resolve_widget_data("w-sf", SPEC)
    assert warm.cached is True and warm.source == "local warehouse"  # provenance kept
    assert warm.cached_at == results[0].generated_at
    assert warm.rows == results[0].rows
    assert len(seen) == 1
    assert len(await _logs()) == 1  # one audit row per executed query


async def test_single_flight_on_redis(
    redis_prepared: Settings, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    seen = count_queries(monkeypatch, "databricks", redis_prepared)
    results = await asyncio.gather(*(resolve_widget_data("w-rsf", SPEC) for _ in range(50)))
    assert len(seen) == 1
    assert len({tuple(map(str, r.rows)) for r in results}) == 1
    warm = await resolve_widget_data("w-rsf", SPEC)
    assert (warm.cached, warm.source) == (True, "local warehouse")
    assert resolver.widget_cache().backend.name == "redis"

    raw = redis.Redis.from_url(redis_url)
    try:
        ttl = raw.ttl(redis_prefix + warm.cache_key)
    finally:
        raw.close()
    expected = load_routing().route_for(WAREHOUSE_METRIC).ttl_seconds
    assert expected == 600
    assert expected - 10 < ttl <= expected


async def test_oltp_metric_redis_ttl_follows_routing(
    redis_prepared: Settings, redis_url: str, redis_prefix: str
) -> None:
    data = await resolve_widget_data("w-oltp-ttl", OLTP_SPEC)
    raw = redis.Redis.from_url(redis_url)
    try:
        ttl = raw.ttl(redis_prefix + data.cache_key)
    finally:
        raw.close()
    assert 0 < ttl <= load_routing().route_for("claims_filed").ttl_seconds == 30


async def test_errors_reach_every_caller_and_the_next_call_retries(
    prepared: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = factory.warehouse_for("databricks", prepared)
    original = warehouse.query
    calls: list[str] = []

    async def failing(sql: str, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(sql)
        await asyncio.sleep(0.02)
        raise WarehouseUnavailable("warehouse is stopped", backend="local")

    monkeypatch.setattr(warehouse, "query", failing)
    results = await asyncio.gather(
        *(resolve_widget_data("w-err", SPEC) for _ in range(10)), return_exceptions=True
    )
    assert len(calls) == 1
    assert all(isinstance(r, WarehouseUnavailable) for r in results)
    logs = await _logs()
    assert len(logs) == 1 and logs[0].error and "stopped" in logs[0].error

    monkeypatch.setattr(warehouse, "query", original)
    data = await resolve_widget_data("w-err", SPEC)
    assert data.rows and data.cached is False


# --------------------------------------------------------------------------- degradation


async def test_redis_down_still_answers_then_recovers(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("REDIS_KEY_PREFIX", redis_prefix)
    get_settings.cache_clear()
    _reset()
    settings = get_settings()
    prepare(settings)
    try:
        seen = count_queries(monkeypatch, "databricks", settings)
        first = await resolve_widget_data("w-down", SPEC)
        cache = resolver.widget_cache()
        assert first.rows and first.cached is False and first.source == "local warehouse"
        assert cache.degraded is True
        second = await resolve_widget_data("w-down", SPEC)
        assert second.cached is False and _same(second.rows, first.rows)
        assert len(seen) == 2  # no cache: every call queries

        # Redis comes back: the same process-wide cache works again.
        cache.backend = RedisBackend(redis_url, key_prefix=redis_prefix)
        third = await resolve_widget_data("w-down", SPEC)
        assert third.cached is False and cache.degraded is False
        fourth = await resolve_widget_data("w-down", SPEC)
        assert fourth.cached is True and _same(fourth.rows, first.rows)
        assert len(seen) == 3
    finally:
        _reset()


# --------------------------------------------------------------------------- routing / source


async def test_warehouse_metric_runs_on_the_local_warehouse(prepared: Settings) -> None:
    data = await resolve_widget_data("w-local", SPEC)
    assert data.source == "local warehouse"
    assert data.source != "databricks"
    assert data.columns == ["product_name", "value"]
    assert data.rows and all(set(r) == {"product_name", "value"} for r in data.rows)
    assert "l3_asurion.ev_claim" in data.sql.lower()
    assert data.metric_id == WAREHOUSE_METRIC
    assert data.cache_key == cache_key("w-local", SPEC)
    (log,) = await _logs()
    assert log.passed is True
    assert log.backend == "local"
    assert log.row_count == len(data.rows)
    assert log.metric_id == WAREHOUSE_METRIC
    assert log.sql == data.sql


async def test_oltp_metric_runs_on_sqlite_in_embedded_mode(prepared: Settings) -> None:
    data = await resolve_widget_data("w-sqlite", OLTP_SPEC)
    assert data.source == "SQLite"
    assert data.columns == ["region", "value"]
    (log,) = await _logs()
    assert (log.passed, log.backend, log.row_count) == (True, "sqlite", len(data.rows))


async def test_oltp_metric_runs_on_postgres_with_database_url(
    settings_env: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url)
    get_settings.cache_clear()
    _reset()
    settings = get_settings()
    try:
        prepare(settings)
        data = await resolve_widget_data("w-pg", OLTP_SPEC)
        assert data.source == "PostgreSQL"
        assert data.rows, "seeded claims should fall in the 30-day window"
        warehouse_data = await resolve_widget_data("w-pg-wh", SPEC)
        assert warehouse_data.source == "local warehouse"
        # audit rows are written in the background: two widgets' rows in either order
        rows = await _logs()
        logs = {row.backend: row for row in rows}
        assert len(rows) == 2
        assert sorted((backend, row.passed) for backend, row in logs.items()) == [
            ("local", True),
            ("postgres", True),
        ]
        assert logs["postgres"].row_count == len(data.rows)
    finally:
        _reset()


async def test_every_miss_is_audited(prepared: Settings) -> None:
    for i in range(3):
        await resolve_widget_data(f"w-audit-{i}", SPEC)
    await resolve_widget_data("w-audit-0", SPEC)  # a hit runs no query and logs nothing
    logs = await _logs()
    assert len(logs) == 3
    assert all(row.passed and row.backend == "local" and row.row_count for row in logs)


# --------------------------------------------------------------------------- bad input


async def test_unknown_metric(prepared: Settings) -> None:
    spec = {"type": "kpi", "data_intent": {"metric": "no_such_metric"}}
    with pytest.raises(UnknownMetric):
        await resolve_widget_data("w-unknown", spec)


async def test_malformed_intent(prepared: Settings) -> None:
    spec = {"type": "kpi", "data_intent": {"metric": WAREHOUSE_METRIC, "bogus": 1}}
    with pytest.raises(ValidationError):
        await resolve_widget_data("w-bad", spec)
