"""Widget builder state: stream the clarifier into a chat, preview the spec, persist it.

The clarifier runs in a background handler: its async iterator is consumed OUTSIDE the state
lock and its events are applied in batches inside short `async with self:` blocks (each one
state push: a fast turn is one push, a slow one shows its stages every STAGE_PUSH_SECONDS),
so other events are never blocked. The pure helpers (builder_views.py: event → stage list /
chat messages / preview facts; builder_batches.py) carry the logic and are tested alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from command_center.ui.states.builder_batches import RealRows, batches, is_final
from command_center.ui.states.builder_persist import persist_preview
from command_center.ui.states.builder_views import (  # noqa: F401  (re-exported)
    STAGE_LABELS,
    blocked_reason,
    error_text,
    finish_stages,
    message,
    promotion_candidate,
    question_items,
    result_messages,
    short_error,
    spec_facts,
    stage_step,
    trace,
)
from command_center.ui.states.guard import requires_role
from command_center.ui.states.session import SessionState
from command_center.ui.states.widgets import WidgetsState
from command_center.ui.view_models.widget_card import widget_view
from command_center.widgets.persist import stored_spec

EMPTY_REQUEST = (
    "Describe the widget you want — e.g. “bar chart of claims filed by region last 7 days”."
)
EMPTY_ANSWER = "Type an answer, or pick one of the suggestions."
MAX_INPUT = 2000
MAX_MESSAGES = 60
STAGE_PUSH_SECONDS = 0.25  # stages wait at most this long to be shown (one push per batch)
REAL_ROWS_WAIT_S = 0.5  # a result waits this long for its real rows before showing samples


def get_clarifier() -> Any:
    """The process-wide clarifier runner (a seam for tests)."""
    from command_center.widgets.runner import get_runner

    return get_runner()


# ------------------------------------------------------------------ state


class BuilderState(SessionState):
    """The builder panel: chat transcript, stage progress, open questions and preview."""

    open: bool = False
    running: bool = False
    saving: bool = False
    messages: list[dict[str, Any]] = []
    stages: list[dict[str, str]] = []  # the running turn's stages (then moved to a trace)
    questions: list[dict[str, Any]] = []
    preview: dict[str, Any] = {}
    facts: list[dict[str, str]] = []
    spec_json: str = ""
    spec_ready: bool = False
    input_error: str = ""
    error_kind: str = ""
    error_message: str = ""
    editing: str = ""  # the widget id being edited ("" = a new widget)
    blocked: str = ""  # the critic's reason when the preview may not be added
    preview_source: str = ""  # where the preview's rows came from ("" = the spec's samples)

    _generation: int = 0
    _thread_id: str = ""
    _checkpoint_id: str = ""
    _spec: dict[str, Any] = {}
    _result: dict[str, Any] = {}

    @rx.event
    @requires_role("editor")
    def open_builder(self) -> None:
        """Show the panel (a previous unfinished session is kept)."""
        self.open = True

    @rx.event
    @requires_role("editor")
    async def edit_widget(self, widget_id: str) -> Any:
        """Open the builder on a stored widget's spec, read here by id (never a spec from the
        client); saving writes it back in place."""
        spec = await asyncio.to_thread(stored_spec, str(widget_id))
        if spec is None:
            return rx.toast.error("That widget is gone")
        self._reset_builder()
        self.editing = widget_id
        self._apply("result", {"spec": dict(spec), "interrupted": False})
        self.messages = [message("assistant", "Editing this widget — describe a change or save.")]
        self.open = True

    @rx.event
    @requires_role("editor")
    def cancel(self) -> None:
        """Close and forget everything; nothing is written and the thread is abandoned."""
        self._reset_builder()
        self.open = False

    @rx.event
    @requires_role("editor")
    def set_open(self, value: bool) -> None:
        """Dialog open-change (Escape, overlay click): closing means cancelling."""
        if value:
            self.open = True
        else:  # as `cancel` (called directly, a guarded handler is a coroutine)
            self._reset_builder()
            self.open = False

    def _reset_builder(self) -> None:
        self._generation += 1  # any stream still running stops applying its events
        self.running = False
        self.saving = False
        self.messages = []
        self.stages = []
        self.questions = []
        self.input_error = ""
        self._thread_id = ""
        self._checkpoint_id = ""
        self.editing = ""
        self._clear_spec()
        self._clear_error()

    def _clear_spec(self) -> None:
        self.preview = {}
        self.facts = []
        self.spec_json = ""
        self.spec_ready = False
        self.blocked = ""
        self.preview_source = ""
        self._spec = {}
        self._result = {}

    def _clear_error(self) -> None:
        self.error_kind = self.error_message = ""

    @rx.event
    @requires_role("editor")
    def dismiss_error(self) -> None:
        """Hide the error banner."""
        self._clear_error()

    # ---------------------------------------------------------------- starting a run

    def _say(self, role: str, text: str) -> None:
        self.messages = [*self.messages, message(role, text)][-MAX_MESSAGES:]

    def _end_turn(self, *, failed: bool = False) -> None:
        """Stop running; move the turn's stages into the transcript as a trace."""
        self.running = False
        self._flush_trace(failed=failed)

    def _flush_trace(self, *, failed: bool = False) -> None:
        if self.stages:
            self.messages = [*self.messages, trace(self.stages, failed=failed)][-MAX_MESSAGES:]
            self.stages = []

    def _begin(self, text: str, question_id: str | None = None) -> dict[str, Any] | None:
        """Validate input and mark a run as started; returns the run plan (or None).

        With open questions the text answers `question_id` (default: the first open
        question); otherwise it starts a new conversation.
        """
        if self.running or self.saving:
            return None
        text = text.strip()[:MAX_INPUT]
        if not text:
            self.input_error = EMPTY_ANSWER if self.questions else EMPTY_REQUEST
            return None
        self.input_error = ""
        self._clear_error()
        self._generation += 1
        plan: dict[str, Any] = {"generation": self._generation}
        if not self.questions and self.spec_ready and self._thread_id and not self.editing:
            plan.update(kind="refine", thread_id=self._thread_id, text=text)
        elif self.questions and self._thread_id:
            ids = [str(q["id"]) for q in self.questions]
            wanted = question_id if question_id in ids else ids[0]
            plan.update(
                kind="respond",
                thread_id=self._thread_id,
                answers={wanted: text},
                checkpoint_id=self._checkpoint_id or None,
            )
        else:
            plan.update(kind="start", raw_input=text)
            self._thread_id = ""
            self._checkpoint_id = ""
            self._clear_spec()
        self.questions = []
        self._say("user", text)
        self.stages = []
        self.running = True
        return plan

    @rx.event(background=True)
    @requires_role("editor")
    async def submit(self, form_data: dict[str, Any]) -> None:
        """The composer: a new request, or a free-text answer to the open question."""
        async with self:
            plan = self._begin(str(form_data.get("text") or ""))
        if plan is not None:
            await self._stream(plan)

    @rx.event(background=True)
    @requires_role("editor")
    async def answer(self, question_id: str, answer: str) -> None:
        """A suggestion chip: answer that question and continue the conversation."""
        async with self:
            plan = self._begin(answer, question_id) if self.questions else None
        if plan is not None:
            await self._stream(plan)

    # ---------------------------------------------------------------- streaming

    async def _events(self, plan: dict[str, Any]) -> AsyncGenerator[Any, None]:
        runner = await asyncio.to_thread(get_clarifier)
        if plan["kind"] == "refine":
            return runner.refine(plan["thread_id"], plan["text"])
        if plan["kind"] == "respond":
            return runner.respond(
                plan["thread_id"], plan["answers"], checkpoint_id=plan["checkpoint_id"]
            )
        return runner.start_clarification(plan["raw_input"])

    async def _stream(self, plan: dict[str, Any]) -> None:
        """Consume the runner outside the lock; apply its events in batches (one state push
        each, builder_batches.py). A result waits up to REAL_ROWS_WAIT_S for its real rows,
        so the preview is usually drawn once, from real data."""
        generation = plan["generation"]
        finished = False
        rows: RealRows | None = None
        try:
            events = await self._events(plan)
            async with (
                contextlib.aclosing(events),
                contextlib.aclosing(batches(events, STAGE_PUSH_SECONDS, is_final)) as stream,
            ):
                async for batch in stream:
                    rows = RealRows.start(batch) or rows
                    if rows is not None:
                        await rows.wait(REAL_ROWS_WAIT_S)
                    async with self:
                        if self._generation != generation:
                            return  # cancelled or superseded: abandon the thread
                        for event in batch:
                            self._apply(event.name, event.data)
                        finished = finished or any(is_final(event) for event in batch)
                        if rows is not None and rows.task.done():
                            self._show_rows(rows)
        except Exception as exc:  # the runner itself failed (e.g. live-mode setup)
            async with self:
                if self._generation == generation:
                    self._apply("error", {"kind": "internal", "message": short_error(exc)})
                    finished = True
        finally:
            if not finished:
                async with self:
                    if self._generation == generation and self.running:
                        self._end_turn(failed=True)
        if finished and rows is not None and not rows.task.done():
            await rows.wait()  # slower than REAL_ROWS_WAIT_S: the sample rows show until then
            async with self:
                if self._generation == generation:
                    self._show_rows(rows)

    def _show_rows(self, rows: RealRows) -> None:
        """Draw the preview from its real rows (the resolver's path, nothing persisted); the
        spec's sample rows stay, labelled, when the backend is down or the query failed."""
        if not self.spec_ready or self._spec != rows.spec:
            return  # the preview moved on
        data, error = rows.outcome()
        if data is None:
            self.preview_source = "sample rows — real data failed"
            self._say("warning", f"Preview on real data failed: {error}")
            return
        self.preview = widget_view("preview", rows.spec, list(data.rows), source=data.source)
        self.preview_source = data.source

    def _apply(self, name: str, data: dict[str, Any]) -> None:
        """Fold one clarifier event into the visible state."""
        if data.get("thread_id"):
            self._thread_id = str(data["thread_id"])
        if name == "stage":
            self.stages = stage_step(self.stages, str(data.get("stage", "")))
        elif name == "questions":
            self.questions = question_items(data)
            self._checkpoint_id = str(data.get("checkpoint_id") or "")
            self._flush_trace()  # still running until the `result` event releases the thread
            for question in self.questions:
                self._say("assistant", question["text"])
        elif name == "result":
            self._end_turn()
            if data.get("interrupted"):
                return
            for line in result_messages(data):
                self._say(line["role"], line["text"])
            spec = data.get("spec")
            if spec:
                self._spec = dict(spec)
                self._result = {k: v for k, v in data.items() if k != "spec"}
                self.preview = widget_view(
                    "preview", self._spec, list(self._spec.get("mock_data") or []), source="preview"
                )
                self.facts = spec_facts(self._spec)
                self.spec_json = json.dumps(self._spec, indent=2)
                self.spec_ready = True
                self.blocked = blocked_reason(data)
        elif name == "error":
            self._end_turn(failed=True)
            self.error_kind = str(data.get("kind") or "internal")
            self.error_message = error_text(data)

    # ---------------------------------------------------------------- persisting

    async def _current_dashboard(self) -> int | None:
        """The dashboard this tab shows (None: the default one, or outside a session)."""
        try:
            board = await self.get_state(WidgetsState)
        except LookupError:  # no event context (handler called directly)
            return None
        return board.dashboard_id or None

    @rx.event(background=True)
    @requires_role("editor")
    async def add_to_dashboard(self) -> Any:
        """Persist the previewed spec (promoting a one-off metric), close, reload widgets."""
        async with self:
            if not self.spec_ready or self.running or self.saving:
                return None
            if self.blocked:  # the critic's verdict is binding
                self.error_kind, self.error_message = "critic", self.blocked
                return None
            self.saving = True
            self._clear_error()
            spec, result, thread_id = dict(self._spec), dict(self._result), self._thread_id
            generation, editing = self._generation, self.editing
            dashboard_id = await self._current_dashboard()
        try:
            await persist_preview(
                spec,
                result,
                thread_id,
                clarifier=get_clarifier,
                editing=editing,
                dashboard_id=dashboard_id,
            )
        except Exception as exc:  # keep the panel as it is, show why
            async with self:
                if self._generation == generation:
                    self.saving = False
                    self.error_kind = "persist"
                    self.error_message = short_error(exc)
            return None
        async with self:
            title = str(spec.get("title", "Widget"))
            self._reset_builder()
            self.open = False
        done = f"Saved “{title}”" if editing else f"Added “{title}” to the dashboard"
        return [WidgetsState.reload, rx.toast.success(done)]
