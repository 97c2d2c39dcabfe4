"""Records intent (custom feeds and lists): dictionary-only, non-sensitive, gated, cached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from command_center import resolver
from command_center.settings import Settings
from command_center.sql.records import (
    RecordsError,
    RecordsIntent,
    RecordsOrder,
    records_sql,
)
from command_center.sql.safety import SafetyError
from tests.api_helpers import prepared as prepared_settings

FEED = {
    "kind": "records",
    "table": "events",
    "columns": ["type", "occurred_at"],
    "order": [{"column": "occurred_at", "direction": "desc"}],
    "limit": 5,
}


def test_compiles_to_one_gated_select() -> None:
    generated = records_sql(RecordsIntent.model_validate(FEED), "postgres")
    assert generated.safety.passed
    sql = generated.sql.upper()
    assert sql.startswith("SELECT TYPE, OCCURRED_AT FROM EVENTS")
    assert "ORDER BY OCCURRED_AT DESC" in sql and sql.endswith("LIMIT 5")


def test_filters_are_quoted_literals() -> None:
    intent = RecordsIntent.model_validate(
        {**FEED, "table": "claims", "columns": ["status", "region"],
         "filters": {"region": "West' OR '1'='1", "status": ["filed", "in_review"]},
         "order": []}
    )  # fmt: skip
    sql = records_sql(intent, "postgres").sql
    assert "region = 'West'' OR ''1''=''1'" in sql
    assert "status IN ('filed', 'in_review')" in sql


@pytest.mark.parametrize(
    "change",
    [
        {"table": "customers", "columns": ["region", "email"]},  # listed
        {"table": "customers", "columns": ["region"], "filters": {"name": "Ann"}},  # filtered
        {"table": "customers", "columns": ["region"], "order": [{"column": "email"}]},  # ordered
        {"table": "events", "columns": ["type", "payload"]},
        {"table": "l3_asurion.ev_claim", "columns": ["region", "customer_id"]},
    ],
)
def test_sensitive_columns_are_rejected(change: dict) -> None:
    intent = RecordsIntent.model_validate({**FEED, "order": [], **change})
    with pytest.raises(RecordsError, match="sensitive"):
        records_sql(intent, "postgres")


@pytest.mark.parametrize("table", ["users", "pg_catalog.pg_user", "information_schema.tables"])
def test_tables_outside_the_dictionary_are_rejected(table: str) -> None:
    intent = RecordsIntent.model_validate({**FEED, "table": table, "order": []})
    with pytest.raises(RecordsError, match="not in the data dictionary"):
        records_sql(intent, "postgres")


@pytest.mark.parametrize(
    "order",
    [
        {"column": "occurred_at desc; drop table events"},
        {"column": "(select email from customers)"},
        {"column": "occurred_at", "direction": "desc, (select 1)"},
        {"column": "1"},
        {"column": "occurred_at", "extra": "x"},
    ],
)
def test_crafted_order_by_is_rejected_by_the_schema(order: dict) -> None:
    with pytest.raises(ValidationError):
        RecordsIntent.model_validate({**FEED, "order": [order]})


def test_order_by_a_column_outside_the_table_is_rejected() -> None:
    intent = RecordsIntent.model_construct(**{**FEED, "order": [RecordsOrder(column="email")]})
    with pytest.raises(RecordsError, match="not a column of events"):
        records_sql(intent, "postgres")


def test_the_safety_gate_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A compiled query the gate rejects (table outside the allowlist) is not returned."""
    from command_center.sql import records

    monkeypatch.setattr(records, "check_sql", lambda *a, **k: records.SafetyResult(passed=False))
    with pytest.raises(SafetyError):
        records_sql(RecordsIntent.model_validate(FEED), "postgres")


@pytest.fixture
def prepared(settings_env: Path) -> Iterator[Settings]:
    with prepared_settings() as settings:
        yield settings


async def test_resolver_serves_records_through_the_cache(prepared: Settings) -> None:
    spec = {"type": "custom", "title": "Feed", "data_intent": FEED}
    first = await resolver.resolve_widget_data("w-feed", spec, settings=prepared)
    assert first.columns == ["type", "occurred_at"] and 0 < len(first.rows) <= 5
    assert not first.cached and first.metric_id == "records:events"
    second = await resolver.resolve_widget_data("w-feed", spec, settings=prepared)
    assert second.cached and second.rows == first.rows
    await resolver.drain_background()


async def test_resolver_refuses_a_sensitive_records_intent(prepared: Settings) -> None:
    spec = {"type": "custom", "title": "x", "data_intent": {**FEED, "columns": ["payload"]}}
    with pytest.raises(RecordsError):
        await resolver.resolve_widget_data("w-bad", spec, settings=prepared)
