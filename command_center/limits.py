"""Size limits on input, in one place (widget spec fields; HTTP bodies per route class).

Field limits are constants (they shape the stored data and the LLM tool schema); the HTTP
body limits, read timeouts and the WebSocket message limit are settings (see `.env.example`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from command_center.settings import Settings

KIB = 1024

# ---------------------------------------------------------------- WidgetSpec fields
TITLE_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 500
COLUMNS_MAX = 50  # table columns listed
COLUMN_NAME_MAX_CHARS = 80
MOCK_ROWS_MAX = 200
MOCK_ROW_KEYS_MAX = 20  # keys (dimensions + value) per preview row
MOCK_CELL_MAX_CHARS = 200  # a text cell; cells are scalars (str, number, bool, null)
TSX_SOURCE_MAX_BYTES = 20 * KIB  # a custom widget's component source (UTF-8)
SPEC_MAX_BYTES = 64 * KIB  # the whole spec as canonical JSON (UTF-8)

# ---------------------------------------------------------------- HTTP bodies per route class
# (path prefix, Settings attribute); the first match wins, else `max_body_bytes`.
BODY_LIMIT_ROUTES: tuple[tuple[str, str], ...] = (
    ("/v1/events", "max_events_body_bytes"),
    ("/v1/widgets", "max_widget_body_bytes"),
)


def body_limit(path: str, settings: Settings) -> int:
    """The request-body limit (bytes) for a request path."""
    for prefix, attribute in BODY_LIMIT_ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return int(getattr(settings, attribute))
    return settings.max_body_bytes
