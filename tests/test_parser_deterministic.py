"""The offline parser's understanding does not depend on Python's string-hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import yaml
from command_center.semantic.layer import build_layer
from command_center.semantic.parser import understand
from command_center.widgets.context import seeded_catalog
layer = build_layer(seeded_catalog())
for item in yaml.safe_load(open("tests/data/clarifier_labelled.yaml")):
    print(repr(understand(item["request"], layer)))
"""


def _understood(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_every_tuning_request_is_understood_the_same_under_any_hash_seed() -> None:
    first = _understood("0")
    assert first.count("\n") >= 120
    for seed in ("1", "2", "3"):
        assert _understood(seed) == first, f"PYTHONHASHSEED={seed} changed an understanding"
