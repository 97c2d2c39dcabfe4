"""Tracing: spans reach a Langfuse (OTLP/HTTP) endpoint when configured; nothing when not.

The endpoint is a local HTTP server the test starts; the real SDK exports to it.
"""

from __future__ import annotations

import gzip
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from command_center import resolver, telemetry
from command_center.api.app import build_api
from command_center.llm.bedrock import BedrockLLM
from command_center.llm.errors import BuilderModeError
from command_center.ops.live import stop_realtime
from command_center.settings import get_settings
from tests.api_helpers import prepared as prepared_settings
from tests.fake_bedrock import FakeBedrock, error_reply, tool_reply, use_fake_bedrock
from tests.widget_helpers import collect, memory_runner

META = "langfuse.observation.metadata."
SPEC = {
    "type": "chart",
    "chart_kind": "bar",
    "title": "Claims by product",
    "data_intent": {"metric": "claims_by_product_l3_asurion", "dimensions": ["product_name"]},
}
EVENT = {"event_id": "tel-1", "type": "claim_filed", "claim_id": "CLM-TEL-1",
         "customer_id": "CUST-000001", "device_id": "DEV-000001",
         "loss_type": "theft", "channel": "app"}  # fmt: skip


class Collector:
    """A local OTLP/HTTP trace endpoint: decodes every export into (name, attributes)."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, dict[str, Any]]] = []
        self.requests = 0
        self.changed = threading.Condition()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:  # /api/public/health
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest()
                if self.path.endswith("/otel/v1/traces"):
                    request.ParseFromString(body)
                found = [
                    (span.name, {a.key: _value(a.value) for a in span.attributes})
                    for resource in request.resource_spans
                    for scope in resource.scope_spans
                    for span in scope.spans
                ]
                with collector.changed:
                    collector.requests += 1
                    collector.spans.extend(found)
                    collector.changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, names: set[str], timeout: float = 30) -> dict[str, dict[str, Any]]:
        """Block (bounded) until a span of each name has arrived; the last one of each name."""
        with self.changed:
            self.changed.wait_for(lambda: names <= {n for n, _ in self.spans}, timeout)
            return {name: attrs for name, attrs in self.spans if name in names}


def _value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    yield server
    server.server.shutdown()


@pytest.fixture
def prepared(settings_env: Any) -> Iterator[None]:
    with prepared_settings():
        yield


def _configure(monkeypatch: pytest.MonkeyPatch, collector: Collector, fake: FakeBedrock) -> None:
    env = {"LLM_MAX_RETRIES": "0", "LANGFUSE_HOST": collector.url}
    use_fake_bedrock(monkeypatch, fake, live=False, **env)
    telemetry._client_for.cache_clear()


async def _exercise(fake: FakeBedrock) -> None:
    """Every traced path once: clarifier nodes, an LLM call (and a failed one), a warehouse
    query (miss then hit) and an ingest batch."""
    events = await collect(
        memory_runner().start_clarification("bar chart of claims filed by region last 7 days")
    )
    assert any(event.name == "result" for event in events)
    llm = BedrockLLM(get_settings())
    fake.script(tool_reply("emit_intent_draft", {"metric_id": "claims_filed"}))
    llm.structured("fast", "p", "emit_intent_draft", {"type": "object"}, dict)
    fake.script(error_reply(429, "ThrottlingException"))
    with pytest.raises(BuilderModeError):
        llm.structured("reasoning", "p", "emit_critique", {"type": "object"}, dict)
    for _ in range(2):
        await resolver.resolve_widget_data("w-trace", SPEC)
    with TestClient(build_api()) as client:
        assert client.post("/v1/events", json=EVENT).status_code == 202
        client.portal.call(stop_realtime)


async def test_configured_tracing_exports_named_spans_with_attributes(
    prepared: None, collector: Collector, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, collector, fake)
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", f"pk-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-test")
    get_settings.cache_clear()
    assert telemetry.tracing_enabled()
    await _exercise(fake)
    telemetry.flush()
    names = {"clarifier.intentExtractor", "clarifier.specSynthesizer", "llm.converse",
             "warehouse.query", "ingest.batch"}  # fmt: skip
    spans = collector.wait_for(names)
    assert names <= set(spans), sorted({name for name, _ in collector.spans})

    node = spans["clarifier.intentExtractor"]
    assert float(node[META + "duration_ms"]) >= 0 and int(node[META + "state_delta_bytes"]) > 0
    llm_spans = [attrs for name, attrs in collector.spans if name == "llm.converse"]
    ok = next(a for a in llm_spans if META + "input_tokens" in a)
    assert ok["langfuse.observation.model.name"] == get_settings().bedrock_model_id
    assert ok[META + "tier"] == '"fast"' and ok[META + "input_tokens"] == "10"
    assert float(ok[META + "latency_ms"]) > 0
    failed = next(a for a in llm_spans if META + "error_kind" in a)
    assert failed[META + "error_kind"] == '"throttled"' and failed[META + "tier"] == '"reasoning"'
    queries = [attrs for name, attrs in collector.spans if name == "warehouse.query"]
    assert {q[META + "cache_hit"] for q in queries} == {"false", "true"}
    assert all(
        q[META + "backend"] == '"local"' and len(q[META + "sql_hash"]) == 18 for q in queries
    )
    assert all(int(q[META + "rows"]) > 0 and float(q[META + "duration_ms"]) > 0 for q in queries)
    batch = spans["ingest.batch"]
    assert batch[META + "accepted"] == "1" and float(batch[META + "duration_ms"]) > 0


async def test_unconfigured_tracing_exports_nothing_and_adds_nothing(
    prepared: None, collector: Collector, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, collector, fake)  # the endpoint is known, the keys are not
    assert not telemetry.tracing_enabled() and telemetry.tracing_client() is None

    def work(x: int) -> int:
        return x

    assert telemetry.traced("anything")(work) is work  # the function itself: zero overhead
    assert telemetry.traced_node("intentExtractor", work) is work
    await _exercise(fake)
    telemetry.flush()
    assert telemetry._client_for.cache_info().currsize == 0  # no exporter was ever built
    assert collector.requests == 0 and collector.spans == []
