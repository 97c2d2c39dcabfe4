"""Dimensions across one declared join (joins.csv): grouped or filtered by a column of the
joined table, compiled on every dialect behind the gate, asked about when two join paths or
two columns fit, and previewed with real rows equal to hand-written SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from command_center.db.session import get_engine
from command_center.metrics.definitions import seeded_metric
from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.parser import understand
from command_center.sql.compiler import CompileError, compile_metric_sql
from command_center.sql.dictionary import Join, load_dictionary
from command_center.sql.generator import generate_sql
from command_center.sql.intent import DataIntent
from command_center.sql.joins import joined_columns
from command_center.widgets.context import seeded_catalog
from command_center.widgets.preview import preview_data
from tests import seeded_demo
from tests.seeded_demo import since_30_days
from tests.widget_helpers import by_name, collect, memory_runner, seeded_values

seeded = seeded_demo.seeded  # the fixture: seeded demo data on SQLite and PostgreSQL


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return build_layer(seeded_catalog(), seeded_values())


def test_joined_columns_are_one_hop_allowlisted_and_never_sensitive() -> None:
    claims = joined_columns("claims")
    assert {"customers.segment", "customers.region", "devices.make"} <= set(claims)
    assert "customers.email" not in claims and "customers.name" not in claims  # sensitive
    assert "customers.id" not in claims  # not categorical
    assert not any(name.startswith("plans.") for name in claims)  # two hops away
    assert "claims.status" not in joined_columns("devices")  # one-to-many: never fans out


def test_two_declared_paths_to_one_table_are_left_out() -> None:
    dictionary = load_dictionary().model_copy(deep=True)
    dictionary.joins.append(
        Join(
            left_table="claims", left_column="device_id", right_table="customers", right_column="id"
        )
    )
    assert not any(n.startswith("customers.") for n in joined_columns("claims", dictionary))


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "duckdb", "databricks"])
def test_a_joined_dimension_compiles_behind_the_gate_on_every_dialect(backend: str) -> None:
    metric = seeded_metric("open_claims")
    intent = DataIntent(
        metric="open_claims",
        dimensions=["customers.segment", "region"],
        filters={"devices.make": ["Apple", "Samsung"]},
        exclude={"customers.region": ["West"]},
    )
    generated = generate_sql(metric, intent, backend)  # type: ignore[arg-type]
    sql = generated.sql
    assert generated.safety.passed
    assert "LEFT JOIN customers ON claims.customer_id = customers.id" in sql
    assert "LEFT JOIN devices ON claims.device_id = devices.id" in sql
    assert "claims.status IN" in sql and "claims.region" in sql  # own columns qualified


@pytest.mark.parametrize(
    "dimension", ["customers.email", "plans.tier", "customers.id", "claims.status"]
)
def test_a_join_the_dictionary_does_not_allow_is_refused(dimension: str) -> None:
    intent = DataIntent(metric="claims_filed", dimensions=[dimension])
    with pytest.raises(CompileError):
        compile_metric_sql(seeded_metric("claims_filed"), intent)


@pytest.mark.parametrize(
    ("request_text", "metric_id", "dimensions", "filters"),
    [
        ("claims by customer segment", "claims_filed", ["customers.segment"], {}),
        ("devices by customer region", "devices_registered", ["customers.region"], {}),
        ("escalation rate by device make", "escalation_rate", ["devices.make"], {}),
        (
            "claims for enterprise customers",
            "claims_filed",
            [],
            {"customers.segment": ["enterprise"]},
        ),
        ("claims by region", "claims_filed", ["region"], {}),  # own column first
    ],
)
def test_a_column_one_join_away_groups_or_filters(
    layer: SemanticLayer,
    request_text: str,
    metric_id: str,
    dimensions: list[str],
    filters: dict[str, list[str]],
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None, out.ask
    assert out.metric is not None and out.metric.id == metric_id
    assert out.dimensions == dimensions and out.filters == filters


def test_two_join_paths_are_asked_about(layer: SemanticLayer) -> None:
    out = understand("sessions by region", layer)  # the customer's region or the claim's
    assert out.ask is not None and out.ask["field"] == "dimension"
    assert set(out.ask["options"]) == {"claims.region", "customers.region"}


def test_a_value_crosses_a_join_only_when_its_table_is_named(layer: SemanticLayer) -> None:
    out = understand("list active phone cases by status and topic", layer)
    assert out.metric is None or not any("." in column for column in out.filters), out


def test_a_table_two_joins_away_is_asked_about(layer: SemanticLayer) -> None:
    out = understand("sessions by plan tier", layer)  # sessions -> devices -> plans
    assert out.ask is not None and "plans.tier: not within one declared join" in out.ask["reason"]


def test_a_join_key_is_no_measure(layer: SemanticLayer) -> None:
    # "average plan" is not AVG(devices.plan_id): a joins.csv key is no quantity
    out = understand("average plan deductible by tier", layer)
    assert out.metric is None or "plan_id" not in out.metric.measure, out


@pytest.mark.parametrize(
    ("request_text", "answer"),
    [("sessions by region", "customers.region"), ("compare tickets", "topic")],
)
async def test_a_dimension_question_is_answered_once(request_text: str, answer: str) -> None:
    runner = memory_runner()
    events = await collect(runner.start_clarification(request_text))
    question = by_name(events, "questions")[0]
    assert question["questions"][0]["field"] == "dimension"
    answered = await collect(
        runner.respond(
            question["thread_id"],
            {question["questions"][0]["id"]: answer},
            checkpoint_id=question["checkpoint_id"],
        )
    )
    assert not by_name(answered, "questions"), "the answered question was asked again"
    result = by_name(answered, "result")[-1]
    assert result["spec"] and result["critic_ok"], result
    assert result["spec"]["data_intent"]["dimensions"] == [answer]


# request → hand-written SQLite over the same rows (joined column, value)
HAND_WRITTEN = {
    "claims by customer segment": (
        "SELECT c.segment, COUNT(*) FROM claims k JOIN customers c ON c.id = k.customer_id "
        "WHERE k.filed_at >= :since GROUP BY c.segment"
    ),
    "devices by customer region": (
        "SELECT c.region, COUNT(*) FROM devices d JOIN customers c ON c.id = d.customer_id "
        "WHERE d.registered_at >= :since GROUP BY c.region"
    ),
    "denial rate by customer segment": (  # the catalog's: decided claims, by decided_at
        "SELECT c.segment, COUNT(CASE WHEN k.status = 'denied' THEN 1 END) * 1.0 / COUNT(*) "
        "FROM claims k "
        "JOIN customers c ON c.id = k.customer_id WHERE k.decided_at IS NOT NULL "
        "AND k.decided_at >= :since GROUP BY c.segment"
    ),
    "fulfilment rate by customer segment": (  # composed: claims by filed date
        "SELECT c.segment, COUNT(CASE WHEN k.status = 'fulfilled' THEN 1 END) * 1.0 / COUNT(*) "
        "FROM claims k "
        "JOIN customers c ON c.id = k.customer_id "
        "WHERE k.filed_at >= :since GROUP BY c.segment"
    ),
    "escalation rate by device make": (
        "SELECT d.make, COUNT(s.escalated_at) * 1.0 / COUNT(*) FROM issue_sessions s "
        "JOIN devices d ON d.id = s.device_id "
        "WHERE s.opened_at >= :since GROUP BY d.make"
    ),
}


@pytest.mark.parametrize("request_text", sorted(HAND_WRITTEN))
async def test_a_joined_preview_equals_hand_written_sql(seeded: None, request_text: str) -> None:
    events = await collect(memory_runner().start_clarification(request_text))
    assert not by_name(events, "questions"), by_name(events, "questions")
    result = by_name(events, "result")[-1]
    assert result["critic_ok"], result
    data = await preview_data(result["spec"], result["promote_metric"])
    dimension = result["spec"]["data_intent"]["dimensions"][0]
    assert "." in dimension
    shown = {row[dimension]: float(row["value"]) for row in data.rows}
    with get_engine().connect() as conn:
        expected = {
            k: float(v)
            for k, v in conn.execute(text(HAND_WRITTEN[request_text]), {"since": since_30_days()})
        }
    assert shown.keys() == expected.keys() and any(shown.values())
    for key, value in expected.items():
        assert shown[key] == pytest.approx(value)
