"""Shared helpers for API tests: prepared settings or TestClient, a problem-document assertion."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from command_center import resolver
from command_center.api.app import build_api
from command_center.api.problems import install_problem_handlers
from command_center.bootstrap import prepare
from command_center.settings import Settings, get_settings
from command_center.warehouse import factory

PROBLEM = "application/problem+json"


def reset_process_caches() -> None:
    """Forget cached warehouses and resolver state between tests."""
    factory.close_all()
    resolver.reset_caches()


@contextlib.contextmanager
def prepared() -> Iterator[Settings]:
    """Migrate, seed and build the warehouse for the current settings (process caches reset
    before and after); yields the settings."""
    reset_process_caches()
    try:
        settings = get_settings()
        prepare(settings)
        yield settings
    finally:
        reset_process_caches()


def prepared_client() -> Iterator[TestClient]:
    """`prepared()`, then a TestClient on the API."""
    with prepared(), TestClient(build_api()) as test_client:
        yield test_client


def v1_app(*routers: APIRouter, clarifier: Any = None) -> FastAPI:
    """A bare app with the RFC 7807 handlers and `routers` under /v1; with `clarifier`, the
    clarify routes use that runner instead of the process-wide one."""
    app = FastAPI()
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router, prefix="/v1")
    if clarifier is not None:
        from command_center.api.widgets import get_clarifier

        app.dependency_overrides[get_clarifier] = lambda: clarifier
    return app


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    """Assert an RFC 7807 problem document with `status`; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    return body
