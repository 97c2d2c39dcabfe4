"""Static checks of custom widget TSX (Babel under bun): a good and a bad fixture per check."""

from __future__ import annotations

from pathlib import Path

import pytest

from command_center.widgets.custom.checks import check_components

GOOD = (Path(__file__).parent / "data" / "custom_widgets" / "StatusList.tsx").read_text()
FIELDS = {
    "display_name": "StatusList",
    "props_type": "StatusListProps",
    "severity_colors": {"critical": "red", "warning": "amber", "ok": "green"},
}


def _swap(old: str, new: str, source: str = GOOD) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


# check name -> (a good variant, a bad variant) of the good fixture
CASES: dict[str, tuple[str, str]] = {
    "parses": (
        _swap("return TONES.ok;", "return TONES.ok ?? TONES.warning;"),
        _swap("return TONES.ok;", "return TONES.ok +;"),
    ),
    "balanced_brackets": (
        # brackets inside strings, comments and JSX text do not count
        _swap("const TONES", "// a ( stray { in a comment\nconst TONES"),
        _swap("return TONES.ok;\n}", "return TONES.ok;\n"),
    ),
    "props_type": (
        _swap(
            "type StatusListProps = {\n  rows: Array<Record<string, string | number | null>>;"
            "\n  columns: string[];\n};",
            "interface StatusListProps {\n  rows: Array<Record<string, string | number | null>>;"
            "\n  columns: string[];\n}",
        ),
        _swap("type StatusListProps =", "type ListProps ="),
    ),
    "component_declared": (
        _swap(
            "export default function StatusList({ rows }: StatusListProps) {",
            "const StatusList = ({ rows }: StatusListProps) => {",
        ).replace("  );\n}\n", "  );\n};\nexport default StatusList;\n"),
        _swap("function StatusList(", "function Statuses("),
    ),
    "exported": (
        _swap("export default function StatusList", "export function StatusList"),
        _swap("export default function StatusList", "function StatusList"),
    ),
    "no_imports": (
        _swap("const [expanded", "const useState = React.useState;\n  const [expanded"),
        _swap("type StatusListProps", 'import { useState } from "react";\ntype StatusListProps'),
    ),
    "sealed_scope": (
        _swap("String(row.status))}", "String(row.status).toUpperCase())}"),
        _swap("const shown =", "const cookie = document.cookie;\n  const shown ="),
    ),
    "severity_keys_used": (
        _swap("return TONES.ok;", 'return TONES["ok"];'),
        _swap('  ok: "bg-green-100 text-green-700",\n', "").replace("TONES.ok", '"text-slate-500"'),
    ),
    "design_colours": (
        _swap("text-blue-600", "text-teal-600 hover:text-violet-700/80"),
        _swap("text-blue-600", "text-fuchsia-600"),
    ),
    "no_any": (
        _swap("function tone(status: string)", "function tone(status: unknown)").replace(
            'status === "denied"', 'String(status) === "denied"'
        ),
        _swap("function tone(status: string)", "function tone(status: any)"),
    ),
    "no_inline_style": (
        _swap('className="flex items-center gap-2 py-1"', 'className="flex gap-2" title="row"'),
        _swap('className="flex items-center gap-2 py-1"', 'style={{ display: "flex" }}'),
    ),
}
EXTRA_BAD: dict[str, list[str]] = {
    "no_imports": [
        _swap("const shown =", 'const lib = require("fs");\n  const shown ='),
        _swap("const shown =", 'const lib = import("./x");\n  const shown ='),
    ],
    "no_any": [_swap("function tone(", "// @ts-ignore\nfunction tone(")],
    "design_colours": [_swap("text-blue-600", "text-[#ff0000]")],
    "sealed_scope": [
        _swap("const shown =", 'fetch("http://127.0.0.1:9/");\n  const shown ='),
        _swap("const shown =", "const w = window.parent;\n  const shown ="),
    ],
}


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, list]]:
    """Run every fixture in one bun process (it takes ~1 s to start Babel)."""
    sources = [("good", "", GOOD)]
    for name, (good, bad) in CASES.items():
        sources += [("good", name, good), ("bad", name, bad)]
    for name, bads in EXTRA_BAD.items():
        sources += [("bad", name, bad) for bad in bads]
    results = check_components([{**FIELDS, "tsx_source": s} for _, _, s in sources])
    out: dict[str, dict[str, list]] = {"good": {}, "bad": {}}
    for (kind, name, _), report in zip(sources, results, strict=True):
        out[kind].setdefault(name, []).append(report)
    return out


