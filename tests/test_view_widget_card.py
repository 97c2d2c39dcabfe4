"""Widget card view-model: KPI display per value_format, series per second dimension, gaps,
labelled and sortable table cells, freshness."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from command_center.ui.view_models.widget_card import (
    MAX_POINTS,
    MAX_SERIES,
    MAX_TABLE_ROWS,
    freshness,
    widget_view,
)


def kpi(value_format: str | None = None) -> dict:
    spec = {"type": "kpi", "title": "Approval rate", "data_intent": {"metric": "approval_rate"}}
    if value_format is not None:
        spec["value_format"] = value_format
    return spec


@pytest.mark.parametrize(
    "value_format,value,display",
    [
        ("percent", 0.4567, "45.7%"),
        ("percent", 1, "100.0%"),
        ("currency", 1234.56, "$1,235"),
        ("currency", 29.5, "$29.50"),
        ("hours", 3.25, "3.2 h"),
        ("number", 1234567, "1,234,567"),
        ("number", 36000.0, "36,000"),
        (None, 42.5, "42.5"),  # number is the default
        ("number", "17", "17"),  # numeric strings (e.g. Decimal serialised) still format
    ],
)
def test_kpi_display_follows_value_format(value_format, value, display) -> None:
    view = widget_view("w", kpi(value_format), [{"value": value}], source="SQLite")
    assert view["display"] == display
    assert view["type"] == "kpi" and view["empty"] is False
    assert view["source"] == "SQLite" and view["metric"] == "approval_rate"


@pytest.mark.parametrize("value", [None, "n/a", float("nan"), True])
def test_kpi_without_a_number_shows_a_dash(value) -> None:
    assert widget_view("w", kpi("percent"), [{"value": value}])["display"] == "—"


def test_one_dimension_is_one_series_with_human_labels_and_gaps() -> None:
    spec = {
        "type": "chart",
        "chart_kind": "bar",
        "accent": "teal",
        "data_intent": {"metric": "claims_filed", "dimensions": ["loss_type"]},
    }
    rows = [
        {"loss_type": "water_damage", "value": 10},
        {"loss_type": "cracked_screen", "value": None},
    ]
    view = widget_view("w", spec, rows, value_name="Claims filed")
    assert view["points"] == [
        {"label": "Water damage", "value": 10.0},
        {"label": "Cracked screen", "value": None},  # a gap, not 0
    ]
    assert view["series"] == [{"key": "value", "name": "Claims filed", "color": "#14b8a6"}]


def test_two_dimensions_become_one_series_per_second_value() -> None:
    spec = {
        "type": "chart",
        "chart_kind": "line",
        "data_intent": {"metric": "m", "dimensions": ["day", "status"]},
    }
    rows = [
        {"day": "2030-01-01", "status": "in_review", "value": 3},
        {"day": "2030-01-01", "status": "approved", "value": 5},
        {"day": "2030-01-02", "status": "approved", "value": 7},
    ]
    view = widget_view("w", spec, rows)
    assert [s["name"] for s in view["series"]] == ["In review", "Approved"]
    assert view["points"] == [
        {"label": "2030-01-01", "s0": 3.0, "s1": 5.0},
        {"label": "2030-01-02", "s0": None, "s1": 7.0},
    ]
    pie = widget_view("w", {**spec, "chart_kind": "pie"}, rows)
    assert len(pie["series"]) == 1 and pie["points"][0]["label"] == "2030-01-01 · In review"


def test_series_and_points_are_bounded() -> None:
    spec = {"type": "chart", "data_intent": {"metric": "m", "dimensions": ["a", "b"]}}
    rows = [{"a": str(i), "b": f"b{i % 20}", "value": i} for i in range(500)]
    view = widget_view("w", spec, rows)
    assert len(view["series"]) == MAX_SERIES and len(view["points"]) <= MAX_POINTS
    single = [{"a": str(i), "value": i} for i in range(80)]
    one = widget_view("w", {"type": "chart", "data_intent": {"metric": "m"}}, single)
    assert len(one["points"]) == MAX_POINTS


def test_long_or_many_labels_rotate() -> None:
    spec = {"type": "chart", "data_intent": {"metric": "m", "dimensions": ["product_name"]}}
    short = widget_view("w", spec, [{"product_name": "Home", "value": 1}])
    long = widget_view("w", spec, [{"product_name": "Mobile Protect Premium", "value": 1}])
    assert (short["rotate_labels"], long["rotate_labels"]) == (False, True)


def test_chart_without_dimensions_labels_all() -> None:
    spec = {"type": "chart", "title": "Total", "data_intent": {"metric": "m"}}
    assert widget_view("w", spec, [{"value": 3}])["points"] == [{"label": "All", "value": 3.0}]


def test_table_columns_are_labelled_numbers_right_aligned_and_sortable() -> None:
    rows = [
        {"loss_type": "theft", "value": 1234.5, "note": None},
        {"loss_type": "water_damage", "value": 7, "note": "x"},
    ]
    spec = {"type": "table", "value_format": "currency", "data_intent": {"metric": "m"}}
    view = widget_view("w", spec, rows)
    assert [(c["label"], c["numeric"]) for c in view["columns"]] == [
        ("Loss type", False),
        ("Value", True),
        ("Note", False),
    ]
    assert [[c["text"] for c in row] for row in view["rows"]] == [
        ["Theft", "$1,234", "—"],
        ["Water damage", "$7.00", "X"],
    ]
    assert view["rows"][0][1]["sort"] == 1234.5
    ordered = widget_view("w", {**spec, "columns": ["value", "loss_type"]}, rows)
    assert [c["key"] for c in ordered["columns"]] == ["value", "loss_type"]


def test_table_rows_are_bounded() -> None:
    rows = [{"id": i, "value": i} for i in range(MAX_TABLE_ROWS + 1)]
    view = widget_view("w", {"type": "table", "data_intent": {"metric": "m"}}, rows)
    assert len(view["rows"]) == MAX_TABLE_ROWS


@pytest.mark.parametrize("rows", [[], None])
def test_empty_rows(rows) -> None:
    spec = {"type": "table", "title": "Nothing", "data_intent": {"metric": "m"}}
    view = widget_view("w", spec, rows)
    assert view["empty"] is True
    assert view["points"] == [] and view["rows"] == [] and view["columns"] == []
    assert view["display"] == "—"
    assert view["status"] == "ok"


def test_freshness_keeps_source_and_says_when() -> None:
    now = datetime(2030, 1, 1, 14, 3, 54, tzinfo=UTC)
    assert freshness("2030-01-01T14:03:12+00:00", now) == ("42 s ago", "14:03:12")
    assert freshness("2030-01-01T13:00:00+00:00", now)[0] == "63 min ago"
    assert freshness("garbage", now) == ("", "")
    view = widget_view(
        "w", kpi(), [{"value": 1}], source="PostgreSQL", cached=True, cached_at="2030-01-01"
    )
    assert (view["source"], view["cached"]) == ("PostgreSQL", True)


def test_loading_and_error_states() -> None:
    loading = widget_view("w", kpi(), None, status="loading")
    assert (loading["status"], loading["empty"], loading["title"]) == (
        "loading",
        True,
        "Approval rate",
    )
    error = widget_view("w", kpi(), None, status="error", error="warehouse timeout")
    assert error["status"] == "error" and error["error"] == "warehouse timeout"


def test_a_view_carries_only_the_shape_its_card_draws() -> None:
    rows = [{"region": "west", "value": 3}, {"region": "east", "value": 4}]
    intent = {"metric": "m", "dimensions": ["region"]}
    chart = widget_view("w", {"type": "chart", "data_intent": intent}, rows)
    assert len(chart["points"]) == 2 and (chart["columns"], chart["rows"]) == ([], [])
    table = widget_view("w", {"type": "table", "data_intent": intent}, rows)
    assert len(table["rows"]) == 2 and (table["points"], table["series"]) == ([], [])
    tile = widget_view("w", kpi(), [{"value": 1}])
    assert (tile["points"], tile["rows"]) == ([], []) and tile["display"] == "1"
