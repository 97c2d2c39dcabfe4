"""Custom (TSX) widgets on the production build: live data in the sandbox, refreshed; hostile
components cannot read cookies or storage, reach the network, navigate the page, or freeze
the dashboard (a KPI tile keeps updating while one loops forever)."""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from command_center.widgets.custom.templates import build_component, choose_template
from tests.e2e.custom_probe import (
    PROPS,
    claim_filed,
    error_kind,
    frame,
    insert,
    probe,
    remove_inserted,
    track,
)
from tests.e2e.prod_server import CHROMIUM_ARGS

pytestmark = pytest.mark.e2e


class Listener:
    """A local HTTP listener that records every request path (it must see none)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.got_control = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def _record(self) -> None:
                listener.paths.append(self.path)
                if self.path.startswith("/control"):
                    listener.got_control.set()
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            do_GET = do_POST = do_OPTIONS = _record

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _remove_inserted() -> Iterator[None]:
    yield from remove_inserted()


def test_launcher_keeps_sandboxed_iframe_isolation(browser) -> None:
    """Flags that would put the sandboxed iframe in the page's process are not passed."""
    disabling = ("--single-process", "--disable-site-isolation-trials", "IsolateSandboxedIframes",
                 "--disable-web-security", "--process-per-tab")  # fmt: skip
    assert not [a for a in CHROMIUM_ARGS if any(flag in a for flag in disabling)]


def test_custom_widget_renders_live_data_and_updates_on_refresh(prod_server, page) -> None:
    loss = "e" + "".join(random.choices(string.ascii_lowercase, k=12))
    template = choose_template("a status list of recent claims")
    assert template is not None
    spec = build_component(template, "a status list of recent claims")
    intent = spec.data_intent.model_copy(update={"filters": {"loss_type": loss},
                                                 "refresh_seconds": 1})  # fmt: skip
    spec = spec.model_copy(update={"data_intent": intent, "title": f"Claims {loss}"})
    created = httpx.post(prod_server.url + "/v1/widgets",
                         json={"spec": spec.model_dump(mode="json")}, timeout=30)  # fmt: skip
    assert created.status_code == 201, created.text
    widget_id = created.json()["id"]
    track(prod_server, widget_id)
    page.goto(prod_server.url + "/")
    sandbox = frame(page, widget_id)
    sandbox.locator("ul").wait_for(state="attached", timeout=60_000)  # empty: zero height
    assert sandbox.locator("li[data-severity]").count() == 0  # no claim with that loss yet
    assert page.locator(f"#widget-{widget_id}").get_attribute("data-status") == "ok"

    posted = httpx.post(prod_server.url + "/v1/events", json=claim_filed(loss), timeout=10)
    assert posted.status_code == 202, posted.text
    sandbox.locator("li[data-severity='warning']").first.wait_for(timeout=30_000)
    row = sandbox.locator("li[data-severity]").first.inner_text()
    assert "filed" in row and loss in row.replace(" ", "_")
    assert sandbox.locator("li[data-severity]").count() == 1


def test_hostile_components_cannot_read_cookies_storage_or_the_parent(prod_server, page) -> None:
    page.context.add_cookies([{"name": "cc_secret", "value": "s3cr3t", "url": prod_server.url}])
    probes = {
        "cookie": insert(prod_server, probe("", "return document.cookie"), "Cookie probe"),
        "storage": insert(prod_server, probe("", "localStorage.setItem('x','1');"
                                               " return localStorage.length"), "Storage probe"),
        "parent": insert(prod_server, probe("", "return window.parent.document.cookie"),
                          "Parent probe"),
        "top": insert(prod_server, probe("", "top.location.href = 'about:blank#owned'; "
                                           "return 'navigated'"), "Top probe"),
    }  # fmt: skip
    page.goto(prod_server.url + "/")
    texts = {}
    for name, widget_id in probes.items():
        frame(page, widget_id).locator("#probe").wait_for(timeout=60_000)
        page.wait_for_function(
            "(sel) => !document.querySelector(sel)?.contentDocument",
            arg=f"#widget-{widget_id} iframe",
        )  # the frame's document is not reachable from the page either (opaque origin)
        texts[name] = (
            frame(page, widget_id)
            .locator("#probe:not(:text('pending'))")
            .text_content(timeout=30_000)
        )
    for name, text in texts.items():
        assert text.startswith("blocked:"), f"{name}: {text}"
        assert "s3cr3t" not in text
    assert "SecurityError" in texts["cookie"] and "SecurityError" in texts["storage"]
    assert page.url.rstrip("/") == prod_server.url.rstrip("/")
    assert page.locator(".kpi-tile").count() >= 4


