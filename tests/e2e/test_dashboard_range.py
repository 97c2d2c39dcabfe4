"""The filter bar's absolute time range in the production build: typed dates, a refusal
announced beside the inputs, the range in the URL, and the affected widget's numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_dashboard_grid import WAIT, _add, _new_board, _open, _poll, _table_text

pytestmark = pytest.mark.e2e


def test_custom_dates_change_the_numbers_and_live_in_the_url(prod_server, page) -> None:
    board = _new_board(prod_server, "Date range")
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
    _open(page, prod_server, board)
    page.wait_for_selector(f"#widget-{table} tbody tr", timeout=WAIT)
    own_window = _table_text(page, table)
    card = page.locator(f"#widget-{table}")

    page.locator("#range-from").fill("2000-02-01")
    page.locator("#range-to").fill("2000-01-01")
    page.locator("#range-to").press("Enter")  # the keyboard submits the form
    page.wait_for_selector("#range-error:has-text('after the end date')", timeout=WAIT)
    assert "from=" not in page.url and _table_text(page, table) == own_window

    page.locator("#range-from").fill("2000-01-01")
    page.locator("#range-to").fill("2000-01-31")
    page.locator("#range-to").press("Enter")
    _poll(page, lambda: "No data for this window" in card.inner_text(), "the empty range")
    assert "from=2000-01-01" in page.url and "to=2000-01-31" in page.url
    assert page.locator("#range-error").inner_text() == ""
    assert "Custom" in page.locator("#range-select").inner_text()

    page.reload()  # the link reproduces the view, dates in the inputs included
    page.wait_for_selector(f"#widget-{table}[data-status='ok']", timeout=WAIT)
    _poll(page, lambda: "No data for this window" in card.inner_text(), "the range after reload")
    assert page.locator("#range-from").input_value() == "2000-01-01"

    today = datetime.now(UTC).date()
    page.locator("#range-from").fill(str(today - timedelta(days=364)))
    page.locator("#range-to").fill(str(today))
    page.click("#range-dates-apply")
    page.wait_for_selector(f"#widget-{table} tbody tr", timeout=WAIT)
    assert f"to={today}" in page.url
    page.click("#clear-filters")
    _poll(page, lambda: "from=" not in page.url, "the cleared range")
    assert page.locator("#range-from").input_value() == ""
