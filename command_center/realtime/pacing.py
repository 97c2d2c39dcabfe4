"""How often the live dashboard may be re-rendered: a process-wide budget of tab pushes/s.

While events arrive a process's dashboard renderer (ui/live_room.py) gets a KPI message about
every `publish_interval` (50 ms). Each render is one delta, encoded once and written to every
live tab's socket: with many tabs those writes add up. With few tabs every message is rendered
at once; with many, the renderer waits at least `tabs / budget` seconds between renders and
the messages that arrived meanwhile are applied together (nothing is dropped: a render shows
the newest version and every event since the last render). The wait never exceeds
`MAX_RENDER_INTERVAL_SECONDS`, so a tab is never staler than that on top of delivery.
"""

from __future__ import annotations

MAX_RENDER_INTERVAL_SECONDS = 0.25


def min_render_interval(tabs: int, budget_per_second: int) -> float:
    """Seconds between two renders when `tabs` tabs share the budget."""
    if tabs <= 0 or budget_per_second <= 0:
        return 0.0
    return min(tabs / budget_per_second, MAX_RENDER_INTERVAL_SECONDS)
