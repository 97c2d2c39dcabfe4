"""RFC 7807 problem documents (`application/problem+json`)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 2
log = logging.getLogger(__name__)


def database_unavailable_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the OLTP database cannot be reached right now"."""
    import psycopg

    return (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.DisconnectionError,
        sa_exc.TimeoutError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
    )


def problem(
    status: int, title: str, detail: str = "", type_: str = "about:blank", **extra: Any
) -> dict[str, Any]:
    """Build a problem document as a dict."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def problem_response(
    status: int, title: str, detail: str = "", headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A JSONResponse carrying a problem document with the problem+json media type."""
    return JSONResponse(
        problem(status, title, detail, **extra),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers


def validation_problem(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Turn Pydantic/FastAPI validation errors into one problem naming the first bad field."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid body"}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body",)]
    field = ".".join(loc) or None
    detail = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    invalid = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e["msg"]}
        for e in errors
    ]
    return problem(422, "Invalid request", detail, field=field, errors=invalid)


def problem_error_response(exc: ProblemError) -> JSONResponse:
    """The answer to a raised `ProblemError`."""
    return problem_response(exc.status, exc.title, exc.detail, exc.headers, **exc.extra)


def unavailable_response(path: str, exc: Exception) -> JSONResponse:
    """503 with Retry-After: the OLTP database cannot be reached."""
    log.warning("database unavailable on %s: %s", path, exc)
    response = problem_response(
        503,
        "Database unavailable",
        "the operational database cannot be reached; retry later (retries are safe: "
        "events are idempotent on event_id)",
        type_="urn:command-center:database-unavailable",
        retry_after=RETRY_AFTER_SECONDS,
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the API returns a problem document."""

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            validation_problem(list(exc.errors())), status_code=422, media_type=PROBLEM_MEDIA_TYPE
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail))

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        return unavailable_response(request.url.path, exc)

    for error in database_unavailable_errors():
        app.add_exception_handler(error, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            500, "Internal error", "the server failed to answer; the error was logged"
        )
