"""The dashboard as a workspace (production build): grid drag/resize/keyboard persisted and
shared live across tabs, layout repair, every chart kind drawn as itself, time range and
filters, undo, and a 390 px phone without horizontal scroll."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e
WAIT = 60_000


def _api(server) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(base_url=server.url, timeout=20)


def _new_board(server, name: str) -> int:  # type: ignore[no-untyped-def]
    with _api(server) as api:
        created = api.post("/v1/dashboards", json={"name": name})
        assert created.status_code == 201, created.text
        return created.json()["id"]


def _add(server, board: int, spec: dict) -> str:  # type: ignore[no-untyped-def]
    with _api(server) as api:
        response = api.post("/v1/widgets", json={"spec": spec, "dashboard_id": board})
        assert response.status_code == 201, response.text
        return response.json()["id"]


def _layout(server, board: int) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    with _api(server) as api:
        items = api.get(f"/v1/dashboards/{board}/layout").json()["layout"]["layouts"]["lg"]
    return {item["i"]: item for item in items}


def _chart(title: str, kind: str, dims: list[str], metric: str = "claims_filed") -> dict:
    return {
        "type": "chart",
        "title": title,
        "chart_kind": kind,
        "data_intent": {"metric": metric, "dimensions": dims, "window_days": 365},
    }


def _open(page, server, board: int, query: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/?dashboard={board}{query}")
    page.wait_for_selector(".react-grid-item .widget-card[data-status='ok']", timeout=WAIT)


def _item(page, widget_id: str):  # type: ignore[no-untyped-def]
    """The grid item (react-grid-layout's positioned element) holding a card."""
    return page.locator(f".react-grid-item:has(#widget-{widget_id})")


def _poll(page, predicate, what: str, tries: int = 100) -> None:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if predicate():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def test_drag_and_resize_persist_across_reload(prod_server, page) -> None:
    board = _new_board(prod_server, "Drag test")
    first = _add(prod_server, board, _chart("First", "bar", ["region"]))
    second = _add(prod_server, board, _chart("Second", "bar", ["channel"]))
    _open(page, prod_server, board)
    before = _layout(prod_server, board)
    handle = page.locator(f"#widget-{first} .widget-drag-handle")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    target = page.locator(f"#widget-{second}").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 60, steps=5)
    page.mouse.move(target["x"] + 40, target["y"] + target["height"] + 40, steps=10)
    page.mouse.up()
    _poll(page, lambda: _layout(prod_server, board)[first] != before[first], "drag saved")
    corner = _item(page, second).locator("> .react-resizable-handle")
    corner.scroll_into_view_if_needed()
    grip = corner.bounding_box()
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(grip["x"] - 150, grip["y"] + 120, steps=10)
    page.mouse.up()
    old_w = _layout(prod_server, board)[second]["w"]
    _poll(page, lambda: _layout(prod_server, board)[second]["w"] != old_w, "resize saved")
    saved = _layout(prod_server, board)
    page.reload()
    page.wait_for_selector(f"#widget-{first}[data-status='ok']", timeout=WAIT)
    assert _layout(prod_server, board) == saved  # reload repairs nothing, changes nothing
    style = _item(page, first).get_attribute("style")
    assert "translate(0px, 0px)" not in style  # no longer first in the grid


def test_keyboard_move_reaches_another_tab(prod_server, browser) -> None:
    board = _new_board(prod_server, "Two tabs")
    first = _add(prod_server, board, _chart("Kb first", "bar", ["region"]))
    _add(prod_server, board, _chart("Kb second", "bar", ["channel"]))
    one = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    two = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    _open(one, prod_server, board)
    _open(two, prod_server, board)
    before = _item(two, first).get_attribute("style")
    one.focus(f"#widget-{first} .widget-drag-handle")
    one.keyboard.press("ArrowRight")  # into the neighbour's columns: it is pushed down
    assert "column 2" in one.get_by_test_id("grid-announcer").inner_text()
    _poll(
        two,
        lambda: _item(two, first).get_attribute("style") != before,
        "the other tab to move the widget",
    )
    assert _layout(prod_server, board)[first]["x"] == 1
    one.context.close()
    two.context.close()


