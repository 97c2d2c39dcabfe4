"""Custom widgets on the production build, part two: a hostile component cannot reach the
parent or top window's DOM, cannot reach its sibling sandboxes, and cannot make the page do
anything by postMessage that it would not do for the real runtime (forged kinds, oversized
fields, a message flood); messages from any window other than the widget's own frame are
ignored, so forged heartbeats cannot keep a looping component alive."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.custom_probe import (
    PROPS,
    claim_filed,
    error_kind,
    frame,
    insert,
    probe,
    remove_inserted,
)

pytestmark = pytest.mark.e2e
MSG = "{cc: 'cc-widget/1'"  # start of a protocol message, in JS

# Every reach into the parent/top window, and into the sibling frames (read their document,
# navigate them, send them a forged render), repeated every 200 ms; the outcomes as JSON.
REACH = """
const outcome = {};
const attempt = (key, fn) => {
  try { outcome[key] = 'ok:' + String(fn()).slice(0, 40); } catch (e) { outcome[key] = e.name; }
};
const owned = 'export default function Probe() { return <p id="probe">OWNED</p>; }';
const attack = () => {
  attempt('parent.document', () => parent.document);
  attempt('top.document', () => top.document);
  attempt('parent.body.write', () => { parent.document.body.innerHTML = 'OWNED'; return 1; });
  attempt('top.location.href', () => top.location.href);
  attempt('top.navigate', () => { top.location.href = '/#owned'; return 1; });
  attempt('parent.localStorage', () => parent.localStorage);
  attempt('parent.eval', () => parent.eval('1'));
  attempt('parent.fetch', () => parent.fetch);
  attempt('top.history', () => top.history.length);
  attempt('parent.name', () => parent.name);
  attempt('frameElement', () => window.frameElement);
  attempt('opener', () => window.opener);
  // open() is removed by the runtime; a fresh child frame still has one (sandbox: no popups)
  attempt('popup', () => {
    const child = document.createElement('iframe');
    document.body.appendChild(child);
    return child.contentWindow.open('/#popup', '_blank');
  });
  attempt('anchor._top', () => {
    const a = document.createElement('a');
    a.href = '/#owned-by-link'; a.target = '_top';
    document.body.appendChild(a); a.click(); return 1;
  });
  attempt('form._top', () => {
    const form = document.createElement('form');
    form.action = '/#owned-by-form'; form.target = '_top'; form.method = 'get';
    document.body.appendChild(form); form.submit(); return 1;
  });
  let siblings = 0;
  for (let i = 0; i < parent.frames.length; i++) {
    const other = parent.frames[i];
    if (other === window) continue;
    siblings++;
    attempt('sibling.document', () => other.document);
    attempt('sibling.body', () => other.document.body.innerHTML);
    try { other.location.href = 'about:blank#owned'; }
    catch (e) { outcome['sibling.navigate'] = e.name; }
    other.postMessage({cc: 'cc-widget/1', type: 'render', id: 'x', source: owned,
                       displayName: 'Probe', props: {rows: [], columns: []}}, '*');
  }
  try { top.close(); } catch (e) { outcome['top.close'] = e.name; }
  outcome.siblings = siblings;
  document.getElementById('probe').textContent = JSON.stringify(outcome);
};
setInterval(attack, 200);
return 'armed';
"""
DENIED = ("parent.document", "top.document", "parent.body.write", "top.location.href",
          "top.navigate", "parent.localStorage", "parent.eval", "parent.fetch", "top.history",
          "parent.name", "sibling.document", "sibling.body")  # fmt: skip


@pytest.fixture(autouse=True)
def _remove_inserted() -> Iterator[None]:
    yield from remove_inserted()


def _intact(prod_server) -> str:
    """A harmless sibling widget whose text must never change."""
    return insert(prod_server, probe("", "return 'intact'"), "Intact sibling")


def _dashboard_unchanged(page, prod_server, sibling: str) -> None:
    assert page.url.rstrip("/") == prod_server.url.rstrip("/")
    assert "OWNED" not in page.locator("body").inner_text()
    assert page.locator(".kpi-tile").count() >= 4
    assert frame(page, sibling).locator("#probe").inner_text() == "ran:intact"
    assert page.locator(f"#widget-{sibling} .cc-widget-error").count() == 0


def test_a_component_cannot_reach_the_parent_top_or_sibling_frames(prod_server, page) -> None:
    sibling = _intact(prod_server)
    hostile = insert(prod_server, probe("", REACH), "Reach probe")
    page.goto(prod_server.url + "/")
    frame(page, sibling).locator("#probe:text('ran:intact')").wait_for(timeout=60_000)
    report = frame(page, hostile).locator("#probe:has-text('\"siblings\":')")
    report.wait_for(timeout=60_000)
    # a report made while the sibling sandbox was there
    frame(page, hostile).locator("#probe:not(:has-text('\"siblings\":0'))").wait_for()
    outcome = json.loads(frame(page, hostile).locator("#probe").inner_text())
    for key in DENIED:
        assert outcome[key] == "SecurityError", (key, outcome)
    assert outcome["frameElement"] == "ok:null" and outcome["opener"] == "ok:null", outcome
    assert outcome["popup"] in ("ok:null", "SecurityError"), outcome  # no window opened
    assert len(page.context.pages) == 1
    assert outcome.get("sibling.navigate", "SecurityError") == "SecurityError", outcome
    assert not page.is_closed()
    _dashboard_unchanged(page, prod_server, sibling)


# Forged messages to the page with the runtime's own source (the component shares its frame):
# prototype keys as error kinds (once unmounted the whole dashboard: React error #31), the
# page→frame type, non-objects, a non-string message, an object id, an absurd height; then a
# real-shaped error whose 100 kB message must reach the card truncated.
FORGED = f"""
const forged = [
  {MSG}, type: 'error', kind: '__proto__', message: 'x'}},
  {MSG}, type: 'error', kind: 'constructor', message: 'x'}},
  {MSG}, type: 'error', kind: 'toString', message: 'x'}},
  {MSG}, type: 'error', kind: 'runtime', message: {{toString: 1}}}},
  {MSG}, type: 'rendered', id: {{nested: [1, 2]}}, compileMs: 'x'}},
  {MSG}, type: 'render', id: 'x', source: 'x', displayName: 'Probe', props: {{rows: []}}}},
  {MSG}, type: 'size', height: 1e9}},
  [1, 2, 3], 'text', null, 42,
];
setTimeout(() => {{  // after the runtime's own `rendered` (which clears an error card)
  for (const message of forged) parent.postMessage(message, '*');
  parent.postMessage({MSG}, type: 'error', kind: 'runtime',
                      message: 'marker ' + 'x'.repeat(100000)}}, '*');
}}, 0);
return 'sent';
"""


def test_forged_messages_from_a_component_cannot_break_the_page(prod_server, page) -> None:
    sibling = _intact(prod_server)
    hostile = insert(prod_server, probe("", FORGED), "Forging probe")
    page.goto(prod_server.url + "/")
    frame(page, sibling).locator("#probe:text('ran:intact')").wait_for(timeout=60_000)
    # the marker, after every forgery (read at once: a data refresh re-renders and clears it)
    seen = page.wait_for_function(
        """(id) => {
          const card = document.querySelector(`#widget-${id} .cc-widget-error`);
          const frame = document.querySelector(`#widget-${id} iframe`);
          return card && {kind: card.dataset.errorKind, text: card.innerText,
                          height: frame ? parseFloat(frame.style.height) : 0};
        }""",
        arg=hostile,
        timeout=60_000,
    ).json_value()
    assert seen["kind"] == "runtime" and "marker" in seen["text"], seen["text"][:200]
    assert len(seen["text"]) < 600  # the 100 kB message, truncated
    assert seen["height"] <= 640
    _dashboard_unchanged(page, prod_server, sibling)


FLOOD = f"""
setInterval(() => {{
  for (let i = 0; i < 20000; i++)
    parent.postMessage({MSG}, type: 'size', height: 100 + i % 400}}, '*');
}}, 0);
return 'flooding';
"""


def test_a_message_flood_stops_the_component_and_the_dashboard_keeps_updating(
    prod_server, page
) -> None:
    hostile = insert(prod_server, probe("", FLOOD), "Flooding probe")
    page.goto(prod_server.url + "/")
    page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
    assert "message flood" in error_kind(page, hostile, "scope", 60_000)
    assert page.locator(f"#widget-{hostile} iframe").count() == 0  # the frame is gone
    before = int(page.locator("#kpi-open_claims .kpi-value").inner_text().replace(",", ""))
    response = httpx.post(prod_server.url + "/v1/events", json=claim_filed(), timeout=10)
    assert response.status_code == 202, response.text
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.innerText.replace(/,/g, '') === want",
        arg=["#kpi-open_claims .kpi-value", str(before + 1)],
        timeout=30_000,
    )


# From the page itself, a same-origin child frame and a popup: error cards, sizes and
# heartbeats in the runtime's exact shape; each source then posts a marker to the page.
OTHER_WINDOWS = """
(count) => new Promise((done) => {
  const forged = [
    {cc: 'cc-widget/1', type: 'error', kind: 'runtime', message: 'forged'},
    {cc: 'cc-widget/1', type: 'size', height: 600},
    {cc: 'cc-widget/1', type: 'ready'},
  ];
  let markers = 0;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.marker && ++markers === 3) done(markers);
  });
  const script = `for (const m of ${JSON.stringify(forged)}) TARGET.postMessage(m, '*');
                  for (let i = 0; i < ${count}; i++)
                    TARGET.postMessage({cc: 'cc-widget/1', type: 'heartbeat'}, '*');
                  TARGET.postMessage({marker: 1}, '*');`;
  new Function(script.replace(/TARGET/g, 'window'))();
  const child = document.createElement('iframe');
  document.body.appendChild(child);
  child.contentWindow.Function(script.replace(/TARGET/g, 'parent'))();
  const popup = window.open('', '_blank');
  popup.Function(script.replace(/TARGET/g, 'opener'))();
})
"""


def test_messages_from_other_windows_are_ignored(prod_server, page) -> None:
    sibling = _intact(prod_server)
    page.goto(prod_server.url + "/")
    frame(page, sibling).locator("#probe:text('ran:intact')").wait_for(timeout=60_000)
    assert page.evaluate(OTHER_WINDOWS, 10) == 3
    card = page.locator(f"#widget-{sibling} .cc-sandboxed-widget")
    assert card.get_attribute("data-state") == "running"
    assert page.locator(f"#widget-{sibling} iframe").evaluate("(f) => f.offsetHeight") != 600
    _dashboard_unchanged(page, prod_server, sibling)


# Loops inside a timer callback after the first render, through the Function constructor (no
# compiled loop guard): the runtime's own heartbeats stop, only forged ones could arrive.
ESCAPE_LOOP = """const run = [].constructor.constructor;
FN {
  React.useEffect(() => { run("setTimeout(() => { while (true) {} }, 0)")(); }, []);
  return <p id="probe">{rows.length}</p>;
}
"""


def test_forged_heartbeats_cannot_keep_a_looping_component_alive(prod_server, page) -> None:
    fn = "export default function Probe({ rows }: ProbeProps)"
    looping = insert(prod_server, PROPS + ESCAPE_LOOP.replace("FN", fn), "Forged heartbeats")
    page.goto(prod_server.url + "/")
    page.wait_for_selector(f"#widget-{looping} .cc-sandboxed-widget", timeout=60_000)
    # heartbeats every 100 ms from the page and a same-origin child frame, until it stops
    page.evaluate(
        """() => {
          const beat = {cc: 'cc-widget/1', type: 'heartbeat'};
          const child = document.createElement('iframe');
          document.body.appendChild(child);
          setInterval(() => { window.postMessage(beat, '*');
                              child.contentWindow.Function('parent.postMessage(' +
                                JSON.stringify(beat) + ', "*")')(); }, 100);
        }"""
    )
    text = error_kind(page, looping, "timeout", 90_000)
    assert "no heartbeat" in text
