"""One SQL-generation service: `/v1/sql/generate` and the resolver produce the same SQL through
the same function and audit it under the same backend name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from command_center import resolver
from command_center.api import sql as sql_api
from command_center.db.models import SqlGenerationLog
from command_center.db.session import session_scope
from command_center.resolver import drain_background, resolve_widget_data
from command_center.sql import service
from tests.api_helpers import prepared_client

METRIC = "claims_by_product_l3_asurion"
INTENT = {"dimensions": ["product_name"], "window_days": 30}


@pytest.fixture
def client(settings_env: Path) -> Iterator[TestClient]:
    yield from prepared_client()


async def test_api_and_resolver_share_one_service_and_backend_name(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = service.gated_sql

    async def spy(metric: Any, intent: Any, warehouse: Any, **kwargs: Any) -> Any:
        calls.append(warehouse.name)
        return await real(metric, intent, warehouse, **kwargs)

    monkeypatch.setattr(sql_api, "gated_sql", spy)
    monkeypatch.setattr(resolver, "gated_sql", spy)
    response = client.post("/v1/sql/generate", json={"metric_id": METRIC, "data_intent": INTENT})
    assert response.status_code == 200, response.text
    spec = {"type": "chart", "title": "x", "data_intent": {"metric": METRIC, **INTENT}}
    data = await resolve_widget_data("w-service", spec)
    await drain_background()
    assert calls == ["local", "local"]
    assert data.sql == response.json()["sql"]
    with session_scope() as session:
        logs = session.exec(select(SqlGenerationLog).order_by(SqlGenerationLog.id)).all()
    assert [(row.metric_id, row.backend, row.passed) for row in logs] == [
        (METRIC, "local", True),
        (METRIC, "local", True),
    ]
    assert logs[0].row_count is None and logs[1].row_count == len(data.rows)
