"""The dashboard grid: react-grid-layout (pinned) behind a small JSX wrapper.

`dashboard_grid(children, layouts=..., on_layout_save=...)`: children must carry `key` equal
to their layout item's `i`. The wrapper (dashboard_grid.jsx, next to this file) keeps the
layout locally while dragging and sends the whole `{breakpoint: [items]}` document once per
drag, resize or keyboard move (debounced).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import passthrough_event_spec
from reflex_base.constants.compiler import MemoizationMode

RGL_VERSION = "1.5.4"  # React 19: GridItem passes nodeRef (no findDOMNode); checked in Chromium


class DashboardGrid(rx.NoSSRComponent):
    """react-grid-layout's Responsive grid with drag handle, resize and keyboard moves."""

    library = rx.asset("dashboard_grid.jsx", shared=True).importable_path
    lib_dependencies = [f"react-grid-layout@{RGL_VERSION}"]
    tag = "DashboardGrid"
    is_default = True
    # the grid matches children to layout items by `key`: render the card list inline (a
    # memoized foreach would be one unkeyed child)
    _memoization_mode = MemoizationMode(recursive=False)

    layouts: rx.Var[dict[str, Any]]
    breakpoints: rx.Var[dict[str, int]]
    cols: rx.Var[dict[str, int]]
    row_height: rx.Var[int]
    save_delay: rx.Var[int]
    on_layout_save: rx.EventHandler[passthrough_event_spec(dict[str, Any])]


dashboard_grid = DashboardGrid.create
