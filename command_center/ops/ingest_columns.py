"""A many-row statement's columns as one text parameter each (`ops/ingest_pg.py`): typed
columns as a JSON list, `json` columns as separator-joined documents.

psycopg's array dumpers run per element in Python (the largest client-side cost of a
500-event batch when every column went that way), so each column is one string encoded in C.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import orjson

# A `json` column: each document as `json.dumps` writes it (the text the column stores),
# joined by U+001F, NULL as U+001E — `json.dumps` escapes every control character, so
# neither occurs in a document. The server splits the string instead of parsing one JSON
# list of every document and re-serialising each element (most of a 500-event INSERT's
# server time went there).
UNIT, NULL = "\x1f", "\x1e"
JSON_ARRAY_SQL = "string_to_array(%s, chr(31), chr(30))::json[]"


def _jsonable(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def typed_column(column: Sequence[Any]) -> str:
    """A typed column as a JSON list (orjson: datetimes natively as RFC 3339 with their
    offset and microseconds, ~15× `json.dumps` calling `default` per datetime; numerics as
    strings); the server reads the elements as text and casts them."""
    return orjson.dumps(column, default=_jsonable).decode()


def _no_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# `json.dumps(v)` without its per-call set-up (a new C encoder each time: twice the cost of
# one `json.dumps` of the whole column): the C encoder with json.dumps' settings, made once
# (no circular-reference check: documents here are plain JSON data).
_ENCODE = (
    c_make_encoder(None, _no_default, encode_basestring_ascii, None, ": ", ", ", False, False, True)
    if c_make_encoder is not None
    else None
)


def document(value: Any) -> str:
    """`json.dumps(value)`, the same text."""
    return "".join(_ENCODE(value, 0)) if _ENCODE is not None else json.dumps(value)


def joined_documents(column: Sequence[Any]) -> str:
    """A `json` column for `JSON_ARRAY_SQL`."""
    return UNIT.join([NULL if v is None else document(v) for v in column])
