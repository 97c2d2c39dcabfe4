"""A bare page hosting the custom-widget sandbox outside Reflex (eval PNGs, benchmarks).

It serves `host.html` + `host.js` (custom_components/sandbox_runtime/host.jsx: the same
SandboxedWidget the dashboard uses) next to `sandbox/run.html` and the runtime bundle, over
a local HTTP server, and drives it with Playwright in Debian's Chromium.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from command_center.settings import PROJECT_ROOT
from command_center.widgets.custom.checks import RUNTIME_DIR, bun_path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SANDBOX_ASSETS = PROJECT_ROOT / "assets" / "sandbox"
BUNDLE_FLAGS = ["--format", "iife", "--minify", "--target", "browser",
                "--define", 'process.env.NODE_ENV="production"']  # fmt: skip


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        pass


def bundle(entry: Path, target: Path) -> Path:
    """`bun build` one entry into a classic IIFE script at `target` (as `make setup` does),
    written under a temporary name and renamed: a concurrent reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    subprocess.run(
        [bun_path(), "build", str(entry), "--outfile", str(partial), *BUNDLE_FLAGS],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    os.replace(partial, target)
    return target


def build_host(out_dir: Path) -> Path:
    """Bundle host.jsx (React + SandboxedWidget) into `out_dir/host.js`."""
    return bundle(RUNTIME_DIR / "host.jsx", out_dir / "host.js")


def ensure_compiler() -> Path:
    """assets/sandbox/compiler.js, built from the sources when missing (e.g. a checkout that
    has runtime.js from elsewhere but never ran `make setup`)."""
    target = SANDBOX_ASSETS / "compiler.js"
    if not target.exists():
        bundle(RUNTIME_DIR / "compiler.js", target)
    return target


class SandboxHost:
    """`with SandboxHost() as host:` → `host.url` serves host.html and the sandbox (run.html
    and the bundles from `bundles`, by default assets/sandbox)."""

    def __init__(self, bundles: Path = SANDBOX_ASSETS) -> None:
        self.url = ""
        self.bundles = bundles
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> SandboxHost:
        if not (self.bundles / "runtime.js").exists():
            raise RuntimeError(f"{self.bundles / 'runtime.js'} is missing: run `make setup`")
        if self.bundles == SANDBOX_ASSETS:
            ensure_compiler()
        self._dir = tempfile.TemporaryDirectory(prefix="cc-sandbox-host-")
        root = Path(self._dir.name)
        build_host(root)
        shutil.copy(RUNTIME_DIR / "host.html", root / "host.html")
        (root / "sandbox").mkdir()
        for name in ("run.html", "runtime.js", "compiler.js"):
            (root / "sandbox" / name).symlink_to(self.bundles / name)
        handler = functools.partial(_Quiet, directory=str(root))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/host.html"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._dir is not None:
            self._dir.cleanup()


def render(
    page: Any, spec: dict[str, Any], rows: list[dict[str, Any]], compiled: str = ""
) -> dict[str, Any]:
    """Render `spec` with `rows` (and the server-compiled JS, when given: no Babel in the
    frame) on a loaded host page; the first `rendered` event, or an
    `{"error": {kind, message}}` dict when the sandbox showed an error card."""
    page.evaluate("() => { window.ccEvents.length = 0; }")
    page.evaluate(
        "(p) => window.ccRender(p)",
        {
            "widgetId": spec.get("display_name", "widget"),
            "source": spec["tsx_source"],
            "compiled": compiled,
            "displayName": spec["display_name"],
            "rows": rows,
            "columns": list(rows[0].keys()) if rows else [],
        },
    )
    return page.evaluate(
        """() => new Promise((done) => {
          const poll = () => {
            if (window.ccEvents.length > 0) return done(window.ccEvents[0]);
            const card = document.querySelector('.cc-widget-error');
            if (card) return done({error: {kind: card.dataset.errorKind, message: card.innerText}});
            setTimeout(poll, 10);
          };
          poll();
        })"""
    )
