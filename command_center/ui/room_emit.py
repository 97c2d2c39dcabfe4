"""Send one Reflex state delta, encoded once, to many sockets of this process.

What python-socketio's AsyncManager.emit does (encode once, queue the same Engine.IO packet
on every recipient's socket) without its task per recipient: at hundreds of tabs those tasks
cost more than the encoding. A queue put never waits (unbounded queues), so nothing suspends
until every packet is queued: deltas to one socket stay in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import socketio
from engineio import packet as eio_packet
from reflex.state import StateUpdate
from reflex_base.constants.event import SocketEvent
from reflex_base.constants.state import FIELD_MARKER
from socketio import packet as sio_packet


def state_update(state_name: str, values: dict[str, Any]) -> StateUpdate:
    """A delta for the state `state_name` (its full path), vars named as Reflex sends them."""
    fields = {name + FIELD_MARKER: value for name, value in values.items()}
    return StateUpdate(delta={state_name: fields})


async def emit_values(
    namespace: Any, state_name: str, values: dict[str, Any], to: str | Sequence[str]
) -> None:
    """Send `values` of `state_name` to a room, a sid (every sid is a room of its own) or a
    list of sids."""
    update = state_update(state_name, values)
    server = namespace.server
    if not isinstance(server, socketio.AsyncServer):  # a stand-in namespace (unit tests)
        await namespace.emit(str(SocketEvent.EVENT), update, to=to)
        return
    name = namespace.namespace
    data = [str(SocketEvent.EVENT), update]
    encoded = server.packet_class(sio_packet.EVENT, namespace=name, data=data).encode()
    parts = encoded if isinstance(encoded, list) else [encoded]
    frames = [eio_packet.Packet(eio_packet.MESSAGE, part) for part in parts]
    rooms = [to] if isinstance(to, str) else list(to)
    if not rooms:
        return
    for _sid, eio_sid in server.manager.get_participants(name, rooms):
        for frame in frames:
            await server.eio.send_packet(eio_sid, frame)
