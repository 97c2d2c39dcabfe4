"""Offline builder on the blind set (`tests/data/clarifier_blind.yaml`), written by someone who
read only the product description, the catalog labels and the dictionary — never the parser.

Item format (as clarifier_labelled.yaml): `request` plus either `ask: <field>` or the expected
`type`, `metric` (catalog id, or the composed id `<agg>_<column|rows>_<table>`), `dimensions`,
`chart_kind`, `filters`, `window_days`. Reports accuracy, the share that asked and the share
confidently wrong (a spec that differs from the label). Targets: ≥ 95% right, ≤ 1% wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.widget_helpers import by_name, collect, memory_runner, outcome_matches

BLIND_PATH = Path(__file__).parent / "data" / "clarifier_blind.yaml"


async def test_blind_set_accuracy() -> None:
    if not BLIND_PATH.is_file():
        pytest.skip("tests/data/clarifier_blind.yaml not written yet (must be written blind)")
    items = yaml.safe_load(BLIND_PATH.read_text())
    runner = memory_runner()
    right = asked = wrong = 0
    failures = []
    for item in items:
        events = await collect(runner.start_clarification(item["request"]))
        ok, why = outcome_matches(item, events)
        if ok:
            right += 1
            continue
        if by_name(events, "questions"):
            asked += 1
        else:
            wrong += 1
        failures.append(f"{item['request']!r}: {why}")
    n = len(items)
    print(f"blind: right {right / n:.1%}, asked {asked / n:.1%}, wrong {wrong / n:.1%} of {n}")
    print("\n".join(failures))
    assert wrong / n <= 0.01, "\n".join(failures)
    assert right / n >= 0.95, "\n".join(failures)
