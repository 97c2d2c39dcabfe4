"""The production build renders the dashboard with KPI tiles read from the database."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_page_renders_kpi_tiles_and_modes(prod_server, page) -> None:
    page.goto(prod_server.url + "/")
    page.wait_for_selector(".kpi-tile", timeout=60_000)
    tiles = page.locator(".kpi-tile")
    assert tiles.count() >= 4
    open_claims = page.locator("#kpi-open_claims .kpi-value").inner_text()
    assert re.fullmatch(r"[\d,]+", open_claims), open_claims
    assert int(open_claims.replace(",", "")) > 0, "seeded demo data should have open claims"
    assert page.locator("#mode-database").inner_text().replace("\n", " ").endswith("sqlite")
    assert "offline" in page.locator("#mode-llm").inner_text()
    assert "local warehouse" in page.locator("#mode-warehouse").inner_text()


def test_health_is_same_origin_and_reports_modes(prod_server) -> None:
    response = httpx.get(prod_server.url + "/v1/health", timeout=10)
    assert response.status_code == 200, response.text
    modes = {d["name"]: (d["mode"], d["status"]) for d in response.json()["dependencies"]}
    assert modes["database"] == ("sqlite", "ok")
    assert modes["cache"] == ("in-process", "ok")
    assert modes["llm"] == ("offline", "ok")
    assert modes["warehouse"][0] == "local"


def test_seeded_widgets_show_live_data_with_source_badges(prod_server, page) -> None:
    page.goto(prod_server.url + "/")
    warehouse_card = page.locator("#widget-seed-claims-by-product")
    oltp_card = page.locator("#widget-seed-open-claims-by-loss")
    page.wait_for_selector("#widget-seed-claims-by-product[data-status='ok']", timeout=60_000)
    page.wait_for_selector("#widget-seed-open-claims-by-loss[data-status='ok']", timeout=60_000)
    assert warehouse_card.locator(".source-badge").inner_text() == "local warehouse"
    assert "databricks" not in warehouse_card.inner_text()
    assert warehouse_card.locator(".recharts-bar-rectangle").count() >= 3
    assert oltp_card.locator(".source-badge").inner_text() == "SQLite"
    assert oltp_card.locator("tbody tr").count() >= 1
    kpi_text = page.locator("#widget-seed-approval-rate .widget-value").inner_text()
    assert kpi_text.endswith("%"), kpi_text


def test_remove_widget_from_its_menu(prod_server, page) -> None:
    spec = {
        "type": "kpi",
        "title": "Temporary open claims",
        "accent": "red",
        "data_intent": {"metric": "open_claims"},
    }
    created = httpx.post(prod_server.url + "/v1/widgets", json={"spec": spec}, timeout=10)
    assert created.status_code == 201, created.text
    widget_id = created.json()["id"]
    page.goto(prod_server.url + "/")
    card = f"#widget-{widget_id}"
    page.wait_for_selector(f"{card}[data-status='ok']", timeout=60_000)
    page.click(f"{card} .widget-menu")
    page.click(".widget-remove")
    page.wait_for_selector(card, state="detached", timeout=10_000)
    ids = [w["id"] for w in httpx.get(prod_server.url + "/v1/widgets").json()["widgets"]]
    assert widget_id not in ids
