"""Server-side compile of custom widgets (the sandbox's own transform), cached by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from command_center.widgets.custom import compile as tsx

GOOD = (Path(__file__).parent / "data" / "custom_widgets" / "StatusList.tsx").read_text()


@pytest.fixture(autouse=True)
def _isolated(settings_env: Path) -> None:
    """The disk cache lives in the test's data dir."""


def test_compiles_with_the_loop_guard_and_caches_by_content() -> None:
    source = (
        GOOD
        + "\nfunction total(xs: number[]): number {\n  let t = 0;\n"
        + "  for (const x of xs) t += x;\n  return t;\n}\n"
    )
    assert tsx.cached_js(source, warm=False) == ""
    (result,) = tsx.compile_sources([source])
    assert "exports.default = StatusList" in result.code
    assert "__cc_guard();" in result.code  # the `for … of` loop got the guard
    assert "React.createElement" in result.code and "StatusListProps" not in result.code
    assert tsx.cached_js(source, warm=False) == result.code


def test_syntax_and_scope_failures_are_typed_and_not_cached() -> None:
    broken = "export default function A( {"
    escaping = "export default function B() { return <p>{window.name}</p>; }"
    syntax, scope = tsx.compile_sources([broken, escaping])
    assert (syntax.kind, scope.kind) == ("syntax", "scope") and "window" in scope.message
    assert not syntax.code and tsx.cached_js(escaping, warm=False) == ""


def test_compiled_js_survives_a_restart_on_disk(settings_env: Path) -> None:
    """Another worker, or the same one after a restart (empty memory), reads the disk cache,
    so the frame is not sent an empty `compiled` and does not load Babel."""
    source = GOOD + "\n// disk cache\n"
    (result,) = tsx.compile_sources([source])
    stored = settings_env / "compiled-tsx" / f"{tsx.source_hash(source)}.js"
    assert stored.read_text() == result.code
    tsx._cache.clear()
    assert tsx.cached_js(source, warm=False) == result.code
    assert tsx.cached_js(GOOD + "\n// never compiled\n", warm=False) == ""


def test_output_of_an_older_compiler_on_disk_is_not_served(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk cache outlives the process: after an upgrade of the transform (loop guard,
    sealed scope list, Babel), output compiled by the old one must not reach the frame."""
    source = GOOD + "\n// compiled before an upgrade\n"
    (result,) = tsx.compile_sources([source])
    assert result.code and tsx.cached_js(source, warm=False) == result.code
    tsx._cache.clear()  # a restart with the new compiler
    monkeypatch.setattr(tsx, "compiler_fingerprint", lambda: "a newer transform", raising=False)
    assert tsx.cached_js(source, warm=False) == ""
