"""`/v1/auth/oidc/login` and `/v1/auth/oidc/callback`: single sign-on into a browser session."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from command_center.api.problems import ProblemError
from command_center.auth.oidc import OidcError, finish_login, start_login
from command_center.auth.sessions import create_session
from command_center.settings import get_settings

router = APIRouter(prefix="/auth/oidc", tags=["sign-in"])
FLOW_COOKIE = "cc_oidc_flow"
SESSION_COOKIE = "cc_session"  # the Reflex state reads it (ui/states/session.py)
FLOW_SECONDS = 600


def _redirect_uri(request: Request) -> str:
    base = get_settings().public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/v1/auth/oidc/callback"


def _secure(request: Request) -> bool:
    """`Secure` behind a TLS-terminating proxy too (PUBLIC_URL https), not only on https."""
    return request.url.scheme == "https" or get_settings().secure_cookies


def _check_enabled() -> None:
    settings = get_settings()
    if settings.auth_mode == "open" or not settings.oidc_enabled:
        raise ProblemError(404, "Single sign-on is not configured")


@router.get("/login")
async def oidc_login(request: Request) -> RedirectResponse:
    """Send the browser to the provider (state, nonce and PKCE verifier in an HttpOnly cookie)."""
    _check_enabled()
    try:
        start = await start_login(get_settings(), _redirect_uri(request))
    except OidcError as exc:
        raise ProblemError(exc.status, "Single sign-on failed", str(exc)) from None
    response = RedirectResponse(start.url, status_code=302)
    response.set_cookie(
        FLOW_COOKIE,
        start.flow,
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/v1/auth/oidc",
    )
    return response


@router.get("/callback")
async def oidc_callback(
    request: Request,
    code: str = Query(default="", max_length=2000),
    state: str = Query(default="", max_length=200),
    error: str = Query(default="", max_length=200),
) -> RedirectResponse:
    """Finish the code flow, start a session, set its cookie and go to the dashboard."""
    _check_enabled()
    if error or not code:
        raise ProblemError(400, "Single sign-on failed", error or "no authorization code")
    settings = get_settings()
    flow = request.cookies.get(FLOW_COOKIE, "")[:400]
    try:
        user = await finish_login(settings, _redirect_uri(request), code, state, flow)
    except OidcError as exc:
        raise ProblemError(exc.status, "Single sign-on failed", str(exc)) from None
    token = await asyncio.to_thread(create_session, int(user.id or 0))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(FLOW_COOKIE, path="/v1/auth/oidc")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_minutes * 60,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    return response
