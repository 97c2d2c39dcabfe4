"""GET /metrics: Prometheus exposition for operators (command_center/instruments.py).

METRICS_ENABLED=false answers 404; METRICS_REQUIRE_TOKEN=true asks for the API bearer token
(the same guard as the write endpoints) so a public deployment does not leak its counters.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from command_center.api.auth import require_token
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
        await require_token(request)
    body, content_type = render()
    return Response(body, media_type=content_type)
