"""Clarifier eval harness for custom widgets: `make clarifier-eval [TARGET=alerts_feed]`.

For each target (`command_center/eval/targets/<name>.yaml`: request, scripted answers,
expectations, sample rows) it runs the production clarifier graph (contextLoader,
intentExtractor, metricMatcher, gapDetector/questionPrioritizer with the scripted answers,
then componentSynthesizer and componentCritic), validates the component (static checks,
`tsc --noEmit`, a render in the sandbox) and writes
`artifacts/clarifier-eval/<target>/<timestamp>/`: transcript.json, component_spec.json,
<DisplayName>.tsx, validation.json, summary.md, <DisplayName>.png (and, in live mode,
model_exchange.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from langgraph.checkpoint.memory import InMemorySaver

from command_center.eval.typecheck import typecheck
from command_center.llm import get_llm
from command_center.settings import PROJECT_ROOT
from command_center.widgets.checkpoint import Checkpointer
from command_center.widgets.context import load_dictionary, seeded_catalog
from command_center.widgets.custom.checks import check_component
from command_center.widgets.nodes.component import component_issues
from command_center.widgets.runner import ClarifierRunner
from command_center.widgets.spec import CustomWidgetSpec, parse_spec

TARGETS_DIR = Path(__file__).resolve().parent / "targets"
ARTIFACTS_DIR = PROJECT_ROOT / "artifacts" / "clarifier-eval"
MAX_ROUNDS = 3


def target_names() -> list[str]:
    """Every target in the targets folder, sorted."""
    return sorted(p.stem for p in TARGETS_DIR.glob("*.yaml"))


def load_target(name: str) -> dict[str, Any]:
    """One target's YAML."""
    path = TARGETS_DIR / f"{name}.yaml"
    if not path.exists():
        raise SystemExit(f"unknown target {name!r} (targets: {', '.join(target_names())})")
    return yaml.safe_load(path.read_text())


