"""Preview on real data without persisting (resolver path; labelled sample rows when the
backend is down), refining a finished preview in the same thread, and editing in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from command_center.api.data import router as data_router
from command_center.api.widgets import router as widgets_router
from command_center.settings import get_settings
from command_center.ui.states import builder as builder_module
from command_center.ui.states.builder import BuilderState
from command_center.warehouse import factory
from command_center.warehouse.errors import WarehouseUnavailable
from command_center.widgets.persist import list_widgets
from command_center.widgets.preview import SAMPLE_SOURCE, preview_data
from tests.api_helpers import prepared, v1_app
from tests.test_widget_api import parse_sse
from tests.widget_helpers import by_name, collect, memory_runner


@pytest.fixture
def seeded(settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SEED_CUSTOMERS", "300")
    get_settings.cache_clear()
    with prepared():
        yield


def _chat_widgets() -> list[Any]:
    return [w for w in list_widgets() if w.origin == "chat"]


async def _finished(runner: Any, request: str) -> dict[str, Any]:
    events = await collect(runner.start_clarification(request))
    assert not by_name(events, "questions"), by_name(events, "questions")
    return by_name(events, "result")[-1]


async def _refined(runner: Any, thread_id: str, text: str) -> dict[str, Any]:
    events = await collect(runner.refine(thread_id, text))
    assert not by_name(events, "questions") and not by_name(events, "error"), events
    result = by_name(events, "result")[-1]
    assert result["thread_id"] == thread_id
    return result


async def test_refine_changes_the_spec_in_the_same_thread() -> None:
    runner = memory_runner()
    first = await _finished(runner, "claims filed by region this month")
    thread = first["thread_id"]
    pie = await _refined(runner, thread, "make it a pie")
    assert pie["spec"]["chart_kind"] == "pie"
    assert pie["spec"]["data_intent"]["dimensions"] == ["region"]
    west = await _refined(runner, thread, "only the West")
    assert west["spec"]["data_intent"]["filters"] == {"region": "West"}
    assert west["spec"]["chart_kind"] == "pie"
    week = await _refined(runner, thread, "last 7 days instead")
    intent = week["spec"]["data_intent"]
    assert intent["window_days"] == 7 and intent["period"] is None
    assert intent["filters"] == {"region": "West"} and intent["metric"] == "claims_filed"
    assert week["spec"]["title"] == first["spec"]["title"]


async def test_refine_needs_a_finished_preview() -> None:
    runner = memory_runner()
    events = await collect(runner.refine("no-such-thread", "make it a pie"))
    assert by_name(events, "error")[0]["kind"] == "not_found"
    paused = await collect(runner.start_clarification("claims"))
    thread = by_name(paused, "questions")[0]["thread_id"]
    events = await collect(runner.refine(thread, "make it a pie"))
    assert by_name(events, "error")[0]["kind"] == "conflict"


async def test_preview_reads_real_rows_without_persisting(seeded: None) -> None:
    runner = memory_runner()
    result = await _finished(runner, "claims filed by region last 30 days")
    data = await preview_data(result["spec"])
    assert data.source == "SQLite" and data.rows and data.sql.upper().startswith("SELECT")
    assert {row["region"] for row in data.rows} <= {
        "Northeast",
        "Southeast",
        "Midwest",
        "Southwest",
        "West",
    }
    again = await preview_data(result["spec"])
    assert again.cached and again.source == data.source  # the resolver's cache
    assert _chat_widgets() == []


async def test_preview_of_a_composed_metric_uses_it_unsaved(seeded: None) -> None:
    runner = memory_runner()
    result = await _finished(runner, "total deductible in the warehouse by region")
    assert result["promote_metric"]
    data = await preview_data(result["spec"], result["promote_metric"])
    assert data.rows and data.source == "local warehouse"
    from command_center.widgets.context import default_catalog

    assert result["promote_metric"]["id"] not in {m.id for m in default_catalog()}


async def test_preview_falls_back_to_labelled_samples_when_backend_is_down(
    seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Down:
        name, dialect = "postgres", "postgres"

        async def query(self, sql: str) -> Any:
            raise WarehouseUnavailable("connection refused", backend="postgres")

    monkeypatch.setattr(factory, "warehouse_for", lambda backend, settings=None: Down())
    spec = {
        "type": "chart",
        "chart_kind": "bar",
        "title": "Claims by region",
        "data_intent": {"metric": "claims_filed", "dimensions": ["region"], "window_days": 29},
        "mock_data": [{"region": "West", "value": 3}],
    }
    data = await preview_data(spec)
    assert data.source == SAMPLE_SOURCE and data.rows == [{"region": "West", "value": 3}]


def test_preview_and_refine_over_http(seeded: None) -> None:
    runner = memory_runner()
    with TestClient(v1_app(widgets_router, data_router, clarifier=runner)) as client:
        started = parse_sse(
            client.post("/v1/widgets/clarify", json={"raw_input": "open claims by channel"}).text
        )
        result = started[-1][1]
        refined = client.post(
            "/v1/widgets/clarify/refine",
            json={"thread_id": result["thread_id"], "text": "make it a pie"},
        )
        assert refined.status_code == 200
        events = parse_sse(refined.text)
        assert events[-1][0] == "result" and events[-1][1]["spec"]["chart_kind"] == "pie"
        preview = client.post("/v1/widgets/preview", json={"spec": events[-1][1]["spec"]})
        assert preview.status_code == 200, preview.text
        assert preview.json()["rows"] and preview.json()["source"] == "SQLite"
        missing = client.post("/v1/widgets/clarify/refine", json={"thread_id": "x", "text": "pie"})
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        bad = client.post(
            "/v1/widgets/preview",
            json={"spec": {"type": "kpi", "title": "x", "data_intent": {"metric": "nope"}}},
        )
        assert bad.status_code == 422


async def test_builder_refines_after_a_preview_and_draws_real_rows(
    seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = memory_runner()
    monkeypatch.setattr(builder_module, "get_clarifier", lambda: runner)
    state = BuilderState(_reflex_internal_init=True)
    state.open = True
    await BuilderState.submit.fn(state, {"text": "claims filed by region last 30 days"})
    assert state.spec_ready and state.preview_source == "SQLite"
    thread = state._thread_id
    await BuilderState.submit.fn(state, {"text": "make it a pie"})
    assert state._thread_id == thread and state._spec["chart_kind"] == "pie"
    assert state.preview_source in ("SQLite", "cached")
    await BuilderState.add_to_dashboard.fn(state)
    [widget] = _chat_widgets()
    assert widget.spec["chart_kind"] == "pie"
    # reopen it, refine by describing it again, save in place (same id, same position)
    await BuilderState.edit_widget.fn(state, widget.id)
    assert state.editing == widget.id and state.spec_ready
    await BuilderState.submit.fn(state, {"text": "open claims by region as a pie"})
    assert state.editing == widget.id and state._spec["data_intent"]["metric"] == "open_claims"
    await BuilderState.add_to_dashboard.fn(state)
    [saved] = _chat_widgets()
    assert saved.id == widget.id and saved.position == widget.position
    assert saved.spec["data_intent"]["metric"] == "open_claims"
