"""`reflex run` in dev mode: start-up work once per run, hot reload only on source changes.

Reflex's dev server watches every top-level entry of the project root (hidden and `__*`
directories aside) and restarts its backend worker on any change. The app writes its own
files under `data/` (SQLite, the DuckDB warehouse, checkpoints): without the exclusions below
each write restarted the worker, which restarted the warehouse build, which wrote again.

`rxconfig.py` calls `configure_dev_run()`; in the `reflex run` CLI process (dev mode only) it
excludes non-source directories from hot reload and runs migrate/seed/warehouse once, before
Reflex checks the schema or starts a worker. Workers inherit `STARTUP_DONE_ENV` and skip it;
`docker/entrypoint.sh` (production) sets it the same way after its bootstrap.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from command_center.settings import PROJECT_ROOT, Settings

STARTUP_DONE_ENV = "CC_STARTUP_DONE"
EXCLUDE_ENV = "REFLEX_HOT_RELOAD_EXCLUDE_PATHS"
# Top-level directories that are never part of the running app.
NOT_APP_SOURCE = ("data", "tests", "bench", "docs", "site", "docker", "scripts", "reflex.lock")


def is_dev_run(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> bool:
    """True for the `reflex run` CLI in dev mode (not `--env prod`, not other commands)."""
    argv = list(sys.argv if argv is None else argv)
    env = dict(os.environ if env is None else env)
    if len(argv) < 2 or Path(argv[0]).name not in {"reflex", "__main__.py"} or argv[1] != "run":
        return False
    mode = env.get("REFLEX_ENV_MODE", "dev")
    for index, arg in enumerate(argv):
        if arg == "--env" and index + 1 < len(argv):
            mode = argv[index + 1]
        elif arg.startswith("--env="):
            mode = arg.split("=", 1)[1]
    return mode.lower() == "dev"


def reload_excludes(settings: Settings, root: Path = PROJECT_ROOT) -> list[Path]:
    """Existing top-level paths dev mode must not watch: data, tests, docs, builds, lock files."""
    candidates = [root / name for name in NOT_APP_SOURCE]
    data_dir = settings.data_dir.resolve()
    if data_dir.parent == root.resolve():  # Reflex only compares top-level entries
        candidates.append(data_dir)
    seen: list[Path] = []
    for path in candidates:
        if path.exists() and all(not path.samefile(other) for other in seen):
            seen.append(path)
    return seen


def exclude_from_hot_reload(paths: Sequence[Path]) -> str:
    """Add `paths` to REFLEX_HOT_RELOAD_EXCLUDE_PATHS (keeping the developer's own entries)."""
    current = [p for p in os.environ.get(EXCLUDE_ENV, "").split(os.pathsep) if p]
    merged = current + [str(p) for p in paths if str(p) not in current]
    os.environ[EXCLUDE_ENV] = os.pathsep.join(merged)
    return os.environ[EXCLUDE_ENV]


def startup_done() -> bool:
    """True in a process whose parent (`reflex run` in dev, or docker/entrypoint.sh) already
    migrated, seeded and built."""
    return os.environ.get(STARTUP_DONE_ENV) == "1"


def configure_dev_run(settings: Settings) -> None:
    """In the `reflex run` (dev) CLI process: exclude data from reload, prepare once."""
    if not is_dev_run() or startup_done():
        return
    import subprocess

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    exclude_from_hot_reload(reload_excludes(settings))
    # A child process: the CLI stays free of driver state, Ctrl-C stops the build cleanly.
    done = subprocess.run([sys.executable, "-m", "command_center.bootstrap"], check=False)
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    os.environ[STARTUP_DONE_ENV] = "1"
