"""Honest liveness: a client-side watchdog on the server's heartbeat.

The process's dashboard renderer (ui/live_room.py) changes `DashboardState.heartbeat` at least
once a second on every tab in its live room. When the
browser has seen no heartbeat for `STALE_AFTER_MS` — the socket was cut, the server is
frozen, a proxy dropped the connection without closing it — the watchdog marks the page
stale (`<html data-cc-stale="true">`): the badge reads "reconnecting" with the time of the
last update, the KPI tiles dim. When heartbeats return it clicks the hidden resync button,
so the server re-sends the current snapshot (deltas lost in the cut are never assumed), and
the page is live again.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from command_center.ui.states.dashboard import DashboardState

STALE_AFTER_MS = 3000
CHECK_EVERY_MS = 250
RESYNC_BUTTON_ID = "cc-resync"
LAST_UPDATE_ID = "cc-last-update"

_WATCHDOG = f"""
useEffect(() => {{
  const timer = setInterval(() => {{
    const last = window.__ccLastBeat || 0;
    const root = document.documentElement;
    const wasStale = root.dataset.ccStale === "true";
    const stale = last > 0 && Date.now() - last > {STALE_AFTER_MS};
    const state = stale ? "true" : last > 0 ? "false" : "";
    if (state && root.dataset.ccStale !== state) {{
      root.dataset.ccStale = state;
      if (wasStale && !stale) document.getElementById("{RESYNC_BUTTON_ID}")?.click();
    }}
    const label = document.getElementById("{LAST_UPDATE_ID}");
    if (label && last) label.textContent = "last update " + new Date(last).toLocaleTimeString();
  }}, {CHECK_EVERY_MS});
  return () => clearInterval(timer);
}}, []);
"""


class LivenessWatch(rx.Fragment):
    """Renders nothing; its hooks record each heartbeat and run the stale watchdog."""

    def add_imports(self) -> dict[str, list[str]]:
        """React's useEffect."""
        return {"react": ["useEffect"]}

    def add_hooks(self) -> list[str | Var]:
        """One hook stamps every heartbeat; one interval decides stale or live."""
        beat = DashboardState.heartbeat
        stamp = Var(
            _js_expr=f"useEffect(() => {{ if ({beat!s}) window.__ccLastBeat = Date.now(); }}, "
            f"[{beat!s}])",
            _var_data=beat._get_all_var_data(),
        )
        return [stamp, _WATCHDOG]


def liveness_watch() -> rx.Component:
    """The watchdog plus the hidden button it presses to resync after a gap."""
    return rx.fragment(
        LivenessWatch.create(),
        rx.el.button(
            on_click=DashboardState.resync,
            id=RESYNC_BUTTON_ID,
            type="button",
            aria_hidden="true",
            tab_index=-1,
            style={"display": "none"},
        ),
    )


def last_update_label() -> rx.Component:
    """Filled in by the watchdog ("last update 14:03:12"); shown only while stale."""
    return rx.el.span(id=LAST_UPDATE_ID, class_name="cc-stale-only cc-last-update")
