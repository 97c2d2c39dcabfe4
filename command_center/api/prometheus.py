"""GET /metrics: Prometheus exposition for operators (command_center/instruments.py).

METRICS_ENABLED=false answers 404. METRICS_REQUIRE_TOKEN=true (the default) asks for a bearer
token with the viewer role or higher when sign-in is on (labels name the LLM models in use);
the open demo (AUTH_MODE=open, no API_TOKEN) stays open, like every other route.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from command_center.api.auth import require_viewer
from command_center.api.problems import ProblemError
from command_center.instruments import render
from command_center.settings import get_settings

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def get_metrics(request: Request) -> Response:
    """Counters, gauges and histograms in the Prometheus text format."""
    settings = get_settings()
    if not settings.metrics_enabled:
        raise ProblemError(404, "Not Found", "metrics are disabled (METRICS_ENABLED=false)")
    if settings.metrics_require_token:
        await require_viewer(request)
    body, content_type = render()
    return Response(body, media_type=content_type)