def test_the_good_fixture_passes_every_check(reports) -> None:
    (report,) = reports["good"][""]
    assert report.passed, report.summary()
    assert {c.name for c in report.checks} == {*CASES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_good_variant_passes(reports, name: str) -> None:
    (report,) = reports["good"][name]
    assert report.passed, f"{name}: {report.summary()}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_variant_fails_that_check_and_says_why(reports, name: str) -> None:
    for report in reports["bad"][name]:
        failed = {c.name: c.detail for c in report.failed}
        assert name in failed, f"{name} not failed: {report.summary() or 'all passed'}"
        assert failed[name]


@pytest.fixture
def engine(settings):
    from command_center.db.migrate import upgrade_to_head
    from command_center.db.session import engine_for

    upgrade_to_head(settings.effective_database_url)
    return engine_for(settings.effective_database_url)


def _custom(source: str):
    from command_center.widgets.spec import parse_spec

    return parse_spec(
        {
            "type": "custom",
            "title": "Claim status list",
            **FIELDS,
            "tsx_source": source,
            "data_intent": {"kind": "records", "table": "claims", "columns": ["status", "region"]},
        }
    )


def test_persist_saves_a_passing_component_without_a_metric(engine) -> None:
    from command_center.widgets.persist import add_widget_to_dashboard, list_widgets

    widget = add_widget_to_dashboard(_custom(GOOD), engine=engine)
    assert widget.metric_id is None and widget.type == "custom"
    assert [w.id for w in list_widgets(engine)][-1] == widget.id


def test_persist_refuses_a_failing_component_and_names_the_check(engine) -> None:
    from command_center.widgets.persist import (
        ComponentRejected,
        add_widget_to_dashboard,
        list_widgets,
    )

    before = len(list_widgets(engine))
    with pytest.raises(ComponentRejected) as caught:
        add_widget_to_dashboard(_custom(CASES["no_inline_style"][1]), engine=engine)
    assert [c.name for c in caught.value.report.failed] == ["no_inline_style"]
    assert "no_inline_style: style prop (line 25)" in str(caught.value)
    assert len(list_widgets(engine)) == before


def test_an_edit_cannot_save_a_failing_component_either(engine) -> None:
    from command_center.widgets.persist import (
        ComponentRejected,
        add_widget_to_dashboard,
        get_widget,
        update_widget,
    )

    widget = add_widget_to_dashboard(_custom(GOOD), engine=engine)
    with pytest.raises(ComponentRejected) as caught:
        update_widget(widget.id, _custom(CASES["no_inline_style"][1]), engine=engine)
    assert [c.name for c in caught.value.report.failed] == ["no_inline_style"]
    assert get_widget(widget.id, engine).spec["tsx_source"] == GOOD


def test_put_of_a_failing_component_is_the_same_problem_as_post(engine) -> None:
    from fastapi.testclient import TestClient

    from command_center.api.widgets import router
    from tests.api_helpers import assert_problem, v1_app

    bad = _custom(CASES["no_inline_style"][1]).model_dump(mode="json")
    with TestClient(v1_app(router)) as client:
        posted = assert_problem(client.post("/v1/widgets", json={"spec": bad}), 422)
        created = client.post("/v1/widgets", json={"spec": _custom(GOOD).model_dump(mode="json")})
        assert created.status_code == 201, created.text
        put = client.put(f"/v1/widgets/{created.json()['id']}", json={"spec": bad})
        assert assert_problem(put, 422) == {**posted, "instance": put.json()["instance"]}
        assert posted["type"].endswith("component-rejected")
        assert [c["name"] for c in posted["checks"] if not c["passed"]] == ["no_inline_style"]
