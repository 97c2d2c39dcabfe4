"""Notices on the dashboard bus: "dashboard 3's layout changed", "widgets changed".

They travel through the same pub/sub fan-out as the KPI messages (so every tab in every
process hears them) but carry no KPI state: `kind="notice"`, a `topic`, and small fields.
Best effort and at most once, like pub/sub itself: a tab that misses one catches up on its
next reload.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)
LAYOUT = "layout"
WIDGETS = "widgets"
SIMULATOR = "simulator"


def notice(topic: str, **fields: Any) -> dict[str, Any]:
    """A notice message."""
    return {"kind": "notice", "topic": topic, **fields}


async def publish_notice(topic: str, **fields: Any) -> bool:
    """Publish a notice when this process's live runtime is running; True when queued."""
    from command_center.ops.live import running_live_ops

    live = running_live_ops()
    if live is None or live.loop is not asyncio.get_running_loop():
        return False
    try:
        await live.bus.publish(notice(topic, **fields))
    except Exception as exc:  # a missed notice only delays other tabs until they reload
        log.warning("notice %s not published: %s", topic, exc)
        return False
    return True
