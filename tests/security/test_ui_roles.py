"""Every Reflex event handler on the app's states checks the role on the server.

The test enumerates the handlers of every state the app defines: each must carry a role
(`requires_role`) or be explicitly `public`, so a new handler without a check fails here.
Each guarded handler is then called as a signed-out tab and (for editor/admin handlers) as a
signed-in viewer: it must refuse before its body runs and change nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx

from command_center.auth.sessions import create_session
from command_center.auth.users import create_user
from command_center.db.migrate import upgrade_to_head
from command_center.settings import get_settings
from command_center.ui.states.guard import ROLE_MARKER
from command_center.ui.states.session import SessionState

RANK = {"public": -1, "viewer": 0, "editor": 1, "admin": 2}
REFLEX_BUILTINS = {"setvar"}


def app_states() -> list[type[rx.State]]:
    """Every state class defined by the app (imported through the app module)."""
    import command_center.command_center  # noqa: F401  (the app: every page and state)

    found, todo = [], list(rx.State.get_substates())
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("command_center."):
            found.append(cls)
    return found


def app_handlers() -> list[tuple[type[rx.State], str, Any]]:
    return [
        (cls, name, handler)
        for cls in app_states()
        for name, handler in cls.event_handlers.items()
        if name not in REFLEX_BUILTINS
    ]


@pytest.fixture
def signin(settings_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AUTH_MODE", "local")
    get_settings.cache_clear()
    upgrade_to_head()
    yield


def _state_for(cls: type[rx.State], token: str) -> Any:
    root = rx.State(_reflex_internal_init=True)
    session = root.get_substate(SessionState.get_full_name().split(".")[1:])
    session.session_token = token
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    for each in (root, session, state):
        each._clean()
    return state


def _dummy(parameter: inspect.Parameter) -> Any:
    annotation = str(parameter.annotation)
    for key, value in (("bool", True), ("dict", {}), ("list", []), ("int", 1)):
        if key in annotation:
            return value
    return "x"


async def _call(handler: Any, state: Any) -> list[Any]:
    params = list(inspect.signature(handler.fn).parameters.values())[1:]
    result = handler.fn(state, *(_dummy(p) for p in params))
    if inspect.isasyncgen(result):
        return [item async for item in result]
    if inspect.iscoroutine(result):
        result = await result
    return result if isinstance(result, list) else [result]


def _is_redirect_to_login(events: list[Any]) -> bool:
    return any("/login" in str(getattr(e, "args", e)) for e in events)


def test_every_handler_declares_a_role() -> None:
    handlers = app_handlers()
    assert len(handlers) >= 15, "the app's states were not found"
    missing = [
        f"{cls.__name__}.{name}"
        for cls, name, handler in handlers
        if getattr(handler.fn, ROLE_MARKER, None) not in RANK
    ]
    assert not missing, f"handlers without requires_role/public: {missing}"


def test_the_mutating_handlers_need_an_editor() -> None:
    roles = {
        f"{cls.__name__}.{name}": getattr(h.fn, ROLE_MARKER) for cls, name, h in app_handlers()
    }
    for name in (
        "DashboardState.toggle_simulator",
        "WidgetActions.remove",
        "WidgetsState.save_layout",
        "BuilderState.add_to_dashboard",
        "BuilderState.submit",
    ):
        assert RANK[roles[name]] >= RANK["editor"], name
    assert roles["AdminState.create_token"] == "admin"


@pytest.mark.parametrize(
    "who",
    ["signed_out", "expired_or_forged", "viewer"],
)
async def test_guarded_handlers_refuse_before_running(signin, who: str) -> None:
    token = {"signed_out": "", "expired_or_forged": "cc_ses_forged"}.get(who, "")
    if who == "viewer":
        viewer = create_user("vicky", "viewer-pass-1", "viewer")
        token = create_session(int(viewer.id or 0))
    checked = 0
    for cls, name, handler in app_handlers():
        needed = getattr(handler.fn, ROLE_MARKER)
        if needed == "public" or (who == "viewer" and RANK[needed] <= RANK["viewer"]):
            continue
        state = _state_for(cls, token)
        events = await _call(handler, state)
        label = f"{cls.__name__}.{name} as {who}"
        if who == "viewer":
            assert any("Not allowed" in str(e) for e in events), label
        else:
            assert _is_redirect_to_login(events), label
        assert not state.dirty_vars, f"{label} changed {state.dirty_vars}"
        checked += 1
    assert checked >= (5 if who == "viewer" else 12)


async def test_a_viewer_may_watch(signin) -> None:
    viewer = create_user("wanda", "viewer-pass-1", "viewer")
    from command_center.ui.states.dashboard import DashboardState

    state = _state_for(DashboardState, create_session(int(viewer.id or 0)))
    assert await _call(DashboardState.event_handlers["load"], state) == [None]
    assert state.modes["database"] == "sqlite"


async def test_the_session_lookup_never_runs_on_the_event_loop(monkeypatch) -> None:
    import threading

    from command_center.ui.states import guard

    loop_thread, seen = threading.current_thread(), []

    def lookup(token: str) -> None:
        seen.append(threading.current_thread())
        return None  # signed out: every guarded handler refuses before its body

    monkeypatch.setattr(guard, "session_principal", lookup)
    checked = 0
    for cls, name, handler in app_handlers():
        if getattr(handler.fn, ROLE_MARKER) == "public":
            continue
        assert inspect.iscoroutinefunction(handler.fn) or inspect.isasyncgenfunction(handler.fn), (
            f"{cls.__name__}.{name} would check the role on the event loop"
        )
        seen.clear()
        assert _is_redirect_to_login(await _call(handler, _state_for(cls, ""))), name
        assert seen and loop_thread not in seen, f"{cls.__name__}.{name} read on the loop"
        checked += 1
    assert checked >= 30


async def test_a_tab_that_may_not_view_never_joins_the_widget_refresher(
    signin, monkeypatch
) -> None:
    from command_center.ui.states import widgets

    joined: list[Any] = []

    class Room:
        async def prepare(self, *args: Any) -> Any:
            joined.append(args)

        async def join(self, *args: Any) -> bool:
            joined.append(args)
            return True

    async def room() -> Room:
        joined.append("room")
        return Room()

    monkeypatch.setattr(widgets, "tabs_widget_room", room)
    handler = widgets.WidgetsState.event_handlers["run_refresh_loop"]
    for token in ("", "cc_ses_forged"):
        state = _state_for(widgets.WidgetsState, token)
        assert _is_redirect_to_login(await _call(handler, state))
    assert joined == []  # no feed prepared, no membership: the tab receives no widget data


async def test_a_tab_signed_out_while_its_board_is_read_gets_no_widget_data(
    signin, monkeypatch
) -> None:
    """The viewer check passed, then the tab signed out (its state's session cleared, the
    room told) while the refresher read the board: the tab's state is given no snapshot and
    it never joins (it was fed until the next session check, as the session "")."""
    from command_center.ui.states import widgets
    from command_center.ui.view_models.shared_widgets import Feed
    from command_center.ui.widget_room import WidgetRoom

    viewer = create_user("sam", "viewer-pass-1", "viewer")
    state = _state_for(widgets.WidgetsState, create_session(int(viewer.id or 0)))
    feed = Feed(key=(1, "{}"), choice=widgets.ViewChoice(), revision=3)
    feed.info = {"dashboard_name": "Secret board", "loaded": True}
    joined: list[Any] = []

    class Room(WidgetRoom):
        def __init__(self) -> None:
            self._signed_out = {}

        async def prepare(self, *args: Any) -> Feed:
            session = state.session_token
            state.session_token = ""  # signs out meanwhile (SessionState.sign_out)
            self.leave_session(session)
            return feed

        async def join(self, *args: Any) -> bool:
            joined.append(args)
            return True

        def leave_session(self, session_token: str) -> None:
            self._signed_out[session_token] = None

    async def room() -> Room:
        return Room()

    monkeypatch.setattr(widgets, "tabs_widget_room", room)
    monkeypatch.setattr(widgets, "local_sid", lambda token: "sid-x")
    await _call(widgets.WidgetsState.event_handlers["run_refresh_loop"], state)
    assert joined == [] and state.dashboard_name != "Secret board"
