"""The error classifier maps driver exceptions onto the four typed kinds."""

from __future__ import annotations

import socket
import sqlite3

import duckdb
import psycopg
import pytest
import sqlalchemy.exc
from databricks.sql import exc as dbexc

from command_center.warehouse.errors import (
    WarehouseAuthError,
    WarehouseError,
    WarehouseQueryError,
    WarehouseTimeout,
    WarehouseUnavailable,
    classify_error,
)


def _wrapped(inner: Exception) -> Exception:
    outer = sqlalchemy.exc.OperationalError("SELECT 1", {}, inner)
    return outer


CASES = [
    # databricks-sql-connector
    (dbexc.RequestError("Error during request to server", {"http-code": 401}), "auth"),
    (dbexc.RequestError("HTTP request failed: 403 Forbidden"), "auth"),
    (dbexc.RequestError("Error during request to server: Invalid access token"), "auth"),
    (
        dbexc.MaxRetryDurationError(
            "Retry request would exceed Retry policy max retry duration of 15 seconds"
        ),
        "unavailable",
    ),
    (dbexc.NonRecoverableNetworkError("Received code 501"), "unavailable"),
    (dbexc.RequestError("HTTP request failed", {"http-code": 503}), "unavailable"),
    (
        dbexc.RequestError("Error during request to server: [Errno -2] Name or service not known"),
        "unavailable",
    ),
    (
        dbexc.OperationalError("Error during request to server: The read operation timed out"),
        "timeout",
    ),
    (dbexc.ServerOperationError("[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'"), "query"),
    (
        dbexc.ServerOperationError("[TABLE_OR_VIEW_NOT_FOUND] The table `x` cannot be found"),
        "query",
    ),
    (
        dbexc.ServerOperationError(
            "[INSUFFICIENT_PERMISSIONS] PERMISSION_DENIED: User does not have SELECT"
        ),
        "auth",
    ),
    (dbexc.ServerOperationError("Query was cancelled: statement timeout exceeded"), "timeout"),
    (dbexc.ProgrammingError("Invalid parameter"), "query"),
    (dbexc.InterfaceError("Cannot create cursor from closed connection"), "unavailable"),
    # duckdb
    (duckdb.CatalogException("Catalog Error: Table with name x does not exist!"), "query"),
    (duckdb.ParserException("Parser Error: syntax error at or near SELEC"), "query"),
    (duckdb.InterruptException("INTERRUPT Error: Interrupted!"), "timeout"),
    (duckdb.IOException("IO Error: Cannot open file"), "unavailable"),
    # psycopg (bare and wrapped by SQLAlchemy)
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), "timeout"),
    (psycopg.errors.InvalidPassword("password authentication failed for user x"), "auth"),
    (psycopg.errors.UndefinedTable('relation "nope" does not exist'), "query"),
    (
        psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"),
        "query",
    ),
    (
        psycopg.OperationalError('connection failed: connection to server at "127.0.0.1" refused'),
        "unavailable",
    ),
    (
        psycopg.OperationalError(
            'connection failed: FATAL: password authentication failed for user "x"'
        ),
        "auth",
    ),
    (
        _wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
        "timeout",
    ),
    (_wrapped(psycopg.OperationalError("connection failed: Connection refused")), "unavailable"),
    # sqlite
    (sqlite3.OperationalError("interrupted"), "timeout"),
    (sqlite3.OperationalError("no such table: nope"), "query"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "query"),
    (sqlite3.OperationalError("unable to open database file"), "unavailable"),
    # plain Python / sockets
    (TimeoutError("timed out"), "timeout"),
    (ConnectionResetError(104, "Connection reset by peer"), "unavailable"),
    (socket.gaierror(-2, "Name or service not known"), "unavailable"),
    (ConnectionRefusedError(111, "Connection refused"), "unavailable"),
    (RuntimeError("something odd"), "query"),
]


@pytest.mark.parametrize(
    ("error", "kind"), CASES, ids=[f"{type(e).__name__}-{k}" for e, k in CASES]
)
def test_classification(error: Exception, kind: str) -> None:
    typed = classify_error(error, backend="x")
    assert isinstance(typed, WarehouseError)
    assert typed.kind == kind
    assert typed.backend == "x"
    assert typed.message
    assert typed.__cause__ is error


def test_cause_chain_is_followed() -> None:
    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except OSError as inner:
            raise dbexc.Error("wrapped") from inner
    except dbexc.Error as outer:
        assert classify_error(outer).kind == "unavailable"


def test_typed_classes_and_kinds() -> None:
    assert {
        c.kind
        for c in (WarehouseTimeout, WarehouseAuthError, WarehouseUnavailable, WarehouseQueryError)
    } == {
        "timeout",
        "auth",
        "unavailable",
        "query",
    }
    existing = WarehouseTimeout("slow")
    assert classify_error(existing, backend="local") is existing
    assert existing.backend == "local"
    assert existing.to_dict() == {"kind": "timeout", "backend": "local", "message": "slow"}


@pytest.mark.parametrize(
    "message",
    [
        "Authorization: Bearer dapi0123456789abcdef0123 rejected",
        "bad token=dapi0123456789abcdef0123 for host",
        "postgresql://user:hunter2secret@db:5432/x unreachable",
        "password=hunter2secret host=db",
    ],
)
def test_messages_hide_secrets(message: str) -> None:
    typed = classify_error(RuntimeError(message))
    assert "dapi0123456789abcdef0123" not in typed.message
    assert "hunter2secret" not in typed.message


def test_message_is_one_bounded_line() -> None:
    typed = classify_error(RuntimeError("line one\nline two " + "x" * 1000))
    assert "\n" not in typed.message
    assert len(typed.message) <= 300
