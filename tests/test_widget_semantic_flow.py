"""The builder end to end on the semantic layer: composed metric → persist + promote → the
next request finds it by name; known values refresh from the data; bad input is asked about,
never built; a critic rejection blocks "Add to dashboard" with its reason."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from command_center.api.widgets import router
from command_center.db.session import engine_for
from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.values import ValueStore
from command_center.ui.states import builder as builder_module
from command_center.ui.states.builder import BuilderState, blocked_reason
from command_center.widgets.context import default_catalog
from command_center.widgets.persist import add_widget_to_dashboard, list_widgets
from command_center.widgets.spec import parse_spec
from tests.api_helpers import v1_app
from tests.widget_helpers import by_name, collect, memory_runner, seeded_values

BAD_INPUTS = [
    "   ",
    "x" * 2000,
    "🤷‍♂️🔥🔥",
    "'; DROP TABLE claims; --",
    "SELECT * FROM claims",
    "<script>alert('x')</script>",
    "<b>open claims</b> <img src=x onerror=alert(1)>",
    "asdfjkl qwerty",
    "?",
    "DELETE FROM claims WHERE 1=1",
    "claims by region' OR '1'='1",
    "{{7*7}}",
    "${jndi:ldap://x.y/z}",
    "\u200b\u200b\n\t",
    "open claims by region " * 90,  # 2,000 characters of a repeated request
    ("claims region payout status channel " * 60)[:2000],  # a keyword dump
    "open claims by region. " + "Lorem ipsum dolor sit amet, consectetur adipiscing. " * 37,
]


async def _result(runner: Any, request: str) -> dict[str, Any]:
    events = await collect(runner.start_clarification(request))
    assert not by_name(events, "questions"), (request, by_name(events, "questions"))
    return by_name(events, "result")[-1]


async def test_composed_metric_is_promoted_and_found_by_name_next_time(catalog_db: Any) -> None:
    runner = memory_runner(catalog_loader=default_catalog)
    first = await _result(runner, "total deductible in the warehouse by region")
    promote = first["promote_metric"]
    assert promote is not None, first
    metric_id = first["spec"]["data_intent"]["metric"]
    assert promote["id"] == metric_id and promote["origin"] == "promoted"
    assert metric_id not in {m.id for m in default_catalog()}
    spec = parse_spec(first["spec"])
    add_widget_to_dashboard(
        spec, promote_metric=MetricDefinition.model_validate(promote), engine=catalog_db
    )
    assert metric_id in {m.id for m in default_catalog()}
    # the next request names the promoted metric by its label: found, not composed again
    again = await _result(runner, f"{promote['label']} by channel")
    assert again["spec"]["data_intent"]["metric"] == metric_id
    assert again["promote_metric"] is None
    assert again["spec"]["data_intent"]["dimensions"] == ["channel"]
    # and the same words as the first time now land on the catalog metric too
    third = await _result(runner, "total deductible in the warehouse")
    assert third["spec"]["data_intent"]["metric"] == metric_id and not third["promote_metric"]
    assert [w.metric_id for w in list_widgets(catalog_db)] == [metric_id]


async def test_known_values_refresh_from_the_data(tmp_path: Any) -> None:
    """A value that appears in the data is understood after the store refreshes (and not
    before): the builder reads values from the data, not from a list."""
    seeded_values()  # builds the seeded database
    from tests.widget_helpers import _VALUES

    engine = engine_for(_VALUES["url"])
    reads = [0]

    def reader() -> dict[tuple[str, str], list[str]]:
        reads[0] += 1
        with engine.connect() as conn:
            makes = conn.execute(text("SELECT DISTINCT make FROM devices")).scalars().all()
        values = dict(seeded_values())
        values[("devices", "make")] = sorted(str(m) for m in makes)
        return values

    store = ValueStore(reader, refresh_seconds=3600)
    runner = memory_runner(values=store.get)
    before = await collect(runner.start_clarification("Zorblax devices by model"))
    assert by_name(before, "questions"), "an unknown make must be asked about"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO devices (customer_id, external_id, make, model, category, "
                "plan_status, registered_at) SELECT customer_id, 'DEV-ZORB-1', 'Zorblax', "
                "'Z1', category, plan_status, registered_at FROM devices LIMIT 1"
            )
        )
    try:
        store.load()  # what the scheduled refresh does
        after = await _result(runner, "Zorblax devices by model")
        assert after["spec"]["data_intent"]["filters"] == {"make": "Zorblax"}
        assert reads[0] == 2
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM devices WHERE external_id = 'DEV-ZORB-1'"))


def test_a_stale_snapshot_is_served_while_one_background_refresh_reads() -> None:
    release = threading.Event()
    reads: list[int] = []

    def reader() -> dict[tuple[str, str], list[str]]:
        reads.append(len(reads) + 1)
        if len(reads) > 1:  # the refresh: hold it until both stale readers have been served
            assert release.wait(10)
        return {("devices", "make"): [f"read {len(reads)}"]}

    store = ValueStore(reader, refresh_seconds=-1)  # stale as soon as it is read
    first = store.get()
    assert first == {("devices", "make"): ["read 1"]}
    assert store.get() == first and store.get() == first  # no reader waits for the refresh
    release.set()
    for thread in [t for t in threading.enumerate() if t.name == "semantic-values"]:
        thread.join(10)
    assert reads == [1, 2], "two stale readers must start one refresh"
    assert store._values == {("devices", "make"): ["read 2"]}


def test_the_layer_follows_each_value_snapshot_and_keeps_one_per_catalog() -> None:
    from command_center.llm.offline import OfflineLLM
    from command_center.widgets.context import seeded_catalog
    from command_center.widgets.state import GraphDeps

    snapshots = iter([{("devices", "make"): [f"Make{i}"]} for i in range(3)])
    store = ValueStore(lambda: next(snapshots), refresh_seconds=3600)
    deps = GraphDeps(llm=OfflineLLM(), values=store.get)
    state: Any = {"catalog": [m.model_dump(mode="json") for m in seeded_catalog()]}
    for i in range(3):
        store.load()  # a refresh: the store hands out a new snapshot
        layer = deps.context(state).layer
        assert layer.has_value("devices", "make", f"Make{i}"), i
        assert layer is deps.context(state).layer  # the same snapshot: the cached layer
    assert len(deps._layers) == 1, "a layer built on an old snapshot must not be kept"


@pytest.mark.parametrize("raw", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
async def test_bad_input_is_asked_about_never_built(raw: str) -> None:
    runner = memory_runner()
    events = await collect(runner.start_clarification(raw))
    assert not by_name(events, "error"), events
    questions = by_name(events, "questions")
    assert questions, f"{raw[:40]!r} built {by_name(events, 'result')}"
    assert questions[0]["questions"][0]["field"] in {"clarify", "metric"}
    assert by_name(events, "result")[-1]["spec"] is None


async def test_an_answer_that_names_nothing_is_asked_again() -> None:
    runner = memory_runner()
    events = await collect(runner.start_clarification("asdfjkl qwerty"))
    question = by_name(events, "questions")[0]
    answered = await collect(
        runner.respond(
            question["thread_id"],
            {question["questions"][0]["id"]: "🤷 zzz"},
            checkpoint_id=question["checkpoint_id"],
        )
    )
    assert by_name(answered, "questions"), "a noise answer must be re-asked"
    assert by_name(answered, "result")[-1]["spec"] is None


def test_bad_input_over_http_is_a_question_or_a_problem(catalog_db: Any) -> None:
    app = v1_app(router, clarifier=memory_runner())
    with TestClient(app) as client:
        for raw in [*BAD_INPUTS, "", "y" * 2001]:
            response = client.post("/v1/widgets/clarify", json={"raw_input": raw})
            assert response.status_code in (200, 422), (raw[:20], response.status_code)
            if response.status_code == 422:
                assert response.headers["content-type"].startswith("application/problem+json")
                continue
            assert "event: questions" in response.text, raw[:40]
            assert "event: error" not in response.text


def test_blocked_reason_names_the_critics_findings() -> None:
    assert blocked_reason({"critic_ok": True, "warnings": ["a note"]}) == ""
    reason = blocked_reason(
        {"critic_ok": False, "critic_issues": ["filter value 'Mars' is not in region"]}
    )
    assert reason.startswith("Can't add") and "Mars" in reason
    assert "rejected" in blocked_reason({"critic_ok": False})


async def test_add_is_blocked_with_the_critics_reason(
    catalog_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builder_module, "get_clarifier", lambda: None)
    state = BuilderState(_reflex_internal_init=True)
    state.open = True
    spec = {
        "type": "kpi",
        "title": "Claims filed on Mars",
        "data_intent": {"metric": "claims_filed", "filters": {"region": "Mars"}},
    }
    BuilderState._apply(
        state,
        "result",
        {
            "thread_id": "t-critic",
            "interrupted": False,
            "spec": spec,
            "critic_ok": False,
            "critic_issues": ["filter value 'Mars' is not a known region"],
        },
    )
    assert state.spec_ready and "Mars" in state.blocked
    assert await BuilderState.add_to_dashboard.fn(state) is None
    assert state.error_kind == "critic" and "Mars" in state.error_message
    assert list_widgets(catalog_db) == []


async def test_runner_reports_critic_issues_when_rejected() -> None:
    """The result event carries the critic's findings (`critic_issues`, empty when it passed)."""
    runner = memory_runner()
    ok = await _result(runner, "claims filed by region")
    assert ok["critic_ok"] and ok["critic_issues"] == []
