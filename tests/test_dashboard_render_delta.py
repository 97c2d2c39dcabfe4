"""A live tab's render sends only what changed; a resync still sends everything."""

from __future__ import annotations

from command_center.ui.states.dashboard import DashboardState, _assign_changed, _status_counts


def _state() -> DashboardState:
    state = DashboardState(_reflex_internal_init=True)
    state.dirty_vars.clear()
    return state


def test_render_marks_only_changed_vars_dirty() -> None:
    state = _state()
    feed = [{"id": "e1", "label": "Claim filed", "color": "blue", "subject": "C1", "time": "x"}]
    _assign_changed(state, {"feed": feed, "version": 3, "connection": "connecting", "error": ""})
    assert state.dirty_vars == {"feed", "version", "heartbeat"}
    state.dirty_vars.clear()
    _assign_changed(state, {"feed": list(feed), "version": 3, "loading": True})
    assert state.dirty_vars == {"heartbeat"}  # equal values stay out of the delta
    assert state.feed == feed and state.version == 3


def test_resync_sends_every_displayed_var_even_when_unchanged() -> None:
    state = _state()
    DashboardState.resync.fn.__wrapped__(state)  # past the role guard
    assert {"tiles", "feed", "status_counts", "version", "connection", "simulator_on"} <= (
        state.dirty_vars
    )


def test_status_counts_shared_per_query_result_and_recomputed_for_a_new_one() -> None:
    rows = [{"status": "under_review", "count": 4}]
    first, second = _status_counts(rows), _status_counts(rows)
    assert first == second == [{"label": "Under review", "value": 4}]
    assert first is not second  # each tab gets its own list
    assert _status_counts([{"status": "filed", "count": 1}]) == [{"label": "Filed", "value": 1}]
