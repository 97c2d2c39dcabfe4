"""BedrockLLM through real boto3 against the local fake Converse endpoint."""

from __future__ import annotations

import pytest

from command_center.llm import get_llm
from command_center.llm.base import BuilderContext, IntentDraft
from command_center.llm.bedrock import BedrockLLM
from command_center.llm.errors import BuilderModeError
from command_center.settings import Settings, get_settings
from command_center.sql.intent import DataIntent
from command_center.widgets.context import load_dictionary, seeded_catalog
from command_center.widgets.spec import SPEC_TOOL_NAME, ChartWidgetSpec
from tests.fake_bedrock import FakeBedrock, error_reply, tool_reply, use_fake_bedrock
from tests.widget_helpers import by_name, collect, memory_runner

METRIC = next(m for m in seeded_catalog() if m.id == "claims_filed")
CONTEXT = BuilderContext(seeded_catalog(), load_dictionary())
DRAFT = IntentDraft(widget_type="chart", chart_kind="bar", metric_id="claims_filed",
                    dimensions=["region"])  # fmt: skip
VALID_SPEC = {
    "type": "chart", "title": "Claims filed by region", "chart_kind": "bar", "accent": "blue",
    "data_intent": {"metric": "claims_filed", "dimensions": ["region"]},
    "mock_data": [{"region": "West", "value": 12}],
}  # fmt: skip
INVALID_SPEC = {**VALID_SPEC, "chart_kind": "sunburst"}


@pytest.fixture
def live(fake: FakeBedrock, settings_env: object, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return use_fake_bedrock(monkeypatch, fake, LLM_TIMEOUT_SECONDS="5", LLM_MAX_RETRIES="2")


def _synthesize(llm: BedrockLLM) -> ChartWidgetSpec:
    spec = llm.synthesize_spec("claims filed by region", DRAFT, METRIC, CONTEXT)
    assert isinstance(spec, ChartWidgetSpec)
    return spec


def test_success_uses_the_reasoning_model_and_a_forced_tool(
    live: Settings, fake: FakeBedrock
) -> None:
    fake.script(tool_reply(SPEC_TOOL_NAME, {"spec": VALID_SPEC}))
    llm = get_llm()
    assert isinstance(llm, BedrockLLM)
    spec = _synthesize(llm)
    assert spec.data_intent == DataIntent(metric="claims_filed", dimensions=["region"])
    (request,) = fake.requests
    assert request["model_id"] == live.bedrock_reasoning_model_id
    tool_config = request["body"]["toolConfig"]
    assert tool_config["toolChoice"] == {"tool": {"name": SPEC_TOOL_NAME}}
    schema = tool_config["tools"][0]["toolSpec"]["inputSchema"]["json"]
    assert schema["required"] == ["spec"]


def test_fast_tier_model_for_intent(live: Settings, fake: FakeBedrock) -> None:
    fake.script(tool_reply("emit_intent_draft", {"metric_id": "claims_filed",
                                                 "dimensions": ["region"]}))  # fmt: skip
    draft = BedrockLLM(live).extract_intent("claims by region", CONTEXT)
    assert draft.metric_id == "claims_filed"
    assert fake.requests[0]["model_id"] == live.bedrock_model_id


def test_throttling_is_retried_then_succeeds(live: Settings, fake: FakeBedrock) -> None:
    fake.script(
        error_reply(429, "ThrottlingException"), tool_reply(SPEC_TOOL_NAME, {"spec": VALID_SPEC})
    )
    _synthesize(BedrockLLM(live))
    assert len(fake.requests) == 2


def test_throttling_beyond_retries_is_typed(
    live: Settings, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()
    fake.script(error_reply(429, "ThrottlingException"))
    with pytest.raises(BuilderModeError) as caught:
        _synthesize(BedrockLLM(get_settings()))
    assert caught.value.kind == "throttled"


def test_invalid_output_once_is_repaired(live: Settings, fake: FakeBedrock) -> None:
    fake.script(
        tool_reply(SPEC_TOOL_NAME, {"spec": INVALID_SPEC}),
        tool_reply(SPEC_TOOL_NAME, {"spec": VALID_SPEC}),
    )
    assert _synthesize(BedrockLLM(live)).chart_kind == "bar"
    repair = fake.requests[1]["body"]["messages"]
    assert [m["role"] for m in repair] == ["user", "assistant", "user"]
    result = repair[2]["content"][0]["toolResult"]
    assert result["status"] == "error" and "chart_kind" in result["content"][0]["text"]


def test_invalid_output_twice_is_an_error(live: Settings, fake: FakeBedrock) -> None:
    fake.script(*[tool_reply(SPEC_TOOL_NAME, {"spec": INVALID_SPEC})] * 2)
    with pytest.raises(BuilderModeError) as caught:
        _synthesize(BedrockLLM(live))
    assert caught.value.kind == "invalid_output"
    assert len(fake.requests) == 2


def test_timeout_is_typed(
    live: Settings, fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()
    reply = tool_reply(SPEC_TOOL_NAME, {"spec": VALID_SPEC})
    reply.delay = 1.0
    fake.script(reply)
    with pytest.raises(BuilderModeError) as caught:
        _synthesize(BedrockLLM(get_settings()))
    assert caught.value.kind == "timeout"


def test_access_denied_is_auth(live: Settings, fake: FakeBedrock) -> None:
    fake.script(error_reply(403, "AccessDeniedException", "no model access"))
    with pytest.raises(BuilderModeError) as caught:
        _synthesize(BedrockLLM(live))
    assert caught.value.kind == "auth" and "no model access" in caught.value.message


async def test_live_failure_reaches_the_stream_without_fallback(
    live: Settings, fake: FakeBedrock
) -> None:
    fake.script(error_reply(403, "AccessDeniedException"))
    events = await collect(memory_runner(BedrockLLM(live)).start_clarification("approval rate"))
    (error,) = by_name(events, "error")
    assert error["kind"] == "auth" and error["builder_mode"] == "live"
    assert not by_name(events, "result")


async def test_live_clarification_end_to_end(live: Settings, fake: FakeBedrock) -> None:
    fake.script(
        tool_reply("emit_intent_draft", {"widget_type": "chart", "chart_kind": "bar",
                                         "metric_id": "claims_filed", "dimensions": ["region"]}),
        tool_reply(SPEC_TOOL_NAME, {"spec": VALID_SPEC}),
        tool_reply("emit_critique", {"ok": True}),
    )  # fmt: skip
    events = await collect(memory_runner(BedrockLLM(live)).start_clarification("claims by region"))
    (result,) = by_name(events, "result")
    assert result["spec"]["title"] == "Claims filed by region" and result["critic_ok"]
    # metric named by id: the matcher closed the gap without a call
    assert [r["model_id"] for r in fake.requests] == [
        live.bedrock_model_id, live.bedrock_reasoning_model_id, live.bedrock_reasoning_model_id,
    ]  # fmt: skip
