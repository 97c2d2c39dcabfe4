"""Classes of request the offline parser must ask about rather than guess."""

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
    "request_text",
    [
        "claims filed today vs yesterday",  # two windows
        "approval rate this month vs last month",
        "claims filed in the last few days",  # no amount
        "claims filed in the last hour",  # shorter than a day
        "open claims over the past 3 hours",
        "claims filed by hour of day",  # a cyclic profile, not a series (no widget draws it)
    ],
)
def test_an_unreadable_or_conflicting_window_is_asked_about(
    layer: SemanticLayer, request_text: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None, out


@pytest.mark.parametrize(
    ("request_text", "days", "period"),
    [
        ("claims filed in the past 3 days", 3, None),
        ("claims filed over the last 24 hours", 1, None),
        ("claims filed for the last two weeks", 14, None),
        ("claims filed since monday", 7, "this_week"),
        ("daily claims last fortnight", 14, None),
    ],
)
def test_one_clear_window_is_read(
    layer: SemanticLayer, request_text: str, days: int, period: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None, out.ask
    assert (out.window_days, out.period) == (days, period)


@pytest.mark.parametrize(
    "request_text",
    [
        "payout per claim by product",  # a payout phrase and a claim-count phrase
        "claims value by region",  # "value" names a measure the builder did not place
    ],
)
def test_a_second_metric_reading_or_a_measure_word_is_asked_about(
    layer: SemanticLayer, request_text: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None, out


def test_an_aggregate_over_a_metric_word_is_one_reading(layer: SemanticLayer) -> None:
    out = understand("max payout by region", layer)
    assert out.ask is None, out.ask
    assert out.metric is not None and out.metric.measure.upper().startswith("MAX(")


def test_a_warehouse_request_never_gets_an_operational_metric(layer: SemanticLayer) -> None:
    out = understand("device registrations from the warehouse", layer)
    assert out.ask is not None and out.ask["field"] == "metric", out


def test_warehouse_payouts_are_the_same_aggregate_on_the_warehouse_table(
    layer: SemanticLayer,
) -> None:
    out = understand("warehouse payouts by make", layer)
    assert out.ask is None, out.ask
    assert out.metric is not None and out.metric.backend == "databricks"
    assert out.metric.measure.replace(" ", "").upper() == "AVG(PAYOUT_AMOUNT)"
    assert out.dimensions == ["device_make"]


def test_a_number_no_rule_reads_is_an_unplaced_word(layer: SemanticLayer) -> None:
    # "iPhone 16" is not a model in the data: reading it as make = Apple drops the 16
    assert understand("iPhone 16 registrations per day", layer).ask is not None
    # a year is read when it is this year or last (a calendar period); an older one asks
    assert understand("claims filed in 2015", layer).ask is not None
    out = understand("claims filed last 90d", layer)
    assert out.ask is None and out.window_days == 90, out.ask
    out = understand("top 10 regions by claims filed", layer)
    assert out.ask is None and out.limit == 10, out.ask


@pytest.mark.parametrize(
    "request_text",
    [
        "claims with no payout",  # a negation with no value to exclude
        "claim status",  # a topic value or the claims' status column
        "time to approve claims",  # "time" names a measure the builder did not place
    ],
)
def test_a_negation_of_nothing_or_a_value_that_is_also_a_column_is_asked_about(
    layer: SemanticLayer, request_text: str
) -> None:
    assert understand(request_text, layer).ask is not None


def test_a_column_named_with_its_value_is_a_filter_not_a_grouping(layer: SemanticLayer) -> None:
    out = understand("claims where region is West", layer)
    assert out.ask is None, out.ask
    assert out.dimensions == [] and out.filters == {"region": ["West"]}
    out = understand("sessions about claim status", layer)
    assert out.ask is None and out.filters == {"topic": ["claim_status"]}, out


@pytest.mark.parametrize(
    "request_text",
    ["average payout and total cost by region", "max and min payout"],
)
def test_two_measures_are_asked_about_not_one_dropped(
    layer: SemanticLayer, request_text: str
) -> None:
    assert understand(request_text, layer).ask is not None


def test_a_measure_named_twice_and_an_aggregate_across_a_backend_word(
    layer: SemanticLayer,
) -> None:
    out = understand("which loss types cost us the most? total payout by loss type", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.replace(" ", "").upper() == "SUM(PAYOUT_AMOUNT)"
    out = understand("average warehouse payout by device make", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.backend == "databricks" and out.metric.measure.upper().startswith("AVG")


def test_swapped_letters_and_a_misspelt_word_of_a_phrase_are_read(layer: SemanticLayer) -> None:
    out = understand("open cliams by regoin", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert (out.metric.id, out.dimensions) == ("open_claims", ["region"])
    out = understand("aproval rate for phone claims, last 7 days", layer)
    assert out.ask is None and out.metric is not None and out.metric.id == "approval_rate"


def test_warehouse_claims_filter_by_plan_tier_and_device_model(layer: SemanticLayer) -> None:
    out = understand("basic tier claims", layer)
    assert out.ask is None and out.filters == {"plan_tier": ["basic"]}, out.ask
    out = understand("claims for the iPhone 15", layer)
    assert out.ask is None and out.filters == {"device_model": ["iPhone 15"]}, out.ask


@pytest.mark.parametrize(
    "request_text", ["claims broken down by region", "claims broken out by region"]
)
def test_a_grammar_phrase_is_not_a_value_synonym(layer: SemanticLayer, request_text: str) -> None:
    # "broken" is a value synonym (loss type malfunction), but "broken down by" groups
    out = understand(request_text, layer)
    assert out.ask is None and out.filters == {} and out.dimensions == ["region"], out


def test_a_catalog_synonym_and_a_request_normalise_alike(layer: SemanticLayer) -> None:
    # the synonym "todays intake" and the request's "today's intake" are one phrase
    out = understand("today's intake count pls", layer)
    assert out.ask is None and out.metric is not None and out.metric.id == "claims_filed_today"


def test_a_value_phrase_that_fits_no_metric_is_read_word_by_word(layer: SemanticLayer) -> None:
    # "claims approved" is an event type; no metric fits it, but claims + approved does
    out = understand("claims approved yesterday by channel", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "claims" and out.filters == {"status": ["approved"]}


@pytest.mark.parametrize(
    "request_text",
    [
        "current open claims vs last week",  # a period comparison no widget draws
        "approval rate compared to last month",
        "claims by region excluding the top one",  # a negated top-N is not a limit
    ],
)
def test_a_period_comparison_or_a_negated_top_n_is_asked_about(
    layer: SemanticLayer, request_text: str
) -> None:
    assert understand(request_text, layer).ask is not None


@pytest.mark.parametrize(
    "request_text", ["claims by region chart and table", "bar and line of claims filed"]
)
def test_two_widget_shapes_are_asked_about(layer: SemanticLayer, request_text: str) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.ask["field"] == "widget_type", out.ask


def test_a_chart_word_inside_a_value_phrase_is_no_chart_kind(layer: SemanticLayer) -> None:
    out = understand("claims via phone line by region as a bar chart", layer)
    assert out.ask is None and out.chart_kind == "bar", out
    assert out.filters == {"channel": ["phone"]}
    out = understand("composed chart of daily claims filed as bar and line", layer)
    assert out.ask is None and out.chart_kind == "composed", out.ask


def test_a_grouping_word_before_a_metric_needs_something_to_group(layer: SemanticLayer) -> None:
    out = understand("claims by payout", layer)  # not a KPI of average payout
    assert out.ask is not None and out.ask["field"] == "dimension", out
    out = understand("regions by payout", layer)
    assert out.ask is None and out.dimensions == ["region"], out.ask


def test_a_value_is_mended_for_one_slipped_letter_not_into_another_value(
    layer: SemanticLayer,
) -> None:
    # "Northwest" is not in the data: it is no typo of "Northeast" (two letters apart)
    out = understand("open claims in the Northwest", layer)
    assert out.ask is not None and not out.filters, out
    out = understand("open claims in the Nrotheast", layer)  # one swap: still Northeast
    assert out.ask is None and out.filters == {"region": ["Northeast"]}, out.ask


@pytest.mark.parametrize(
    ("request_text", "dimensions"),
    [
        ("claims history by channel, not via web", ["channel"]),
        ("loss type breakdown in the claims history", ["loss_type"]),
        ("analytics: claims by region", ["region"]),
    ],
)
def test_a_warehouse_table_phrase_picks_the_warehouse_and_is_no_time_series(
    layer: SemanticLayer, request_text: str, dimensions: list[str]
) -> None:
    # "claims history" / "analytics" name the warehouse table (dictionary synonyms), so no
    # question between operational and warehouse claims; "history" is not "over time"
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.backend == "databricks" and not out.over_time, out
    assert out.dimensions == dimensions


def test_a_split_is_a_part_of_whole_view_unless_over_time(layer: SemanticLayer) -> None:
    out = understand("Google enrollments split by device category", layer)
    assert out.ask is None and out.chart_kind == "pie", out
    out = understand("daily enrollments split by category", layer)
    assert out.ask is None and out.chart_kind != "pie", out


def test_claim_statuses_with_an_ordinary_shape_are_no_status_list() -> None:
    from command_center.widgets.custom.templates import choose_template

    assert choose_template("bar chart of warehouse claim statuses by region") is None
    template = choose_template("a status list of recent claims")
    assert template is not None and template.name == "status_list"


@pytest.mark.parametrize(
    ("request_text", "metric_id", "filters", "exclude"),
    [
        ("# of open claims in the West", "open_claims", {"region": ["West"]}, {}),
        ("active tickets rn", "active_issue_sessions", {}, {}),
        (
            "mean time to resolve theft claims",
            "mean_time_to_resolution",
            {"loss_type": ["theft"]},
            {},
        ),
        ("resolution hours for web claims", "mean_time_to_resolution", {"channel": ["web"]}, {}),
        ("overdue water damage claims", "sla_breaches", {"loss_type": ["water_damage"]}, {}),
        ("claims past the 48h SLA in the West", "sla_breaches", {"region": ["West"]}, {}),
        ("events/min", "events_per_minute", {}, {}),
        ("open claims, not counting the app", "open_claims", {}, {"channel": ["app"]}),
    ],
)
def test_shorthand_and_everyday_phrasing_of_a_metric_is_read(
    layer: SemanticLayer,
    request_text: str,
    metric_id: str,
    filters: dict[str, list[str]],
    exclude: dict[str, list[str]],
) -> None:
    # catalog synonyms (overdue, 48h SLA, resolution hours, events/min) and grammar ("# of",
    # "rn", "not counting") — knowledge in the catalog, not in the parser
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id
    assert (out.filters, out.exclude) == (filters, exclude)


def test_an_aggregate_reaches_its_measure_across_everyday_words(layer: SemanticLayer) -> None:
    out = understand("biggest single payout last month", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper().startswith("MAX("), out.metric
    out = understand("sum of deductibles collected in the warehouse", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "SUM(DEDUCTIBLE_AMOUNT)", out.metric


def test_a_vague_noun_beside_a_value_asks_for_the_metric(layer: SemanticLayer) -> None:
    out = understand("show me Google stuff", layer)  # devices or claims? which measure?
    assert out.ask is not None and out.ask["field"] == "metric", out.ask


def test_the_installed_base_is_the_devices_table(layer: SemanticLayer) -> None:
    out = understand("table of the installed base by make", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "devices" and out.dimensions == ["make"], out


def test_a_grouping_named_with_by_comes_before_the_column_it_splits(
    layer: SemanticLayer,
) -> None:
    # "warehouse claim loss types per region": rows by region, then the loss type column
    out = understand("table of warehouse claim loss types per region", layer)
    assert out.ask is None and out.dimensions == ["region", "loss_type"], out


def test_a_status_before_filler_is_the_status_not_a_timestamp_column(
    layer: SemanticLayer,
) -> None:
    # the column `escalated_at` is named "escalated" (its synonym), not "escalated at"
    out = understand("support sessions escalated at the moment", layer)
    assert out.ask is None and out.filters == {"status": ["escalated"]}, out


@pytest.mark.parametrize(
    ("request_text", "metric_id", "filters"),
    [
        ("the open backlog by region", "open_claims", {}),
        (
            "how many repair cases are still open",
            "active_issue_sessions",
            {"topic": ["repair_scheduling"]},
        ),
        ("active web cases by topic", "active_issue_sessions", {"channel": ["web"]}),
        (
            "support sessions with status open by channel",
            "active_issue_sessions",
            {"status": ["open"]},
        ),
    ],
)
def test_a_state_word_of_the_metric_names_it_and_filters_nothing_else(
    layer: SemanticLayer, request_text: str, metric_id: str, filters: dict[str, list[str]]
) -> None:
    # "open"/"active" are words of the metric's own phrases (open claims, active cases): they
    # name it, they are not the session status "open" or the plan status "active" — unless the
    # request names the column ("status open")
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id
    assert out.filters == filters


def test_a_filter_on_every_value_of_a_compared_column_filters_nothing(
    layer: SemanticLayer,
) -> None:
    out = understand("share of claims via app vs web vs phone vs retail", layer)
    assert out.ask is None and out.dimensions == ["channel"] and out.filters == {}, out


def test_a_slip_of_a_grammar_word_is_mended(layer: SemanticLayer) -> None:
    out = understand("tabluate approval rate by region", layer)
    assert out.ask is None and out.widget_type == "table", out
    out = understand("warehose claims by region", layer)
    assert out.ask is None and out.metric is not None and out.metric.backend == "databricks"


def test_which_n_with_a_later_superlative_is_a_top_n_and_a_misspelt_time_column_is_read(
    layer: SemanticLayer,
) -> None:
    out = understand("which 2 tablet makes got registerd the most last month?", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert (out.metric.id, out.dimensions) == ("devices_registered", ["make"])
    assert (out.limit, out.sort) == (2, "desc")


@pytest.mark.parametrize(
    ("request_text", "metric_id", "filters"),
    [
        ("evnts per minute", "events_per_minute", {}),
        ("avg payout on screen dmg claims", "avg_payout", {"loss_type": ["cracked_screen"]}),
        (
            "average time to resolve theft claims",
            "mean_time_to_resolution",
            {"loss_type": ["theft"]},
        ),
    ],
)
def test_abbreviations_and_misspelt_metric_words_are_read(
    layer: SemanticLayer, request_text: str, metric_id: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert (out.metric.id, out.filters) == (metric_id, filters)


def test_a_count_of_things_that_exist_has_no_default_window(layer: SemanticLayer) -> None:
    # tables.csv `window_days: all`: "how many consumer customers" counts every customer, not
    # those created in the last 30 days; a count of events keeps its 30-day default
    out = understand("how many consumer customers are there", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "customers" and out.metric.window_days is None
    out = understand("total payout by region", layer)
    assert out.ask is None and out.metric is not None and out.metric.window_days == 30


@pytest.mark.parametrize(
    "request_text",
    [
        "claims by customer email",  # sensitive columns: asked about, never listed
        "table of device serials with open claims",
        "sessions by ticket number",
        "claims by postcode",  # a grouping the data does not have
        "ranking by underwriter",
    ],
)
def test_a_sensitive_or_absent_column_is_a_clarify_question(
    layer: SemanticLayer, request_text: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.ask["field"] == "clarify", out.ask


def test_unique_values_of_a_column_are_a_distinct_count(layer: SemanticLayer) -> None:
    out = understand("unique claimants last month", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "COUNT(DISTINCT CUSTOMER_ID)"
    assert out.metric.source_table == "claims"


def test_a_table_and_its_own_date_are_a_count_of_its_rows(layer: SemanticLayer) -> None:
    out = understand("customers who signed up last week", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "customers" and out.period == "last_week"


def test_a_ranked_word_naming_a_table_and_a_dimension_is_the_grouping(
    layer: SemanticLayer,
) -> None:
    # "products": the plans table, and product_name of the warehouse claims being ranked
    out = understand("top 4 products by warehouse claim count", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.dimensions == ["product_name"] and (out.limit, out.sort) == (4, "desc")


def test_a_notification_is_no_built_in_widget(layer: SemanticLayer) -> None:
    out = understand("notify me when open claims go over 500", layer)
    assert out.ask is not None and out.ask["field"] == "widget_type", out.ask


def test_an_aggregate_reaches_its_measure_across_a_table_word(layer: SemanticLayer) -> None:
    out = understand("avg claim payout for water damage", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "avg_payout" and out.filters == {"loss_type": ["water_damage"]}


def test_claim_filings_per_minute_are_the_event_rate_of_that_event_type(
    layer: SemanticLayer,
) -> None:
    out = understand("claim filings per minute", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "events_per_minute" and out.filters == {"type": ["claim_filed"]}


@pytest.mark.parametrize(
    "request_text",
    [
        "show me the figures for Tablet Shield last month",  # one table has the value
        "how's the Midwest doing this month?",  # "doing": an everyday word
    ],
)
def test_a_request_naming_only_values_asks_for_the_metric(
    layer: SemanticLayer, request_text: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.ask["field"] == "metric", out.ask


@pytest.mark.parametrize(
    ("request_text", "metric_id", "widget_type"),
    [
        ("how many open claims atm", "open_claims", None),  # shorthand: at the moment
        ("open claims by channel, table format", "open_claims", "table"),
        ("shwo me open claims by region", "open_claims", None),  # two letters swapped
    ],
)
def test_everyday_shorthand_and_a_swapped_grammar_word_are_understood(
    layer: SemanticLayer, request_text: str, metric_id: str, widget_type: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id
    assert widget_type is None or out.widget_type == widget_type


def test_unique_members_of_a_table_who_did_something_count_the_other_tables_ids(
    layer: SemanticLayer,
) -> None:
    # customers are a table, and the claims' customer_id: the claims filed name whose ids
    out = understand("distinct customers that filed claims this month", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "COUNT(DISTINCT CUSTOMER_ID)"
    assert out.metric.source_table == "claims" and out.period == "this_month"


@pytest.mark.parametrize(
    ("request_text", "metric_id"),
    [
        ("plans got cancelled last month", "plan_cancellations"),
        ("how many plans were cancelled yesterday", "plan_cancellations"),
    ],
)
def test_an_auxiliary_verb_inside_a_metric_phrase_is_skipped(
    layer: SemanticLayer, request_text: str, metric_id: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id


def test_an_aggregate_may_follow_its_measure(layer: SemanticLayer) -> None:
    out = understand("claim payout total by channel this month", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure.upper() == "SUM(PAYOUT_AMOUNT)" and out.dimensions == ["channel"]


def test_support_tickets_are_the_sessions_table(layer: SemanticLayer) -> None:
    out = understand("support tickets by topic", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "issue_sessions" and out.dimensions == ["topic"]


def test_a_value_and_its_own_column_word_qualify_the_table_after_them(
    layer: SemanticLayer,
) -> None:
    # "basic tier plans": plan_tier = basic on the warehouse claims, not a plans metric
    out = understand("total warehouse payout on basic tier plans this year", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "l3_asurion.ev_claim"
    assert out.filters == {"plan_tier": ["basic"]}


def test_the_window_after_a_date_word_is_that_dates_window(layer: SemanticLayer) -> None:
    # opened (the window's date) and resolved (now a status): no question about which date
    out = understand("support cases opened this month that have since been resolved", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "issue_sessions" and out.time_column is None
    assert out.filters == {"status": ["resolved"]} and out.period == "this_month"
    listed = understand("sessions opened and resolved last week", layer)
    assert listed.ask is not None and listed.ask["field"] == "time_column", listed.ask


@pytest.mark.parametrize(
    ("request_text", "table", "dimension", "limit"),
    [
        # the ranked word names a table (plans) and a column (the warehouse's product_name)
        ("which products get the most claims? top 3", "l3_asurion.ev_claim", "product_name", 3),
        ("which 3 products get the most claims", "l3_asurion.ev_claim", "product_name", 3),
        # "most claims … top 3": the top 3 is the limit, "claims" stays the measure's word
        ("which regions have the most claims? top 3", "claims", "region", 3),
    ],
)
def test_a_question_form_ranking_groups_by_the_ranked_word(
    layer: SemanticLayer, request_text: str, table: str, dimension: str, limit: int
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == table and out.metric.measure.upper().startswith("COUNT")
    assert out.dimensions == [dimension] and (out.limit, out.sort) == (limit, "desc")


def test_a_business_term_the_data_cannot_compute_asks_for_the_metric(
    layer: SemanticLayer,
) -> None:
    # "loss" is a loss type, but a loss ratio is claims paid over premiums earned
    out = understand("loss ratio by product", layer)
    assert out.ask is not None and out.ask["field"] == "metric", out.ask
    assert "loss ratio" in out.ask["reason"]
    share = understand("loss rate by product", layer)  # the share of loss claims: composed
    assert share.ask is None and share.metric is not None, share.ask
    assert "loss_type = 'loss'" in share.metric.measure


@pytest.mark.parametrize(
    ("request_text", "metric_id", "dimensions", "filters", "exclude"),
    [
        # greetings and everyday verbs carry no meaning ("hi", "had", "we've ever made")
        ("hi, which channel had the most open claims?", "open_claims", ["channel"], {}, {}),
        ("the smallest payout we've ever made", "min_payout_amount_claims", [], {}, {}),
        # a negation after its values, and the "excl." shorthand
        (
            "open claims by loss type, theft and loss left out",
            "open_claims",
            ["loss_type"],
            {},
            {"loss_type": ["theft", "loss"]},
        ),
        ("average payout excl. retail", "avg_payout", [], {}, {"channel": ["retail"]}),
        # an aggregate word restating the metric's own aggregate
        ("mean resolution time by region", "mean_time_to_resolution", ["region"], {}, {}),
        # "no. of" counts; "S24s" is the plural of the model
        (
            "no. of Galaxy S24s registered this week",
            "devices_registered",
            [],
            {"model": ["Galaxy S24"]},
            {},
        ),
        # the metric's own date named as an event picks its table over a twin on another
        (
            "Samsung tablets registered this month",
            "devices_registered",
            [],
            {"make": ["Samsung"], "category": ["tablet"]},
            {},
        ),
        # "per day" takes its group word (a series); the value and its column word filter
        (
            "tickets opened per day, app channel only",
            "count_rows_issue_sessions",
            [],
            {"channel": ["app"]},
            {},
        ),
        # a share across an auxiliary verb, a relative word and the event qualifying the rows
        ("what share of decided claims were rejected", "denial_rate", [], {}, {}),
        (
            "share of claims that got denied in the West",
            "denial_rate",
            [],
            {"region": ["West"]},
            {},
        ),
    ],
)
def test_everyday_phrasing_classes_are_read(
    layer: SemanticLayer,
    request_text: str,
    metric_id: str,
    dimensions: list[str],
    filters: dict[str, list[str]],
    exclude: dict[str, list[str]],
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id
    assert (out.dimensions, out.filters, out.exclude) == (dimensions, filters, exclude)


def test_a_distinct_count_is_of_ids_never_of_a_date(layer: SemanticLayer) -> None:
    out = understand("distinct customers raising tickets this week", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.measure == "COUNT(DISTINCT customer_id)"
    assert out.metric.source_table == "issue_sessions"


async def test_a_shares_value_word_is_no_time_axis(layer: SemanticLayer) -> None:
    # "cancelled" is the share's value, not plan_cancelled_at: by that date every row is one
    out = understand("percentage of devices that got cancelled", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "plan_cancellation_rate" and out.time_column is None
    # a share of one value among rows filtered to another value of its column: asked
    mixed = "what share of claims that were filed via app got approved"
    events = await collect(memory_runner().start_clarification(mixed))
    assert by_name(events, "questions"), by_name(events, "result")


@pytest.mark.parametrize(
    ("request_text", "field"),
    [
        ("give me an overview", "metric"),  # numbers, but which?
        ("show me the numbers", "metric"),
        ("how many Nokia handsets filed claims", "clarify"),  # a kind the data lacks
        ("write me a haiku about insurance", "clarify"),  # off-topic stays clarify
    ],
)
def test_vague_measures_ask_the_metric_and_missing_kinds_clarify(
    layer: SemanticLayer, request_text: str, field: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is not None and out.ask["field"] == field, out.ask


def test_data_synonyms_for_spend_sign_ups_and_raised_tickets(layer: SemanticLayer) -> None:
    spend = understand("total claims spend by channel last month", layer)
    assert spend.metric is not None and spend.metric.measure == "SUM(payout_amount)", spend.ask
    signups = understand("customer sign-ups per week", layer)
    assert signups.ask is None and signups.metric is not None, signups.ask
    assert signups.metric.source_table == "customers" and signups.grain == "week"
    assert signups.over_time


def test_a_device_noun_after_a_make_is_the_device_category(layer: SemanticLayer) -> None:
    # "phones" names the devices table: the devices' category, never the claims' channel
    out = understand("avg payout for Samsung phones in the West", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "avg_payout"
    assert out.filters == {
        "devices.make": ["Samsung"],
        "devices.category": ["phone"],
        "region": ["West"],
    }
    # an adjective of another noun stays open to every reading ("phone cases": the channel)
    cases = understand("active phone cases by topic", layer)
    assert cases.ask is None and cases.filters == {"channel": ["phone"]}, cases.filters


def test_a_calendar_year_by_number_is_this_or_last_year(layer: SemanticLayer) -> None:
    from datetime import date

    year = date.today().year
    out = understand(f"total warehouse payouts per month for {year}", layer)
    assert out.ask is None and (out.period, out.grain) == ("this_year", "month"), out.ask
    last = understand(f"claims filed in {year - 1} by region", layer)
    assert last.ask is None and last.period == "last_year", last.ask
    older = understand(f"claims filed in {year - 5}", layer)
    assert older.ask is not None and "calendar year" in older.ask["reason"], older.ask
    both = understand(f"approval rate {year - 1} vs {year}", layer)
    assert both.ask is not None, both


def test_a_phrase_restating_the_metrics_rows_is_no_second_metric(layer: SemanticLayer) -> None:
    # SLA breaches are open claims older than 48 hours: "open claims" only restates them
    out = understand("number of open claims older than 48 hours", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "sla_breaches"
    both = understand("open claims and sla breaches", layer)
    assert both.ask is not None and both.ask["field"] == "metric", both.ask


def test_fraction_is_a_share_word(layer: SemanticLayer) -> None:
    out = understand("what fraction of claims were denied", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == "denial_rate"


def test_an_event_type_named_by_a_table_and_its_date_is_that_tables_rows(
    layer: SemanticLayer,
) -> None:
    # "sessions opened" is an event type, and the sessions by their opening date: as
    # "tickets opened", the sessions — unless the request names the events
    out = understand("sessions opened per day", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "issue_sessions" and out.over_time
    events = understand("session resolved events per day", layer)
    assert events.metric is not None and events.metric.source_table == "events", events.ask
    assert events.filters == {"type": ["session_resolved"]}


@pytest.mark.parametrize(
    ("request_text", "metric_id", "filters"),
    [
        # value synonyms: an active plan status said as coverage or protection
        ("devices with active coverage by make", "devices_registered", {"plan_status": ["active"]}),
        ("how many protected devices", "devices_registered", {"plan_status": ["active"]}),
        # "how long … to resolve" names MTTR; "on average" restates its own aggregate
        ("how long does it take to resolve claims on average", "mean_time_to_resolution", {}),
    ],
)
def test_coverage_and_how_long_phrasings(
    layer: SemanticLayer, request_text: str, metric_id: str, filters: dict[str, list[str]]
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.filters == filters


def test_a_values_only_reading_of_a_table_and_a_value_is_read_word_by_word(
    layer: SemanticLayer,
) -> None:
    # "claims approved" is also an event type (values only): read as claims + status approved
    out = understand("claims approved yesterday", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "claims" and out.filters == {"status": ["approved"]}
    assert out.period == "yesterday"
    vague = understand("the numbers for Mobile Protect this quarter", layer)
    assert vague.ask is not None and vague.ask["field"] == "metric", vague.ask


def test_a_share_asked_for_is_never_answered_with_a_count(layer: SemanticLayer) -> None:
    # "ratio of approved to denied": no share fits (two values of one column), so the count
    # of denied claims that remains is not what was asked
    out = understand("ratio of approved to denied claims", layer)
    assert out.ask is not None and out.ask["field"] == "metric", (out.metric, out.filters)
    theft = understand("theft rate by region", layer)
    assert theft.ask is None and theft.metric is not None and theft.metric.unit == "ratio"


@pytest.mark.parametrize(
    ("request_text", "metric_id", "dimensions", "filters"),
    [
        # everyday verbs of asking ("put together", "any idea", "track")
        (
            "could you put together a chart of average payouts by loss type",
            "avg_payout",
            ["loss_type"],
            {},
        ),
        ("track plan cancellations daily", "plan_cancellations", [], {}),
        # two touching phrases of one count, one narrowing the other: one metric
        ("a tile with today's claim intake", "claims_filed_today", [], {}),
        # a generic warehouse count phrase without a warehouse word is the operational count
        (
            "give me the number of claims we denied yesterday",
            "claims_filed",
            [],
            {"status": ["denied"]},
        ),
        ("claim count by region", "claims_filed", ["region"], {}),
        # … and stays the warehouse's for its own columns or under its own label
        ("number of claims by brand", "claim_volume_l3_asurion", ["device_make"], {}),
        ("claim volume", "claim_volume_l3_asurion", [], {}),
        # an aggregate after its measure across "in" / "on"
        ("how much did we pay out in total last quarter?", "sum_payout_amount_claims", [], {}),
    ],
)
def test_asking_verbs_touching_phrases_and_operational_counts(
    layer: SemanticLayer,
    request_text: str,
    metric_id: str,
    dimensions: list[str],
    filters: dict[str, list[str]],
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id
    assert (out.dimensions, out.filters) == (dimensions, filters)
    both = understand("open claims and claims filed", layer)
    assert both.ask is not None, both.metric


def test_a_metric_phrase_that_is_also_a_table_can_be_the_table(layer: SemanticLayer) -> None:
    # "support sessions" names active_issue_sessions and the sessions table: resolved ones
    # are no active session, so the sessions table is counted
    out = understand("how many support sessions were resolved yesterday", layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == "issue_sessions" and out.metric.id != "active_issue_sessions"
    assert out.filters == {"status": ["resolved"]}
    rate = understand("escalation rate of support sessions", layer)
    assert rate.ask is None and rate.metric is not None and rate.metric.id == "escalation_rate"
    alone = understand("support sessions by channel", layer)
    assert alone.metric is not None and alone.metric.id == "active_issue_sessions", alone.ask


def test_a_which_question_with_most_sorts_descending(layer: SemanticLayer) -> None:
    out = understand("which topics get escalated most", layer)
    assert out.ask is None and out.dimensions == ["topic"] and out.sort == "desc", out.ask
    fewest = understand("which region had the fewest claims", layer)
    assert fewest.ask is None and fewest.sort == "asc", fewest.ask


@pytest.mark.parametrize(
    ("request_text", "metric_id", "period"),
    [
        ("avrage payout by channel this mnth", "avg_payout", "this_month"),  # aggregate slip
        ("maximun payout this month", "max_payout_amount_claims", "this_month"),
        ("# claims w/ theft this wk", "claims_filed", "this_week"),  # "#" before a noun counts
        ("#claims yesterday", "claims_filed", "yesterday"),
    ],
)
def test_slips_of_aggregates_and_count_signs(
    layer: SemanticLayer, request_text: str, metric_id: str, period: str
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.id == metric_id and out.period == period


@pytest.mark.parametrize(
    ("request_text", "metric_id", "dimensions", "sort"),
    [
        ("rank channels by average payout", "avg_payout", ["channel"], "desc"),
        ("what's the busiest channel for claims this week", "claims_filed", ["channel"], "desc"),
        # a count phrase after "for" says which rows the measure runs over
        ("average payout for claims filed via app vs web", "avg_payout", ["channel"], None),
    ],
)
def test_rankings_and_the_rows_a_measure_runs_over(
    layer: SemanticLayer, request_text: str, metric_id: str, dimensions: list[str], sort: str | None
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert (out.metric.id, out.dimensions, out.sort) == (metric_id, dimensions, sort)
    both = understand("claims filed and average payout by region", layer)
    assert both.ask is not None and both.ask["field"] == "metric", both.metric


@pytest.mark.parametrize(
    ("request_text", "table", "metric_measure", "filters"),
    [
        ("new signups this week", "customers", "COUNT(*)", {}),  # the customers' own date
        ("claim submissions by channel this week", "claims", "COUNT(*)", {}),
        ("how many incidents were reported today", "claims", "COUNT(*)", {}),
        ("claims settled last month", "claims", "COUNT(*)", {"status": ["fulfilled"]}),
        ("avg settlement amount per region", "claims", "AVG(payout_amount)", {}),
    ],
)
def test_a_tables_own_date_alone_and_settlement_words(
    layer: SemanticLayer,
    request_text: str,
    table: str,
    metric_measure: str,
    filters: dict[str, list[str]],
) -> None:
    out = understand(request_text, layer)
    assert out.ask is None and out.metric is not None, out.ask
    assert out.metric.source_table == table
    assert out.metric.measure.replace(" ", "") == metric_measure.replace(" ", "")
    assert out.filters == filters


def test_a_date_word_qualifying_a_column_is_no_series(layer: SemanticLayer) -> None:
    # "by submission channel": the channel, not a series by the submission date
    out = understand("claims by submission channel", layer)
    assert out.ask is None and out.dimensions == ["channel"] and not out.over_time, out.ask
    dated = understand("claims by resolved date", layer)
    assert dated.ask is None and dated.over_time and dated.time_column == "resolved_at"
    line = understand("avg payout by product line in the warehouse", layer)
    assert line.ask is None and line.dimensions == ["product_name"] and line.chart_kind is None
