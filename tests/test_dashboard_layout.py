"""Layout documents: repair against the widgets, placement, removal (pure)."""

from __future__ import annotations

from command_center.dashboards import layout as grid


def _doc(layouts: dict) -> grid.LayoutDocument:
    return grid.LayoutDocument.model_validate({"layouts": layouts})


def _item(i: str, x: int = 0, y: int = 0, w: int = 6, h: int = 8) -> dict:
    return {"i": i, "x": x, "y": y, "w": w, "h": h}


def test_repair_drops_deleted_widgets_and_adds_new_ones() -> None:
    doc = _doc({"lg": [_item("a"), _item("gone", x=6)], "sm": [_item("gone"), _item("a", y=8)]})
    fixed, changed = grid.repair(doc, {"a": "chart", "b": "kpi"})
    assert changed
    assert grid.members(fixed) == ["a", "b"]
    assert [i.i for i in fixed.layouts["sm"]] == ["a", "b"]
    b = next(i for i in fixed.layouts["lg"] if i.i == "b")
    assert (b.w, b.h) == grid.DEFAULT_SIZE["kpi"]
    a = next(i for i in fixed.layouts["lg"] if i.i == "a")
    assert not (b.x < a.x + a.w and a.x < b.x + b.w and b.y < a.y + a.h and a.y < b.y + b.h)


def test_repair_keeps_a_good_layout_unchanged() -> None:
    doc = _doc({"lg": [_item("a"), _item("b", x=6)]})
    fixed, changed = grid.repair(doc, {"a": "chart", "b": "chart"})
    assert not changed and fixed.model_dump() == doc.model_dump()


def test_repair_without_add_missing_and_duplicates_and_clamping() -> None:
    doc = _doc({"lg": [_item("a"), _item("a", x=6)], "xxs": [_item("a", x=1, w=6)]})
    fixed, _ = grid.repair(doc, {"a": "chart", "b": "chart"}, add_missing=False)
    assert grid.members(fixed) == ["a"]
    (small,) = fixed.layouts["xxs"]
    assert small.w == 2 and small.x == 0  # clamped to the 2-column grid


def test_unreadable_documents_become_empty() -> None:
    assert grid.parse_document({"layouts": {"huge": []}}).layouts == {}
    assert grid.parse_document({"layouts": {"lg": [{"i": "a"}]}}).layouts == {}
    assert grid.parse_document(None).layouts == {}


def test_place_after_anchor_and_at_remembered_place_pushes_others_down() -> None:
    doc = _doc({"lg": [_item("a"), _item("b", y=8)]})
    after = grid.place(doc, "c", "chart", after="a")
    c = next(i for i in after.layouts["lg"] if i.i == "c")
    assert (c.x, c.y) == (6, 0)
    back = grid.place(doc, "z", "chart", at={"lg": {"x": 0, "y": 0, "w": 6, "h": 8}})
    by_id = {i.i: i for i in back.layouts["lg"]}
    assert (by_id["z"].x, by_id["z"].y) == (0, 0)
    assert by_id["a"].y >= 8 and by_id["b"].y >= by_id["a"].y + 8


def test_remove_returns_the_old_places() -> None:
    doc = _doc({"lg": [_item("a", x=6, y=3)], "sm": [_item("a", y=2)]})
    fixed, places = grid.remove(doc, "a")
    assert grid.members(fixed) == []
    assert places == {
        "lg": {"x": 6, "y": 3, "w": 6, "h": 8},
        "sm": {"x": 0, "y": 2, "w": 6, "h": 8},
    }
