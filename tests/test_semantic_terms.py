"""Words the dictionary data and the normaliser carry: a lone currency sign, table synonyms
("plan lineup"), business terms the data cannot compute ("run rate")."""

from __future__ import annotations

import pytest

from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.parser import understand
from command_center.semantic.text import normalize
from command_center.widgets.context import seeded_catalog
from tests.widget_helpers import seeded_values


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return build_layer(seeded_catalog(), seeded_values())


def test_a_lone_currency_sign_adds_nothing(layer: SemanticLayer) -> None:
    assert normalize("total $ paid out") == "total paid out"
    assert normalize("claims over $500") == "claims over $500"  # an amount keeps its sign
    out = understand("total $ paid out on claims this year", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "sum_payout_amount_claims" and out.period == "this_year"


def test_a_plan_lineup_is_the_plans_table(layer: SemanticLayer) -> None:
    out = understand("Average monthly premium across our plan lineup", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "avg_monthly_premium_plans" and out.filters == {}


def test_a_run_rate_cannot_be_computed(layer: SemanticLayer) -> None:
    out = understand("whats our claims run-rate looking like", layer)
    assert out.ask is not None and out.ask["field"] == "metric", out
    assert "run rate" in out.ask["reason"]


@pytest.mark.parametrize(
    ("request_text", "metric", "period"),
    [("opn claims", "open_claims", None), ("claims filed this wek", "claims_filed", "this_week")],
)
def test_a_short_word_with_a_dropped_letter_is_mended(
    layer: SemanticLayer, request_text: str, metric: str, period: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert (out.metric.id, out.period) == (metric, period)


def test_a_negation_is_no_dropped_letter(layer: SemanticLayer) -> None:
    out = understand("approval rate QTD, non-retail only", layer)  # "non" is not "none"
    assert out.ask is None and out.exclude == {"channel": ["retail"]}, out.ask


def test_the_most_common_value_of_a_column_ranks_its_table(layer: SemanticLayer) -> None:
    out = understand("most common loss type", layer)  # a part-of-whole question, ranked
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "claims_filed" and out.dimensions == ["loss_type"]
    assert out.sort == "desc"


def test_how_we_are_doing_asks_which_metric(layer: SemanticLayer) -> None:
    out = understand("show me how we're doing", layer)  # numbers, but which?
    assert out.ask is not None and out.ask["field"] == "metric", out.ask


def test_a_kind_of_claim_is_its_loss_type(layer: SemanticLayer) -> None:
    # columns.csv: "claim type", "kind of claim" name the loss type, not the devices' kind
    out = understand("claims by type of claim", layer)
    assert out.ask is None and out.dimensions == ["loss_type"], out.ask
    most = understand("what kind of claims do we get most", layer)
    assert most.ask is not None or most.dimensions == ["loss_type"], most
