"""Named dashboards and layouts: service (SQLite and PostgreSQL) and the /v1 routes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from command_center.api import dashboards as dashboards_api
from command_center.api import widgets as widgets_api
from command_center.dashboards import service
from command_center.dashboards import widgets as actions
from command_center.db.migrate import upgrade_to_head
from command_center.db.seed import seed_catalog
from command_center.db.session import get_engine
from command_center.settings import Settings
from command_center.sql.intent import DataIntent
from command_center.widgets.persist import add_widget_to_dashboard, remove_widget
from command_center.widgets.spec import ChartWidgetSpec, KpiWidgetSpec
from tests.api_helpers import v1_app


@pytest.fixture
def engine(catalog_engine: Engine) -> Engine:
    return catalog_engine


def _chart(title: str = "Claims by region") -> ChartWidgetSpec:
    return ChartWidgetSpec(
        title=title, data_intent=DataIntent(metric="claims_filed", dimensions=["region"])
    )


def _add(engine: Engine, widget_id: str) -> str:
    return add_widget_to_dashboard(_chart(widget_id), engine=engine, widget_id=widget_id).id


def test_default_dashboard_adopts_widgets_and_repairs_after_deletion(engine: Engine) -> None:
    _add(engine, "w1")
    _add(engine, "w2")
    board = service.load_layout(None, engine)
    assert board.name == service.DEFAULT_NAME
    assert board.widget_ids == ["w1", "w2"]
    remove_widget("w1", engine)
    _add(engine, "w3")
    repaired = service.load_layout(board.id, engine)
    assert set(repaired.widget_ids) == {"w2", "w3"}
    assert service.load_layout(board.id, engine).layout == repaired.layout  # stored


def test_saved_layout_is_restored_and_a_stale_save_keeps_other_widgets(engine: Engine) -> None:
    _add(engine, "w1")
    _add(engine, "w2")
    board = service.load_layout(None, engine)
    moved = [
        {"i": "w2", "x": 0, "y": 0, "w": 4, "h": 6},
        {"i": "w1", "x": 4, "y": 0, "w": 8, "h": 6},
    ]
    service.store_layout(board.id, {"lg": moved}, engine)
    again = service.load_layout(board.id, engine)
    assert {i["i"]: (i["x"], i["w"]) for i in again.layout["layouts"]["lg"]} == {
        "w2": (0, 4),
        "w1": (4, 8),
    }
    assert again.widget_ids == ["w2", "w1"]
    stale = service.store_layout(board.id, {"lg": [moved[0]]}, engine)  # w1 missing
    assert set(stale.widget_ids) == {"w1", "w2"}


def test_named_dashboards_create_rename_and_own_their_widgets(engine: Engine) -> None:
    _add(engine, "w1")
    default = service.load_layout(None, engine)
    second = service.create_dashboard("  Regional   view ", engine)
    assert second["name"] == "Regional view"
    with pytest.raises(service.DashboardError) as taken:
        service.create_dashboard("Regional view", engine)
    assert taken.value.status == 409
    _add(engine, "w2")
    service.place_widget(second["id"], "w2", "chart", engine=engine)
    assert service.load_layout(second["id"], engine).widget_ids == ["w2"]
    assert service.load_layout(default.id, engine).widget_ids == ["w1"]  # not adopted twice
    renamed = service.rename_dashboard(second["id"], "West", engine)
    assert renamed["name"] == "West"
    assert [d["name"] for d in service.list_dashboards(engine)] == [service.DEFAULT_NAME, "West"]
    with pytest.raises(service.DashboardError) as missing:
        service.load_layout(9999, engine)
    assert missing.value.status == 404


def test_remove_and_restore_put_the_widget_back_in_its_place(settings: Settings) -> None:
    upgrade_to_head()
    seed_catalog(get_engine())

    async def scenario() -> None:
        first, board = await actions.add_widget(_chart("first"))
        second, board = await actions.add_widget(_chart("second"))
        before = {i["i"]: i for i in board.layout["layouts"]["lg"]}[second["id"]]
        removed = await actions.remove_widget(second["id"])
        assert removed is not None and removed.places["lg"]["x"] == before["x"]
        assert service.load_layout().widget_ids == [first["id"]]
        await actions.restore_widget(removed.as_dict())
        after = {i["i"]: i for i in service.load_layout().layout["layouts"]["lg"]}
        assert (after[second["id"]]["x"], after[second["id"]]["y"]) == (before["x"], before["y"])
        copy = await actions.duplicate_widget(first["id"])
        assert copy["title"] == "first (copy)" and copy["id"] != first["id"]
        assert await actions.remove_widget("nope") is None

    asyncio.run(scenario())


@pytest.fixture
def client(catalog_db: Engine) -> Iterator[TestClient]:
    with TestClient(v1_app(dashboards_api.router, widgets_api.router)) as test_client:
        yield test_client


def test_api_layout_round_trip_and_repair_after_delete(client: TestClient) -> None:
    spec = KpiWidgetSpec(title="Open", data_intent=DataIntent(metric="open_claims"))
    ids = [
        client.post("/v1/widgets", json={"spec": spec.model_dump()}).json()["id"] for _ in range(2)
    ]
    (default,) = client.get("/v1/dashboards").json()["dashboards"]
    url = f"/v1/dashboards/{default['id']}/layout"
    assert client.get(url).json()["widget_ids"] == ids
    items = [
        {"i": ids[1], "x": 0, "y": 0, "w": 3, "h": 4},
        {"i": ids[0], "x": 3, "y": 0, "w": 3, "h": 4},
    ]
    saved = client.put(url, json={"layouts": {"lg": items}})
    assert saved.status_code == 200, saved.text
    assert client.get(url).json()["widget_ids"] == [ids[1], ids[0]]
    assert client.delete(f"/v1/widgets/{ids[1]}").status_code == 204
    assert client.get(url).json()["widget_ids"] == [ids[0]]
    bad = client.put(url, json={"layouts": {"huge": []}})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem")
    created = client.post("/v1/dashboards", json={"name": "Night shift"})
    assert created.status_code == 201
    assert client.post("/v1/dashboards", json={"name": "Night shift"}).status_code == 409
    renamed = client.patch(f"/v1/dashboards/{created.json()['id']}", json={"name": "Nights"})
    assert renamed.json()["name"] == "Nights"
    assert client.get("/v1/dashboards/999/layout").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/v1/dashboards/9223372036854775808/layout"),
        ("get", "/v1/dashboards/0/layout"),
        ("patch", "/v1/dashboards/-1"),
        ("delete", "/v1/widgets/" + "w" * 41),
        ("put", "/v1/widgets/bad%20id"),
    ],
)
def test_out_of_range_ids_are_a_problem_not_a_database_error(
    client: TestClient, method: str, path: str
) -> None:
    """An id no row can have is refused before any query (it once overflowed SQLite: a 500)."""
    body = {"layouts": {"lg": []}} if path.endswith("layout") else {"name": "x"}
    answer = client.request(method.upper(), path, json=body if method != "get" else None)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 422
