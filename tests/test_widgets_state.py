"""Dashboard widgets state: the per-tab refresh loop's bookkeeping."""

from __future__ import annotations

from command_center.ui.states.widgets import RELOAD_BOARD, WidgetsState


def test_an_idle_tick_leaves_the_state_untouched() -> None:
    state = WidgetsState(_reflex_internal_init=True)
    state._clean()
    assert state._take_forced() == set()
    assert not state.dirty_vars  # nothing to write back to the state manager
    state._force = {RELOAD_BOARD, "w1"}
    state._clean()
    assert state._take_forced() == {RELOAD_BOARD, "w1"}
    assert state._force == set() and "_force" in state.dirty_vars
