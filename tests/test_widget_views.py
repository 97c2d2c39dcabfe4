"""widget_view: KPI display per value_format, chart points, table rows, empty and error states."""

from __future__ import annotations

import pytest

from command_center.widget_views import MAX_POINTS, MAX_TABLE_ROWS, widget_view


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
        ("hours", 3.25, "3.2 h"),
        ("number", 1234567, "1,234,567"),
        (None, 42.4, "42"),  # number is the default
        ("number", "17", "17"),  # numeric strings (e.g. Decimal serialised) still format
    ],
)
def test_kpi_display_follows_value_format(value_format, value, display) -> None:
    view = widget_view("w", kpi(value_format), [{"value": value}], source="sqlite")
    assert view["display"] == display
    assert view["type"] == "kpi" and view["empty"] is False
    assert view["source"] == "sqlite" and view["metric"] == "approval_rate"


@pytest.mark.parametrize("value", [None, "n/a", float("nan"), True])
def test_kpi_without_a_number_shows_a_dash(value) -> None:
    assert widget_view("w", kpi("percent"), [{"value": value}])["display"] == "—"


def test_chart_points_are_labelled_by_dimensions() -> None:
    spec = {
        "type": "chart",
        "chart_kind": "pie",
        "title": "By product",
        "accent": "teal",
        "data_intent": {"metric": "m", "dimensions": ["product_name", "region"]},
    }
    rows = [
        {"product_name": "Mobile Protect", "region": "West", "value": 10},
        {"product_name": "Home Tech", "region": "", "value": 2.123456},
        {"product_name": None, "region": "East", "value": None},
    ]
    view = widget_view("w", spec, rows, cached=True, generated_at="2030-01-01T00:00:00+00:00")
    assert view["chart_kind"] == "pie" and view["accent"] == "teal"
    assert view["points"] == [
        {"label": "Mobile Protect · West", "value": 10.0},
        {"label": "Home Tech", "value": 2.1235},
        {"label": "None · East", "value": 0.0},
    ]
    assert view["cached"] is True and view["generated_at"].startswith("2030")


def test_chart_without_dimensions_labels_all() -> None:
    spec = {"type": "chart", "title": "Total", "data_intent": {"metric": "m"}}
    assert widget_view("w", spec, [{"value": 3}])["points"] == [{"label": "all", "value": 3.0}]


def test_chart_points_are_bounded() -> None:
    rows = [{"day": str(i), "value": i} for i in range(MAX_POINTS + 25)]
    view = widget_view("w", {"type": "chart", "data_intent": {"metric": "m"}}, rows)
    assert len(view["points"]) == MAX_POINTS
    assert view["points"][0] == {"label": "0", "value": 0.0}


def test_table_rows_follow_columns() -> None:
    rows = [
        {"loss_type": "theft", "value": 1234.5, "note": None},
        {"loss_type": "crack", "value": 7, "note": "x"},
    ]
    view = widget_view("w", {"type": "table", "data_intent": {"metric": "m"}}, rows)
    assert view["columns"] == ["loss_type", "value", "note"]
    assert view["rows"] == [["theft", "1,234.50", "—"], ["crack", "7", "x"]]

    ordered = widget_view(
        "w", {"type": "table", "columns": ["value", "loss_type"], "data_intent": {}}, rows
    )
    assert ordered["columns"] == ["value", "loss_type"]
    assert ordered["rows"][0] == ["1,234.50", "theft"]


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


def test_loading_and_error_states() -> None:
    loading = widget_view("w", kpi(), None, status="loading")
    assert (loading["status"], loading["empty"], loading["title"]) == (
        "loading",
        True,
        "Approval rate",
    )
    error = widget_view("w", kpi(), None, status="error", error="warehouse timeout")
    assert error["status"] == "error" and error["error"] == "warehouse timeout"


def test_defaults_for_a_minimal_spec() -> None:
    view = widget_view("w", {}, [{"value": 1}])
    assert (view["type"], view["title"], view["chart_kind"], view["accent"]) == (
        "table",
        "Widget",
        "bar",
        "blue",
    )
    assert view["metric"] == ""
