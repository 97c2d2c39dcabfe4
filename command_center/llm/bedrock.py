"""Bedrock builder LLM (BUILDER_MODE=live): boto3 `bedrock-runtime` Converse with a forced tool.

Never free-text parsing, never a silent fallback: every failure is a BuilderModeError.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from command_center.instruments import record_llm
from command_center.llm.base import (
    BuilderContext,
    Critique,
    IntentDraft,
    MetricMatch,
    Tier,
)
from command_center.llm.errors import BuilderModeError
from command_center.metrics.definitions import MetricDefinition
from command_center.settings import Settings, get_settings
from command_center.telemetry import observe
from command_center.widgets.spec import SPEC_TOOL_NAME, AnyWidgetSpec, parse_spec, spec_tool_schema

T = TypeVar("T")

_THROTTLED = {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"}
_AUTH = {
    "AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException",
    "InvalidSignatureException", "MissingAuthenticationTokenException",
}  # fmt: skip
_TIMEOUT = {"ModelTimeoutException", "RequestTimeout", "RequestTimeoutException"}

SYSTEM_PROMPT = (
    "You help operations staff of a device-protection business build dashboard widgets. "
    "Only use metrics and dimensions from the catalog given. Answer only by calling the tool."
)


def _catalog_text(context: BuilderContext) -> str:
    lines = []
    for metric in context.catalog:
        lines.append(
            f"- {metric.id}: {metric.label} ({metric.unit}, table {metric.source_table}); "
            f"dimensions {metric.dimensions}; default dimensions {metric.default_dimensions}; "
            f"synonyms {metric.synonyms}"
        )
    known = [
        f"- {table}.{column}: {', '.join(values[:40])}"
        for (table, column), values in sorted(context.values.items())
    ]
    tables = [
        f"- {name} ({info.backend}): {info.description} synonyms {info.synonyms}"
        for name, info in context.dictionary.tables.items()
    ]
    dates = [
        f"- {table}.{name}: {info.description} synonyms {info.synonyms}"
        for table in context.dictionary.tables
        for name, info in context.dictionary.columns_of(table).items()
        if info.temporal and not info.sensitive
    ]
    return (
        "Metrics catalog:\n"
        + "\n".join(lines)
        + "\n\nData dictionary tables:\n"
        + "\n".join(tables)
        + "\n\nKnown values (filters must use these exactly):\n"
        + "\n".join(known)
        + "\n\nA time series is the dimension hour, day, week or month (one of them). "
        "When the request counts by an event's date (claims resolved per week), set "
        "time_column to that date column of the metric's table; leave it empty for the "
        "metric's own time column. Date columns:\n" + "\n".join(dates)
    )


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


class BedrockLLM:
    """Bedrock Converse backend: fast tier = settings.bedrock_model_id, reasoning tier =
    settings.bedrock_reasoning_model_id."""

    mode = "live"

    def __init__(self, settings: Settings | None = None, client: Any = None) -> None:
        self.settings = settings or get_settings()
        self._client = client

    @property
    def client(self) -> Any:
        """The boto3 client (created lazily; timeouts and standard retries from settings)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                read_timeout=self.settings.llm_timeout_seconds,
                connect_timeout=self.settings.llm_timeout_seconds,
                retries={"max_attempts": self.settings.llm_max_retries, "mode": "standard"},
            )
            self._client = boto3.client(
                "bedrock-runtime",
                region_name=self.settings.aws_region,
                endpoint_url=self.settings.bedrock_endpoint_url or None,
                config=config,
            )
        return self._client

    def model_id(self, tier: Tier) -> str:
        """The model id for `tier`."""
        if tier == "fast":
            return self.settings.bedrock_model_id
        return self.settings.bedrock_reasoning_model_id

    # ---------------------------------------------------------------- the one call

    def structured(
        self,
        tier: Tier,
        prompt: str,
        tool_name: str,
        schema: dict[str, Any],
        parse: Callable[[dict[str, Any]], T],
        description: str = "",
    ) -> T:
        """Converse with `tool_name` forced; parse its input. One repair round on invalid
        output (the validation error goes back to the model), then `invalid_output`."""
        tool_config = {
            "tools": [{"toolSpec": {
                "name": tool_name,
                "description": description or f"Return the {tool_name} result.",
                "inputSchema": {"json": schema},
            }}],
            "toolChoice": {"tool": {"name": tool_name}},
        }  # fmt: skip
        messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": prompt}]}]
        last_error = ""
        for attempt in range(2):
            response = self._converse(tier, messages, tool_config)
            content = (response.get("output") or {}).get("message", {}).get("content") or []
            tool_use = next((c["toolUse"] for c in content if "toolUse" in c), None)
            if tool_use is None or tool_use.get("name") != tool_name:
                last_error = f"the model did not call {tool_name}"
                tool_input: Any = None
            else:
                tool_input = tool_use.get("input")
                try:
                    return parse(tool_input)
                except (ValidationError, ValueError, TypeError, KeyError) as exc:
                    last_error = str(exc)
            if attempt == 0:
                messages.append({"role": "assistant", "content": content or [{"text": "(none)"}]})
                repair = (
                    f"Your {tool_name} input was invalid:\n{last_error[:2000]}\n"
                    f"Call {tool_name} again with input that satisfies the schema."
                )
                if tool_use is not None:
                    messages.append({"role": "user", "content": [
                        {"toolResult": {"toolUseId": tool_use.get("toolUseId", "t"),
                                        "content": [{"text": repair}], "status": "error"}},
                    ]})  # fmt: skip
                else:
                    messages.append({"role": "user", "content": [{"text": repair}]})
        raise BuilderModeError(
            "invalid_output", f"{tool_name}: output failed validation twice ({last_error[:300]})"
        )

    def _converse(
        self, tier: Tier, messages: list[dict[str, Any]], tool_config: dict[str, Any]
    ) -> dict[str, Any]:
        """One Converse call, traced (`llm.converse`) and counted (cc_llm_*), errors typed."""
        model_id = self.model_id(tier)
        started = time.perf_counter()
        with observe(
            "llm.converse", as_type="generation", model=model_id, input=messages,
            metadata={"tier": tier, "model_id": model_id},
        ) as generation:  # fmt: skip
            try:
                response = self._call(model_id, messages, tool_config)
            except BuilderModeError as exc:
                seconds = time.perf_counter() - started
                record_llm(tier, model_id, seconds, exc.kind)
                generation.update(level="ERROR", status_message=exc.message[:300], metadata={
                    "error_kind": exc.kind, "latency_ms": round(seconds * 1000, 3)})  # fmt: skip
                raise
            seconds = time.perf_counter() - started
            record_llm(tier, model_id, seconds, None)
            usage = response.get("usage") or {}
            tokens = {"input": int(usage.get("inputTokens", 0)),
                      "output": int(usage.get("outputTokens", 0))}  # fmt: skip
            generation.update(output=response.get("output"), usage_details=tokens, metadata={
                "latency_ms": round(seconds * 1000, 3),
                "input_tokens": tokens["input"], "output_tokens": tokens["output"]})  # fmt: skip
            return response

    def ping(self) -> str:
        """The cheapest real call (one output token from the fast tier) for health checks.

        Returns the model id; raises a typed BuilderModeError. Not traced, not counted.
        """
        model_id = self.model_id("fast")
        self._call(model_id, [{"role": "user", "content": [{"text": "ping"}]}], None, 1)
        return model_id

    def _call(
        self,
        model_id: str,
        messages: list[dict[str, Any]],
        tool_config: dict[str, Any] | None,
        max_tokens: int = 4096,
    ) -> dict[str, Any]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        try:
            tools = {"toolConfig": tool_config} if tool_config else {}
            return self.client.converse(
                modelId=model_id,
                system=[{"text": SYSTEM_PROMPT}],
                messages=messages,
                inferenceConfig={"maxTokens": max_tokens, "temperature": 0},
                **tools,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = exc.response.get("Error", {}).get("Message", "") or str(exc)
            if code in _THROTTLED:
                raise BuilderModeError("throttled", f"{code}: {message}") from None
            if code in _AUTH:
                raise BuilderModeError("auth", f"{code}: {message}") from None
            if code in _TIMEOUT:
                raise BuilderModeError("timeout", f"{code}: {message}") from None
            raise BuilderModeError("unavailable", f"{code or 'error'}: {message}") from None
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise BuilderModeError("timeout", str(exc)) from None
        except NoCredentialsError as exc:
            raise BuilderModeError("auth", str(exc)) from None
        except (EndpointConnectionError, BotoCoreError) as exc:
            raise BuilderModeError("unavailable", str(exc)) from None

    # ---------------------------------------------------------------- tasks

    def extract_intent(self, raw_input: str, context: BuilderContext) -> IntentDraft:
        """Fast tier: request → IntentDraft."""
        prompt = (
            f"{_catalog_text(context)}\n\nOperator request: {raw_input!r}\n"
            "Extract the widget intent. Use a catalog metric id for metric_id when the request "
            "names one; leave fields you cannot infer empty."
        )
        return self.structured(
            "fast", prompt, "emit_intent_draft", _schema(IntentDraft), IntentDraft.model_validate
        )

    def match_metric(
        self, raw_input: str, draft: IntentDraft, context: BuilderContext
    ) -> MetricMatch:
        """Catalog id/label/synonym match first (no call); otherwise ask the fast tier."""
        if draft.metric_id and context.metric(draft.metric_id):
            return MetricMatch(metric_id=draft.metric_id, confidence=0.9)
        prompt = (
            f"{_catalog_text(context)}\n\nOperator request: {raw_input!r}\n"
            "Which catalog metric does it ask for? Give metric_id only when confident; "
            "always list the closest candidate ids."
        )
        return self.structured(
            "fast", prompt, "emit_metric_match", _schema(MetricMatch), MetricMatch.model_validate
        )

    def synthesize_spec(
        self, raw_input: str, draft: IntentDraft, metric: MetricDefinition,
        context: BuilderContext, feedback: list[str] | None = None,
    ) -> AnyWidgetSpec:  # fmt: skip
        """Reasoning tier: the WidgetSpec, via the spec tool schema."""
        prompt = (
            f"Operator request: {raw_input!r}\n"
            f"Metric: {metric.model_dump_json()}\n"
            f"Resolved intent (use exactly these dimensions/filters): {draft.model_dump_json()}\n"
            "Write the widget spec: a concise title, an accent, and 5-14 mock_data rows with "
            "one key per dimension plus 'value'."
        )
        if feedback:
            prompt += "\nA reviewer rejected the previous spec:\n- " + "\n- ".join(feedback)
        return self.structured(
            "reasoning", prompt, SPEC_TOOL_NAME, spec_tool_schema(),
            lambda data: parse_spec(data["spec"]),
            description="Emit the widget spec for the dashboard preview.",
        )  # fmt: skip

    def synthesize_component(
        self, raw_input: str, baseline: AnyWidgetSpec, context: BuilderContext
    ) -> AnyWidgetSpec:
        """Reasoning tier: a custom widget's TSX (forced tool; static checks repaired once)."""
        from command_center.widgets.custom.live import write_component

        return write_component(self, raw_input, baseline)  # type: ignore[arg-type]

    def critique(
        self, raw_input: str, spec: AnyWidgetSpec, metric: MetricDefinition | None,
        context: BuilderContext,
    ) -> Critique:  # fmt: skip
        """Reasoning tier: does the spec answer the request?"""
        prompt = (
            f"Operator request: {raw_input!r}\nProposed widget spec: "
            f"{json.dumps(spec.model_dump(mode='json'))}\n"
            "Does this spec answer the request faithfully? ok=false only for real problems."
        )
        return self.structured(
            "reasoning", prompt, "emit_critique", _schema(Critique), Critique.model_validate
        )
