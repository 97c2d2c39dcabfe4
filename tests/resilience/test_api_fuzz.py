"""schemathesis against `/openapi.json`: every `/v1` operation, with a token — no 5xx, and no
response that breaks the schema the API itself publishes (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from command_center.api.app import build_api
from command_center.settings import get_settings
from tests.api_helpers import prepared_client

TOKEN = "fuzz-token-0123456789abcdef"


@pytest.fixture
def api_schema(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[schemathesis.BaseSchema]:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    get_settings.cache_clear()
    for _client in prepared_client():  # migrate, seed, build the warehouse
        break
    app = build_api()
    with TestClient(app):  # run the lifespan once so the app is started
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def _fuzz(operation: schemathesis.APIOperation) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKEN}"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    run()


def test_every_operation_answers_within_its_schema(api_schema: schemathesis.BaseSchema) -> None:
    """Each operation in turn; the failures of all of them are reported together."""
    failures: dict[str, str] = {}
    labels = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        try:
            _fuzz(operation)
        except Exception as exc:  # collected and reported below
            failures[operation.label] = str(exc)[:2000]
    assert len(labels) >= 10, labels
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
