"""Closing the builder opened by a card's Edit (Esc, Close or Save) puts focus back on
that card's menu button (production build), as Esc does for “Add widget”."""

from __future__ import annotations

import pytest

from tests.e2e.test_dashboard_grid import WAIT, _add, _chart, _new_board, _open, _poll

pytestmark = pytest.mark.e2e


def _focus_in_card(page, widget_id: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "(id) => !!document.activeElement?.closest('#widget-' + id)"
        " && document.activeElement.classList.contains('widget-menu')",
        widget_id,
    )


def _edit_by_keyboard(page, widget_id: str) -> None:  # type: ignore[no-untyped-def]
    page.focus(f"#widget-{widget_id} .widget-menu")
    page.keyboard.press("Enter")  # opens the menu, focus on its first item (Edit)
    page.wait_for_selector(".widget-edit", timeout=WAIT)
    page.locator(".widget-edit").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#builder-panel", timeout=WAIT)
    assert "Edit widget" in page.locator("#builder-panel").inner_text()


def test_esc_and_close_after_edit_return_focus_to_the_card(prod_server, page) -> None:
    board = _new_board(prod_server, "Edit focus")
    _add(prod_server, board, _chart("Other", "bar", ["channel"]))
    edited = _add(prod_server, board, _chart("Edited", "bar", ["region"]))
    _open(page, prod_server, board)
    page.wait_for_selector(f"#widget-{edited}[data-status='ok']", timeout=WAIT)

    _edit_by_keyboard(page, edited)
    page.keyboard.press("Escape")
    page.wait_for_selector("#builder-panel", state="detached", timeout=WAIT)
    _poll(page, lambda: _focus_in_card(page, edited), "focus on the edited card's menu")

    _edit_by_keyboard(page, edited)
    page.get_by_role("button", name="Close").click()
    page.wait_for_selector("#builder-panel", state="detached", timeout=WAIT)
    _poll(page, lambda: _focus_in_card(page, edited), "focus back after Close")

    _edit_by_keyboard(page, edited)
    page.click("#add-to-dashboard")  # "Save changes": written back in place, builder closes
    page.wait_for_selector("#builder-panel", state="detached", timeout=WAIT)
    _poll(page, lambda: _focus_in_card(page, edited), "focus back after saving")
