"""The live dashboard's render budget: few tabs render every message, many share the budget."""

from __future__ import annotations

from command_center.realtime.pacing import MAX_RENDER_INTERVAL_SECONDS, min_render_interval


def test_few_tabs_are_never_held_back() -> None:
    assert min_render_interval(0, 4000) == 0.0
    assert min_render_interval(1, 4000) * 1000 < 1  # under a millisecond: not noticeable


def test_many_tabs_share_the_budget_and_the_wait_is_capped() -> None:
    assert min_render_interval(200, 4000) == 200 / 4000  # 20 renders per tab per second
    assert min_render_interval(400, 4000) == 2 * min_render_interval(200, 4000)
    assert min_render_interval(100_000, 4000) == MAX_RENDER_INTERVAL_SECONDS


def test_a_zero_budget_means_no_pacing() -> None:
    assert min_render_interval(50, 0) == 0.0
