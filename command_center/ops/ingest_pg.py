"""Ingest on PostgreSQL through psycopg 3: the same reads and writes as the SQLAlchemy path,
as array parameters for two pipelined round trips per batch. The statements only (no I/O):
`ingest_pgconn` runs them, on a thread or on the event loop."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from command_center.ops.ingest_batch import (
    _CLAIM_COLUMNS,
    _DEVICE_COLUMNS,
    _EVENT_COLUMNS,
    _SESSION_COLUMNS,
    _ClaimRow,
    _Context,
    _context,
    _DeviceRow,
    _references,
)
from command_center.ops.ingest_columns import JSON_ARRAY_SQL, joined_documents, typed_column

# ---------------------------------------------------------------- PostgreSQL fast path
#
# The same reads and writes as `_load` and `_write`: array parameters (`= ANY(%b)`,
# `unnest`) instead of long IN lists and one statement per row, all reads in one pipeline and
# all writes with the COMMIT in another, so a batch costs two round trips. The look-ups send
# binary text arrays (`%b`). The written columns of a statement with many rows go as one
# text each, encoded in C (`ingest_columns`: typed columns as JSON lists, `json` columns as
# separator-joined documents): psycopg's array dumpers run per element in Python and were
# the largest client-side cost (~20% of a 500-event batch). A statement with a few rows
# keeps binary arrays, which cost the server less, and one with a single row (one event per
# request) sends scalar parameters, dumped in C (`_Bulk`). A new row that refers to another
# new row (a session on a claim filed in the same batch) finds its id by external id on the
# server: statements in a pipeline run in order, so the referenced row is already inserted.


def _pg_select(table: str, columns: Sequence[str], key: str, lock: bool = False) -> str:
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ANY(%b)"
    return f"{sql} ORDER BY id FOR UPDATE" if lock else sql


_PG_LOADS = (
    ("customer_id", _pg_select("customers", ("external_id", "id", "region"), "external_id")),
    ("plan_code", _pg_select("plans", ("code", "id"), "code")),
    ("device_id", _pg_select("devices", _DEVICE_COLUMNS, "external_id", lock=True)),
    ("claim_id", _pg_select("claims", _CLAIM_COLUMNS, "external_id", lock=True)),
    ("session_id", _pg_select("issue_sessions", _SESSION_COLUMNS, "external_id", lock=True)),
    # after the row locks: a concurrent batch that committed first is now visible
    ("event_id", _pg_select("events", _EVENT_COLUMNS, "event_id")),
)


Statement = tuple[str, Sequence[Any]]  # SQL, parameters


def load_statements(parsed: list[tuple[int, Any]]) -> list[tuple[str, Statement]]:
    """`_load` as (reference field, statement): what a batch refers to, rows locked by id."""
    refs = _references(parsed)
    return [(name, (sql, (refs[name],))) for name, sql in _PG_LOADS if refs[name]]


def load_context(fetched: dict[str, list[Any]]) -> _Context:
    """The working copy from the rows `load_statements` returned (named tuples)."""
    return _context(
        fetched.get("customer_id", ()),
        fetched.get("plan_code", ()),
        fetched.get("device_id", ()),
        fetched.get("claim_id", ()),
        fetched.get("session_id", ()),
        fetched.get("event_id", ()),
    )


JSON_FROM = 16  # rows from which a statement's columns go as one text rather than arrays


def _pg_array(pg_type: str, as_json: bool) -> str:
    """A typed array parameter for unnest: binary, or from one text (kept in order)."""
    if not as_json:
        return f"%b::{pg_type}[]"
    if pg_type == "json":  # the documents joined by a separator (`ingest_columns`)
        return JSON_ARRAY_SQL
    return (
        "ARRAY(SELECT e FROM json_array_elements_text(%s::json) WITH ORDINALITY a(e, n) "
        f"ORDER BY n)::{pg_type}[]"
    )


@dataclass(frozen=True)
class _Bulk:
    """One bulk statement over a row source, in three encodings: one row as scalar
    parameters (`VALUES`: psycopg dumps scalars in C, arrays element by element in Python),
    binary arrays for `unnest` (cheapest for a few rows: the server does no JSON work) and
    one text per column (cheapest for many: encoded in C, `ingest_columns`)."""

    one: str
    binary: str
    json: str
    json_fields: frozenset[int]  # positions of `json` columns (dumped per value when binary)

    def statement(self, rows: list[tuple[Any, ...]]) -> Statement | None:
        """The statement for `rows` (None for no rows)."""
        if not rows:
            return None
        if len(rows) == 1:
            return self.one, [
                json.dumps(v) if i in self.json_fields else v for i, v in enumerate(rows[0])
            ]
        columns = list(zip(*rows, strict=True))
        if len(rows) >= JSON_FROM:
            return self.json, [
                joined_documents(column) if i in self.json_fields else typed_column(column)
                for i, column in enumerate(columns)
            ]
        return self.binary, [
            [json.dumps(v) for v in column] if i in self.json_fields else list(column)
            for i, column in enumerate(columns)
        ]


def _bulk(fields: Sequence[tuple[str, str]], sql: Callable[[str, str], str]) -> _Bulk:
    """`sql(row source, alias list)` in the three encodings."""
    names = ", ".join(name for name, _type in fields)
    one = sql(f"(VALUES ({', '.join(f'%s::{pg_type}' for _name, pg_type in fields)}))", names)
    binary, as_json = (
        sql(f"unnest({', '.join(_pg_array(t, encoding) for _name, t in fields)})", names)
        for encoding in (False, True)
    )
    json_fields = frozenset(i for i, (_name, pg_type) in enumerate(fields) if pg_type == "json")
    return _Bulk(one, binary, as_json, json_fields)


def _pg_insert(table: str, fields: Sequence[tuple[str, str]], refs: dict[str, str]) -> _Bulk:
    """INSERT … SELECT FROM one row or unnest(arrays); `refs` maps an id column to the
    table it refers to, whose `<column>_ext` field carries the external id of a row new in
    this batch."""
    stored = [name for name, _type in fields if not name.endswith("_ext")]
    values = [
        f"COALESCE(v.{name}, (SELECT id FROM {refs[name]} WHERE external_id = v.{name}_ext))"
        if name in refs
        else f"v.{name}"
        for name in stored
    ]
    return _bulk(
        fields,
        lambda source, names: (
            f"INSERT INTO {table} ({', '.join(stored)}) SELECT {', '.join(values)} "
            f"FROM {source} AS v({names})"
        ),
    )


def _pg_update(table: str, fields: Sequence[tuple[str, str]]) -> _Bulk:
    """UPDATE … FROM one row or unnest(arrays) by id (the first field)."""
    sets = ", ".join(f"{name} = v.{name}" for name, _type in fields[1:])
    return _bulk(
        fields,
        lambda source, names: (
            f"UPDATE {table} AS t SET {sets} FROM {source} AS v({names}) WHERE t.id = v.id"
        ),
    )


_TS, _TEXT, _INT = "timestamptz", "text", "int"
_PG_DEVICE_INSERT = _pg_insert(
    "devices",
    (
        ("external_id", _TEXT),
        ("customer_id", _INT),
        ("plan_id", _INT),
        ("plan_status", _TEXT),
        ("enrolled_at", _TS),
        ("plan_cancelled_at", _TS),
        ("make", _TEXT),
        ("model", _TEXT),
        ("category", _TEXT),
        ("registered_at", _TS),
    ),
    {},
)
_PG_DEVICE_UPDATE = _pg_update(
    "devices",
    (
        ("id", _INT),
        ("plan_id", _INT),
        ("plan_status", _TEXT),
        ("enrolled_at", _TS),
        ("plan_cancelled_at", _TS),
    ),
)
_PG_CLAIM_INSERT = _pg_insert(
    "claims",
    (
        ("external_id", _TEXT),
        ("customer_id", _INT),
        ("device_id", _INT),
        ("device_id_ext", _TEXT),
        ("status", _TEXT),
        ("filed_at", _TS),
        ("decided_at", _TS),
        ("resolved_at", _TS),
        ("payout_amount", "numeric"),
        ("loss_type", _TEXT),
        ("region", _TEXT),
        ("channel", _TEXT),
    ),
    {"device_id": "devices"},
)
_PG_CLAIM_UPDATE = _pg_update(
    "claims",
    (
        ("id", _INT),
        ("status", _TEXT),
        ("decided_at", _TS),
        ("resolved_at", _TS),
        ("payout_amount", "numeric"),
    ),
)
_PG_SESSION_INSERT = _pg_insert(
    "issue_sessions",
    (
        ("external_id", _TEXT),
        ("customer_id", _INT),
        ("device_id", _INT),
        ("device_id_ext", _TEXT),
        ("claim_id", _INT),
        ("claim_id_ext", _TEXT),
        ("status", _TEXT),
        ("channel", _TEXT),
        ("topic", _TEXT),
        ("opened_at", _TS),
        ("escalated_at", _TS),
        ("resolved_at", _TS),
    ),
    {"device_id": "devices", "claim_id": "claims"},
)
_PG_SESSION_UPDATE = _pg_update(
    "issue_sessions",
    (("id", _INT), ("status", _TEXT), ("escalated_at", _TS), ("resolved_at", _TS)),
)
# No ON CONFLICT: every event id was checked after the row locks, so a conflict means a
# concurrent batch stored it since; the unique violation aborts the batch (and its COMMIT,
# queued behind it) and the batch is retried, where the id is then a duplicate.
_PG_EVENT_INSERT = _pg_insert(
    "events",
    (
        ("event_id", _TEXT),
        ("type", _TEXT),
        ("occurred_at", _TS),
        ("received_at", _TS),
        ("subject_id", _TEXT),
        ("payload", "json"),
    ),
    {},
)
_PG_STORED = "SELECT 1 FROM events WHERE event_id = ANY(%b) LIMIT 1"


def _ref(row: _DeviceRow | _ClaimRow | None) -> tuple[int | None, str | None]:
    """(id, external id) of a referenced row; the external id only for a row new here."""
    if row is None:
        return None, None
    return row.id, (row.external_id if row.id is None else None)


def _pg_writes(ctx: _Context, accepted: list[Any], now: datetime) -> list[Statement | None]:
    """The statements `_write` makes (None: no rows), in dependency order, events last.

    Rows are encoded table by table so only one table's row tuples are alive at a time
    (fewer tracked objects, fewer garbage-collector passes).
    """
    devices, claims, sessions = ctx.devices.values(), ctx.claims.values(), ctx.sessions.values()
    new_devices = _PG_DEVICE_INSERT.statement(
        [
            (
                d.external_id,
                d.customer_id,
                d.plan_id,
                d.plan_status,
                d.enrolled_at,
                d.plan_cancelled_at,
                d.new["make"],
                d.new["model"],
                d.new["category"],
                d.new["registered_at"],
            )
            for d in devices
            if d.new is not None
        ]
    )
    new_claims = _PG_CLAIM_INSERT.statement(
        [
            (
                c.external_id,
                c.customer_id,
                *_ref(c.device),
                c.status,
                c.filed_at,
                c.decided_at,
                c.resolved_at,
                c.payout_amount,
                c.new["loss_type"],
                c.new["region"],
                c.new["channel"],
            )
            for c in claims
            if c.new is not None
        ]
    )
    new_sessions = _PG_SESSION_INSERT.statement(
        [
            (
                s.external_id,
                s.new["customer_id"],
                *_ref(s.device),
                *_ref(s.claim),
                s.status,
                s.new["channel"],
                s.new["topic"],
                s.opened_at,
                s.escalated_at,
                s.resolved_at,
            )
            for s in sessions
            if s.new is not None
        ]
    )
    return [
        new_devices,
        _PG_DEVICE_UPDATE.statement(
            [
                (d.id, d.plan_id, d.plan_status, d.enrolled_at, d.plan_cancelled_at)
                for d in devices
                if d.new is None and d.dirty
            ]
        ),
        new_claims,
        _PG_CLAIM_UPDATE.statement(
            [
                (c.id, c.status, c.decided_at, c.resolved_at, c.payout_amount)
                for c in claims
                if c.new is None and c.dirty
            ]
        ),
        new_sessions,
        _PG_SESSION_UPDATE.statement(
            [
                (s.id, s.status, s.escalated_at, s.resolved_at)
                for s in sessions
                if s.new is None and s.dirty
            ]
        ),
        _PG_EVENT_INSERT.statement(
            [(e.event_id, e.type, e.occurred_at, now, e.subject_id, e.payload()) for e in accepted]
        ),
    ]


def write_statements(ctx: _Context, accepted: list[Any], now: datetime) -> list[Statement]:
    """`_write` as statements, in dependency order, events last (empty ones left out)."""
    return [statement for statement in _pg_writes(ctx, accepted, now) if statement is not None]


def as_one_statement(statements: list[Statement]) -> Statement:
    """Writes as one statement — all but the last as data-modifying CTEs — so they commit
    or fail together as that statement's own transaction. Its parts run on one snapshot
    and see none of each other's rows: only for writes that do not refer to one another
    (one creating event: its entity and its event row)."""
    *first, (last_sql, last_params) = statements
    if not first:
        return last_sql, last_params
    ctes = ", ".join(f"w{i} AS ({sql})" for i, (sql, _params) in enumerate(first))
    return f"WITH {ctes} {last_sql}", [p for _sql, params in statements for p in params]


def stored_check(rejected_ids: list[str]) -> Statement:
    """`_check_rejected_not_stored`: a row back means a concurrent batch stored one of them."""
    return _PG_STORED, (rejected_ids,)
