"""How often one tab may be re-rendered: a process-wide budget of state pushes per second.

Every live tab of a process gets a KPI message about every `publish_interval` (50 ms) while
events arrive; rendering each one costs a state delta, its JSON and a socket write per tab.
With few tabs every message is rendered at once; with many, each tab waits at least
`tabs / budget` seconds between renders and the messages that arrived meanwhile are applied
together (nothing is dropped: a render shows the newest version and every event since the
last render). The wait never exceeds `MAX_RENDER_INTERVAL_SECONDS`, so a tab is never
staler than that on top of delivery.
"""

from __future__ import annotations

MAX_RENDER_INTERVAL_SECONDS = 0.25


def min_render_interval(tabs: int, budget_per_second: int) -> float:
    """Seconds a tab waits between two renders when `tabs` tabs share the budget."""
    if tabs <= 0 or budget_per_second <= 0:
        return 0.0
    return min(tabs / budget_per_second, MAX_RENDER_INTERVAL_SECONDS)
