"""Typed warehouse errors and the classifier that maps driver exceptions onto them.

Every failure a warehouse raises is one of four kinds — ``timeout``, ``auth``,
``unavailable``, ``query`` — so callers (API problem documents, UI badges) can react to
the kind without knowing which driver produced it. Messages never carry secrets.
"""

from __future__ import annotations

import errno
import re
import socket
import sqlite3
from collections.abc import Iterator
from typing import ClassVar

_MAX_MESSAGE = 300
_BACKEND_LABELS = {"databricks": "Databricks", "local": "The local warehouse", "oltp": "PostgreSQL"}
_KIND_PHRASES = {
    "timeout": "did not answer in time",
    "auth": "rejected the credentials",
    "unavailable": "is unavailable",
    "query": "rejected the query",
}


class WarehouseError(Exception):
    """Base of every warehouse failure: `kind`, `backend` and a readable, secret-free message."""

    kind: ClassVar[str] = "error"

    def __init__(self, message: str, *, backend: str = "") -> None:
        self.message = _clean(message) or self.default_message()
        self.backend = backend
        super().__init__(self.message)

    @classmethod
    def default_message(cls) -> str:
        """Fallback text when the driver gave none."""
        return "warehouse error"

    def describe(self) -> str:
        """One line for an operator: which warehouse, what went wrong, the driver's words."""
        source = next(
            (label for key, label in _BACKEND_LABELS.items() if key in self.backend),
            "The warehouse",
        )
        return f"{source} {_KIND_PHRASES.get(self.kind, 'failed')}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """JSON-safe form: kind, backend and message."""
        return {"kind": self.kind, "backend": self.backend, "message": self.message}

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(kind={self.kind!r}, backend={self.backend!r}, message={self.message!r})"


class WarehouseTimeout(WarehouseError):
    """The query or connection took longer than its deadline."""

    kind: ClassVar[str] = "timeout"

    @classmethod
    def default_message(cls) -> str:
        return "the warehouse did not answer in time"


class WarehouseAuthError(WarehouseError):
    """Credentials were rejected (HTTP 401/403, bad password, missing privilege)."""

    kind: ClassVar[str] = "auth"

    @classmethod
    def default_message(cls) -> str:
        return "the warehouse rejected the credentials"


class WarehouseUnavailable(WarehouseError):
    """The warehouse could not be reached (DNS, refused connection, 5xx, retries exhausted)."""

    kind: ClassVar[str] = "unavailable"

    @classmethod
    def default_message(cls) -> str:
        return "the warehouse is unavailable"


class WarehouseQueryError(WarehouseError):
    """The warehouse ran the statement and rejected it (syntax, missing table, bad type…)."""

    kind: ClassVar[str] = "query"

    @classmethod
    def default_message(cls) -> str:
        return "the warehouse rejected the query"


ERROR_KINDS: dict[str, type[WarehouseError]] = {
    cls.kind: cls
    for cls in (WarehouseTimeout, WarehouseAuthError, WarehouseUnavailable, WarehouseQueryError)
}

# --------------------------------------------------------------------------- redaction

_SECRET_PATTERNS = [
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ***"),
    (re.compile(r"\bdapi[0-9a-f]{16,}\b", re.I), "***"),
    (
        re.compile(r"(?i)(password|token|secret|access_token|pwd)(\s*[=:]\s*)[^\s&;,'\"]+"),
        r"\1\2***",
    ),
    (re.compile(r"(?i)(://[^:/@\s]+):[^@/\s]+@"), r"\1:***@"),
]


def _clean(message: str) -> str:
    """First meaningful line of a driver message, secrets masked, length bounded."""
    text = " ".join(str(message or "").split())
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1] + "…"
    return text


# --------------------------------------------------------------------------- classifier

_AUTH_WORDS = re.compile(
    r"(?i)\b(401|403|unauthori[sz]ed|forbidden|invalid access token|invalid token|"
    r"authentication failed|password authentication|permission denied|not authori[sz]ed|"
    r"credential|PERMISSION_DENIED|UNAUTHENTICATED|insufficient privilege|"
    r"role \"[^\"]*\" does not exist|no pg_hba\.conf entry)"
)
_TIMEOUT_WORDS = re.compile(
    r"(?i)(timed out|timeout|deadline exceeded|statement_timeout|canceling statement due to|"
    r"query was cancel+ed|operation was cancel+ed|interrupted)"
)
_UNAVAILABLE_WORDS = re.compile(
    r"(?i)(connection refused|could not connect|failed to establish|name or service not known|"
    r"temporary failure in name resolution|nodename nor servname|getaddrinfo|no route to host|"
    r"network is unreachable|connection reset|connection aborted|broken pipe|server closed|"
    r"max ?retr|retry|\b50[0-4]\b|\b429\b|service unavailable|bad gateway|too many requests|"
    r"temporarily unavailable|is starting|warehouse is stopped|connection is closed|"
    r"could not open|unable to open|database is locked)"
)
_AUTH_SQLSTATE = ("28", "42501")
_TIMEOUT_SQLSTATE = ("57014",)
_UNAVAILABLE_SQLSTATE = ("08", "53", "57P")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its SQLAlchemy `.orig`, and its cause/context chain (each once)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        item = stack.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        orig = getattr(item, "orig", None)
        if isinstance(orig, BaseException):
            stack.append(orig)
        stack.append(item.__cause__)
        stack.append(item.__context__)


def _http_code(exc: BaseException) -> int | None:
    context = getattr(exc, "context", None)
    if isinstance(context, dict):
        code = context.get("http-code")
        if isinstance(code, int):
            return code
        if isinstance(code, str) and code.isdigit():
            return int(code)
    for attr in ("code", "status", "status_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    return None


def _sqlstate(exc: BaseException) -> str:
    for attr in ("sqlstate", "pgcode"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None)
    if not isinstance(text, str) or not text:
        text = str(exc) or type(exc).__name__
    context = getattr(exc, "context", None)
    if isinstance(context, dict):
        extra = context.get("error-message") or ""
        if extra and extra not in text:
            text = f"{text}: {extra}"
    return text


def _module(exc: BaseException) -> str:
    return type(exc).__module__ or ""


def _kind_of(exc: BaseException) -> str | None:
    """The kind one exception in the chain points at, or None when it says nothing."""
    if isinstance(exc, WarehouseError):
        return exc.kind
    if isinstance(exc, TimeoutError):
        return "timeout"
    name = type(exc).__name__
    module = _module(exc)
    if name in {"ReadTimeoutError", "ConnectTimeoutError", "QueryCanceled", "Timeout"}:
        return "timeout"
    if name in {"InvalidAuthorization", "InsufficientPrivilege"}:
        return "auth"
    code = _http_code(exc)
    if code in (401, 403):
        return "auth"
    state = _sqlstate(exc)
    if state:
        if state.startswith(_AUTH_SQLSTATE):
            return "auth"
        if state.startswith(_TIMEOUT_SQLSTATE):
            return "timeout"
        if state.startswith(_UNAVAILABLE_SQLSTATE):
            return "unavailable"
    if isinstance(exc, socket.gaierror | ConnectionError):
        return "unavailable"
    if isinstance(exc, OSError) and exc.errno in (errno.ETIMEDOUT,):
        return "timeout"
    if isinstance(exc, OSError):  # disk, socket, file-system trouble: not the query's fault
        return "unavailable"
    if name in {"NewConnectionError", "MaxRetryError", "ProtocolError", "NameResolutionError"}:
        return "unavailable"
    if code is not None and (code >= 500 or code == 429):
        return "unavailable"
    message = _message(exc)
    # databricks-sql-connector
    if module.startswith("databricks."):
        if name in {
            "MaxRetryDurationError",
            "NonRecoverableNetworkError",
            "SessionAlreadyClosedError",
        }:
            return "timeout" if _TIMEOUT_WORDS.search(message) else "unavailable"
        if name in {"ServerOperationError", "ProgrammingError", "DataError", "NotSupportedError"}:
            if _TIMEOUT_WORDS.search(message):
                return "timeout"
            if _AUTH_WORDS.search(message):
                return "auth"
            return "query"
        if name in {
            "RequestError",
            "OperationalError",
            "InvalidServerResponseError",
            "UnsafeToRetryError",
        }:
            if _AUTH_WORDS.search(message):
                return "auth"
            if _TIMEOUT_WORDS.search(message):
                return "timeout"
            return "unavailable"
        if name in {"InterfaceError", "CursorAlreadyClosedError"}:
            return "unavailable"
    # duckdb
    if module.startswith("duckdb") or module.startswith("_duckdb"):
        if name in {"InterruptException"}:
            return "timeout"
        if name in {"IOException", "ConnectionException"}:
            return "unavailable"
        if name in {"PermissionException"}:
            return "query"
        return "query"
    # sqlite3
    if isinstance(exc, sqlite3.Error):
        if "interrupted" in message.lower():
            return "timeout"
        if isinstance(exc, sqlite3.OperationalError) and _UNAVAILABLE_WORDS.search(message):
            return "unavailable"
        return "query"
    # psycopg (3) / psycopg2
    if module.startswith(("psycopg", "psycopg2")):
        if _AUTH_WORDS.search(message):
            return "auth"
        if _TIMEOUT_WORDS.search(message):
            return "timeout"
        if name in {"OperationalError", "InterfaceError"} and not state:
            return "unavailable"
        return "query"
    return None


def classify_error(exc: BaseException, *, backend: str = "") -> WarehouseError:
    """Map any driver exception onto a typed `WarehouseError` (returned, not raised).

    Walks the exception, SQLAlchemy's `.orig` and the cause chain; the first link that
    points at a kind wins. Unknown exceptions fall back on keywords in the message, then
    on ``query``.
    """
    if isinstance(exc, WarehouseError):
        if backend and not exc.backend:
            exc.backend = backend
        return exc
    kind: str | None = None
    for link in _chain(exc):
        kind = _kind_of(link)
        if kind is not None:
            break
    message = _message(exc)
    if kind is None:
        if _AUTH_WORDS.search(message):
            kind = "auth"
        elif _TIMEOUT_WORDS.search(message):
            kind = "timeout"
        elif _UNAVAILABLE_WORDS.search(message):
            kind = "unavailable"
        else:
            kind = "query"
    error = ERROR_KINDS[kind](message, backend=backend)
    error.__cause__ = exc
    return error
