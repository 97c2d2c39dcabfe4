"""Offline custom templates: chosen from the request, data-bound, statically clean; the
clarifier's component branch; live mode through the fake Bedrock (one repair round)."""

from __future__ import annotations

import pytest

from command_center.llm.bedrock import BedrockLLM
from command_center.llm.errors import BuilderModeError
from command_center.metrics.catalog import SEEDED_METRICS
from command_center.settings import Settings
from command_center.sql.intent import DataIntent
from command_center.sql.records import RecordsIntent, records_sql
from command_center.widgets.custom.checks import check_components
from command_center.widgets.custom.live import COMPONENT_TOOL
from command_center.widgets.custom.templates import (
    build_component,
    choose_template,
    load_templates,
)
from command_center.widgets.spec import CustomWidgetSpec
from tests.fake_bedrock import FakeBedrock, tool_reply, use_fake_bedrock
from tests.widget_helpers import by_name, collect, memory_runner

CATALOG = {m.id: m for m in SEEDED_METRICS}
REQUESTS = {
    "an alerts feed with severity colours": "alerts_feed",
    "a leaderboard of regions": "leaderboard",
    "approval rate as a progress bar against a 90% target": "progress_target",
    "a timeline of the latest claim events": "timeline",
    "a status list of recent claims": "status_list",
}


@pytest.mark.parametrize(("request_text", "name"), REQUESTS.items())
def test_the_request_chooses_the_template(request_text: str, name: str) -> None:
    template = choose_template(request_text)
    assert template is not None and template.name == name


@pytest.mark.parametrize("text", ["claims filed by region as a bar chart", "open claims kpi",
                                  "table of average payout by plan tier"])  # fmt: skip
def test_ordinary_requests_choose_no_template(text: str) -> None:
    assert choose_template(text) is None


def test_every_template_builds_a_component_that_passes_the_checks() -> None:
    specs = []
    for text, name in REQUESTS.items():
        template = next(t for t in load_templates() if t.name == name)
        metric = CATALOG.get(template.metric) if template.metric else None
        specs.append(build_component(template, text, metric=metric))
    assert len({s.display_name for s in specs}) == 5
    for spec, report in zip(specs, check_components([s.model_dump() for s in specs]), strict=True):
        assert report.passed, f"{spec.display_name}: {report.summary()}"
        if isinstance(spec.data_intent, RecordsIntent):
            assert records_sql(spec.data_intent, "postgres").safety.passed


def test_parameters_come_from_the_request() -> None:
    progress = choose_template("approval rate progress against a 75% target")
    assert progress is not None
    spec = build_component(progress, "approval rate progress against a 75% target",
                           metric=CATALOG["approval_rate"])  # fmt: skip
    assert "const TARGET = 0.75;" in spec.tsx_source
    assert spec.data_intent == DataIntent(metric="approval_rate", refresh_seconds=30)
    board = choose_template("leaderboard of channels")
    assert board is not None
    spec = build_component(board, "leaderboard of channels", metric=CATALOG["claims_filed"])
    assert spec.data_intent.dimensions == ["channel"]  # type: ignore[union-attr]


async def test_the_clarifier_takes_the_component_branch() -> None:
    events = await collect(
        memory_runner().start_clarification("an alerts feed with severity colours")
    )
    stages = [e["stage"] for e in by_name(events, "stage")]
    assert stages[-2:] == ["componentSynthesizer", "componentCritic"]
    (result,) = by_name(events, "result")
    assert result["critic_ok"] and result["spec"]["type"] == "custom"
    assert result["spec"]["data_intent"]["table"] == "events"


async def _answer(runner, events, answer: str) -> list:
    (asked,) = by_name(events, "questions")
    (question,) = asked["questions"]
    reply = {question["id"]: answer}
    return question, await collect(runner.respond(asked["thread_id"], reply))


async def test_a_leaderboard_asks_which_dimension_then_builds_the_component() -> None:
    """No dimension named: the clarifier asks, like for any chart (it used to rank by the
    metric's first dimension silently); the answer reaches the component."""
    runner = memory_runner()
    events = await collect(runner.start_clarification("leaderboard of claims filed"))
    assert not by_name(events, "result")[-1]["spec"]
    question, events = await _answer(runner, events, "channel")
    assert question["field"] == "dimension" and "channel" in question["options"]
    (result,) = by_name(events, "result")
    spec = result["spec"]
    assert result["critic_ok"] and spec["type"] == "custom"
    assert spec["display_name"] == "Leaderboard"
    assert spec["data_intent"]["metric"] == "claims_filed"
    assert spec["data_intent"]["dimensions"] == ["channel"]


async def test_a_template_request_that_needed_a_metric_still_builds_the_component() -> None:
    """ "a leaderboard of regions" names no metric: the ordinary metric question, then the
    Leaderboard component (it used to end as an ordinary chart after the answer)."""
    runner = memory_runner()
    events = await collect(runner.start_clarification("a leaderboard of regions"))
    question, events = await _answer(runner, events, "Claims filed")
    assert question["field"] == "metric"
    (result,) = by_name(events, "result")
    spec = result["spec"]
    assert result["critic_ok"] and spec["type"] == "custom"
    assert spec["display_name"] == "Leaderboard"
    assert spec["data_intent"]["metric"] == "claims_filed"
    assert spec["data_intent"]["dimensions"] == ["region"]


@pytest.fixture
def live(fake: FakeBedrock, settings_env: object, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return use_fake_bedrock(monkeypatch, fake, LLM_MAX_RETRIES="0")


def _baseline() -> CustomWidgetSpec:
    template = choose_template("an alerts feed")
    assert template is not None
    return build_component(template, "an alerts feed")


def _draft(source: str) -> dict:
    base = _baseline()
    return {"title": "Alerts", "display_name": "AlertsFeed", "props_type": "AlertsFeedProps",
            "tsx_source": source, "severity_colors": base.severity_colors}  # fmt: skip


def test_live_component_is_repaired_once_with_the_check_failures(
    live: Settings, fake: FakeBedrock
) -> None:
    good = _baseline().tsx_source
    bad = good.replace('className="text-sm text-slate-500"', 'style={{ color: "red" }}', 1)
    fake.script(tool_reply(COMPONENT_TOOL, _draft(bad)), tool_reply(COMPONENT_TOOL, _draft(good)))
    spec = BedrockLLM(live).synthesize_component("an alerts feed", _baseline(), None)  # type: ignore[arg-type]
    assert spec.tsx_source == good and spec.data_intent == _baseline().data_intent
    first, repair = fake.requests
    assert first["model_id"] == live.bedrock_reasoning_model_id
    assert first["body"]["toolConfig"]["toolChoice"] == {"tool": {"name": COMPONENT_TOOL}}
    feedback = repair["body"]["messages"][2]["content"][0]["toolResult"]["content"][0]["text"]
    assert "no_inline_style" in feedback


def test_live_component_failing_twice_is_a_typed_error(live: Settings, fake: FakeBedrock) -> None:
    bad = _baseline().tsx_source.replace("export default function", "function")
    fake.script(*[tool_reply(COMPONENT_TOOL, _draft(bad))] * 2)
    with pytest.raises(BuilderModeError) as caught:
        BedrockLLM(live).synthesize_component("an alerts feed", _baseline(), None)  # type: ignore[arg-type]
    assert caught.value.kind == "invalid_output" and "exported" in str(caught.value)
