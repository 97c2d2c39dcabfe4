"""Time series at every grain and by the right date, from the request to real preview rows.

The grain comes from grammar words; the date from the data dictionary (a synonym of a date
column of the metric's table, or the description of the one date column that records a
filtered value). Anything the words leave open is asked, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from command_center.llm.base import BuilderContext, IntentDraft
from command_center.llm.offline import build_spec
from command_center.metrics.definitions import seeded_metric
from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.parser import understand
from command_center.settings import get_settings
from command_center.ui.view_models.widget_card import MAX_POINTS, widget_view
from command_center.widgets.context import load_dictionary, seeded_catalog
from command_center.widgets.nodes.critic import data_issues, rule_issues
from command_center.widgets.preview import preview_data
from tests.api_helpers import prepared
from tests.widget_helpers import by_name, collect, memory_runner, seeded_values


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return build_layer(seeded_catalog(), seeded_values())


@pytest.mark.parametrize(
    ("request_text", "metric", "grain"),
    [
        ("claims filed by week", "claims_filed", "week"),
        ("weekly claims filed", "claims_filed", "week"),
        ("claims filed week over week", "claims_filed", "week"),
        ("monthly trend of claims filed", "claims_filed", "month"),
        ("claims filed month over month", "claims_filed", "month"),
        ("plan enrollments per month", "plan_enrollments", "month"),
        ("hourly events", "count_rows_events", "hour"),
        ("events by the hour", "count_rows_events", "hour"),
        ("daily claims filed", "claims_filed", "day"),
    ],
)
def test_grain_words_set_the_series_grain(
    layer: SemanticLayer, request_text: str, metric: str, grain: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None, out.ask
    assert out.metric is not None and out.metric.id == metric
    assert out.over_time and out.grain == grain and out.time_column is None


def test_a_grain_word_inside_a_column_phrase_is_no_grain(layer: SemanticLayer) -> None:
    out = understand("average monthly premium by tier", layer)
    assert not out.over_time and out.grain == "day"


@pytest.mark.parametrize(
    ("request_text", "metric", "time_column", "grain"),
    [
        ("claims resolved per week", "claims_filed", "resolved_at", "week"),
        ("claims closed per week", "claims_filed", "resolved_at", "week"),
        ("claims by resolved date", "claims_filed", "resolved_at", "day"),
        ("sessions ended by day", "count_rows_issue_sessions", "resolved_at", "day"),
        ("tickets closed per month", "count_rows_issue_sessions", "resolved_at", "month"),
        ("devices enrolled per week", "devices_registered", "enrolled_at", "week"),
        # a filtered value whose date one column records (dictionary description)
        ("fulfilled claims per week", "claims_filed", "resolved_at", "week"),
        ("approved claims by month", "claims_filed", "decided_at", "month"),
    ],
)
def test_an_event_named_moves_the_time_axis_to_its_date(
    layer: SemanticLayer, request_text: str, metric: str, time_column: str, grain: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None, out.ask
    assert out.metric is not None and out.metric.id == metric
    assert (out.time_column, out.grain) == (time_column, grain)


def test_an_event_date_also_moves_the_window(layer: SemanticLayer) -> None:
    out = understand("how many claims were closed last week", layer)
    assert out.ask is None and out.time_column == "resolved_at" and out.period == "last_week"


@pytest.mark.parametrize(
    "request_text",
    [
        "plans cancelled per month",  # the metric's own date: nothing moves
        "devices registered per month",
        "share of devices with active vs cancelled vs no coverage",  # a value compared
        "claims filed by region last 7 days",
        "denied claims last month",  # a value with no series: the metric's window stays
    ],
)
def test_no_event_date_keeps_the_metric_time_column(
    layer: SemanticLayer, request_text: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.time_column is None, (out.ask, out.time_column)


def test_two_dates_are_asked_about_with_ranked_options(layer: SemanticLayer) -> None:
    both = understand("claims filed and resolved per week", layer)
    assert both.ask is not None and both.ask["field"] == "time_column"
    assert [o.split(":")[0] for o in both.ask["options"]] == ["filed_at", "resolved_at"]
    denied = understand("denied claims by week", layer)  # decided or resolved?
    assert denied.ask is not None and denied.ask["field"] == "time_column"
    assert [o.split(":")[0] for o in denied.ask["options"]] == [
        "decided_at",
        "resolved_at",
        "filed_at",
    ]


@pytest.mark.parametrize(
    "request_text",
    [
        "customers churned per month",
        "claims escalated per week",
        "devices resolved by week",
        # the metric's base filter rules the event out: active sessions have no end date
        "open claims closed per week",
        "active sessions ended by day",
    ],
)
def test_an_event_with_no_date_on_the_table_is_asked_about(
    layer: SemanticLayer, request_text: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.time_column is None


@pytest.mark.parametrize(
    ("request_text", "options"),
    [
        ("events by hour of day", ["hourly", "daily"]),
        ("claims filed by time of day", ["hourly", "daily"]),
        ("claims filed by day of week", ["daily", "weekly"]),
        ("weekly and monthly claims filed", ["weekly", "monthly"]),  # two grains
        ("daily claims filed by week", ["daily", "weekly"]),
    ],
)
def test_a_cyclic_profile_or_two_grains_are_asked(
    layer: SemanticLayer, request_text: str, options: list[str]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.ask["field"] == "dimension"
    assert out.ask["options"] == options


# ------------------------------------------------------------------- through the clarifier


async def _result(runner: Any, request: str, answer: str | None = None) -> dict[str, Any]:
    events = await collect(runner.start_clarification(request))
    if answer is not None:
        question = by_name(events, "questions")[0]
        events = await collect(
            runner.respond(question["thread_id"], {question["questions"][0]["id"]: answer})
        )
    assert not by_name(events, "questions"), by_name(events, "questions")
    return by_name(events, "result")[-1]


async def test_a_monthly_series_gets_a_year_window_and_month_labels() -> None:
    result = await _result(memory_runner(), "monthly claims filed")
    spec = result["spec"]
    assert spec["type"] == "chart" and spec["chart_kind"] == "line"
    assert spec["data_intent"]["dimensions"] == ["month"]
    assert spec["data_intent"]["window_days"] == 365
    view = widget_view("w", spec, spec["mock_data"])
    assert all(len(p["label"]) == 8 and p["label"][3] == " " for p in view["points"])  # Nov 2026


async def test_answers_settle_the_date_and_the_grain() -> None:
    runner = memory_runner()
    denied = await _result(runner, "denied claims by week", "decided_at: when decided")
    intent = denied["spec"]["data_intent"]
    assert intent["time_column"] == "decided_at" and intent["dimensions"] == ["week"]
    assert intent["filters"] == {"status": "denied"}
    hourly = await _result(runner, "events by hour of day", "hourly")
    assert hourly["spec"]["data_intent"]["dimensions"] == ["hour"]
    assert hourly["spec"]["data_intent"]["metric"] == "count_rows_events"  # not the 60 s rate
    both = await _result(runner, "weekly and monthly claims filed", "monthly")
    assert both["spec"]["data_intent"]["dimensions"] == ["month"]


@pytest.fixture
def seeded(settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SEED_CUSTOMERS", "300")
    get_settings.cache_clear()
    with prepared():
        yield


@pytest.mark.parametrize(
    ("request_text", "grain"),
    [
        ("monthly claims filed", "month"),
        ("claims resolved per week", "week"),
        ("hourly events", "hour"),
        ("weekly warehouse claim volume", "week"),
        ("plan cancellations by month", "month"),
        ("sessions ended by day", "day"),
    ],
)
async def test_preview_shows_real_nonzero_rows_at_every_grain(
    seeded: None, request_text: str, grain: str
) -> None:
    result = await _result(memory_runner(), request_text)
    spec = result["spec"]
    assert spec["data_intent"]["dimensions"][0] == grain
    data = await preview_data(spec, result.get("promote_metric"))
    assert data.source != "sample rows — backend unavailable"
    values = [row["value"] for row in data.rows]
    assert len(values) >= 2 and all(v > 0 for v in values), data.rows
    buckets = [row[grain] for row in data.rows]
    assert buckets == sorted(buckets)
    widget_view("w", spec, data.rows)  # labels render from real rows


async def _refined(runner: Any, thread_id: str, text: str) -> dict[str, Any]:
    events = await collect(runner.refine(thread_id, text))
    assert not by_name(events, "questions"), by_name(events, "questions")
    return by_name(events, "result")[-1]["spec"]["data_intent"]


async def test_refining_the_grain_keeps_the_groups_and_the_date_is_read_alone() -> None:
    runner = memory_runner()
    first = await _result(runner, "claims filed by region")
    thread = first["thread_id"]
    weekly = await _refined(runner, thread, "make it weekly")
    assert weekly["dimensions"] == ["week", "region"] and weekly["window_days"] == 84
    monthly = await _refined(runner, thread, "monthly instead")
    assert monthly["dimensions"] == ["month", "region"]
    # the label read in front ("Claims filed") names filed_at: the follow-up alone decides
    resolved = await _refined(runner, thread, "by resolved date instead")
    assert resolved["time_column"] == "resolved_at" and "region" in resolved["dimensions"]


def test_the_critic_holds_the_spec_to_one_grain_and_the_requested_date() -> None:
    metric = seeded_metric("claims_filed")
    context = BuilderContext(seeded_catalog(), load_dictionary())
    draft = IntentDraft(widget_type="chart", dimensions=["week"], time_column="resolved_at")
    spec = build_spec("claims resolved per week", draft, metric, context)
    assert rule_issues(spec, draft, metric) == [] and data_issues(spec, metric, context) == []
    two = spec.model_copy(deep=True)
    two.data_intent.dimensions = ["day", "week"]
    assert "two_time_grains" in {i["code"] for i in rule_issues(two, draft, metric)}
    moved = spec.model_copy(deep=True)
    moved.data_intent.time_column = None
    assert "time_column_mismatch" in {i["code"] for i in rule_issues(moved, draft, metric)}
    moved.data_intent.time_column = "payout_amount"
    assert data_issues(moved, metric, context) == ["payout_amount is not a date column of claims"]


def test_chart_axis_labels_follow_the_grain() -> None:
    def labels(grain: str, rows: list[dict[str, Any]]) -> list[str]:
        spec = {"type": "chart", "chart_kind": "line", "data_intent": {"dimensions": [grain]}}
        return [p["label"] for p in widget_view("w", spec, rows)["points"]]

    assert labels("hour", [{"hour": "2030-01-31 14:00:00", "value": 3}]) == ["Jan 31 14:00"]
    assert labels("hour", [{"hour": "2030-01-31T14:00:00+00:00", "value": 3}]) == [
        "Jan 31 14:00"
    ]  # PostgreSQL/DuckDB timestamps arrive as ISO strings
    assert labels("week", [{"week": "2030-01-28", "value": 3}]) == ["Wk of Jan 28"]
    assert labels("month", [{"month": "2030-01-01", "value": 3}]) == ["Jan 2030"]
    assert labels("day", [{"day": "2030-01-31", "value": 3}]) == ["2030-01-31"]
    spec = {"type": "chart", "chart_kind": "line", "data_intent": {"dimensions": ["week", "x"]}}
    rows = [{"week": "2030-01-28", "x": "in_review", "value": 1}]
    view = widget_view("w", spec, rows)
    assert view["points"][0]["label"] == "Wk of Jan 28" and view["series"][0]["name"] == "In review"


def test_a_long_series_keeps_its_latest_buckets() -> None:
    spec = {"type": "chart", "chart_kind": "line", "data_intent": {"dimensions": ["hour"]}}
    rows = [
        {"hour": f"2030-01-{1 + h // 24:02d} {h % 24:02d}:00:00", "value": h} for h in range(72)
    ]
    points = widget_view("w", spec, rows)["points"]
    assert len(points) == MAX_POINTS and points[-1] == {"label": "Jan 03 23:00", "value": 71.0}


def test_the_live_prompt_lists_grains_and_date_columns() -> None:
    from command_center.llm.bedrock import _catalog_text

    text = _catalog_text(BuilderContext(seeded_catalog(), load_dictionary()))
    assert "hour, day, week or month" in text and "time_column" in text
    assert "- claims.resolved_at: When the claim was fulfilled" in text
    assert "customers.email" not in text  # only non-sensitive date columns are listed


def test_a_draft_date_that_is_not_a_date_of_the_table_is_a_gap() -> None:
    from command_center.widgets.nodes.gap_detector import resolve_draft

    metric = seeded_metric("claims_filed")
    draft = IntentDraft(widget_type="chart", dimensions=["week"], time_column="registered_at")
    _resolved, gaps, _notes = resolve_draft(draft, metric)
    assert gaps == [
        {
            "field": "time_column",
            "reason": "Claims filed has no date 'registered_at'",
            "options": ["filed_at", "decided_at", "resolved_at"],
        }
    ]
    ok = draft.model_copy(update={"time_column": "resolved_at"})
    assert resolve_draft(ok, metric)[1] == []
