"""Connection-level limits of the production server, set from our settings (rxconfig.py).

`reflex run --env prod` serves the backend with Granian (uvicorn is not installed; see
`reflex.utils.exec.run_granian_backend_prod`) and builds `granian.server.Server` itself
without HTTP/1 settings, so Granian's defaults apply: 30 s to read request headers. This
module makes Reflex's Granian use `HEADER_READ_TIMEOUT_SECONDS` instead (hyper closes a
connection whose headers are incomplete by then: slow-loris headers). Granian has no body
read timeout: `api.input_limits.InputLimitsMiddleware` enforces `BODY_READ_TIMEOUT_SECONDS`.

Reflex's Socket.IO server reads its largest accepted message from the environment
(`REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE`); it is set from `WS_MAX_MESSAGE_BYTES`.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from command_center.settings import Settings

log = logging.getLogger(__name__)


def configure_socket(settings: Settings) -> None:
    """Reflex's Socket.IO `max_http_buffer_size` (inherited by the backend workers)."""
    os.environ["REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE"] = str(settings.ws_max_message_bytes)


def configure_granian(settings: Settings) -> bool:
    """Give Reflex's Granian our header read timeout; False when Granian is not installed."""
    try:
        import granian.server
        from granian.http import HTTP1Settings
    except ImportError:
        return False
    base = getattr(granian.server.Server, "_cc_base", granian.server.Server)
    timeout_ms = max(1, round(settings.header_read_timeout_seconds * 1000))

    class Server(base):  # type: ignore[misc, valid-type]
        """`granian.server.Server` with HTTP/1 settings from our configuration."""

        _cc_base = base

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("http1_settings") is None:
                kwargs["http1_settings"] = HTTP1Settings(header_read_timeout=timeout_ms)
            super().__init__(*args, **kwargs)

    granian.server.Server = Server  # type: ignore[misc]  # reflex imports it at serve time
    return True


def configure_server(settings: Settings) -> None:
    """Apply every server-level limit (called from rxconfig.py)."""
    configure_socket(settings)
    configure_granian(settings)
