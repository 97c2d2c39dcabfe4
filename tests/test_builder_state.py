"""Widget builder state: event reduction, streaming through the offline clarifier, persist."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from command_center.db.models import MetricDefinitionRow
from command_center.metrics.definitions import SEEDED_METRICS, MetricDefinition
from command_center.ui.states import builder as builder_module
from command_center.ui.states.builder import (
    EMPTY_ANSWER,
    EMPTY_REQUEST,
    BuilderState,
    finish_stages,
    promotion_candidate,
    result_messages,
    spec_facts,
    stage_step,
)
from command_center.ui.states.widgets import WidgetsState
from command_center.widgets.persist import list_widgets
from command_center.widgets.runner import ClarifierEvent
from tests.widget_helpers import memory_runner

ONE_OFF = MetricDefinition(
    id="theft_claims",
    label="Theft claims",
    source_table="claims",
    measure="COUNT(*)",
    time_column="filed_at",
    base_filter="loss_type = 'theft'",
    dimensions=["region", "channel"],
)


def _state() -> BuilderState:
    return BuilderState(_reflex_internal_init=True)


def _traces(state: BuilderState) -> list[list[tuple[str, str]]]:
    """The stage lists kept in the transcript, as (name, status) pairs."""
    return [
        [(s["name"], s["status"]) for s in m["stages"]]
        for m in state.messages
        if m["role"] == "trace"
    ]


def _chat(state: BuilderState) -> list[tuple[str, str]]:
    return [(m["role"], m["text"]) for m in state.messages if m["role"] != "trace"]


class ScriptedRunner:
    """Yields scripted events; `on_event` runs after each one (to cancel mid-stream)."""

    def __init__(self, events: list[ClarifierEvent], on_event: Any = None) -> None:
        self.events, self.on_event, self.calls = events, on_event, []

    async def _gen(self) -> AsyncIterator[ClarifierEvent]:
        for event in self.events:
            yield event
            if self.on_event and inspect.iscoroutine(done := self.on_event(event)):
                await done  # a guarded handler (a coroutine) called mid-stream

    def start_clarification(self, raw_input: str) -> AsyncIterator[ClarifierEvent]:
        self.calls.append(("start", raw_input))
        return self._gen()

    def respond(self, thread_id: str, answers: Any, *, checkpoint_id: str | None = None) -> Any:
        self.calls.append(("respond", thread_id, answers, checkpoint_id))
        return self._gen()


@pytest.fixture
def offline_runner(monkeypatch: pytest.MonkeyPatch) -> Any:
    runner = memory_runner()
    monkeypatch.setattr(builder_module, "get_clarifier", lambda: runner)
    return runner


def _use(monkeypatch: pytest.MonkeyPatch, runner: Any) -> Any:
    monkeypatch.setattr(builder_module, "get_clarifier", lambda: runner)
    return runner


# ---------------------------------------------------------------- pure helpers


def test_stage_progress_marks_previous_done_and_failure() -> None:
    stages = stage_step([], "contextLoader")
    stages = stage_step(stages, "intentExtractor")
    assert [(s["name"], s["status"]) for s in stages] == [
        ("contextLoader", "done"),
        ("intentExtractor", "running"),
    ]
    assert stages[1]["label"] == "Read request"
    assert stage_step([], "someNewNode")[0]["label"] == "someNewNode"
    assert [s["status"] for s in finish_stages(stages)] == ["done", "done"]
    assert [s["status"] for s in finish_stages(stages, failed=True)] == ["done", "failed"]


def test_spec_facts_and_result_messages() -> None:
    spec = {
        "type": "chart",
        "chart_kind": "pie",
        "title": "Mix",
        "data_intent": {
            "metric": "claims_filed",
            "dimensions": ["region"],
            "filters": {"channel": "app", "make": ["Apple", "Google"]},
            "window_days": 7,
        },
    }
    facts = {f["label"]: f["value"] for f in spec_facts(spec)}
    assert facts["Type"] == "pie chart" and facts["Metric"] == "claims_filed"
    assert facts["Filters"] == "channel=app; make=Apple, Google"
    assert facts["Window"] == "last 7 days" and "Refresh" not in facts
    ranged = {
        **spec,
        "data_intent": {**spec["data_intent"], "start": "2026-01-01", "end": "2026-01-31"},
    }
    facts = {f["label"]: f["value"] for f in spec_facts(ranged)}
    assert facts["Range"] == "2026-01-01 – 2026-01-31" and "Window" not in facts
    lines = result_messages({"spec": spec, "critic_ok": False, "warnings": ["dropped make"]})
    assert [line["role"] for line in lines] == ["assistant", "warning", "warning"]
    assert "“Mix” (pie chart)" in lines[0]["text"] and lines[2]["text"] == "dropped make"
    assert result_messages({"spec": None})[0]["role"] == "warning"


def test_promotion_candidate_prefers_result_then_snapshot() -> None:
    snapshot = [m.model_dump() for m in SEEDED_METRICS] + [ONE_OFF.model_dump()]
    assert promotion_candidate("theft_claims", {}, snapshot) == ONE_OFF
    assert promotion_candidate("nope", {}, snapshot) is None
    given = {**ONE_OFF.model_dump(), "label": "Theft (from result)"}
    picked = promotion_candidate("theft_claims", {"promote_metric": given}, [])
    assert picked is not None and picked.label == "Theft (from result)"
    # a definition for another metric is never promoted under this widget
    assert promotion_candidate("claims_filed", {"promote_metric": given}, []) is None


# ---------------------------------------------------------------- input validation


async def test_empty_request_shows_message_without_calling_clarifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = _use(monkeypatch, ScriptedRunner([]))
    state = _state()
    await BuilderState.submit.fn(state, {"text": "   "})
    assert state.input_error == EMPTY_REQUEST
    assert runner.calls == [] and state.messages == [] and not state.running


async def test_submit_is_ignored_while_running(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = _use(monkeypatch, ScriptedRunner([]))
    state = _state()
    state.running = True
    await BuilderState.submit.fn(state, {"text": "claims"})
    assert runner.calls == [] and state.messages == []


# ---------------------------------------------------------------- streaming (offline graph)


async def test_question_then_chip_answer_produces_preview(offline_runner: Any) -> None:
    state = _state()
    state.open = True
    await BuilderState.submit.fn(state, {"text": "claims"})
    [first] = _traces(state)
    assert [name for name, _ in first][:3] == ["contextLoader", "intentExtractor", "metricMatcher"]
    assert {status for _, status in first} == {"done"} and state.stages == []
    assert not state.running and not state.spec_ready and state.preview == {}
    [question] = state.questions
    assert question["field"] == "metric" and "Claims filed" in question["options"]
    # user line, then the turn's stages, then the question
    assert [m["role"] for m in state.messages] == ["user", "trace", "assistant"]
    assert _chat(state) == [("user", "claims"), ("assistant", question["text"])]
    assert state._checkpoint_id and state._thread_id

    # an empty free-text answer is refused with a readable message
    await BuilderState.submit.fn(state, {"text": ""})
    assert state.input_error == EMPTY_ANSWER and state.questions

    await BuilderState.answer.fn(state, question["id"], "Claims filed")
    assert state.questions == [] and state.input_error == ""
    assert ("user", "Claims filed") in _chat(state)
    assert [name for name, _ in _traces(state)[1]][-2:] == ["specSynthesizer", "critic"]
    assert state.spec_ready and not state.running
    assert state.preview["type"] == "kpi" and state.preview["source"] == "preview"
    assert state.preview["title"] == "Claims filed" and state.preview["display"] != "—"
    assert state._spec["data_intent"]["metric"] == "claims_filed"
    assert '"claims_filed"' in state.spec_json
    assert {"label": "Metric", "value": "claims_filed"} in state.facts


async def test_free_text_answers_first_open_question(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = _use(monkeypatch, ScriptedRunner([ClarifierEvent("stage", {"stage": "gapDetector"})]))
    state = _state()
    state._thread_id, state._checkpoint_id = "t1", "cp1"
    state.questions = [
        {"id": "q2-dimension", "field": "dimension", "text": "By what?", "options": ["region"]},
        {"id": "q2-chart", "field": "chart_kind", "text": "Which chart?", "options": ["bar"]},
    ]
    await BuilderState.submit.fn(state, {"text": "channel"})
    assert runner.calls == [("respond", "t1", {"q2-dimension": "channel"}, "cp1")]
    # the stream ended without a result: the run is closed and the stage shown as failed
    assert not state.running and _traces(state) == [[("gapDetector", "failed")]]


async def test_error_event_shows_banner_and_keeps_conversation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    error = {"kind": "auth", "message": "AccessDeniedException: no", "builder_mode": "live"}
    _use(
        monkeypatch,
        ScriptedRunner(
            [
                ClarifierEvent("stage", {"stage": "contextLoader", "thread_id": "t9"}),
                ClarifierEvent("stage", {"stage": "intentExtractor", "thread_id": "t9"}),
                ClarifierEvent("error", {**error, "thread_id": "t9"}),
            ]
        ),
    )
    state = _state()
    await BuilderState.submit.fn(state, {"text": "approval rate"})
    assert state.error_kind == "auth"
    assert state.error_message == "AccessDeniedException: no (builder mode: live)"
    assert _traces(state) == [[("contextLoader", "done"), ("intentExtractor", "failed")]]
    assert not state.running and not state.spec_ready
    assert _chat(state) == [("user", "approval rate")]
    await BuilderState.dismiss_error.fn(state)
    assert state.error_message == ""


async def test_runner_crash_becomes_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise RuntimeError("checkpointer unavailable")

    monkeypatch.setattr(builder_module, "get_clarifier", broken)
    state = _state()
    await BuilderState.submit.fn(state, {"text": "claims"})
    assert state.error_kind == "internal" and "checkpointer unavailable" in state.error_message
    assert not state.running


async def test_cancel_mid_stream_stops_applying_events(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _state()
    state.open = True
    events = [
        ClarifierEvent("stage", {"stage": "contextLoader", "thread_id": "t1"}),
        ClarifierEvent("stage", {"stage": "intentExtractor", "thread_id": "t1"}),
        ClarifierEvent("result", {"thread_id": "t1", "interrupted": False, "spec": {"x": 1}}),
    ]
    runner = ScriptedRunner(
        events,
        on_event=lambda e: e.data["stage"] == "contextLoader" and BuilderState.cancel.fn(state),
    )
    _use(monkeypatch, runner)
    await BuilderState.submit.fn(state, {"text": "claims"})
    assert not state.open and state.messages == [] and state.stages == []
    assert not state.spec_ready and not state.running and state._thread_id == ""


# ---------------------------------------------------------------- add to dashboard


async def _ready_state(runner: Any) -> BuilderState:
    state = _state()
    state.open = True
    await BuilderState.submit.fn(state, {"text": "bar chart of claims filed by region last 7 days"})
    assert state.spec_ready, state.messages
    return state


async def test_add_to_dashboard_persists_closes_and_reloads(
    catalog_db: Any, offline_runner: Any
) -> None:
    state = await _ready_state(offline_runner)
    events = await BuilderState.add_to_dashboard.fn(state)
    [widget] = list_widgets(catalog_db)
    assert widget.title == widget.spec["title"] and widget.metric_id == "claims_filed"
    assert widget.spec["data_intent"]["dimensions"] == ["region"]
    assert not state.open and not state.spec_ready and state.messages == []
    assert WidgetsState.reload in events


async def test_add_promotes_one_off_metric_from_thread_snapshot(
    catalog_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class SnapshotRunner(ScriptedRunner):
        def state(self, thread_id: str) -> dict[str, Any]:
            assert thread_id == "t-one-off"
            return {"catalog": [ONE_OFF.model_dump()]}

    _use(monkeypatch, SnapshotRunner([]))
    state = _state()
    state.open = True
    spec = {
        "type": "kpi",
        "title": "Theft claims",
        "data_intent": {"metric": "theft_claims"},
        "mock_data": [{"value": 12}],
    }
    BuilderState._apply(
        state, "result", {"thread_id": "t-one-off", "interrupted": False, "spec": spec}
    )
    assert state.spec_ready
    await BuilderState.add_to_dashboard.fn(state)
    assert [w.metric_id for w in list_widgets(catalog_db)] == ["theft_claims"]
    with Session(catalog_db) as session:
        row = session.get(MetricDefinitionRow, "theft_claims")
        assert row is not None and row.origin == "promoted"
        promoted = session.execute(
            select(MetricDefinitionRow.id).where(MetricDefinitionRow.origin == "promoted")
        ).all()
    assert len(promoted) == 1  # the catalog metrics were not re-promoted


async def test_add_failure_keeps_panel_and_shows_error(
    catalog_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoSnapshot(ScriptedRunner):
        def state(self, thread_id: str) -> dict[str, Any]:
            return {}

    _use(monkeypatch, NoSnapshot([]))
    state = _state()
    state.open = True
    spec = {"type": "kpi", "title": "Ghost", "data_intent": {"metric": "ghost_metric"}}
    BuilderState._apply(state, "result", {"thread_id": "t2", "interrupted": False, "spec": spec})
    events = await BuilderState.add_to_dashboard.fn(state)
    assert events is None
    assert state.error_kind == "persist" and "ghost_metric" in state.error_message
    assert state.open and state.spec_ready and not state.saving
    assert state.preview["title"] == "Ghost"
    assert list_widgets(catalog_db) == []


async def test_add_is_refused_without_a_ready_spec(catalog_db: Any) -> None:
    state = _state()
    assert await BuilderState.add_to_dashboard.fn(state) is None
    assert list_widgets(catalog_db) == [] and state.error_message == ""


async def test_cancel_resets_everything() -> None:
    state = _state()
    await BuilderState.open_builder.fn(state)
    state.messages = [{"role": "user", "text": "claims", "stages": []}]
    state.error_kind, state.error_message = "auth", "denied"
    BuilderState._apply(
        state,
        "result",
        {"thread_id": "t", "interrupted": False, "spec": {"type": "kpi", "title": "X"}},
    )
    generation = state._generation
    await BuilderState.set_open.fn(state, False)
    assert not state.open and state.messages == [] and state.preview == {}
    assert state.error_message == "" and state._spec == {} and state._generation > generation


async def test_events_are_applied_as_they_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    # a stream slower than the push interval (here 0) shows each stage as it starts
    monkeypatch.setattr(builder_module, "STAGE_PUSH_SECONDS", 0.0)
    state = _state()
    seen: list[tuple[bool, list[tuple[str, str]]]] = []
    runner = ScriptedRunner(
        [
            ClarifierEvent("stage", {"stage": "contextLoader", "thread_id": "t"}),
            ClarifierEvent("stage", {"stage": "intentExtractor", "thread_id": "t"}),
            ClarifierEvent("result", {"thread_id": "t", "interrupted": False, "spec": None}),
        ],
        on_event=lambda _e: seen.append(
            (state.running, [(s["name"], s["status"]) for s in state.stages])
        ),
    )
    _use(monkeypatch, runner)
    await BuilderState.submit.fn(state, {"text": "approval rate"})
    assert seen == [
        (True, [("contextLoader", "running")]),
        (True, [("contextLoader", "done"), ("intentExtractor", "running")]),
        (False, []),
    ]
    assert _chat(state)[-1][0] == "warning" and not state.spec_ready


async def test_edit_reads_the_spec_by_id_and_takes_none_from_the_client(
    catalog_db: Any, offline_runner: Any
) -> None:

    state = await _ready_state(offline_runner)
    await BuilderState.add_to_dashboard.fn(state)
    [widget] = list_widgets(catalog_db)
    # the handler's only argument is the id: a client cannot hand the builder a spec
    assert list(inspect.signature(BuilderState.edit_widget.fn).parameters) == ["self", "widget_id"]
    await BuilderState.edit_widget.fn(state, widget.id)
    assert state.open and state.editing == widget.id and state._spec == widget.spec
    for unknown in ("no-such-widget", "x" * 10_000):
        fresh = _state()
        refused = await BuilderState.edit_widget.fn(fresh, unknown)
        assert "gone" in str(refused) and not fresh.open and fresh.editing == ""


async def test_a_fast_turn_is_applied_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # events that arrive within the push interval wait for the result: one state push
    monkeypatch.setattr(builder_module, "STAGE_PUSH_SECONDS", 3600.0)
    state = _state()
    seen: list[tuple[bool, int]] = []
    runner = ScriptedRunner(
        [
            ClarifierEvent("stage", {"stage": "contextLoader", "thread_id": "t"}),
            ClarifierEvent("stage", {"stage": "intentExtractor", "thread_id": "t"}),
            ClarifierEvent("result", {"thread_id": "t", "interrupted": False, "spec": None}),
        ],
        on_event=lambda _e: seen.append((state.running, len(state.messages))),
    )
    _use(monkeypatch, runner)
    await BuilderState.submit.fn(state, {"text": "approval rate"})
    # nothing but the request line was shown until the result came
    assert seen[:2] == [(True, 1), (True, 1)] and seen[2][0] is False
    assert _traces(state) == [[("contextLoader", "done"), ("intentExtractor", "done")]]
