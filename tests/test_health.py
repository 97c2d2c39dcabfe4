"""GET /v1/health is honest: live mode really calls the LLM (cached), tracing is probed."""

from __future__ import annotations

import socket

import pytest

from command_center import health
from command_center.settings import Settings, get_settings
from tests.fake_bedrock import FakeBedrock, Reply, error_reply, use_fake_bedrock
from tests.test_telemetry import Collector

PONG = Reply(body={
    "output": {"message": {"role": "assistant", "content": [{"text": "p"}]}},
    "stopReason": "max_tokens", "usage": {"inputTokens": 1, "outputTokens": 1},
})  # fmt: skip


@pytest.fixture
def live(fake: FakeBedrock, settings_env: object, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = use_fake_bedrock(monkeypatch, fake, LLM_MAX_RETRIES="0")
    health._llm_checks.clear()
    yield settings
    health._llm_checks.clear()


async def test_live_llm_check_makes_one_cheap_real_call_then_caches(
    live: Settings, fake: FakeBedrock
) -> None:
    fake.script(PONG)
    first = await health.check_llm(live)
    assert first.status == "ok" and first.mode == "live", first
    (request,) = fake.requests
    assert request["model_id"] == live.bedrock_model_id  # the fast tier
    assert request["body"]["inferenceConfig"]["maxTokens"] == 1
    assert "toolConfig" not in request["body"]
    again = await health.check_llm(live)
    assert again.status == "ok" and "(cached)" in again.detail
    assert len(fake.requests) == 1


async def test_live_llm_failure_is_reported_not_hidden(live: Settings, fake: FakeBedrock) -> None:
    fake.script(error_reply(403, "AccessDeniedException", "no access"))
    result = await health.check_llm(live)
    assert result.status == "down" and result.detail.startswith("auth"), result


async def test_live_llm_throttling_is_degraded(live: Settings, fake: FakeBedrock) -> None:
    fake.script(error_reply(429, "ThrottlingException"))
    result = await health.check_llm(live)
    assert result.status == "degraded" and result.detail.startswith("throttled"), result


async def test_offline_llm_makes_no_call(settings: Settings) -> None:
    result = await health.check_llm(settings)
    assert result.status == "ok" and result.mode == "offline"


async def test_tracing_reports_whether_its_endpoint_answers(
    settings_env: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await health.check_tracing(get_settings())).status == "off"
    collector = Collector()
    try:
        monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk")
        monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk")
        monkeypatch.setenv("LANGFUSE_HOST", collector.url)
        get_settings.cache_clear()
        up = await health.check_tracing(get_settings())
        assert up.status == "ok" and up.mode == "langfuse", up
    finally:
        collector.server.shutdown()
        collector.server.server_close()
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("LANGFUSE_HOST", f"http://127.0.0.1:{closed}")
    get_settings.cache_clear()
    down = await health.check_tracing(get_settings())
    assert down.status == "degraded" and down.detail, down  # traces lost, users unaffected
