"""Dashboard widgets state: the tab's choices, table sorts and dashboard dialog."""

from __future__ import annotations

from command_center.ui.states.widgets import WidgetsState


async def test_dashboard_dialog_creates_renames_and_refuses_bad_names(catalog_db) -> None:
    from command_center.dashboards import service
    from command_center.ui.states.widget_actions import WidgetActions

    state = WidgetActions(_reflex_internal_init=True)
    default = service.list_dashboards()[0]
    state.dashboard_id, state.dashboard_name = default["id"], default["name"]

    state.dialog = "new"
    switch = await WidgetActions.submit_dialog.fn(state, {"name": "  Field   ops "})
    created = next(d for d in state.dashboards if d["name"] == "Field ops")
    assert state.dialog == "" and switch is not None  # the tab goes to the new dashboard
    assert str(created["id"]) in str(switch)

    state.dialog = "new"
    assert await WidgetActions.submit_dialog.fn(state, {"name": "Field ops"}) is None
    assert "exists" in state.dialog_error and state.dialog == "new"
    await WidgetActions.submit_dialog.fn(state, {"name": "x" * (service.MAX_NAME + 500)})
    assert f"at most {service.MAX_NAME}" in state.dialog_error

    state.dialog = "rename"
    assert await WidgetActions.submit_dialog.fn(state, {"name": "Operations HQ"}) is None
    assert state.dashboard_name == "Operations HQ" and state.dialog == ""
    assert service.list_dashboards()[0]["name"] == "Operations HQ"


async def test_sorting_keeps_only_columns_of_cards_on_the_board() -> None:
    from command_center.ui.view_models.widget_card import widget_view

    state = WidgetsState(_reflex_internal_init=True)
    rows = [{"loss_type": "theft", "value": 1}, {"loss_type": "screen", "value": 5}]
    state.views = [widget_view("t1", {"type": "table", "data_intent": {"metric": "m"}}, rows)]
    for widget_id, column in [("nope", "value"), ("t1", "x" * 10_000)]:
        await WidgetsState.sort_table.fn(state, widget_id, column)
    assert state._sorts == {}  # a client cannot grow the tab's state with made-up names
    await WidgetsState.sort_table.fn(state, "t1", "value")
    await WidgetsState.sort_table.fn(state, "t1", "value")
    assert state._sorts == {"t1": ["value", True]}
    assert [row[1]["sort"] for row in state.views[0]["rows"]] == [5.0, 1.0]
