"""Everyday phrasing the offline parser must read (shorthand, verbs, idioms) and measures it
must never drop."""

from __future__ import annotations

import pytest

from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.parser import understand
from command_center.widgets.context import seeded_catalog
from tests.widget_helpers import seeded_values


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return build_layer(seeded_catalog(), seeded_values())


@pytest.mark.parametrize(
    ("request_text", "days", "period"),
    [
        ("claims filed yday", 1, "yesterday"),
        ("claims filed last wk", 7, "last_week"),
        ("claims filed this mth", 30, "this_month"),
        ("claims filed last qtr", 90, "last_quarter"),
        ("claims filed last yr", 365, "last_year"),
        ("claims filed past 2 wks", 14, None),
        ("claims filed last 3 mos", 90, None),
        ("claims filed l7d", 7, None),
    ],
)
def test_time_shorthand_is_spelled_out(
    layer: SemanticLayer, request_text: str, days: int, period: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None, out.ask
    assert (out.window_days, out.period) == (days, period)


def test_paid_out_names_the_payout(layer: SemanticLayer) -> None:
    out = understand("total paid out on claims yesterday", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "SUM(PAYOUT_AMOUNT)" and out.filters == {}


@pytest.mark.parametrize(
    ("request_text", "metric_id", "filters"),
    [
        ("how many claims are stuck in review rn?", "open_claims", {"status": ["in_review"]}),
        ("stuck claims by region", "open_claims", {}),
        ("how many tickets are stuck", "active_issue_sessions", {}),
    ],
)
def test_stuck_names_the_open_items(
    layer: SemanticLayer, request_text: str, metric_id: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.filters == filters


def test_a_measure_that_cannot_be_computed_is_asked_never_dropped(layer: SemanticLayer) -> None:
    # devices carry no premium (plans do, two joins away): the measure word must not fall
    # away, leaving a count of Samsung devices
    out = understand("average premium for Samsung devices", layer)
    assert out.ask is not None and out.ask["field"] == "metric", out


def test_how_are_we_performing_asks_which_metric(layer: SemanticLayer) -> None:
    out = understand("how are we performing in the Midwest?", layer)
    assert out.ask is not None and out.ask["field"] == "metric", out.ask


def test_an_opening_verb_is_not_the_column_of_the_same_spelling(layer: SemanticLayer) -> None:
    out = understand("make me a chart of claims filed", layer)  # (the dimension is asked next)
    assert out.ask is None and out.widget_type == "chart" and out.dimensions == [], out.ask
    grouped = understand("please make a table of claims filed by make", layer)
    assert grouped.ask is None and grouped.dimensions == ["devices.make"], grouped.ask


def test_the_tables_dated_event_counts_every_row_it_dates(layer: SemanticLayer) -> None:
    # "support sessions" alone are the active ones; "opened last week": all opened then
    out = understand("tabulate support sessions opened per channel last week", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "COUNT(*)" and not out.metric.base_filter.strip()
    assert out.metric.source_table == "issue_sessions" and out.dimensions == ["channel"]
    active = understand("support sessions by channel", layer)
    assert active.metric is not None and active.metric.id == "active_issue_sessions"
    state = understand("open tickets opened this week", layer)
    assert state.metric is not None and state.metric.id == "active_issue_sessions"


@pytest.mark.parametrize(
    ("request_text", "metric_id", "time_column"),
    [
        ("claims decided last week", "claims_filed", "decided_at"),  # counted by that date
        ("devices enrolled in a coverage plan this month", "devices_registered", "enrolled_at"),
        ("claims created last week in the warehouse", "claim_volume_l3_asurion", None),
    ],
)
def test_a_table_and_one_of_its_dates_count_its_rows_by_that_date(
    layer: SemanticLayer, request_text: str, metric_id: str, time_column: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert (out.metric.id, out.time_column) == (metric_id, time_column)


@pytest.mark.parametrize(
    ("request_text", "metric_id", "filters"),
    [
        ("total claims this month", "claims_filed", {}),
        ("total devices registered this year", "devices_registered", {}),
        ("overall approval rate", "approval_rate", {}),
        ("total customers", "count_rows_customers", {}),
        ("total enterprise customers", "count_rows_customers", {"segment": ["enterprise"]}),
    ],
)
def test_the_total_of_a_count_is_the_count(
    layer: SemanticLayer, request_text: str, metric_id: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.filters == filters


def test_total_of_a_measure_is_still_its_sum(layer: SemanticLayer) -> None:
    out = understand("total payout this month", layer)
    assert out.metric is not None and out.metric.measure.upper() == "SUM(PAYOUT_AMOUNT)"


def test_count_grammar_yields_to_the_metric_phrase_it_overlaps(layer: SemanticLayer) -> None:
    # "number of claims" (the warehouse volume) would leave "filed" as a status filter
    out = understand("number of claims filed this week", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "claims_filed" and out.filters == {}
    alone = understand("number of claims by brand", layer)
    assert alone.metric is not None and alone.metric.id == "claim_volume_l3_asurion"


@pytest.mark.parametrize(
    ("request_text", "metric_id"),
    [("new customers this month", "count_rows_customers"), ("new tickets this week", None)],
)
def test_new_table_rows_are_counted_by_their_own_date(
    layer: SemanticLayer, request_text: str, metric_id: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert not out.metric.base_filter.strip() and out.metric.measure.upper() == "COUNT(*)"
    assert metric_id is None or out.metric.id == metric_id


@pytest.mark.parametrize(
    ("request_text", "metric_id", "dimensions"),
    [
        ("approval % by channel", "approval_rate", ["channel"]),
        ("approval pct last 30 days", "approval_rate", []),
        ("customers by home region", "count_rows_customers", ["region"]),  # dictionary
        ("claims by type of loss", "claims_filed", ["loss_type"]),
        ("devices whose plan was cancelled last month", "plan_cancellations", []),
    ],
)
def test_restated_rates_and_dictionary_phrases_are_read(
    layer: SemanticLayer, request_text: str, metric_id: str, dimensions: list[str]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.dimensions == dimensions


@pytest.mark.parametrize(
    ("request_text", "metric_id"),
    [
        ("For the exec wallboard: donut of warehouse claims by product", None),
        ("for the ops team: open claims by region", "open_claims"),
        ("open claims by region for the leadership dashboard", "open_claims"),
        ("big number for the wall: event throughput", "events_per_minute"),
        ("open claims by status, bar is ok", "open_claims"),
        ("approval rate by channel, line is fine", "approval_rate"),
        ("claims filed by region, any chart works", "claims_filed"),
        ("hey can you show claims filed by channel", "claims_filed"),
        ("I'd like to see denial rate by region", "denial_rate"),
        ("which channels bring in the most claims", "claims_filed"),
        ("customer base by segment, donut pls", "count_rows_customers"),
        ("what % of claims get denied", "denial_rate"),
    ],
)
def test_audience_asides_and_everyday_words_are_not_data(
    layer: SemanticLayer, request_text: str, metric_id: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert metric_id is None or out.metric.id == metric_id


def test_an_audience_that_names_data_is_not_ignored(layer: SemanticLayer) -> None:
    out = understand("approval rate for the West team", layer)  # West: a region or a team?
    assert out.ask is not None


@pytest.mark.parametrize(
    ("request_text", "exclude"),
    [
        ("claims filed, skip retail", {"channel": ["retail"]}),
        ("avg payout by region sans theft", {"loss_type": ["theft"]}),
        ("don't include retail in claims filed", {"channel": ["retail"]}),
        ("plan churn rate ex-Apple", {"make": ["Apple"]}),
    ],
)
def test_everyday_negations_exclude(
    layer: SemanticLayer, request_text: str, exclude: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.exclude == exclude, out.ask


def test_average_claim_amount_is_the_payout(layer: SemanticLayer) -> None:
    out = understand("average claim amount by region", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "AVG(PAYOUT_AMOUNT)" and out.dimensions == ["region"]


def test_a_value_qualifying_a_table_after_a_grouping_word_is_a_filter(
    layer: SemanticLayer,
) -> None:
    # "across plus plans": the plus-tier plans, not a grouping by the word "plans"
    out = understand("average monthly premium across plus plans", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.dimensions == [] and out.filters == {"tier": ["plus"]}
    grouped = understand("open claims across regions", layer)
    assert grouped.dimensions == ["region"]


@pytest.mark.parametrize(
    ("request_text", "metric_id", "filters"),
    [
        ("claims received this week", "claims_filed", {}),  # catalog synonyms
        ("number of claims submitted via web today", "claims_filed", {"channel": ["web"]}),
        ("claims awaiting review", "claims_filed", {"status": ["in_review"]}),  # value synonym
        ("claim turnaround time by loss type", "mean_time_to_resolution", {}),
        ("number of claims over 48 hours old", "sla_breaches", {}),
        ("how many plans churned last week", "plan_cancellations", {}),
        ("how many iphones did we register this month", "devices_registered", {"make": ["Apple"]}),
    ],
)
def test_catalog_and_dictionary_paraphrases(
    layer: SemanticLayer, request_text: str, metric_id: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.filters == filters


@pytest.mark.parametrize(
    ("request_text", "measure"),
    [
        ("how much did we pay out this quarter", "SUM(PAYOUT_AMOUNT)"),
        ("how much have we spent on claims this year", "SUM(PAYOUT_AMOUNT)"),
        ("how much are we paying out per claim", "AVG(PAYOUT_AMOUNT)"),  # per row: a mean
        ("total payout per region", "SUM(PAYOUT_AMOUNT)"),
        ("total payout per claim channel", "SUM(PAYOUT_AMOUNT)"),  # the claim's channel
    ],
)
def test_how_much_is_a_sum_and_per_row_a_mean(
    layer: SemanticLayer, request_text: str, measure: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == measure


@pytest.mark.parametrize(
    ("request_text", "table", "dimensions"),
    [
        ("mix of event types yesterday", "events", ["type"]),  # only events have a type
        ("loss type breakdown", "claims", ["loss_type"]),  # the operational claims
        ("breakdown by topic", "issue_sessions", ["topic"]),
    ],
)
def test_a_grouping_that_belongs_to_one_table_counts_that_table(
    layer: SemanticLayer, request_text: str, table: str, dimensions: list[str]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == table and out.dimensions == dimensions


def test_a_grouping_shared_by_tables_still_asks(layer: SemanticLayer) -> None:
    out = understand("by region", layer)  # claims, customers or warehouse claims
    assert out.ask is not None
    assert understand("by make", layer).ask is not None  # no part-of-whole: what to count?
    assert understand("product split", layer).ask is not None  # plans: a list, no mix


def test_quantity_of_is_a_count(layer: SemanticLayer) -> None:
    out = understand("the quantity of denied claims this week but not the retail ones", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.filters == {"status": ["denied"]} and out.exclude == {"channel": ["retail"]}


def test_a_longer_phrase_beats_the_metric_it_starts_with(layer: SemanticLayer) -> None:
    # "payout amount" (the column) over "payout" (the average payout metric) + "amount"
    out = understand("total payout amount last month", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "SUM(PAYOUT_AMOUNT)"


@pytest.mark.parametrize(
    ("request_text", "period"),
    [
        ("claims filed since the start of the month", "this_month"),
        ("claims filed since the 1st by region", "this_month"),
        ("sessions opened since the start of the week", "this_week"),
        ("approval rate since the beginning of the year", "this_year"),
    ],
)
def test_since_the_start_of_a_period_is_that_period(
    layer: SemanticLayer, request_text: str, period: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.period == period, out.ask


@pytest.mark.parametrize(
    ("request_text", "metric_id"),
    [
        ("claims in progress by region", "open_claims"),  # "progress": no progress bar here
        ("in-flight claims", "open_claims"),
        ("wip claims by channel", "open_claims"),
        ("aging claims by region", "sla_breaches"),
    ],
)
def test_a_template_word_inside_a_metric_phrase_is_the_metric(
    layer: SemanticLayer, request_text: str, metric_id: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.custom_template is None


@pytest.mark.parametrize(
    ("request_text", "filters"),
    [
        ("tablet claims", {"devices.category": ["tablet"]}),  # only devices have a category
        ("enterprise claims by region", {"customers.segment": ["enterprise"]}),
    ],
)
def test_a_kind_found_in_one_joined_table_filters_through_the_join(
    layer: SemanticLayer, request_text: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "claims_filed" and out.filters == filters


def test_a_state_of_another_table_is_not_joined(layer: SemanticLayer) -> None:
    out = understand("active claims", layer)  # a device's plan status is no claim's state
    assert out.ask is not None or out.filters == {}, out


@pytest.mark.parametrize(
    ("request_text", "metric_id", "dimensions"),
    [
        ("opne claims by status", "open_claims", ["status"]),  # two letters swapped
        ("devcies registered this week", "devices_registered", []),  # before the plural
        ("open claims pls thx", "open_claims", []),
        ("chart: claims filed daily 2wks", "claims_filed", ["day"]),
        ("approval rate wow", "approval_rate", ["week"]),
        ("mom payout trend", "avg_payout", ["month"]),
    ],
)
def test_terse_spellings_and_slips(
    layer: SemanticLayer, request_text: str, metric_id: str, dimensions: list[str]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    series = [out.grain] if out.over_time else []
    assert out.metric.id == metric_id and out.dimensions + series == dimensions


@pytest.mark.parametrize(
    ("request_text", "metric_id"),
    [
        ("share of claims via app", "rate_channel_app_claims"),
        ("percentage of claims from the web", "rate_channel_web_claims"),
        ("% of claims in the West", "rate_region_West_claims"),
    ],
)
def test_a_share_of_a_table_with_the_values_own_preposition(
    layer: SemanticLayer, request_text: str, metric_id: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id.lower() == metric_id.lower() and out.metric.unit == "ratio"


@pytest.mark.parametrize(
    ("request_text", "measure", "filters"),
    [
        ("how much did theft cost us last quarter", "SUM", {"loss_type": ["theft"]}),
        ("total theft payout", "SUM", {"loss_type": ["theft"]}),
    ],
)
def test_an_aggregate_reaches_its_measure_across_a_value(
    layer: SemanticLayer, request_text: str, measure: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == f"{measure}(PAYOUT_AMOUNT)" and out.filters == filters


def test_resolution_speed_and_no_silent_speed(layer: SemanticLayer) -> None:
    out = understand("resolution speed by region", layer)
    assert out.metric is not None and out.metric.id == "mean_time_to_resolution", out.ask
    # "quickly" carries meaning: never a count of claims resolved
    assert understand("how quickly do we resolve claims", layer).ask is not None


@pytest.mark.parametrize(
    ("request_text", "value"),
    [
        ("claim_filed events today", "claim_filed"),  # the data's spelling: the event type
        ("how many device_registered events yesterday", "device_registered"),
    ],
)
def test_a_value_spelled_as_in_the_data_is_that_value(
    layer: SemanticLayer, request_text: str, value: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "events" and out.filters == {"type": [value]}


def test_hours_to_close_is_the_resolution_time(layer: SemanticLayer) -> None:
    out = understand("avg hours to close theft claims", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "mean_time_to_resolution" and out.filters == {"loss_type": ["theft"]}


def test_everyday_verbs_link_a_share_to_its_value(layer: SemanticLayer) -> None:
    out = understand("what share of claims come from the app", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "rate_channel_app_claims"


def test_an_operational_count_outranks_its_warehouse_twin(layer: SemanticLayer) -> None:
    # "denials" are claims of either store; nothing points at the warehouse: the question
    # left is which date to count by, not which store
    out = understand("denial trend by channel", layer)
    assert out.ask is not None and out.ask["field"] == "time_column", out.ask


@pytest.mark.parametrize(
    ("request_text", "metric_id", "exclude"),
    [
        ("claims not from retail", "claims_filed", {"channel": ["retail"]}),
        (
            "claims excluding denied and cancelled",
            "claims_filed",
            {"status": ["denied", "cancelled"]},
        ),
    ],
)
def test_a_table_with_only_exclusions_counts_the_rest(
    layer: SemanticLayer, request_text: str, metric_id: str, exclude: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.exclude == exclude


@pytest.mark.parametrize(
    ("request_text", "region"),
    [("claims in NE", "Northeast"), ("approval rate in the south east", "Southeast")],
)
def test_region_abbreviations_are_value_synonyms(
    layer: SemanticLayer, request_text: str, region: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.filters == {"region": [region]}, out.ask
