"""One demo simulator per LiveOps (per process), switched on and off from the UI."""

from __future__ import annotations

import weakref
from typing import Any

from command_center.ops.simulator import Simulator

_simulators: weakref.WeakKeyDictionary[Any, Simulator] = weakref.WeakKeyDictionary()


def simulator_for(live: Any) -> Simulator:
    """The simulator attached to `live`, created on first use."""
    simulator = _simulators.get(live)
    if simulator is None:
        simulator = Simulator(live)
        _simulators[live] = simulator
    return simulator
