"""Path parameters shared by the `/v1` routes, bounded before they reach a query.

An id outside these bounds cannot name a row: it is a 422 problem, never a database error
(a 64-bit integer overflows SQLite's INTEGER and PostgreSQL's `integer` columns).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**31 - 1  # the largest `integer` primary key on PostgreSQL
WIDGET_ID_MAX_CHARS = 40  # widgets.id is VARCHAR(40)

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]
WidgetId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=WIDGET_ID_MAX_CHARS,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="a widget id",
    ),
]
USERNAME_MAX_CHARS = 120  # users.username is VARCHAR(120)
Username = Annotated[
    str,
    Path(
        min_length=1,
        max_length=USERNAME_MAX_CHARS,
        pattern=r"^[^\x00-\x20\x7f]+$",  # no spaces or control characters (NUL: PostgreSQL)
        description="a username",
    ),
]
