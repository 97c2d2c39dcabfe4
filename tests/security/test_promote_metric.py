"""Nothing leaves through the builder: a client-supplied `promote_metric` cannot widen what
SQL reads (issue 11, item 1 — the customer e-mail exfiltration through `/v1/widgets`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from command_center.db.models import MetricDefinitionRow, Widget, utcnow
from command_center.db.session import session_scope
from command_center.metrics.definitions import SEEDED_METRICS, MetricDefinition
from command_center.metrics.validation import MetricValidationError, validate_metric_definition
from tests.api_helpers import assert_problem, prepared_client

GOOD: dict[str, Any] = {
    "id": "payout_total_by_region",
    "label": "Total payout",
    "source_table": "claims",
    "measure": "SUM(payout_amount)",
    "time_column": "resolved_at",
    "window_days": 30,
    "dimensions": ["region", "channel"],
    "backend": "postgres",
}

# Each attack seen against the running app, plus its near relatives.
ATTACKS: dict[str, dict[str, Any]] = {
    "customers e-mail as dimension": {
        "source_table": "customers",
        "measure": "COUNT(*)",
        "time_column": "created_at",
        "dimensions": ["email", "name"],
    },
    "sqlite_master": {"source_table": "sqlite_master", "measure": "COUNT(*)"},
    "sql_generation_log": {"source_table": "sql_generation_log", "measure": "COUNT(*)"},
    "metrics_catalog": {"source_table": "metrics_catalog", "measure": "COUNT(*)"},
    "information_schema": {
        "source_table": "information_schema.tables",
        "measure": "COUNT(*)",
        "backend": "databricks",
    },
    "subquery in measure": {"measure": "MAX((SELECT MAX(email) FROM customers))"},
    "sensitive column under MAX": {
        "source_table": "customers",
        "measure": "MAX(email)",
        "time_column": "created_at",
        "dimensions": ["region"],
    },
    "non-aggregate function": {"measure": "SUM(LENGTH(region))"},
    "two aggregates without ratio": {"measure": "SUM(payout_amount) + COUNT(*)"},
    "SUM over text": {"measure": "SUM(region)"},
    "unknown column": {"measure": "SUM(no_such_column)"},
    "sensitive column filter": {"base_filter": "external_id LIKE 'CLM%'"},
    "subquery in base filter": {
        "base_filter": "region IN (SELECT email FROM customers)",
    },
    "sensitive dimension": {"dimensions": ["region", "external_id"]},
    "table-qualified column from elsewhere": {"measure": "MAX(customers.email)"},
    "wrong backend for the table": {"backend": "databricks"},
    "warehouse customer id dimension": {
        "source_table": "l3_asurion.ev_claim",
        "measure": "COUNT(*)",
        "time_column": "created_at",
        "dimensions": ["customer_id"],
        "backend": "databricks",
    },
}

MODEL_ERRORS: dict[str, dict[str, Any]] = {
    "empty source_table": {"source_table": ""},
    "negative window": {"window_days": -5},
    "absurd window": {"window_days": 10**12},
    "window over five years": {"window_days": 1827},
    "huge measure": {"measure": "COUNT(*)" + " " * 5000},
}


@pytest.fixture
def client(settings_env: Path) -> Iterator[TestClient]:
    yield from prepared_client()


def _spec(metric_id: str) -> dict[str, Any]:
    return {
        "type": "table",
        "title": "Exfiltration attempt",
        "data_intent": {"metric": metric_id, "dimensions": []},
    }


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_validator_rejects_attack(name: str) -> None:
    definition = MetricDefinition.model_validate({**GOOD, **ATTACKS[name]})
    with pytest.raises(MetricValidationError):
        validate_metric_definition(definition)


@pytest.mark.parametrize("metric", SEEDED_METRICS, ids=lambda m: m.id)
def test_every_seeded_metric_passes(metric: MetricDefinition) -> None:
    assert validate_metric_definition(metric) is metric


@pytest.mark.parametrize(
    "measure",
    [
        "COUNT(*)",
        "COUNT(DISTINCT external_id)",
        "AVG(payout_amount)",
        "MIN(filed_at)",
        "SUM(CASE WHEN status = 'denied' THEN 1 ELSE 0 END) / COUNT(*)",
    ],
)
def test_validator_accepts_legitimate_measures(measure: str) -> None:
    definition = MetricDefinition.model_validate({**GOOD, "measure": measure})
    assert validate_metric_definition(definition) is definition


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_api_refuses_to_store_attack(client: TestClient, name: str) -> None:
    metric = {**GOOD, **ATTACKS[name], "id": "attack_metric"}
    response = client.post(
        "/v1/widgets", json={"spec": _spec("attack_metric"), "promote_metric": metric}
    )
    body = assert_problem(response, 422)
    assert body["type"].endswith("invalid-metric"), body
    with session_scope() as session:
        assert session.get(MetricDefinitionRow, "attack_metric") is None
        assert session.query(Widget).filter(Widget.metric_id == "attack_metric").count() == 0


@pytest.mark.parametrize("name", sorted(MODEL_ERRORS))
def test_api_rejects_malformed_definition_with_422(client: TestClient, name: str) -> None:
    metric = {**GOOD, **MODEL_ERRORS[name], "id": "bad_metric"}
    response = client.post(
        "/v1/widgets", json={"spec": _spec("bad_metric"), "promote_metric": metric}
    )
    assert_problem(response, 422)


def test_legitimate_promotion_still_works_and_returns_data(client: TestClient) -> None:
    response = client.post("/v1/widgets", json={"spec": _spec(GOOD["id"]), "promote_metric": GOOD})
    assert response.status_code == 201, response.text
    widget_id = response.json()["id"]
    data = client.post(f"/v1/widgets/{widget_id}/data")
    assert data.status_code == 200, data.text
    assert data.json()["columns"] == ["value"]


def test_stored_malicious_row_is_refused_at_read_time(client: TestClient) -> None:
    """A row stored before validation existed never reaches the database as SQL."""
    leak = {**GOOD, **ATTACKS["customers e-mail as dimension"], "id": "legacy_leak"}
    with session_scope() as session:
        session.add(MetricDefinitionRow(**leak, origin="promoted", created_at=utcnow()))
    with session_scope() as session:
        template = session.get(Widget, "seed-claims-by-product")
        assert template is not None
        columns = {c.name: getattr(template, c.name) for c in Widget.__table__.columns}
        spec = {**_spec("legacy_leak"), "data_intent": {"metric": "legacy_leak"}}
        session.add(Widget(**{**columns, "id": "w-leak", "metric_id": "legacy_leak", "spec": spec}))
    response = client.post("/v1/widgets/w-leak/data")
    body = assert_problem(response, 422)
    assert "@" not in response.text and "sensitive" in body["detail"]


def test_removing_the_last_widget_of_a_promoted_metric_removes_the_metric(
    client: TestClient,
) -> None:
    created = client.post("/v1/widgets", json={"spec": _spec(GOOD["id"]), "promote_metric": GOOD})
    assert created.status_code == 201, created.text
    second = client.post("/v1/widgets", json={"spec": _spec(GOOD["id"])})
    assert second.status_code == 201, second.text
    assert client.delete(f"/v1/widgets/{created.json()['id']}").status_code == 204
    with session_scope() as session:
        assert session.get(MetricDefinitionRow, GOOD["id"]) is not None  # still used
    assert client.delete(f"/v1/widgets/{second.json()['id']}").status_code == 204
    with session_scope() as session:
        assert session.get(MetricDefinitionRow, GOOD["id"]) is None
        assert session.get(MetricDefinitionRow, "open_claims") is not None  # seeded stays


@pytest.mark.parametrize(
    "measure",
    ["SUM(payout_amount) FILTER (WHERE status = 'denied')", "MAX(DAY)", "COUNT(CURRENT_USER)"],
)
def test_bare_words_only_as_time_units(measure: str) -> None:
    definition = MetricDefinition.model_validate({**GOOD, "measure": measure})
    with pytest.raises(MetricValidationError):
        validate_metric_definition(definition)


def test_a_preview_is_cached_per_composed_metric_not_per_spec(client: TestClient) -> None:
    """The same spec previewed with another one-off metric is computed (and validated) anew:
    a cache hit must not hand one definition's rows to another, nor skip validation."""
    spec = _spec(GOOD["id"])
    first = client.post("/v1/widgets/preview", json={"spec": spec, "promote_metric": GOOD})
    assert first.status_code == 200, first.text
    assert "SUM(" in first.json()["sql"].upper()
    counted = {**GOOD, "measure": "COUNT(*)"}
    second = client.post("/v1/widgets/preview", json={"spec": spec, "promote_metric": counted})
    assert second.status_code == 200, second.text
    assert "COUNT(" in second.json()["sql"].upper() and not second.json()["cached"]
    attack = {**GOOD, **ATTACKS["SUM over text"]}
    refused = client.post("/v1/widgets/preview", json={"spec": spec, "promote_metric": attack})
    assert_problem(refused, 422)
    again = client.post("/v1/widgets/preview", json={"spec": spec, "promote_metric": GOOD})
    assert again.json()["cached"] and again.json()["sql"] == first.json()["sql"]
