"""The live dashboard's one broadcast (issue 12), on the production build with sign-in on.

Real Reflex websockets speak the browser's own protocol (the CONNECT frame a real browser
sent, replayed with a fresh tab token each): two tabs of a signed-in session both receive
the same KPI version and event from the one room broadcast; a signed-out socket never
receives a live value; once the session signs out, its sockets receive nothing more while
another session's socket keeps streaming.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from websockets.sync.client import connect

from tests.e2e.conftest import launch_server
from tests.e2e.prod_server import ProdServer, stop_prod_server

pytestmark = pytest.mark.e2e
PASSWORD = "e2e-room-admin-password"
DASHBOARD = "command_center___ui___states___dashboard____dashboard_state"


@pytest.fixture(scope="module")
def room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdServer]:
    env = {"AUTH_MODE": "local", "ADMIN_PASSWORD": PASSWORD}
    server = launch_server(tmp_path_factory.mktemp("room"), extra_env=env)
    yield server
    stop_prod_server(server)


def connect_frame(browser, url: str, sign_in: bool) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    """The CONNECT frame a real browser sends when it loads the dashboard (signed in or
    not), and the signed-in page (to sign out later)."""
    context = browser.new_context()
    page = context.new_page()
    if sign_in:
        page.goto(url + "/login")
        page.wait_for_selector("#username", timeout=60_000)
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(url + "/", timeout=60_000)
    frames: list[str] = []

    def route(ws) -> None:  # type: ignore[no-untyped-def]
        server = ws.connect_to_server()
        ws.on_message(lambda m: (frames.append(m), server.send(m)))
        server.on_message(ws.send)

    page.route_web_socket(re.compile(r".*/_event.*"), route)
    page.goto(url + "/")  # a full load of the dashboard: a new socket and its CONNECT
    if sign_in:
        page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
    else:
        page.wait_for_url("**/login", timeout=60_000)
    return next(f for f in frames if isinstance(f, str) and f.startswith("40")), page


@dataclass
class Tab:
    """One replayed tab: what its socket received of the dashboard's live values."""

    versions: list[int] = field(default_factory=list)
    events: set[str] = field(default_factory=set)
    beats: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def wait(self, predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self), timeout)


def run_tab(url: str, frame: str, tab: Tab) -> threading.Thread:
    ws_url = (
        url.replace("http", "ws", 1) + f"/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket"
    )

    def loop() -> None:
        with connect(ws_url, max_size=None, open_timeout=60) as ws:
            ws.recv()  # Engine.IO open
            ws.send(frame)
            while not tab.stop.is_set():
                try:
                    message = ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                if message == "2":
                    ws.send("3")
                    continue
                if not isinstance(message, str) or not message.startswith("42"):
                    continue
                delta = json.loads(message[message.index("[") :])[1].get("delta", {})
                with tab.cond:
                    for name, values in delta.items():
                        if name.endswith(DASHBOARD):
                            if "version_rx_state_" in values:
                                tab.versions.append(int(values["version_rx_state_"]))
                            if "heartbeat_rx_state_" in values:
                                tab.beats.append(int(values["heartbeat_rx_state_"]))
                            tab.events |= {e["id"] for e in values.get("feed_rx_state_", [])}
                    tab.cond.notify_all()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_one_broadcast_reaches_signed_in_tabs_only(room_server: ProdServer, browser) -> None:  # type: ignore[no-untyped-def]
    url = room_server.url
    signed_in, page = connect_frame(browser, url, sign_in=True)
    other_session, _ = connect_frame(browser, url, sign_in=True)
    signed_out, _ = connect_frame(browser, url, sign_in=False)
    a, b, control, outsider = Tab(), Tab(), Tab(), Tab()
    tabs = [(a, signed_in), (b, signed_in), (control, other_session), (outsider, signed_out)]
    threads = [run_tab(url, frame, tab) for tab, frame in tabs]
    try:
        for tab in (a, b, control):  # joined: the snapshot, then the room's heartbeats
            assert tab.wait(lambda t: len(t.beats) >= 3 and max(t.versions, default=0) > 0)

        page.click("#simulator-switch")  # events arrive while everyone watches
        assert control.wait(lambda t: len(t.events) > 0 and max(t.versions) > min(t.versions))
        version = max(control.versions)
        for tab in (a, b):
            assert tab.wait(lambda t, v=version: max(t.versions) >= v)
        shared = set(a.versions) & set(b.versions) & set(control.versions)
        assert shared, "the tabs never received the same broadcast"

        assert max(outsider.versions, default=0) == 0  # the hydrate's defaults, no live value
        assert not outsider.events and max(outsider.beats, default=0) == 0

        page.click("#simulator-switch")
        page.click("#sign-out")  # the session ends: its sockets leave the room at once
        page.wait_for_url("**/login", timeout=30_000)
        # every broadcast carries the next heartbeat: the signed-out tabs stop while the
        # other session's tab goes on (one in flight at the sign-out may still land)
        after = max(control.beats)
        assert control.wait(lambda t: max(t.beats) >= after + 3)
        assert max(a.beats) <= after + 1 and max(b.beats) <= after + 1
    finally:
        for tab, _ in tabs:
            tab.stop.set()
        for thread in threads:
            thread.join(timeout=5)