class _Recorder:
    """Wraps the live model's boto3 client to keep each Converse request and response."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.exchanges: list[dict[str, Any]] = []

    def converse(self, **request: Any) -> Any:
        response = self.client.converse(**request)
        self.exchanges.append({"request": request, "response": response})
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


async def run_clarifier(request: str, answers: dict[str, str], llm: Any) -> list[dict[str, Any]]:
    """Run the graph on `request`, answering questions from `answers` (by field, else the
    first option); returns the event transcript."""
    runner = ClarifierRunner(
        llm=llm,
        checkpointer=Checkpointer(InMemorySaver(), lambda: None, "memory"),
        catalog_loader=seeded_catalog,
        dictionary=load_dictionary(),
    )
    transcript: list[dict[str, Any]] = []
    events = runner.start_clarification(request)
    for _ in range(MAX_ROUNDS):
        questions: list[dict[str, Any]] = []
        thread_id = ""
        async for event in events:
            transcript.append({"event": event.name, "data": event.data})
            thread_id = event.data.get("thread_id", thread_id)
            if event.name == "questions":
                questions = event.data.get("questions") or []
        if not questions:
            break
        reply = {}
        for question in questions:
            options = question.get("options") or [""]
            reply[question["id"]] = answers.get(question.get("field", ""), options[0])
        transcript.append({"event": "scripted_answers", "data": reply})
        events = runner.respond(thread_id, reply)
    return transcript


def _result_spec(transcript: list[dict[str, Any]]) -> dict[str, Any] | None:
    results = [e["data"] for e in transcript if e["event"] == "result"]
    return results[-1].get("spec") if results else None


def _render_png(spec: CustomWidgetSpec, rows: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from command_center.eval.sandbox_page import CHROMIUM, CHROMIUM_ARGS, SandboxHost, render

    with SandboxHost() as host, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 600, "height": 420})
            page.goto(host.url)
            outcome = render(page, spec.model_dump(mode="json"), rows)
            page.locator("#host").screenshot(path=str(path))
        finally:
            browser.close()
    return outcome


def evaluate_target(name: str, *, out_root: Path = ARTIFACTS_DIR, png: bool = True) -> bool:
    """Run one target end to end and write its artifacts; True when every check passed."""
    target = load_target(name)
    llm = get_llm()
    recorder = None
    if llm.mode == "live":
        recorder = _Recorder(llm.client)  # type: ignore[attr-defined]
        llm._client = recorder  # type: ignore[attr-defined]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    out = out_root / name / stamp
    out.mkdir(parents=True, exist_ok=True)
    transcript = asyncio.run(run_clarifier(target["request"], target.get("answers") or {}, llm))
    (out / "transcript.json").write_text(json.dumps(transcript, indent=2, default=str))
    if recorder is not None:
        exchange = json.dumps(recorder.exchanges, indent=2, default=str)
        (out / "model_exchange.json").write_text(exchange)
    checks: list[dict[str, Any]] = []
    raw = _result_spec(transcript)
    spec = parse_spec(raw) if raw else None
    checks.append({"name": "clarifier_result", "passed": isinstance(spec, CustomWidgetSpec),
                   "detail": spec.type if spec else "no spec"})  # fmt: skip
    if isinstance(spec, CustomWidgetSpec):
        _validate(spec, target, out, checks, png)
    passed = all(c["passed"] for c in checks)
    (out / "validation.json").write_text(json.dumps({"passed": passed, "checks": checks}, indent=2))
    (out / "summary.md").write_text(_summary(name, target, spec, checks, passed, llm.mode))
    shown = out.relative_to(PROJECT_ROOT) if out.is_relative_to(PROJECT_ROOT) else out
    print(f"{'PASS' if passed else 'FAIL'} {name} → {shown}")
    return passed


def _validate(
    spec: CustomWidgetSpec, target: dict[str, Any], out: Path, checks: list, png: bool
) -> None:
    (out / "component_spec.json").write_text(spec.model_dump_json(indent=2))
    tsx = out / f"{spec.display_name}.tsx"
    tsx.write_text(spec.tsx_source)
    expect = target.get("expect") or {}
    if "display_name" in expect:
        same = spec.display_name == expect["display_name"]
        checks.append({"name": "expected_component", "passed": same, "detail": spec.display_name})
    if "intent" in expect:
        kind = "records" if getattr(spec.data_intent, "kind", "") == "records" else "aggregate"
        checks.append({"name": "expected_intent", "passed": kind == expect["intent"],
                       "detail": kind})  # fmt: skip
    for check in check_component(spec).checks:
        checks.append({"name": f"static:{check.name}", **check.model_dump(exclude={"name"})})
    issues = [i for i in component_issues(spec) if i["code"] == "records_intent"]
    detail = issues[0]["message"] if issues else "compiles and passes the gate"
    checks.append({"name": "data_intent_gated", "passed": not issues, "detail": detail})
    result = typecheck(tsx)
    checks.append({"name": "tsc", "passed": result.passed, "detail": result.output or "no errors"})
    if png:
        outcome = _render_png(
            spec, target.get("sample_rows") or [], out / f"{spec.display_name}.png"
        )
        error = outcome.get("error")
        checks.append({"name": "sandbox_render", "passed": error is None,
                       "detail": json.dumps(error or outcome)})  # fmt: skip


def _summary(
    name: str, target: dict, spec: Any, checks: list[dict[str, Any]], passed: bool, mode: str
) -> str:
    lines = [
        f"# clarifier-eval: {name} — {'PASS' if passed else 'FAIL'}",
        "",
        f"- request: {target['request']!r}",
        f"- builder mode: {mode}",
        f"- component: {getattr(spec, 'display_name', '—')} ({getattr(spec, 'title', '—')})",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    for check in checks:
        detail = str(check.get("detail", "")).replace("|", "\\|").replace("\n", " ")[:160]
        lines.append(f"| {check['name']} | {'PASS' if check['passed'] else 'FAIL'} | {detail} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """CLI: `--target NAME` (default: every target); `--no-png` skips the browser render."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="")
    parser.add_argument("--no-png", action="store_true")
    args = parser.parse_args(argv)
    names = [args.target] if args.target else target_names()
    results = {name: evaluate_target(name, png=not args.no_png) for name in names}
    failed = [n for n, ok in results.items() if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} targets passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
