"""Red-team findings against issue 11's defences: each attack that got through, as a test.

Grouped by surface: the SQL gate (`/v1/sql/validate`), the promotion path, events and limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from command_center.db.models import MetricDefinitionRow
from command_center.db.session import session_scope
from command_center.metrics.definitions import MetricDefinition
from command_center.metrics.validation import MetricValidationError, validate_metric_definition
from command_center.sql.dictionary import load_dictionary
from command_center.sql.safety import SafetyResult, check_sql
from tests.api_helpers import assert_problem, prepared_client

DICTIONARY = load_dictionary()
ALLOWED = DICTIONARY.allowed_tables_for("claims") | DICTIONARY.allowed_tables_for(
    "l3_asurion.ev_claim"
)
TARGETS = ("databricks", "postgres", "sqlite", "duckdb")


def gate(sql: str, target: str) -> SafetyResult:
    return check_sql(
        sql, ALLOWED, known_tables=DICTIONARY.tables, dictionary=DICTIONARY, target=target
    )


# --- SQL gate -----------------------------------------------------------------------------

# A column alias list on a real table renames its columns by position: on PostgreSQL and
# DuckDB `c.region` below reads customers.email, while the column check saw `region`.
RENAMING = [
    "SELECT c.region FROM customers AS c(id, external_id, name, region)",
    "SELECT c.region, COUNT(*) FROM customers c(id, external_id, name, region) GROUP BY 1",
    "WITH t AS (SELECT region FROM claims) SELECT x.a FROM t AS x(a)",
]

# String-multiplying functions with a huge or computed count, or nested, exhaust memory on
# the database (in-process for DuckDB) long before any timeout.
GROWTH = [
    "SELECT repeat('x', 2000000000) AS r FROM claims",
    "SELECT lpad(region, 2000000000, 'x') AS r FROM claims",
    "SELECT rpad(region, 2000000000) AS r FROM claims",
    "SELECT space(2000000000) AS r FROM claims",
    "SELECT repeat(region, COUNT(*)) AS r FROM claims GROUP BY region",
    "SELECT repeat(repeat('x', 1000), 1000) AS r FROM claims",
    "SELECT repeat(concat(region, region, region), 1000) AS r FROM claims",
    "SELECT replace(replace(repeat('x', 1000), 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx') FROM claims",
    "SELECT regexp_replace(regexp_replace(region, '', 'xx'), '', 'xx') AS r FROM claims",
]

# A column written where a date unit goes parses as a bare word, unchecked; transpiled to
# PostgreSQL/SQLite the word lands where the engine reads it as the column again.
DISGUISED = [
    "SELECT TIMESTAMPDIFF(email, created_at, created_at) AS d FROM customers",
    "SELECT date_add(email, 1, created_at) AS d FROM customers",
    "SELECT date_trunc(email, created_at) AS d FROM customers",
    "SELECT EXTRACT(email FROM created_at) AS d FROM customers",
    "SELECT created_at + INTERVAL 1 email AS d FROM customers",
    # ordering by a passed-through sensitive projection returns rows in e-mail order
    "SELECT t.id FROM (SELECT id, email FROM customers ORDER BY email LIMIT 100) t",
    "WITH t AS (SELECT id, email FROM customers ORDER BY email LIMIT 1) SELECT id FROM t",
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("sql", RENAMING + GROWTH + DISGUISED)
def test_gate_rejects(sql: str, target: str) -> None:
    result = gate(sql, target)
    assert not result.passed and result.sql is None, result.sql


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT replace(replace(region, '_', ' '), '-', ' ') AS r, COUNT(*) AS n "
        "FROM claims GROUP BY 1",
        "SELECT lpad(region, 12, ' ') AS r, repeat('*', 10) AS bar FROM claims",
        "SELECT region, COUNT(DISTINCT email) AS n FROM customers GROUP BY region",
        "SELECT date_trunc('MONTH', filed_at) AS m, COUNT(*) AS n FROM claims GROUP BY 1",
        "SELECT AVG(TIMESTAMPDIFF(HOUR, filed_at, resolved_at)) AS h FROM claims",
    ],
)
def test_gate_keeps_legitimate_reads(sql: str, target: str) -> None:
    result = gate(sql, target)
    assert result.passed, result.failed


# --- promotion path -----------------------------------------------------------------------

PROMOTED: dict[str, Any] = {
    "id": "redteam_metric",
    "label": "Red team",
    "source_table": "customers",
    "measure": "COUNT(*)",
    "time_column": "created_at",
    "window_days": 30,
    "dimensions": ["id", "region"],
    "backend": "postgres",
}

# A sensitive column compared inside COUNT is a value oracle: grouped by `id`,
# COUNT(CASE WHEN email < 'm' THEN 1 END) binary-searches every customer's e-mail. The gate
# refused to run it, but the definition was stored in the catalog first.
ORACLE_MEASURES = [
    "COUNT(CASE WHEN email < 'm' THEN 1 END)",
    "COUNT(CASE WHEN name = 'Ada Lovelace' THEN id END)",
    "COUNT(DISTINCT CASE WHEN external_id > 'CUST-0005' THEN id END)",
    "COUNT(*) / COUNT(CASE WHEN email IS NULL THEN 1 END)",
]


@pytest.mark.parametrize("measure", ORACLE_MEASURES)
def test_promotion_rejects_sensitive_oracle_inside_count(measure: str) -> None:
    definition = MetricDefinition.model_validate({**PROMOTED, "measure": measure})
    with pytest.raises(MetricValidationError):
        validate_metric_definition(definition)


@pytest.mark.parametrize(
    "measure", ["COUNT(email)", "COUNT(DISTINCT email)", "COUNT(CASE WHEN region = 'x' THEN 1 END)"]
)
def test_promotion_still_counts_sensitive_columns(measure: str) -> None:
    definition = MetricDefinition.model_validate({**PROMOTED, "measure": measure})
    assert validate_metric_definition(definition) is definition


@pytest.fixture
def client(settings_env: Path) -> Iterator[TestClient]:
    yield from prepared_client()


def test_api_does_not_store_an_oracle_metric(client: TestClient) -> None:
    metric = {**PROMOTED, "measure": ORACLE_MEASURES[0]}
    spec = {
        "type": "table",
        "title": "oracle",
        "data_intent": {"metric": metric["id"], "dimensions": ["id"]},
    }
    response = client.post("/v1/widgets", json={"spec": spec, "promote_metric": metric})
    assert_problem(response, 422)
    with session_scope() as session:
        assert session.get(MetricDefinitionRow, metric["id"]) is None


# --- events and limits --------------------------------------------------------------------

_EVENT = (
    '{"event_id":"rt-%s","type":"claim_filed",%s,"claim_id":"CLM-%s",'
    '"customer_id":"CUST-000001","device_id":"DEV-000001","loss_type":"theft","channel":"app"}'
)


@pytest.mark.parametrize(
    "field",
    [
        '"occurred_at": 1' + "0" * 400,  # int too large for a float: OverflowError, a 500
        '"occurred_at": -1' + "0" * 400,
        '"occurred_at": 1e400',
        '"occurred_at": NaN',
        '"occurred_at": "1' + "0" * 400 + '"',
        '"occurred_at": "2026-01-01T00:00:00Z", "payout_amount": 1' + "0" * 400,
    ],
)
def test_hostile_number_loses_only_its_own_item(client: TestClient, field: str) -> None:
    valid = _EVENT % ("ok", '"occurred_at": "2026-01-01T00:00:00Z"', "900001")
    body = f"[{valid},{_EVENT % ('bad', field, '900002')}]"
    response = client.post("/v1/events", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 202, response.text
    result = response.json()
    assert result["accepted"] == 1
    assert [item["index"] for item in result["rejected"]] == [1]


@pytest.mark.parametrize(
    "change",
    [
        {"base_filter": "TIMESTAMPDIFF(external_id, created_at, created_at) > 1"},
        {"base_filter": "created_at > CURRENT_TIMESTAMP - INTERVAL 2 email"},
        {"source_table": " customers "},
    ],
)
def test_promotion_rejects_disguised_names(change: dict[str, Any]) -> None:
    definition = MetricDefinition.model_validate({**PROMOTED, **change})
    with pytest.raises(MetricValidationError):
        validate_metric_definition(definition)


def test_promotion_keeps_time_units() -> None:
    change = {"base_filter": "TIMESTAMPDIFF(HOUR, created_at, CURRENT_TIMESTAMP) > 48"}
    definition = MetricDefinition.model_validate({**PROMOTED, **change})
    assert validate_metric_definition(definition) is definition
