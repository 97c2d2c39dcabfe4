"""What the browser and server benchmarks share: the production build on a free port with a
throwaway data dir (tests/e2e/prod_server.py), Debian's headless Chromium, and the
nearest-rank percentile their figures are quoted in."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.e2e.prod_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ProdServer,
    start_prod_server,
    stop_prod_server,
)


@contextlib.contextmanager
def prod_server(
    start: Callable[[Path], ProdServer] = start_prod_server,
) -> Iterator[ProdServer]:
    """A running server (`start_prod_server`, or e.g. `start_backend_only`) in a temporary
    data dir; stopped and removed on exit."""
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        server = start(Path(tmp))
        try:
            yield server
        finally:
            stop_prod_server(server)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (`pct` in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]
