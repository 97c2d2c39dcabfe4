"""Whether a client is still connected (background loops stop when it is gone)."""

from __future__ import annotations

from typing import Any

_app: Any = None  # this process's Reflex app, looked up once (every live tab asks often)


def _namespace() -> Any:
    global _app
    if _app is None:
        from reflex.utils.prerequisites import get_app

        _app = get_app().app
    return _app.event_namespace


def local_sid(token: str) -> str:
    """The socket.io sid of the tab `token`'s live websocket on this process ("" if none)."""
    namespace = _namespace()
    manager = getattr(namespace, "_token_manager", None)
    record = getattr(manager, "token_to_socket", {}).get(token)
    if record is None or record.instance_id != getattr(manager, "instance_id", None):
        return ""
    return str(record.sid)


def client_connected(token: str) -> bool:
    """True while the browser tab with `token` has a live websocket on this process.

    A membership test on the token manager's own map: `token_to_sid` copies the map of
    every connected tab on each read, which made this check cost O(tabs) per call.
    """
    namespace = _namespace()
    if namespace is None:
        return False
    sockets = getattr(getattr(namespace, "_token_manager", None), "token_to_socket", None)
    if isinstance(sockets, dict):
        return token in sockets
    return token in namespace.token_to_sid
