"""`/v1/widgets/{id}/data` and `/v1/databricks/health` on the full API app."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from command_center.db.models import Widget
from command_center.db.session import session_scope
from command_center.settings import get_settings
from command_center.warehouse import factory
from command_center.warehouse.errors import WarehouseTimeout
from command_center.warehouse.store import snapshot_dir
from tests.api_helpers import assert_problem, prepared_client


@pytest.fixture
def client(settings_env: Path) -> Iterator[TestClient]:
    yield from prepared_client()


def _add_widget(widget_id: str, spec: dict) -> None:
    with session_scope() as session:
        template = session.get(Widget, "seed-claims-by-product")
        assert template is not None
        columns = {c.name: getattr(template, c.name) for c in Widget.__table__.columns}
        session.add(Widget(**{**columns, "id": widget_id, "spec": spec}))


def test_seeded_widget_data_then_cached(client: TestClient) -> None:
    first = client.post("/v1/widgets/seed-claims-by-product/data")
    assert first.status_code == 200, first.text
    body = first.json()
    assert {"rows", "columns", "source", "generated_at", "cached"} <= set(body)
    assert body["columns"] == ["product_name", "value"]
    assert body["rows"] and all(row["value"] > 0 for row in body["rows"])
    assert body["source"] == "local warehouse" and body["cached"] is False
    assert body["generated_at"].startswith("20")

    second = client.post("/v1/widgets/seed-claims-by-product/data").json()
    assert second["cached"] is True and second["source"] == "local warehouse"
    assert second["cached_at"] == body["generated_at"]
    assert second["rows"] == body["rows"] and second["generated_at"] == body["generated_at"]


@pytest.mark.parametrize(
    "widget_id,source",
    [("seed-approval-rate", "SQLite"), ("seed-open-claims-by-loss", "SQLite")],
)
def test_oltp_seeded_widgets(client: TestClient, widget_id: str, source: str) -> None:
    response = client.post(f"/v1/widgets/{widget_id}/data")
    assert response.status_code == 200, response.text
    assert response.json()["source"] == source


def test_unknown_widget_is_404(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/widgets/no-such-widget/data"), 404)
    assert "no-such-widget" in body["detail"]


def test_widget_with_bad_dimension_is_422(client: TestClient) -> None:
    spec = {
        "type": "chart",
        "title": "bad",
        "data_intent": {"metric": "claims_by_product_l3_asurion", "dimensions": ["ssn"]},
    }
    _add_widget("w-bad-dim", spec)
    assert_problem(client.post("/v1/widgets/w-bad-dim/data"), 422)


def test_widget_with_malformed_intent_is_422(client: TestClient) -> None:
    spec = {"type": "kpi", "title": "bad", "data_intent": {"dimensions": ["region"]}}
    _add_widget("w-no-metric", spec)
    body = assert_problem(client.post("/v1/widgets/w-no-metric/data"), 422)
    assert "metric" in body["detail"]


def test_widget_with_unknown_metric_is_422(client: TestClient) -> None:
    _add_widget("w-gone", {"type": "kpi", "title": "gone", "data_intent": {"metric": "gone"}})
    body = assert_problem(client.post("/v1/widgets/w-gone/data"), 422)
    assert "gone" in body["detail"]


def test_warehouse_timeout_is_504(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = factory.warehouse_for("databricks")

    async def slow(sql: str, **kwargs):  # type: ignore[no-untyped-def]
        raise WarehouseTimeout("query exceeded 15s", backend="local")

    monkeypatch.setattr(warehouse, "query", slow)
    body = assert_problem(client.post("/v1/widgets/seed-claims-by-product/data"), 504)
    assert (body["kind"], body["backend"]) == ("timeout", "local")


def test_health_on_the_local_warehouse(client: TestClient) -> None:
    response = client.get("/v1/databricks/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["mode"] == "local" and body["backend"] == "local"
    assert body["rows_sampled"] > 0


@pytest.mark.parametrize(
    "host,kinds",
    [
        ("127.0.0.1", {"unavailable", "timeout"}),  # nothing listens on 443: refused
        # The connector appends ":443" itself, so a host:port fails before connecting
        # (reported as a query error); it must still be a quick 503.
        ("127.0.0.1:1", {"unavailable", "timeout", "query"}),
    ],
)
def test_health_503_when_databricks_is_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, host: str, kinds: set[str]
) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", host)
    monkeypatch.setenv("DATABRICKS_HTTP_PATH", "/sql/1.0/warehouses/none")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-not-a-real-token")
    monkeypatch.setenv("DATABRICKS_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    started = time.monotonic()
    response = client.get("/v1/databricks/health")
    elapsed = time.monotonic() - started
    body = assert_problem(response, 503)
    assert body["mode"] == "databricks"
    assert body["kind"] in kinds
    assert "dapi-not-a-real-token" not in response.text
    # Not a latency assertion: the connector's defaults would retry for 15 minutes.
    assert elapsed < 60


def test_health_503_when_the_warehouse_file_cannot_be_opened(client: TestClient) -> None:
    settings = get_settings()
    factory.close_all()
    path = settings.warehouse_path
    path.unlink()
    shutil.rmtree(snapshot_dir(path))  # no published snapshot either
    path.mkdir()  # a directory where the DuckDB file should be: cannot open nor rebuild
    body = assert_problem(client.get("/v1/databricks/health"), 503)
    assert body["mode"] == "local" and body["kind"] == "unavailable"

    data = assert_problem(client.post("/v1/widgets/seed-claims-by-product/data"), 502)
    assert data["kind"] == "unavailable"


def test_llm_sql_failure_is_a_typed_502(client: TestClient, monkeypatch) -> None:
    from command_center.dashboards import view_data
    from command_center.llm.errors import BuilderModeError

    async def failing(*_args, **_kwargs):
        raise BuilderModeError("throttled", "ThrottlingException: slow down")

    monkeypatch.setattr(view_data, "resolve_widget_data", failing)
    body = assert_problem(client.post("/v1/widgets/seed-claims-by-product/data"), 502)
    assert body["kind"] == "throttled" and body["builder_mode"] == "live"
