"""Clarifier graph paths through the runner (in-memory checkpointer)."""

from __future__ import annotations

import asyncio

from command_center.llm.base import BuilderContext, IntentDraft
from command_center.llm.offline import OfflineLLM
from command_center.metrics.definitions import MetricDefinition
from command_center.widgets.spec import AnyWidgetSpec
from tests.widget_helpers import by_name, collect, memory_runner

NO_GAP_STAGES = [
    "contextLoader", "intentExtractor", "metricMatcher", "gapDetector", "specSynthesizer", "critic",
]  # fmt: skip


async def test_no_gaps_goes_straight_to_a_result() -> None:
    events = await collect(memory_runner().start_clarification("approval rate by region"))
    assert [e.data["stage"] for e in events if e.name == "stage"] == NO_GAP_STAGES
    assert by_name(events, "gaps") == [{"gaps": []}]
    assert not by_name(events, "questions")
    (result,) = by_name(events, "result")
    assert result["interrupted"] is False and result["critic_ok"] is True
    assert result["spec"]["data_intent"]["dimensions"] == ["region"]
    assert result["spec_hash"] and len(result["spec_hash"]) == 64
    assert events[-1].name == "result"


async def test_gaps_then_questions_then_respond_then_result() -> None:
    runner = memory_runner()
    events = await collect(runner.start_clarification("show me claims please"))
    stages = [e.data["stage"] for e in events if e.name == "stage"]
    assert stages[-1] == "questionPrioritizer" and "specSynthesizer" not in stages
    (questions,) = by_name(events, "questions")
    question = questions["questions"][0]
    assert question["field"] == "metric" and "Claims filed" in question["options"]
    assert by_name(events, "result") == [
        {"thread_id": questions["thread_id"], "interrupted": True, "spec": None}
    ]
    thread_id = questions["thread_id"]
    assert runner.paused(thread_id) is not None

    answered = await collect(runner.respond(thread_id, {question["id"]: "Claims filed"}))
    assert next(e.data["stage"] for e in answered if e.name == "stage") == "gapDetector"
    (result,) = by_name(answered, "result")
    assert result["interrupted"] is False
    assert result["spec"]["data_intent"]["metric"] == "claims_filed"
    assert runner.paused(thread_id) is None


async def test_dimension_question_and_unrecognised_answer_is_asked_again() -> None:
    runner = memory_runner()
    events = await collect(runner.start_clarification("bar chart of average payout"))
    (questions,) = by_name(events, "questions")
    thread_id, question = questions["thread_id"], questions["questions"][0]
    assert question["field"] == "dimension" and "loss_type" in question["options"]

    again = await collect(runner.respond(thread_id, [{"question_id": question["id"],
                                                      "answer": "favourite colour"}]))  # fmt: skip
    (questions2,) = by_name(again, "questions")
    assert questions2["questions"][0]["id"] != question["id"]
    assert "favourite colour" in questions2["questions"][0]["text"]

    done = await collect(runner.respond(thread_id, {"dimension": "by loss type"}))
    (result,) = by_name(done, "result")
    assert result["spec"]["type"] == "chart"
    assert result["spec"]["data_intent"]["dimensions"] == ["loss_type"]
    rows = result["spec"]["mock_data"]
    assert rows and all({"loss_type", "value"} <= row.keys() for row in rows)


class _BadDimensionLLM(OfflineLLM):
    """Synthesizes an invalid dimension for the first `bad_rounds` calls."""

    def __init__(self, bad_rounds: int) -> None:
        self.bad_rounds = bad_rounds
        self.calls = 0
        self.feedback: list[list[str]] = []

    def synthesize_spec(
        self, raw_input: str, draft: IntentDraft, metric: MetricDefinition,
        context: BuilderContext, feedback: list[str] | None = None,
    ) -> AnyWidgetSpec:  # fmt: skip
        self.calls += 1
        self.feedback.append(list(feedback or []))
        spec = super().synthesize_spec(raw_input, draft, metric, context, feedback)
        if self.calls <= self.bad_rounds:
            intent = spec.data_intent.model_copy(update={"dimensions": ["colour"]})
            spec = spec.model_copy(update={"data_intent": intent})
        return spec


async def test_critic_rejection_goes_through_updater_then_passes() -> None:
    llm = _BadDimensionLLM(bad_rounds=1)
    events = await collect(memory_runner(llm).start_clarification("open claims by channel"))
    stages = [e.data["stage"] for e in events if e.name == "stage"]
    assert stages[stages.index("critic") + 1 : stages.index("critic") + 3] == [
        "specUpdater", "gapDetector",
    ]  # fmt: skip
    assert stages.count("specSynthesizer") == 2
    assert any("colour" in message for message in llm.feedback[1])
    (result,) = by_name(events, "result")
    assert result["critic_ok"] is True and result["revisions"] == 1
    assert result["spec"]["data_intent"]["dimensions"] == ["channel"]


async def test_revision_rounds_are_bounded() -> None:
    llm = _BadDimensionLLM(bad_rounds=99)
    events = await collect(memory_runner(llm).start_clarification("open claims by channel"))
    (result,) = by_name(events, "result")
    assert llm.calls == 3  # first synthesis + 2 revisions
    assert result["critic_ok"] is False and result["revisions"] == 2
    assert any("colour" in warning for warning in result["warnings"])


async def test_respond_errors_are_typed() -> None:
    runner = memory_runner()
    unknown = await collect(runner.respond("no-such-thread", {"metric": "x"}))
    assert unknown[-1].name == "error" and unknown[-1].data["kind"] == "not_found"
    assert unknown[-1].data["builder_mode"] == "offline"

    done = await collect(runner.start_clarification("approval rate"))
    thread_id = by_name(done, "result")[0]["thread_id"]
    finished = await collect(runner.respond(thread_id, {"metric": "approval rate"}))
    assert finished[-1].data["kind"] == "conflict"

    paused = await collect(runner.start_clarification("claims"))
    thread_id = by_name(paused, "questions")[0]["thread_id"]
    wrong = await collect(runner.respond(thread_id, {"q9-nothing": "x"}))
    assert wrong[-1].data["kind"] == "invalid_answers"
    stale = await collect(runner.respond(thread_id, {"metric": "open claims"},
                                         checkpoint_id="not-the-checkpoint"))  # fmt: skip
    assert stale[-1].data["kind"] == "conflict"
    assert runner.paused(thread_id) is not None  # none of the failures moved the thread


async def test_concurrent_resumes_cannot_fork_a_thread() -> None:
    runner = memory_runner()
    paused = await collect(runner.start_clarification("claims"))
    questions = by_name(paused, "questions")[0]
    thread_id, checkpoint_id = questions["thread_id"], questions["checkpoint_id"]

    first, second = await asyncio.gather(
        collect(runner.respond(thread_id, {"metric": "Claims filed"}, checkpoint_id=checkpoint_id)),
        collect(runner.respond(thread_id, {"metric": "Open claims"}, checkpoint_id=checkpoint_id)),
    )
    outcomes = sorted([first[-1].name, second[-1].name])
    assert outcomes == ["error", "result"]
    loser = first if first[-1].name == "error" else second
    assert loser[-1].data["kind"] == "conflict"
    # the loser's answer never reached the thread
    state = runner.state(thread_id)
    assert list(state["answers"].values()) in (["Claims filed"], ["Open claims"])
    # a late resume against the old checkpoint is refused too
    late = await collect(runner.respond(thread_id, {"metric": "x"}, checkpoint_id=checkpoint_id))
    assert late[-1].data["kind"] == "conflict"
