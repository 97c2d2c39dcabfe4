"""The clarifier eval harness end to end, offline: graph → component → static checks, tsc,
a PNG rendered in the sandbox (headless Chromium), artifacts on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from command_center.eval import clarifier_eval
from command_center.widgets.custom import templates

CHROMIUM = Path("/usr/bin/chromium")


def test_every_target_is_listed_and_loads() -> None:
    names = clarifier_eval.target_names()
    assert len(names) >= 5
    for name in names:
        target = clarifier_eval.load_target(name)
        assert target["request"] and target["sample_rows"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian Chromium not installed")
def test_harness_end_to_end_offline(tmp_path: Path, settings_env: Path) -> None:
    assert clarifier_eval.evaluate_target("alerts_feed", out_root=tmp_path)
    (run,) = (tmp_path / "alerts_feed").iterdir()
    names = {p.name for p in run.iterdir()}
    assert {"transcript.json", "component_spec.json", "AlertsFeed.tsx", "validation.json",
            "summary.md", "AlertsFeed.png"} <= names  # fmt: skip
    validation = json.loads((run / "validation.json").read_text())
    checks = {c["name"]: c["passed"] for c in validation["checks"]}
    assert validation["passed"] and checks["tsc"] and checks["sandbox_render"]
    assert checks["static:no_inline_style"] and checks["data_intent_gated"]
    stages = [e["data"].get("stage") for e in json.loads((run / "transcript.json").read_text())]
    assert stages[:3] == ["contextLoader", "intentExtractor", "metricMatcher"]
    assert "componentCritic" in stages
    assert (run / "AlertsFeed.png").read_bytes()[:4] == b"\x89PNG"
    assert "| tsc | PASS |" in (run / "summary.md").read_text()


@pytest.mark.parametrize(
    ("kind_type", "failed"),
    [("any", "static:no_any"), ("number", "tsc")],  # tsc: kind.includes on a number
)
def test_a_bad_component_fails_the_harness(
    tmp_path: Path,
    settings_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind_type: str,
    failed: str,
) -> None:
    original = templates.render_tsx

    def mutated(template, values):  # type: ignore[no-untyped-def]
        return original(template, values).replace("(kind: string)", f"(kind: {kind_type})")

    monkeypatch.setattr(templates, "render_tsx", mutated)
    assert not clarifier_eval.evaluate_target("alerts_feed", out_root=tmp_path, png=False)
    (run,) = (tmp_path / "alerts_feed").iterdir()
    summary = (run / "summary.md").read_text()
    assert "— FAIL" in summary and f"| {failed} | FAIL |" in summary