def test_layout_is_repaired_after_a_widget_is_deleted_through_the_api(prod_server, page) -> None:
    board = _new_board(prod_server, "Repair test")
    keep = _add(prod_server, board, _chart("Keep", "bar", ["region"]))
    gone = _add(prod_server, board, _chart("Gone", "bar", ["channel"]))
    _open(page, prod_server, board)
    page.wait_for_selector(f"#widget-{gone}", timeout=WAIT)
    with _api(prod_server) as api:
        assert api.delete(f"/v1/widgets/{gone}").status_code == 204
    page.wait_for_selector(f"#widget-{gone}", state="detached", timeout=WAIT)  # live
    assert set(_layout(prod_server, board)) == {keep}
    page.reload()
    page.wait_for_selector(f"#widget-{keep}[data-status='ok']", timeout=WAIT)
    assert page.locator(f"#widget-{gone}").count() == 0


SHAPES = {
    "bar": [".recharts-bar-rectangle"],
    "line": [".recharts-line-curve"],
    "area": [".recharts-area-area"],
    "pie": [".recharts-pie-sector"],
    "scatter": [".recharts-scatter-symbol"],
    "radar": [".recharts-radar-polygon"],
    "radial_bar": [".recharts-radial-bar-sector"],
    "composed": [".recharts-bar-rectangle", ".recharts-line-curve"],
}


def test_each_chart_kind_draws_its_own_shape(prod_server, page) -> None:
    board = _new_board(prod_server, "Chart kinds")
    ids = {kind: _add(prod_server, board, _chart(kind, kind, ["region"])) for kind in SHAPES}
    _open(page, prod_server, board)
    for kind, selectors in SHAPES.items():
        card = f"#widget-{ids[kind]}"
        page.wait_for_selector(f"{card}[data-status='ok']", timeout=WAIT)
        for selector in selectors:
            page.wait_for_selector(f"{card} {selector}", timeout=WAIT)
        others = {s for k, shapes in SHAPES.items() if k not in (kind, "composed") for s in shapes}
        if kind != "composed":
            for selector in others - set(selectors):
                assert page.locator(f"{card} {selector}").count() == 0, (kind, selector)
    region_ticks = page.locator(f"#widget-{ids['bar']} .recharts-cartesian-axis-tick-value")
    assert region_ticks.count() >= 2


def test_two_dimension_line_has_one_series_per_value(prod_server, page) -> None:
    board = _new_board(prod_server, "Two dims")
    line = _add(prod_server, board, _chart("By region and channel", "line", ["region", "channel"]))
    _open(page, prod_server, board)
    card = f"#widget-{line}"
    page.wait_for_selector(f"{card} .recharts-line-curve", timeout=WAIT)
    assert page.locator(f"{card} .recharts-line-curve").count() >= 2
    assert page.locator(f"{card} .recharts-legend-item").count() >= 2


def _table_text(page, widget_id: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"#widget-{widget_id} tbody").inner_text()


def test_time_range_and_filter_change_affected_widgets_only(prod_server, page) -> None:
    board = _new_board(prod_server, "Filters")
    table = _add(
        prod_server,
        board,
        {
            "type": "table",
            "title": "Claims by channel",
            "data_intent": {
                "metric": "claims_filed",
                "dimensions": ["channel"],
                "window_days": 365,
            },
        },
    )
    kpi = _add(
        prod_server,
        board,
        {"type": "kpi", "title": "Sessions", "data_intent": {"metric": "active_issue_sessions"}},
    )
    _open(page, prod_server, board)
    page.wait_for_selector(f"#widget-{table} tbody tr", timeout=WAIT)
    all_regions = _table_text(page, table)
    kpi_before = page.locator(f"#widget-{kpi} .widget-value").inner_text()
    page.click("#filter-region")
    page.locator("[role=option]").nth(1).click()  # the first real region
    _poll(page, lambda: _table_text(page, table) != all_regions, "the filtered table")
    assert "region=" in page.url
    assert page.locator(f"#widget-{kpi} .widget-value").inner_text() == kpi_before
    assert "Not filtered by region" in page.locator(f"#widget-{kpi}").inner_text()
    filtered = _table_text(page, table)
    page.click("#range-select")
    page.get_by_role("option", name="Last 24 hours").click()
    _poll(
        page,
        lambda: page.locator(f"#widget-{table}").inner_text().find(filtered) == -1,
        "the table under the 24 h range",
    )
    assert "range=1d" in page.url
    assert page.locator(f"#widget-{kpi} .widget-value").inner_text() == kpi_before
    assert "Not limited by the time range" in page.locator(f"#widget-{kpi}").inner_text()
    page.reload()  # the link reproduces the view
    page.wait_for_selector(f"#widget-{kpi}[data-status='ok']", timeout=WAIT)
    assert "Last 24 hours" in page.locator("#range-select").inner_text()


