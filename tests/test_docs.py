"""The documentation site builds strictly, its API page matches the code, and every file path
the docs (and the README) cite exists."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from command_center.api.app import build_api

ROOT = Path(__file__).resolve().parents[1]
# a path: top-level name with a slash, or a file name with a known extension
PATHLIKE = re.compile(
    r"^(?:[\w.-]+/)+[\w.*-]*$|^[\w.-]+\.(?:py|md|yaml|yml|csv|sh|json|toml|lock|ini|tsx|jsx|conf)$"
)
GENERATED = ("data/", "DATA_DIR/", "site/", ".web/", ".tools/", ".venv/")  # made at run time
# not paths: elisions, media types, protocol names like cc-widget/1
NOT_PATHS = re.compile(r"^(?:\.\.\.|text/|application/)|/\d+$")


def cited_paths(text: str) -> set[str]:
    """Backticked tokens that look like repository paths (not routes, URLs or commands)."""
    found = set()
    for token in re.findall(r"`([^`\s]+)`", text):
        token = token.rstrip(".,:;")
        if token.startswith(("/", "http", "$", "-")) or "://" in token or "{" in token:
            continue
        if PATHLIKE.match(token) and not NOT_PATHS.search(token):
            found.add(token)
    return found


def _exists(token: str) -> bool:
    if any(token.startswith(prefix) for prefix in GENERATED):
        return True
    if "*" in token:
        return any(ROOT.glob(token))
    bases = (ROOT, ROOT / "docs", ROOT / "command_center", ROOT / "custom_components")
    candidates = [base / token for base in bases]
    if "/" not in token:  # a bare file name: anywhere in the repository
        return any(p.name == token for p in ROOT.rglob(token) if ".venv" not in p.parts)
    if any(c.exists() for c in candidates):
        return True
    ignored = subprocess.run(["git", "check-ignore", "-q", token], cwd=ROOT, check=False)
    return ignored.returncode == 0  # built at setup (e.g. assets/sandbox/runtime.js)


def test_every_cited_path_exists() -> None:
    pages = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
    missing = {
        f"{page.relative_to(ROOT)}: {token}"
        for page in pages
        for token in cited_paths(page.read_text())
        if not _exists(token)
    }
    assert not missing, sorted(missing)


def test_the_path_check_can_fail() -> None:
    assert cited_paths("see `command_center/nope.py` and `/v1/health`") == {
        "command_center/nope.py"
    }
    assert not _exists("command_center/nope.py")


def test_site_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    api_page = (tmp_path / "api" / "index.html").read_text()
    served = build_api().openapi()
    assert "{{ openapi_operations }}" not in api_page
    assert all(f"<code>{path}</code>" in api_page for path in served["paths"]), "API page"
    assert json.loads((tmp_path / "api" / "openapi.json").read_text()) == json.loads(
        json.dumps(served)
    )
    assert "Benchmark results" in (tmp_path / "benchmarks" / "index.html").read_text()
