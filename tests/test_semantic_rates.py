"""Rates: "<value> rate" is the share of a table's rows with that value (values read from the
data), catalog rates keep their own base, and two readings of one rate are asked about. Every
rate previewed equals hand-written SQL over the same rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from command_center.db.session import get_engine
from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.parser import understand
from command_center.sql.compiler import transpile_for
from command_center.sql.generator import generate_sql
from command_center.sql.intent import DataIntent
from command_center.widgets.context import seeded_catalog
from command_center.widgets.preview import preview_data
from tests import seeded_demo
from tests.seeded_demo import since_30_days
from tests.widget_helpers import by_name, collect, memory_runner, seeded_values

seeded = seeded_demo.seeded  # the fixture: seeded demo data on SQLite and PostgreSQL


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return build_layer(seeded_catalog(), seeded_values())


def test_a_status_rate_is_the_share_of_rows_with_that_status(layer: SemanticLayer) -> None:
    out = understand("fulfilment rate by region", layer)
    assert out.ask is None, out.ask
    assert out.metric is not None and out.composed and out.metric.unit == "ratio"
    assert out.metric.source_table == "claims" and out.metric.time_column == "filed_at"
    assert out.metric.measure == "AVG(CASE WHEN status = 'fulfilled' THEN 1.0 ELSE 0.0 END)"
    assert out.dimensions == ["region"] and out.filters == {}  # the status is no filter
    assert "filed_at" in out.metric.description  # its window is stated


def test_a_rate_value_comes_from_the_data(layer: SemanticLayer) -> None:
    values = dict(seeded_values())
    for column in (("claims", "status"), ("l3_asurion.ev_claim", "claim_status")):
        values[column] = [v for v in values[column] if v != "fulfilled"]
    out = understand("fulfilment rate", build_layer(seeded_catalog(), values))
    assert out.ask is not None and out.metric is None, out  # no fulfilled claim: ask


def test_a_catalog_rate_keeps_its_own_base(layer: SemanticLayer) -> None:
    out = understand("escalation rate by channel", layer)
    assert out.ask is None and out.metric is not None and out.metric.id == "escalation_rate"
    out = understand("plan cancellation rate", layer)
    assert out.metric is not None and out.metric.id == "plan_cancellation_rate"
    assert "enrolled_at IS NOT NULL" in out.metric.base_filter


@pytest.mark.parametrize(
    ("request_text", "options"),
    [
        # claims cancelled (by filed date) or plans cancelled (by enrolment date)
        ("cancellation rate", {"Plan cancellation rate", "Share of claims with status cancelled"}),
        # ever escalated (escalated_at) or escalated now (status)
        (
            "rate of escalated sessions",
            {"Escalation rate", "Share of issue sessions with status escalated"},
        ),
        # decided and not denied (decided_at) or approved now (status)
        ("% of claims approved", {"Approval rate", "Share of claims with status approved"}),
    ],
)
def test_two_readings_of_a_rate_are_asked_about(
    layer: SemanticLayer, request_text: str, options: set[str]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.ask["field"] == "metric", out
    assert options <= set(out.ask["options"])


def test_a_multi_word_value_read_as_a_rate_is_split(layer: SemanticLayer) -> None:
    # "claims denied" is also an event type: the share of claims denied, not of events
    out = understand("percentage of claims denied", layer)
    assert out.metric is not None and out.metric.source_table == "claims", out
    assert "status = 'denied'" in out.metric.measure


def test_a_share_is_a_number_not_a_pie(layer: SemanticLayer) -> None:
    out = understand("share of denied claims", layer)
    assert out.ask is None and out.chart_kind is None and out.metric is not None
    out = understand("share of claims by channel", layer)  # a part-of-whole view stays a pie
    assert out.chart_kind == "pie" and out.metric is not None and out.metric.unit == "count"


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "duckdb", "databricks"])
def test_a_composed_rate_passes_the_gate_on_every_dialect(
    layer: SemanticLayer, backend: str
) -> None:
    metric = understand("fulfilment rate by loss type", layer).metric
    assert metric is not None
    intent = DataIntent(metric=metric.id, dimensions=["loss_type"])
    generated = generate_sql(metric, intent, backend)  # type: ignore[arg-type]
    assert generated.safety.passed and "1.0" in generated.sql


# request → hand-written SQLite over the same rows (dimension, share)
HAND_WRITTEN = {
    "denial rate by region": (  # the catalog's: decided claims, as the approval rate
        "SELECT region, COUNT(CASE WHEN status = 'denied' THEN 1 END) * 1.0 / COUNT(*) "
        "FROM claims "
        "WHERE decided_at IS NOT NULL AND decided_at >= :since "
        "GROUP BY region"
    ),
    "session escalation rate by channel": (
        "SELECT channel, COUNT(escalated_at) * 1.0 / COUNT(*) FROM issue_sessions "
        "WHERE opened_at >= :since GROUP BY channel"
    ),
    "plan cancellation rate by category": (
        "SELECT category, COUNT(CASE WHEN plan_status = 'cancelled' THEN 1 END) * 1.0 "
        "/ COUNT(*) FROM devices "
        "WHERE enrolled_at IS NOT NULL GROUP BY category"
    ),
    "fulfilment rate by loss type": (
        "SELECT loss_type, COUNT(CASE WHEN status = 'fulfilled' THEN 1 END) * 1.0 / COUNT(*) "
        "FROM claims "
        "WHERE filed_at >= :since GROUP BY loss_type"
    ),
}


@pytest.mark.parametrize("request_text", sorted(HAND_WRITTEN))
async def test_every_rate_previewed_equals_hand_written_sql(
    seeded: None, request_text: str
) -> None:
    events = await collect(memory_runner().start_clarification(request_text))
    assert not by_name(events, "questions"), by_name(events, "questions")
    result = by_name(events, "result")[-1]
    data = await preview_data(result["spec"], result["promote_metric"])
    dimension = result["spec"]["data_intent"]["dimensions"][0]
    shown = {row[dimension]: float(row["value"]) for row in data.rows}
    with get_engine().connect() as conn:
        expected = {
            k: float(v)
            for k, v in conn.execute(text(HAND_WRITTEN[request_text]), {"since": since_30_days()})
        }
    assert shown.keys() == expected.keys() and shown
    for key, value in expected.items():
        assert shown[key] == pytest.approx(value)
    assert any(0 < value < 1 for value in shown.values())  # real, non-trivial shares


def test_transpiled_rates_divide_as_floats() -> None:
    sql = "SELECT AVG(CASE WHEN status = 'denied' THEN 1.0 ELSE 0.0 END) AS value FROM claims"
    for backend in ("sqlite", "postgres", "duckdb"):
        assert "1.0" in transpile_for(sql, backend)  # type: ignore[arg-type]


async def test_denial_rate_is_the_complement_of_the_approval_rate(seeded: None) -> None:
    """One base for both: decided claims; the two tiles never disagree."""
    shown: dict[str, dict[str, float]] = {}
    for request_text in ("denial rate by region", "approval rate by region"):
        events = await collect(memory_runner().start_clarification(request_text))
        result = by_name(events, "result")[-1]
        data = await preview_data(result["spec"], result["promote_metric"])
        shown[request_text] = {row["region"]: float(row["value"]) for row in data.rows}
    denial, approval = shown["denial rate by region"], shown["approval rate by region"]
    assert denial.keys() == approval.keys() and denial
    for region, value in denial.items():
        assert value + approval[region] == pytest.approx(1.0)
