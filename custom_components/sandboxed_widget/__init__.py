"""`sandboxed_widget`: the Reflex wrapper of the custom-widget sandbox (SandboxedWidget.jsx).

The TSX runs inside `<iframe sandbox="allow-scripts">` (never allow-same-origin) loading
`assets/sandbox/run.html` (CSP: no network) and its bundled runtime; rows go in by
postMessage; failures show as typed error cards (syntax, runtime, scope, timeout).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

RUNTIME_URL = "/sandbox/run.html"


class SandboxedWidget(rx.NoSSRComponent):
    """A custom widget's component rendered in the sandboxed iframe."""

    library = rx.asset("SandboxedWidget.jsx", shared=True).importable_path
    tag = "SandboxedWidget"
    is_default = True

    widget_id: rx.Var[str]
    source: rx.Var[str]
    compiled: rx.Var[str]
    display_name: rx.Var[str]
    rows: rx.Var[list[dict[str, Any]]]
    columns: rx.Var[list[str]]
    runtime_url: rx.Var[str]
    heartbeat_timeout_ms: rx.Var[int]


sandboxed_widget = SandboxedWidget.create
