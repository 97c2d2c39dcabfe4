"""`/v1/sql/generate` and `/v1/sql/validate` on the full API app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from command_center.db.models import SqlGenerationLog
from command_center.db.session import session_scope
from command_center.settings import get_settings
from command_center.sql.safety import CHECK_NAMES
from tests.api_helpers import assert_problem, prepared_client

METRIC = "claims_by_product_l3_asurion"
ALL_CHECKS = set(CHECK_NAMES)


@pytest.fixture
def client(settings_env: Path) -> Iterator[TestClient]:
    yield from prepared_client()


def test_generate_returns_gated_sql_in_the_backend_dialect(client: TestClient) -> None:
    response = client.post(
        "/v1/sql/generate",
        json={"metric_id": METRIC, "data_intent": {"dimensions": ["product_name"]}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"sql", "dialect", "safety", "generator"}
    assert body["generator"] == "compiler"
    assert body["dialect"] == "duckdb"  # routed to databricks, served by the local warehouse
    assert "l3_asurion.ev_claim" in body["sql"] and "product_name" in body["sql"]
    assert body["safety"]["passed"] is True
    assert all(check["passed"] for check in body["safety"]["checks"])
    with session_scope() as session:
        logs = session.exec(select(SqlGenerationLog)).all()
    assert [(row.metric_id, row.passed) for row in logs] == [(METRIC, True)]


def test_generate_for_an_oltp_metric_uses_sqlite(client: TestClient) -> None:
    response = client.post("/v1/sql/generate", json={"metric_id": "claims_filed"})
    assert response.status_code == 200, response.text
    assert response.json()["dialect"] == "sqlite"
    assert "claims" in response.json()["sql"]


def test_generate_unknown_metric_is_404(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/sql/generate", json={"metric_id": "nope"}), 404)
    assert "nope" in body["detail"]


def test_generate_bad_dimension_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post(
        "/v1/sql/generate",
        json={"metric_id": METRIC, "data_intent": {"dimensions": ["password_hash"]}},
    )
    body = assert_problem(response, 422)
    assert body["field"] == "data_intent.dimensions"
    assert "password_hash" in body["detail"]


def test_generate_bad_filter_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post(
        "/v1/sql/generate",
        json={"metric_id": METRIC, "data_intent": {"filters": {"not_a_column": "x"}}},
    )
    assert assert_problem(response, 422)["field"] == "data_intent.filters"


def test_generate_unknown_intent_field_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/sql/generate",
        json={"metric_id": METRIC, "data_intent": {"dimensions": [], "drop_table": True}},
    )
    body = assert_problem(response, 422)
    assert body["field"] == "data_intent.drop_table"


def test_generate_missing_metric_id_is_422(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/sql/generate", json={}), 422)
    assert body["field"] == "metric_id"


def test_generate_requires_the_token_when_configured(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", "s3cret")
    get_settings.cache_clear()
    assert_problem(client.post("/v1/sql/generate", json={"metric_id": METRIC}), 401)
    wrong = {"Authorization": "Bearer nope"}
    assert_problem(client.post("/v1/sql/generate", json={"metric_id": METRIC}, headers=wrong), 401)
    right = {"Authorization": "Bearer s3cret"}
    ok = client.post("/v1/sql/generate", json={"metric_id": METRIC}, headers=right)
    assert ok.status_code == 200, ok.text


def test_validate_passes_a_legit_query_with_every_check(client: TestClient) -> None:
    sql = (
        "SELECT product_name, COUNT(*) AS n FROM l3_asurion.ev_claim "
        "WHERE created_at >= current_timestamp() - INTERVAL 30 DAYS GROUP BY product_name"
    )
    response = client.post("/v1/sql/validate", json={"sql": sql, "metric_id": METRIC})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["passed"] is True
    names = {check["name"] for check in body["checks"]}
    assert names == ALL_CHECKS
    assert all(check["passed"] for check in body["checks"])
    assert "LIMIT" in body["sql"].upper()  # the gate injected a limit


@pytest.mark.parametrize(
    "sql,failed_check",
    [
        ("DELETE FROM claims", "no_dml_ddl"),
        ("SELECT * FROM customers", "table_allowlist"),
        ("SELECT * FROM read_files('/etc/passwd')", "no_table_functions"),
    ],
)
def test_validate_rejects_with_the_failed_checks(
    client: TestClient, sql: str, failed_check: str
) -> None:
    response = client.post("/v1/sql/validate", json={"sql": sql, "metric_id": METRIC})
    body = assert_problem(response, 422)
    failed = [check["name"] for check in body["checks"] if not check["passed"]]
    assert failed_check in failed
    assert body["passed"] is False
    assert all(name in body["detail"] for name in failed)


def test_validate_unknown_metric_is_404(client: TestClient) -> None:
    response = client.post("/v1/sql/validate", json={"sql": "SELECT 1", "metric_id": "nope"})
    assert_problem(response, 404)


def test_validate_empty_sql_is_422(client: TestClient) -> None:
    body = assert_problem(
        client.post("/v1/sql/validate", json={"sql": "", "metric_id": METRIC}), 422
    )
    assert body["field"] == "sql"
