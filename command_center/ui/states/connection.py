"""Whether a client is still connected (background loops stop when it is gone)."""

from __future__ import annotations


def client_connected(token: str) -> bool:
    """True while the browser tab with `token` has a live websocket on this process."""
    from reflex.utils.prerequisites import get_app

    namespace = get_app().app.event_namespace
    return namespace is not None and token in namespace.token_to_sid
