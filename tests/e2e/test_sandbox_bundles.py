"""The sandbox boots without Babel: a component compiled at persist renders from runtime.js
alone; compiler.js (@babel/standalone) is fetched once, only when a source arrives without
the server's compiled JS; a compiler that cannot load is a typed error card, not a hang."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from command_center.eval import sandbox_page
from command_center.eval.sandbox_page import SANDBOX_ASSETS, SandboxHost, render
from command_center.widgets.custom.compile import compile_sources
from tests.e2e.custom_probe import PROPS

pytestmark = pytest.mark.e2e
ROWS = [{"name": "a"}, {"name": "b"}]


def _spec(text: str) -> dict[str, Any]:
    source = (
        PROPS + "export default function Probe({ rows }: ProbeProps) {\n"
        f'  return <p id="probe">{text} {{rows.length}}</p>;\n}}\n'
    )
    return {"display_name": "Probe", "tsx_source": source}


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    if not (SANDBOX_ASSETS / "compiler.js").exists():
        pytest.skip("assets/sandbox/compiler.js not built (make setup)")
    with SandboxHost() as running:
        yield running


def _requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url.rsplit("/", 1)[-1]))
    return seen


def test_babel_is_not_in_the_runtime_bundle() -> None:
    runtime = (SANDBOX_ASSETS / "runtime.js").read_text(errors="replace")
    assert "__ccCompile" in runtime  # the hook it takes the compiler from
    assert "babel-plugin-transform-typescript" not in runtime and "@babel/" not in runtime
    assert len(runtime) < len((SANDBOX_ASSETS / "compiler.js").read_bytes()) / 2


def test_compiled_at_persist_renders_without_the_compiler(host, page) -> None:
    seen = _requests(page)
    spec = _spec("persisted")
    (compiled,) = compile_sources([spec["tsx_source"]])
    page.goto(host.url)
    event = render(page, spec, ROWS, compiled=compiled.code)
    assert "error" not in event and event["loadMs"] == 0, event
    text = page.frame_locator("iframe.cc-sandbox-frame").locator("#probe").inner_text()
    assert text == "persisted 2"
    assert "runtime.js" in seen and "compiler.js" not in seen


def test_an_uncompiled_source_loads_the_compiler_once(host, page) -> None:
    seen = _requests(page)
    page.goto(host.url)
    first = render(page, _spec("first"), ROWS)  # no compiled JS: Babel in the frame
    assert "error" not in first and first["cached"] is False, first
    second = render(page, _spec("second"), ROWS)
    assert "error" not in second, second
    frame = page.frame_locator("iframe.cc-sandbox-frame")
    assert frame.locator("#probe").inner_text() == "second 2"
    assert seen.count("compiler.js") == 1 and second["loadMs"] == 0
    bad = render(page, {"display_name": "Probe", "tsx_source": PROPS + "export default ("}, ROWS)
    assert bad["error"]["kind"] == "syntax", bad


def test_a_compiler_that_cannot_load_is_an_error_card(host, page) -> None:
    page.route("**/compiler.js", lambda route: route.abort())
    page.goto(host.url)
    event = render(page, _spec("never"), ROWS)
    assert event["error"]["kind"] == "runtime", event
    assert "compiler could not be loaded" in event["error"]["message"]


def test_a_missing_compiler_is_built_from_the_sources(tmp_path, monkeypatch) -> None:
    """A checkout that has runtime.js but never built compiler.js (the browser tests and the
    eval harness call `ensure_compiler` before serving the sandbox)."""
    monkeypatch.setattr(sandbox_page, "SANDBOX_ASSETS", tmp_path)
    built = sandbox_page.ensure_compiler()
    assert built == tmp_path / "compiler.js"
    assert "__ccCompile" in built.read_text() and not list(tmp_path.glob(".*.tmp"))