def test_hostile_components_cannot_reach_the_network(prod_server, page, listener) -> None:
    url = listener.url
    attempts = (
        f"const u = '{url}'; const out = [];"
        " const tries = {"
        " fetch: () => fetch(u + '/fetch'),"
        " xhr: () => { const x = new XMLHttpRequest(); x.open('GET', u + '/xhr'); x.send(); },"
        " ws: () => new WebSocket(u.replace('http', 'ws') + '/ws'),"
        " img: () => { const i = new Image(); i.src = u + '/img'; document.body.appendChild(i); },"
        " beacon: () => navigator.sendBeacon(u + '/beacon', 'x'),"
        " css: () => { const l = document.createElement('link'); l.rel = 'stylesheet';"
        "   l.href = u + '/css'; document.head.appendChild(l); },"
        " frame: () => { const f = document.createElement('iframe'); document.body.appendChild(f);"
        "   f.contentWindow.fetch(u + '/frame-fetch'); },"
        " };"
        " for (const k in tries) { try { tries[k](); out.push(k + ':tried'); }"
        " catch (e) { out.push(k + ':' + e.name); } }"
        " return out.join(' ');"
    )
    requests = insert(prod_server, probe("", attempts), "Network probe")
    # a sandboxed frame may navigate itself: the page's `frame-src 'self'` blocks it
    navigation = insert(prod_server, probe("", f"location.href = '{url}/nav'"), "Nav probe")
    page.goto(prod_server.url + "/")
    error_kind(page, requests, "scope", 60_000)  # the CSP reported the blocked requests
    page.wait_for_selector(f"#widget-{navigation} .cc-widget-error", timeout=60_000)
    # control: the page itself can reach the listener, so silence above means "blocked"
    page.evaluate("(u) => fetch(u + '/control', {mode: 'no-cors'})", url)
    assert listener.got_control.wait(10), "control request never arrived"
    assert listener.paths == ["/control"], listener.paths
    assert page.url.rstrip("/") == prod_server.url.rstrip("/")


def test_errors_render_as_typed_cards(prod_server, page) -> None:
    fn = "export default function Probe({ rows }: ProbeProps)"
    cards = {
        "syntax": insert(prod_server, PROPS + "export default function Probe( {", "Syntax"),
        "scope": insert(prod_server, PROPS + fn +
                         " { return <p>{document.cookie}</p>; }", "Scope"),
        "runtime": insert(prod_server, PROPS + fn +
                           ' { throw new Error("boom " + rows.length); }', "Throw"),
        "timeout": insert(prod_server, PROPS + fn +
                           " { let n = 0; while (true) { n += rows.length; } return <p>{n}</p>; }",
                           "Guarded loop"),
    }  # fmt: skip
    page.goto(prod_server.url + "/")
    assert "Unexpected token" in error_kind(page, cards["syntax"], "syntax", 60_000)
    assert "document" in error_kind(page, cards["scope"], "scope")
    assert "boom" in error_kind(page, cards["runtime"], "runtime")
    assert "loop guard" in error_kind(page, cards["timeout"], "timeout")


def test_an_endless_loop_is_stopped_and_the_dashboard_keeps_updating(prod_server, page) -> None:
    """The loop runs through the Function constructor, so no loop guard was compiled in: only
    the missed heartbeat stops it. The page's own timers and the KPI tiles keep going while
    it loops (the sandboxed frame runs in its own process); were it in the page's process,
    the watchdog itself could never fire."""
    widget_id = insert(prod_server, probe("", "while (true) {}"), "Endless loop")
    page.goto(prod_server.url + "/")
    page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
    # (nothing inside the looping frame can be queried: its thread never yields)
    page.wait_for_selector(f"#widget-{widget_id} .cc-sandboxed-widget", timeout=60_000)
    page.evaluate("() => { window.__ticks = 0; setInterval(() => window.__ticks++, 100); }")
    before = int(page.locator("#kpi-open_claims .kpi-value").inner_text().replace(",", ""))
    response = httpx.post(prod_server.url + "/v1/events", json=claim_filed(), timeout=10)
    assert response.status_code == 202, response.text
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.innerText.replace(/,/g, '') === want",
        arg=["#kpi-open_claims .kpi-value", str(before + 1)],
        timeout=10_000,
    )
    # every frame of the sandbox's process stalls; restarted one at a time, the culprit
    # stalls again on its own and stays stopped
    card = f"#widget-{widget_id} .cc-widget-error[data-error-kind='timeout']"
    page.wait_for_selector(f"{card}:has-text('endless loop')", timeout=90_000)
    assert "no heartbeat" in page.locator(card).inner_text()
    assert page.evaluate("() => window.__ticks") >= 5  # ≥ 0.5 s of page timers meanwhile
    assert page.locator(f"#widget-{widget_id} iframe").count() == 0  # the busy frame is gone
