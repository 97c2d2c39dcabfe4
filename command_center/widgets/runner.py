"""Drive the clarifier graph and stream its progress as `stage | gaps | questions | result |
error` events (an async iterator, shared by the Reflex chat and the SSE API).

The graph runs synchronously on a reused worker thread (boto3 and the savers are synchronous);
events cross to the caller's event loop through a mailbox (one loop wake-up per burst). A
run writes its checkpoint when it stops (a result or open questions: LangGraph's
`durability="exit"`), not after every node: the per-node writes were most of an offline turn
and nothing reads them. A paused thread
resumes only once: a per-thread lock in this process plus a check that the thread still waits
at the expected checkpoint; the loser receives a `conflict` error.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from command_center.llm import get_llm
from command_center.llm.base import BuilderLLM
from command_center.llm.errors import BuilderModeError
from command_center.semantic.values import KnownValues, value_store
from command_center.settings import Settings, get_settings
from command_center.widgets.checkpoint import Checkpointer, open_checkpointer, psycopg_url
from command_center.widgets.context import CatalogLoader, DataDictionary, default_catalog
from command_center.widgets.context import load_dictionary as _load_dictionary
from command_center.widgets.graph import PAUSE_BEFORE, QUESTION_NODE, build_graph
from command_center.widgets.mailbox import Mailbox
from command_center.widgets.spec import spec_hash
from command_center.widgets.state import GraphDeps
from command_center.widgets.thread_lock import ThreadRunLock
from command_center.widgets.workers import IN_FLIGHT, QUEUED_STAGE, WORKER_COUNT, WORKERS

EVENT_NAMES = ("stage", "gaps", "questions", "result", "error")
_MAX_AUTO_CONTINUE = 8


@dataclass(frozen=True)
class ClarifierEvent:
    """One streamed event: `name` in EVENT_NAMES and a JSON-serialisable payload."""

    name: str
    data: dict[str, Any]

    def sse(self) -> str:
        """Server-sent-event framing: `event: <name>\\ndata: <json>\\n\\n`."""
        return f"event: {self.name}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n"


class ClarifierError(Exception):
    """Base of the runner's typed errors; `kind` is the error event's kind."""

    kind = "internal"
    status = 500


class ThreadNotFoundError(ClarifierError):
    """No conversation with that thread id."""

    kind = "not_found"
    status = 404


class ResumeConflictError(ClarifierError):
    """The thread is being resumed elsewhere, or no longer waits at that checkpoint."""

    kind = "conflict"
    status = 409


class InvalidAnswersError(ClarifierError):
    """Answers that do not match the open questions."""

    kind = "invalid_answers"
    status = 422


@dataclass(frozen=True)
class PausedThread:
    """A thread waiting for the operator: its open questions and checkpoint id."""

    thread_id: str
    checkpoint_id: str
    questions: list[dict[str, Any]]


def _config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


class ClarifierRunner:
    """The clarifier service: start a conversation, answer its questions, stream events."""

    def __init__(
        self,
        *,
        llm: BuilderLLM | None = None,
        checkpointer: Checkpointer | None = None,
        catalog_loader: CatalogLoader = default_catalog,
        dictionary: DataDictionary | None = None,
        values: Callable[[], KnownValues] | None = None,
        max_revisions: int = 2,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.llm = llm or get_llm()
        self.checkpointer = checkpointer or open_checkpointer(self.settings)
        self.deps = GraphDeps(
            llm=self.llm,
            catalog_loader=catalog_loader,
            dictionary=dictionary if dictionary is not None else _load_dictionary(),
            values=values or (lambda: value_store().get()),
            max_revisions=max_revisions,
        )
        self.graph = build_graph(self.deps, self.checkpointer.saver)

    def _run_lock(self, thread_id: str) -> ThreadRunLock:
        """Per-thread run lock; cross-process (advisory lock) when checkpoints are in PostgreSQL."""
        conninfo = None
        if self.settings.database_mode == "postgresql":
            conninfo = psycopg_url(self.settings.effective_database_url)
        return ThreadRunLock(thread_id, conninfo)

    @property
    def builder_mode(self) -> str:
        """`offline` or `live` (shown with every error)."""
        return str(getattr(self.llm, "mode", "offline"))

    def close(self) -> None:
        """Release the checkpointer's connection(s)."""
        self.checkpointer.close()

    # ---------------------------------------------------------------- inspection

    def paused(self, thread_id: str) -> PausedThread | None:
        """The thread's open questions when it waits for answers; None otherwise.

        Raises ThreadNotFoundError for an unknown thread.
        """
        snapshot = self.graph.get_state(_config(thread_id))
        if not snapshot.values:
            raise ThreadNotFoundError(f"no clarifier thread {thread_id!r}")
        questions = snapshot.values.get("questions") or []
        if snapshot.next != (PAUSE_BEFORE,) or not questions:
            return None
        checkpoint_id = snapshot.config["configurable"]["checkpoint_id"]
        return PausedThread(thread_id, checkpoint_id, list(questions))

    def state(self, thread_id: str) -> dict[str, Any]:
        """The thread's current state values (empty for an unknown thread)."""
        return dict(self.graph.get_state(_config(thread_id)).values)

    def check_resumable(
        self,
        thread_id: str,
        answers: Mapping[str, str] | Iterable[Mapping[str, str]],
        checkpoint_id: str | None = None,
    ) -> tuple[PausedThread, dict[str, str]]:
        """Validate a resume without running it: (paused thread, answers keyed by question id).

        Raises ThreadNotFoundError, ResumeConflictError or InvalidAnswersError.
        """
        paused = self.paused(thread_id)
        if paused is None:
            raise ResumeConflictError(f"thread {thread_id!r} is not waiting for answers")
        if checkpoint_id and checkpoint_id != paused.checkpoint_id:
            raise ResumeConflictError(
                f"thread {thread_id!r} moved on from checkpoint {checkpoint_id!r}"
            )
        return paused, normalise_answers(answers, paused.questions)

    # ---------------------------------------------------------------- streaming

    async def start_clarification(
        self, raw_input: str, *, thread_id: str | None = None
    ) -> AsyncIterator[ClarifierEvent]:
        """Run a new conversation on `raw_input` until a result or open questions."""
        thread_id = thread_id or uuid.uuid4().hex
        lock = self._run_lock(thread_id)
        if not lock.acquire():
            yield self._error("conflict", "this thread is already running", thread_id)
            return
        async for event in self._run({"raw_input": raw_input}, thread_id, lock):
            yield event

    async def respond(
        self,
        thread_id: str,
        answers: Mapping[str, str] | Iterable[Mapping[str, str]],
        *,
        checkpoint_id: str | None = None,
    ) -> AsyncIterator[ClarifierEvent]:
        """Add the operator's answers to a paused thread and continue it.

        `answers` maps question id (or field) to answer, or is a list of
        {question_id, answer}. Only one resume of a thread runs at a time; a concurrent or
        stale one yields an `error` event of kind `conflict`.
        """

        def answers_update() -> dict[str, Any]:
            _, by_id = self.check_resumable(thread_id, answers, checkpoint_id)
            return {"answers": by_id, "answers_pending": True}

        busy = "another resume of this thread is running"
        async for event in self._continue(thread_id, answers_update, busy):
            yield event

    def check_refinable(self, thread_id: str, text: str) -> str:
        """Validate a refinement of a finished preview; returns the cleaned text.

        Raises ThreadNotFoundError, ResumeConflictError (no finished preview) or
        InvalidAnswersError (empty text).
        """
        snapshot = self.graph.get_state(_config(thread_id))
        if not snapshot.values:
            raise ThreadNotFoundError(f"no clarifier thread {thread_id!r}")
        if snapshot.next or not snapshot.values.get("spec"):
            raise ResumeConflictError(f"thread {thread_id!r} has no finished preview to refine")
        text = text.strip()[:2000]
        if not text:
            raise InvalidAnswersError("the refinement is empty")
        return text

    async def refine(self, thread_id: str, text: str) -> AsyncIterator[ClarifierEvent]:
        """Refine a finished preview in the same thread ("make it a pie", "only the West",
        "last 7 days instead"): the text is merged into the current draft like an answer
        (field `refine`) and the spec is rebuilt and re-checked."""

        def refinement() -> dict[str, Any]:
            question_id = f"refine-{uuid.uuid4().hex[:8]}"
            return {
                "answers": {question_id: self.check_refinable(thread_id, text)},
                "asked": {question_id: "refine"},
                "answers_pending": True,
                "revisions": 0,
                "feedback": [],
            }

        async for event in self._continue(thread_id, refinement, "this thread is already running"):
            yield event

    async def _continue(
        self, thread_id: str, update: Callable[[], dict[str, Any]], busy: str
    ) -> AsyncIterator[ClarifierEvent]:
        """Under the thread's run lock, write `update()` (which validates and may raise a
        ClarifierError) as the operator's turn, then run the graph on from there."""
        lock = self._run_lock(thread_id)
        if not lock.acquire():
            yield self._error("conflict", busy, thread_id)
            return
        try:
            self.graph.update_state(_config(thread_id), update(), as_node=QUESTION_NODE)
        except ClarifierError as exc:
            lock.release()
            yield self._error(exc.kind, str(exc), thread_id)
            return
        except BaseException:
            lock.release()
            raise
        async for event in self._run(None, thread_id, lock):
            yield event

    def _error(self, kind: str, message: str, thread_id: str) -> ClarifierEvent:
        return ClarifierEvent(
            "error",
            {
                "kind": kind,
                "message": message,
                "thread_id": thread_id,
                "builder_mode": self.builder_mode,
            },
        )

    async def _run(
        self, graph_input: Any, thread_id: str, lock: ThreadRunLock
    ) -> AsyncIterator[ClarifierEvent]:
        mailbox: Mailbox[ClarifierEvent | None] = Mailbox(asyncio.get_running_loop())
        put = mailbox.put  # the consumer's loop may be gone: the graph still finishes

        def emit(name: str, data: dict[str, Any]) -> None:
            put(ClarifierEvent(name, data))

        def work() -> None:
            try:
                self._drive(graph_input, thread_id, emit)
            except BuilderModeError as exc:
                put(self._error(exc.kind, exc.message, thread_id))
            except ClarifierError as exc:
                put(self._error(exc.kind, str(exc), thread_id))
            except Exception as exc:
                put(self._error("internal", f"{type(exc).__name__}: {exc}", thread_id))
            finally:
                IN_FLIGHT.leave()
                lock.release()
                put(None)

        ahead = IN_FLIGHT.enter() - WORKER_COUNT + 1
        if ahead > 0:  # every worker is busy: say so instead of a silent wait
            yield ClarifierEvent(
                "stage", {"stage": QUEUED_STAGE, "thread_id": thread_id, "ahead": ahead}
            )
        WORKERS.submit(work)
        while True:
            for event in await mailbox.take():
                if event is None:
                    return
                yield event

    def _drive(
        self, graph_input: Any, thread_id: str, emit: Callable[[str, dict[str, Any]], None]
    ) -> None:
        """Stream the graph; continue through pauses that have no open question."""
        config = _config(thread_id)
        current = graph_input
        for _ in range(_MAX_AUTO_CONTINUE):
            chunks = self.graph.stream(current, config, stream_mode="tasks", durability="exit")
            for chunk in chunks:
                if "input" in chunk:
                    emit("stage", {"stage": chunk["name"], "thread_id": thread_id})
                elif chunk["name"] == "gapDetector" and not chunk.get("error"):
                    emit("gaps", {"gaps": (chunk.get("result") or {}).get("gaps", [])})
            snapshot = self.graph.get_state(config)
            values = snapshot.values
            if snapshot.next == (PAUSE_BEFORE,):
                questions = values.get("questions") or []
                if questions:
                    emit(
                        "questions",
                        {
                            "thread_id": thread_id,
                            "questions": questions,
                            "checkpoint_id": snapshot.config["configurable"]["checkpoint_id"],
                        },
                    )
                    emit("result", {"thread_id": thread_id, "interrupted": True, "spec": None})
                    return
                current = None
                continue
            spec = values.get("spec")
            critic_ok = bool(values.get("critic_ok"))
            issues = [] if critic_ok else [str(i["message"]) for i in values.get("issues") or []]
            emit(
                "result",
                {
                    "thread_id": thread_id,
                    "interrupted": False,
                    "spec": spec,
                    "spec_hash": spec_hash(spec) if spec else None,
                    "critic_ok": critic_ok,
                    "revisions": int(values.get("revisions") or 0),
                    "warnings": [*(values.get("notes") or []), *issues],
                    "promote_metric": values.get("composed"),
                    "critic_issues": issues,
                },
            )
            return
        raise ClarifierError("the clarifier did not settle (too many continuations)")


def normalise_answers(
    answers: Mapping[str, str] | Iterable[Mapping[str, str]], questions: list[dict[str, Any]]
) -> dict[str, str]:
    """Key answers by open question id (a question's field is accepted as its key too)."""
    if isinstance(answers, Mapping):
        pairs = [(str(k), str(v)) for k, v in answers.items()]
    else:
        pairs = [(str(a["question_id"]), str(a["answer"])) for a in answers]
    by_field = {q["field"]: q["id"] for q in questions}
    ids = {q["id"] for q in questions}
    out: dict[str, str] = {}
    for key, answer in pairs:
        question_id = key if key in ids else by_field.get(key)
        if question_id is None:
            raise InvalidAnswersError(f"{key!r} is not an open question (open: {sorted(ids)})")
        if not answer.strip():
            raise InvalidAnswersError(f"the answer to {key!r} is empty")
        out[question_id] = answer.strip()
    if not out:
        raise InvalidAnswersError("no answers given")
    return out


@lru_cache(maxsize=1)
def get_runner() -> ClarifierRunner:
    """The process-wide runner for the configured settings (API and UI share it)."""
    return ClarifierRunner()