def test_undo_restores_a_removed_widget_in_its_place(prod_server, page) -> None:
    board = _new_board(prod_server, "Undo")
    _add(prod_server, board, _chart("Stays", "bar", ["region"]))
    victim = _add(prod_server, board, _chart("Comes back", "bar", ["channel"]))
    _open(page, prod_server, board)
    before = _layout(prod_server, board)[victim]
    page.click(f"#widget-{victim} .widget-menu")
    page.click(".widget-remove")
    page.wait_for_selector(f"#widget-{victim}", state="detached", timeout=WAIT)
    page.get_by_role("button", name="Undo").click()
    page.wait_for_selector(f"#widget-{victim}[data-status='ok']", timeout=WAIT)
    after = _layout(prod_server, board)[victim]
    assert (after["x"], after["y"], after["w"], after["h"]) == (
        before["x"],
        before["y"],
        before["w"],
        before["h"],
    )


def test_phone_width_has_no_horizontal_scroll(prod_server, browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(prod_server.url + "/")
    phone.wait_for_selector(".widget-card[data-status='ok']", timeout=WAIT)
    phone.wait_for_selector(".kpi-tile", timeout=WAIT)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    tops = phone.evaluate(
        "[...document.querySelectorAll('.kpi-tile')].slice(0, 2).map(t => t.offsetTop)"
    )
    assert tops[0] == tops[1]  # two tiles per row
    assert phone.title() == "Command Center"
    context.close()


def test_favicon_is_served(prod_server) -> None:
    response = httpx.get(prod_server.url + "/favicon.ico", timeout=10)
    assert response.status_code == 200 and len(response.content) > 50


def test_duplicate_and_edit_in_place(prod_server, page) -> None:
    board = _new_board(prod_server, "Duplicate and edit")
    original = _add(prod_server, board, _chart("Original", "bar", ["region"]))
    _open(page, prod_server, board)
    page.click(f"#widget-{original} .widget-menu")
    page.click(".widget-duplicate")
    page.wait_for_selector(".widget-card:has-text('Original (copy)')", timeout=WAIT)
    assert len(_layout(prod_server, board)) == 2
    page.click(f"#widget-{original} .widget-menu")
    page.click(".widget-edit")
    page.wait_for_selector("#builder-panel", timeout=WAIT)
    assert "Edit widget" in page.locator("#builder-panel").inner_text()
    page.click("#add-to-dashboard")  # "Save changes": the same spec, back in place
    page.wait_for_selector("#builder-panel", state="detached", timeout=WAIT)
    with _api(prod_server) as api:
        widgets = {w["id"]: w for w in api.get("/v1/widgets").json()["widgets"]}
    assert original in widgets and widgets[original]["title"] == "Original"
    assert len(_layout(prod_server, board)) == 2  # edited in place, not added


def test_builder_is_a_full_screen_sheet_on_a_phone_and_esc_returns_focus(
    prod_server, browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(prod_server.url + "/")
    phone.wait_for_selector(".widget-card[data-status='ok']", timeout=WAIT)
    opener = phone.locator("#add-widget")
    opener.focus()
    opener.press("Enter")
    phone.wait_for_selector("#builder-panel", timeout=WAIT)
    # the dialog opens with a short scale-in animation: wait for it to settle, then measure
    phone.wait_for_function(
        "() => document.querySelector('#builder-panel')?.getAnimations({subtree: true})"
        ".every((a) => a.playState !== 'running')",
        timeout=WAIT,
    )
    box = phone.locator("#builder-panel").bounding_box()
    assert (box["x"], box["width"]) == (0, 390)
    phone.keyboard.press("Escape")
    phone.wait_for_selector("#builder-panel", state="detached", timeout=WAIT)
    _poll(phone, lambda: phone.evaluate("document.activeElement.id") == "add-widget", "focus")
    context.close()
