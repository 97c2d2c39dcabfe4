"""End-to-end fixtures: the production build and headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.prod_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PrerequisiteMissing,
    ProdServer,
    start_prod_server,
    stop_prod_server,
)

REQUIRE_E2E = os.environ.get("CC_REQUIRE_E2E") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_E2E:
        pytest.fail(f"e2e prerequisite missing: {reason} (CC_REQUIRE_E2E=1)")
    pytest.skip(reason)


def launch_server(tmp: Path, extra_env: dict[str, str] | None = None) -> ProdServer:
    """Start a production server, turning missing prerequisites into skip/fail."""
    try:
        return start_prod_server(tmp, extra_env)
    except PrerequisiteMissing as exc:
        _missing(str(exc))
        raise


@pytest.fixture(scope="session")
def prod_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdServer]:
    """One production build shared by the browser tests (embedded defaults)."""
    server = launch_server(tmp_path_factory.mktemp("prod"))
    yield server
    stop_prod_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} not installed")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page; console errors are collected on `page.console_errors`."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    new_page = context.new_page()
    new_page.console_errors = []
    new_page.on(
        "console", lambda msg: msg.type == "error" and new_page.console_errors.append(msg.text)
    )
    yield new_page
    context.close()
