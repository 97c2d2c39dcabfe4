"""Static checks of a custom widget's TSX, run at persist (a failing component is not saved).

The checks run in Babel (custom_components/sandbox_runtime/check.js under bun), the same
parser the sandbox compiles with: parses, balanced_brackets, props_type,
component_declared, exported, no_imports, sealed_scope, severity_keys_used,
design_colours, no_any, no_inline_style.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, Field

from command_center.settings import PROJECT_ROOT
from command_center.widgets.spec import ColourFamily

NODE_PROJECT = PROJECT_ROOT / "custom_components"
RUNTIME_DIR = NODE_PROJECT / "sandbox_runtime"
CHECK_SCRIPT = RUNTIME_DIR / "check.js"
# Tailwind colour families of the design system: the accents plus the neutral gray.
DESIGN_FAMILIES: tuple[str, ...] = get_args(ColourFamily)
CHECK_TIMEOUT_SECONDS = 30.0


class StaticCheck(BaseModel):
    """One named check and its verdict (detail says why it failed)."""

    name: str
    passed: bool
    detail: str = ""


class StaticCheckReport(BaseModel):
    """Every check's verdict for one component."""

    checks: list[StaticCheck] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[StaticCheck]:
        """The failed checks, in order."""
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """`name: detail; …` of the failed checks (what the operator and the model are told)."""
        return "; ".join(f"{c.name}: {c.detail}" for c in self.failed)


class CheckerUnavailable(RuntimeError):
    """bun or the sandbox runtime's node_modules are missing (run `make setup`)."""


def bun_path() -> str:
    """The bun executable: the repo's `.tools` copy, else one on PATH."""
    local = PROJECT_ROOT / ".tools" / "node_modules" / ".bin" / "bun"
    if local.exists():
        return str(local)
    found = shutil.which("bun")
    if not found:
        raise CheckerUnavailable("bun not found: run `make setup`")
    return found


def _request(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": fields["tsx_source"],
        "display_name": fields["display_name"],
        "props_type": fields["props_type"],
        "severity_keys": sorted(fields.get("severity_colors") or {}),
        "colour_families": list(DESIGN_FAMILIES),
    }


def run_bun_script(script: Path, payload: Any, timeout: float = CHECK_TIMEOUT_SECONDS) -> Any:
    """Run `script` under bun with `payload` as JSON on stdin; return its JSON stdout."""
    if not (NODE_PROJECT / "node_modules" / "@babel" / "standalone").is_dir():
        raise CheckerUnavailable(f"{NODE_PROJECT}/node_modules is missing: run `make setup`")
    completed = subprocess.run(
        [bun_path(), str(script)],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=timeout,
        cwd=RUNTIME_DIR,
        check=False,
    )
    if completed.returncode != 0:
        raise CheckerUnavailable(completed.stderr.decode(errors="replace")[-2000:])
    return json.loads(completed.stdout)


def check_components(items: list[dict[str, Any]]) -> list[StaticCheckReport]:
    """Static checks of several components in one bun process (fields as in the spec)."""
    if not items:
        return []
    out = run_bun_script(CHECK_SCRIPT, [_request(item) for item in items])
    return [StaticCheckReport.model_validate(item) for item in out]


def check_component(fields: dict[str, Any] | BaseModel) -> StaticCheckReport:
    """Static checks of one component: a CustomWidgetSpec, or a dict with its fields."""
    data = fields.model_dump() if isinstance(fields, BaseModel) else fields
    return check_components([data])[0]
