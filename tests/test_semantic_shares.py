"""Phrasing classes of shares and of values the data lacks: which value is the share, which
describes the rows, and when the parser must ask instead of building."""

from __future__ import annotations

import pytest

from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.parser import understand
from command_center.widgets.context import seeded_catalog
from tests.widget_helpers import by_name, collect, memory_runner, seeded_values


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return build_layer(seeded_catalog(), seeded_values())


@pytest.mark.parametrize(
    ("request_text", "filters"),
    [
        ("what % of theft claims got denied this quarter", {"loss_type": ["theft"]}),
        ("share of theft claims that got denied", {"loss_type": ["theft"]}),
        ("what % of claims got denied", {}),
    ],
)
def test_the_value_after_the_verb_is_the_share(
    layer: SemanticLayer, request_text: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None, out.ask
    assert out.metric is not None and out.metric.id == "denial_rate", out.metric
    assert out.filters == filters


@pytest.mark.parametrize(
    "request_text",
    ["avg monthly premium for premium tier plans", "average deductible for deductible tier plans"],
)
def test_a_known_word_in_a_columns_value_slot_asks(layer: SemanticLayer, request_text: str) -> None:
    out = understand(request_text, layer)  # plans.tier is basic or plus: no "premium" tier
    assert out.ask is not None and out.ask["field"] == "clarify", out


def test_a_value_in_its_columns_slot_still_filters(layer: SemanticLayer) -> None:
    out = understand("avg monthly premium for plus tier plans", layer)
    assert out.ask is None and out.filters == {"tier": ["plus"]} and out.dimensions == []


def test_a_share_of_a_word_that_is_also_a_table_asks(layer: SemanticLayer) -> None:
    # "coverage" names the plans table and the sessions' coverage_question topic
    out = understand("coverage rate by make", layer)
    assert out.ask is not None and out.metric is None, out
    named = understand("share of coverage questions", layer)  # the topic's own phrase
    assert named.ask is None and named.metric is not None
    assert named.metric.id == "rate_topic_coverage_question_issue_sessions"


def test_a_ranking_by_how_many_with_nothing_to_rank_asks(layer: SemanticLayer) -> None:
    out = understand("when do most claims get filed", layer)
    assert out.ask is not None and out.ask["field"] == "dimension", out
    ranked = understand("which region gets the most claims", layer)
    assert ranked.ask is None and ranked.dimensions == ["region"] and ranked.sort == "desc"


def test_a_measure_on_a_named_tables_twin_beats_an_unnamed_table(layer: SemanticLayer) -> None:
    # claims carry no deductible; their warehouse twin does; the plans' deductible is not
    # about claims
    out = understand("whats the average deductible on Mobile Protect Plus claims", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "l3_asurion.ev_claim"
    assert out.filters == {"product_name": ["Mobile Protect Plus"]}


def test_a_value_that_is_also_a_table_describes_the_shares_rows(layer: SemanticLayer) -> None:
    # "phone" is a channel and the devices table; "approved" after the verb is the share
    out = understand("what share of phone claims got approved last month", layer)
    assert out.ask is not None and out.ask["field"] == "metric", out.ask
    assert "Approval rate" in out.ask["options"]


async def test_a_share_of_one_table_by_another_tables_value_is_not_built(
    layer: SemanticLayer,
) -> None:
    # the segment is the customers': the share of customers that are enterprise is not it
    out = understand("share of claims from enterprise customers", layer)
    assert out.metric is None or out.metric.id != "rate_segment_enterprise_customers"
    events = await collect(
        memory_runner().start_clarification("share of claims from enterprise customers")
    )
    assert by_name(events, "questions"), "a share of claims by a customer value: ask"
    via = understand("share of claims via app", layer)  # the claims' own channel: a share
    assert via.ask is None and via.metric is not None
    assert via.metric.id == "rate_channel_app_claims"
