"""Tracing is a no-op by default and records Langfuse observations when configured."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from command_center import telemetry


def test_off_by_default_is_a_noop(settings) -> None:
    assert telemetry.tracing_client() is None
    with telemetry.observe("anything", input={"x": 1}) as observation:
        observation.update(output="ignored")


@pytest.fixture
def exported(settings_env, monkeypatch) -> InMemorySpanExporter:
    from langfuse import Langfuse

    from command_center.settings import get_settings

    exporter = InMemorySpanExporter()
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-test")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-test")
    monkeypatch.setenv("LANGFUSE_HOST", "http://127.0.0.1:9")
    get_settings.cache_clear()
    client = Langfuse(
        public_key="pk-test",
        secret_key="sk-test",
        host="http://127.0.0.1:9",
        span_exporter=exporter,
        flush_at=1,
    )
    monkeypatch.setattr(telemetry, "_client_for", lambda *_args: client)
    yield exporter
    client.shutdown()


def test_configured_tracing_records_generations(exported: InMemorySpanExporter) -> None:
    assert telemetry.tracing_client() is not None
    with telemetry.observe("bedrock.converse", as_type="generation", model="m-1") as generation:
        generation.update(output={"ok": True})
    telemetry.tracing_client().flush()
    names = [span.name for span in exported.get_finished_spans()]
    assert "bedrock.converse" in names
