"""A table with no date (plans): its metrics are the current state — no window, period or
series — from the parser through the metric validation, the compiler and the preview."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from command_center.db.session import get_engine
from command_center.metrics.definitions import MetricDefinition
from command_center.metrics.validation import MetricValidationError, validate_metric_definition
from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.parser import understand
from command_center.sql.compiler import CompileError, compile_metric_sql
from command_center.sql.intent import DataIntent
from command_center.widgets.context import seeded_catalog
from command_center.widgets.preview import preview_data
from tests import seeded_demo
from tests.widget_helpers import by_name, collect, memory_runner, seeded_values

seeded = seeded_demo.seeded  # the fixture: seeded demo data on SQLite and PostgreSQL


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return build_layer(seeded_catalog(), seeded_values())


def _premium() -> MetricDefinition:
    return MetricDefinition(
        id="avg_monthly_premium_plans",
        label="Average monthly premium",
        source_table="plans",
        measure="AVG(monthly_premium)",
        dimensions=["tier", "name", "code"],
        origin="promoted",
    )


@pytest.mark.parametrize(
    ("request_text", "measure", "dimensions"),
    [
        ("avg monthly premium by plan tier", "AVG(monthly_premium)", ["tier"]),
        ("how many coverage plans do we offer", "COUNT(*)", []),
        ("cheapest monthly premium we offer?", "MIN(monthly_premium)", []),
        ("plans table w/ avg monthly premium per tier", "AVG(monthly_premium)", ["tier"]),
    ],
)
def test_a_current_state_metric_of_a_table_without_a_date_is_composed(
    layer: SemanticLayer, request_text: str, measure: str, dimensions: list[str]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "plans" and out.metric.measure == measure
    assert out.metric.time_column == "" and out.metric.window_days is None
    assert out.dimensions == dimensions and not (out.window_days or out.period)
    validate_metric_definition(out.metric)


@pytest.mark.parametrize(
    "request_text", ["plans by tier last week", "weekly plan count", "plans per day"]
)
def test_a_window_or_series_on_a_table_without_a_date_is_asked_about(
    layer: SemanticLayer, request_text: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.ask["field"] == "clarify", out.ask
    assert "no date" in out.ask["reason"]


def test_an_undated_metric_compiles_without_a_window_and_refuses_one() -> None:
    metric_id = "avg_monthly_premium_plans"
    sql = compile_metric_sql(_premium(), DataIntent(metric=metric_id, dimensions=["tier"]))
    assert "WHERE" not in sql.upper() and "GROUP BY tier" in sql
    for intent in (
        DataIntent(metric=metric_id, window_days=7),
        DataIntent(metric=metric_id, period="last_week"),
        DataIntent(metric=metric_id, dimensions=["week"]),
    ):
        with pytest.raises(CompileError):
            compile_metric_sql(_premium(), intent)


def test_only_a_table_without_a_date_may_omit_the_time_column() -> None:
    validate_metric_definition(_premium())
    dated = _premium().model_copy(update={"source_table": "claims", "measure": "COUNT(*)"})
    with pytest.raises(MetricValidationError):
        validate_metric_definition(dated.model_copy(update={"dimensions": ["region"]}))
    with pytest.raises(MetricValidationError):
        validate_metric_definition(_premium().model_copy(update={"window_days": 30}))


async def test_an_undated_preview_equals_hand_written_sql(seeded: None) -> None:
    events = await collect(memory_runner().start_clarification("avg monthly premium by tier"))
    assert not by_name(events, "questions"), by_name(events, "questions")
    result = by_name(events, "result")[-1]
    assert result["critic_ok"], result
    data = await preview_data(result["spec"], result["promote_metric"])
    shown = {row["tier"]: float(row["value"]) for row in data.rows}
    sql = "SELECT tier, AVG(monthly_premium) FROM plans GROUP BY tier"
    with get_engine().connect() as conn:
        expected = {k: float(v) for k, v in conn.execute(text(sql))}
    assert shown.keys() == expected.keys() and shown
    for key, value in expected.items():
        assert shown[key] == pytest.approx(value)


async def test_answering_the_current_state_option_drops_the_window() -> None:
    runner = memory_runner()
    events = await collect(runner.start_clarification("plans by tier last week"))
    question = by_name(events, "questions")[0]
    asked = question["questions"][0]
    assert asked["field"] == "clarify" and asked["options"] == ["Plans count now"], asked
    answered = await collect(
        runner.respond(
            question["thread_id"],
            {asked["id"]: asked["options"][0]},
            checkpoint_id=question["checkpoint_id"],
        )
    )
    result = by_name(answered, "result")[-1]
    intent = result["spec"]["data_intent"]
    assert result["critic_ok"], result
    assert intent["dimensions"] == ["tier"] and not (intent["window_days"] or intent["period"])


def test_the_critic_rejects_a_window_on_an_undated_metric() -> None:
    from command_center.llm.base import IntentDraft
    from command_center.widgets.nodes.critic import rule_issues
    from command_center.widgets.spec import parse_spec

    spec = parse_spec(
        {
            "type": "chart",
            "title": "Plans",
            "chart_kind": "bar",
            "data_intent": {
                "entity": "plans",
                "metric": "avg_monthly_premium_plans",
                "dimensions": ["tier"],
                "window_days": 7,
            },
        }
    )
    codes = {i["code"] for i in rule_issues(spec, IntentDraft(), _premium())}
    assert "undated_window" in codes
    current = spec.model_copy(
        update={"data_intent": spec.data_intent.model_copy(update={"window_days": None})}
    )
    assert "undated_window" not in {
        i["code"] for i in rule_issues(current, IntentDraft(), _premium())
    }
