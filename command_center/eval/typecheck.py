"""`tsc --noEmit` over a custom widget's TSX, with React's types and the sandbox's globals."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pydantic import BaseModel

from command_center.widgets.custom.checks import NODE_PROJECT, bun_path

# What the sandbox puts in scope besides JS built-ins (see sandbox_runtime/scope.json).
# React itself is the UMD global of @types/react (allowUmdGlobalAccess).
SANDBOX_GLOBALS_D_TS = """type IconProps = {
  name?: string; size?: number; className?: string; strokeWidth?: number;
};
declare const Icon: React.FC<IconProps> & Record<string, React.FC<IconProps>>;
"""


class TypecheckResult(BaseModel):
    """tsc's verdict and its diagnostics."""

    passed: bool
    output: str


def typecheck(tsx_path: Path, timeout: float = 120.0) -> TypecheckResult:
    """Run TypeScript (from npm, installed by `make setup`) on `tsx_path` with --noEmit."""
    work = tsx_path.parent
    (work / "sandbox-globals.d.ts").write_text(SANDBOX_GLOBALS_D_TS)
    types = NODE_PROJECT / "node_modules" / "@types"
    config = {
        "compilerOptions": {
            "target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler",
            "jsx": "react", "strict": True, "noEmit": True, "skipLibCheck": True,
            "isolatedModules": True, "lib": ["ES2022", "DOM"], "allowUmdGlobalAccess": True,
            "typeRoots": [str(types)], "types": ["react"],
            "baseUrl": str(NODE_PROJECT), "paths": {"react": [str(types / "react")]},
        },
        "files": [str(tsx_path), str(work / "sandbox-globals.d.ts")],
    }  # fmt: skip
    (work / "tsconfig.json").write_text(json.dumps(config, indent=2))
    tsc = NODE_PROJECT / "node_modules" / "typescript" / "bin" / "tsc"
    completed = subprocess.run(
        [bun_path(), str(tsc), "-p", str(work / "tsconfig.json")],
        capture_output=True, timeout=timeout, check=False, cwd=work,
    )  # fmt: skip
    output = (completed.stdout + completed.stderr).decode(errors="replace").strip()
    return TypecheckResult(passed=completed.returncode == 0, output=output[-4000:])
