"""Dashboard time range and filters: which widgets they change, what the others say."""

from __future__ import annotations

from command_center.dashboards.filters import (
    MAX_DAYS,
    ViewChoice,
    apply_choice,
    filter_options,
    range_days,
)
from command_center.metrics.definitions import SEEDED_METRICS

METRICS = {m.id: m for m in SEEDED_METRICS}


def _spec(metric: str) -> dict:
    return {"type": "chart", "title": "t", "data_intent": {"metric": metric, "dimensions": []}}


def test_choice_from_url_params_drops_unknown_and_bad_values() -> None:
    choice = ViewChoice.from_params({"range": "7d", "region": "West", "colour": "red"})
    assert (choice.range, choice.filters) == ("7d", {"region": "West"})
    assert ViewChoice.from_params({"range": "forever"}).range == ""
    assert range_days("custom:14") == 14 and range_days(f"custom:{MAX_DAYS + 1}") is None
    assert choice.params() == {"range": "7d", "region": "West"}


def test_filters_and_range_apply_where_the_metric_allows_them() -> None:
    choice = ViewChoice(range="7d", filters={"region": "West", "make": "Apple"})
    claims, notes = apply_choice(_spec("claims_filed"), METRICS["claims_filed"], choice)
    assert claims["data_intent"]["window_days"] == 7
    assert claims["data_intent"]["filters"] == {"region": "West"}
    assert notes == ["Not filtered by make"]
    warehouse, _ = apply_choice(
        _spec("claim_volume_l3_asurion"), METRICS["claim_volume_l3_asurion"], choice
    )
    assert warehouse["data_intent"]["filters"] == {"region": "West", "device_make": "Apple"}


def test_point_in_time_metrics_and_records_are_left_alone() -> None:
    choice = ViewChoice(range="1d", filters={"region": "West"})
    spec = _spec("active_issue_sessions")
    same, notes = apply_choice(spec, METRICS["active_issue_sessions"], choice)
    assert same["data_intent"] == spec["data_intent"]
    assert notes == ["Not limited by the time range", "Not filtered by region"]
    records = {"type": "custom", "data_intent": {"table": "claims"}}
    assert apply_choice(records, None, choice)[0] is records
    untouched, none = apply_choice(spec, METRICS["active_issue_sessions"], ViewChoice())
    assert untouched is spec and none == []


def test_filter_options_merge_known_values_of_the_filter_columns() -> None:
    known = {
        ("claims", "region"): ["West", "East"],
        ("l3_asurion.ev_claim", "region"): ["North"],
        ("l3_asurion.ev_claim", "device_make"): ["Apple"],
        ("devices", "make"): ["Samsung"],
    }
    options = {o["key"]: o for o in filter_options(known)}
    assert options["region"]["values"] == ["East", "North", "West"]
    assert options["make"]["values"] == ["Apple", "Samsung"]
    assert options["channel"]["values"] == [] and options["region"]["label"] == "Region"


def test_a_filter_narrows_a_widgets_own_filter_and_never_replaces_it() -> None:
    spec = _spec("claims_filed")
    spec["data_intent"]["filters"] = {"region": ["West", "East"]}
    metric = METRICS["claims_filed"]
    narrowed, notes = apply_choice(spec, metric, ViewChoice(filters={"region": "East"}))
    assert narrowed["data_intent"]["filters"] == {"region": "East"} and notes == []
    kept, notes = apply_choice(spec, metric, ViewChoice(filters={"region": "North"}))
    assert kept["data_intent"]["filters"] == {"region": ["West", "East"]}
    assert notes == ["Not filtered by region: the widget shows only its own"]
    single = {**spec, "data_intent": {**spec["data_intent"], "filters": {"region": "West"}}}
    assert apply_choice(single, metric, ViewChoice(filters={"region": "North"}))[0]["data_intent"][
        "filters"
    ] == {"region": "West"}
