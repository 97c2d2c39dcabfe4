"""Every response carries `frame-src 'self'`: a custom widget's frame cannot navigate away."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from command_center.api.frame_policy import FramePolicyMiddleware


def _client() -> TestClient:
    app = FastAPI()
    app.add_middleware(FramePolicyMiddleware)

    @app.get("/page")
    def page() -> HTMLResponse:
        return HTMLResponse("<html></html>")

    @app.get("/own")
    def own() -> HTMLResponse:
        return HTMLResponse("x", headers={"Content-Security-Policy": "default-src 'none'"})

    return TestClient(app)


def test_pages_get_the_frame_policy() -> None:
    response = _client().get("/page")
    assert response.headers["content-security-policy"] == "frame-src 'self'"


def test_a_response_with_its_own_policy_keeps_it() -> None:
    response = _client().get("/own")
    assert response.headers.get_list("content-security-policy") == ["default-src 'none'"]


def test_the_app_installs_it() -> None:
    from command_center.api.app import build_api

    assert any(m.cls is FramePolicyMiddleware for m in build_api().user_middleware)
