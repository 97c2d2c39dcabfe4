"""The dashboard's reduction of fan-out items: versions never go backwards, flashes, feed."""

from __future__ import annotations

from command_center.ui.view_models.live_feed import FEED_LENGTH, FeedView, feed_entry


def _update(version: int, open_claims: int, event_id: str = "") -> dict:
    event = {
        "event_id": event_id,
        "type": "claim_filed",
        "subject_id": "CLM-1",
        "occurred_at": "2026-11-23T10:11:12+00:00",
    }
    return {
        "kind": "update",
        "version": version,
        "kpis": {"open_claims": open_claims},
        "events": [event] if event_id else [],
    }


def test_snapshot_then_only_newer_updates() -> None:
    view = FeedView()
    assert view.apply({"kind": "snapshot", "version": 5, "kpis": {"open_claims": 10}})
    assert view.connection == "live"
    assert not view.apply(_update(5, 99))  # same version: already shown
    assert not view.apply(_update(3, 99))  # older: ignored
    assert view.apply(_update(6, 11, "e-6"))
    assert (view.version, view.kpis["open_claims"]) == (6, 11)
    assert [e["id"] for e in view.events] == ["e-6"]


def test_resync_snapshot_may_replace_state() -> None:
    view = FeedView()
    view.apply(_update(9, 40))
    assert not view.apply({"kind": "snapshot", "version": 7, "kpis": {"open_claims": 1}})
    assert view.apply(
        {"kind": "snapshot", "version": 7, "kpis": {"open_claims": 38}, "resync": True}
    )
    assert view.kpis["open_claims"] == 38


def test_flash_alternates_only_on_change() -> None:
    view = FeedView()
    view.apply(_update(1, 10))
    assert view.tiles()[0]["flash"] == ""
    view.apply(_update(2, 11))
    first = view.tiles()[0]["flash"]
    view.apply(_update(3, 11))  # unchanged value keeps the class
    assert view.tiles()[0]["flash"] == first
    view.apply(_update(4, 12))
    assert view.tiles()[0]["flash"] not in ("", first)


def test_status_items_and_feed_bound() -> None:
    view = FeedView()
    assert view.apply({"kind": "status", "status": "reconnecting"})
    assert view.connection == "reconnecting"
    assert not view.apply({"kind": "status", "status": "reconnecting"})
    for version in range(1, FEED_LENGTH + 10):
        view.apply(_update(version, version, f"e-{version}"))
    assert len(view.events) == FEED_LENGTH
    assert view.events[0]["id"] == f"e-{FEED_LENGTH + 9}"
    assert view.connection == "live"


def test_feed_entry_labels() -> None:
    entry = feed_entry(
        {
            "event_id": "x",
            "type": "claim_denied",
            "subject_id": "CLM-9",
            "occurred_at": "2026-11-23T08:09:10.123+00:00",
        }
    )
    assert entry == {
        "id": "x",
        "label": "Claim denied",
        "color": "red",
        "subject": "CLM-9",
        "time": "08:09:10",
    }


def test_tiles_follow_config_and_flag_thresholds() -> None:
    from command_center.ui.view_models.kpi_tiles import to_tiles

    tiles = {t.id: t for t in to_tiles({"sla_breaches": 3, "approval_rate_24h": 0.9, "x_y": 1})}
    assert (
        tiles["sla_breaches"].alert == "above 0" and tiles["sla_breaches"].label == "SLA breaches"
    )
    assert tiles["approval_rate_24h"].alert == "" and tiles["approval_rate_24h"].display == "90.0%"
    assert to_tiles({"approval_rate_24h": 0.2})[0].alert == "below 50.0%"
    assert tiles["x_y"].label == "X y" and list(tiles) == [
        "approval_rate_24h",
        "sla_breaches",
        "x_y",
    ]


def test_tabs_showing_the_same_values_share_one_tile_computation() -> None:
    from command_center.ui.view_models.live_feed import _tile_rows, tile_rows

    _tile_rows.cache_clear()
    kpis = {"open_claims": 12, "sla_breaches": 1}
    first = tile_rows(dict(kpis))
    assert tile_rows(dict(kpis)) is first  # a second tab: no recomputation
    assert _tile_rows.cache_info().misses == 1
    moved = tile_rows({"open_claims": 13, "sla_breaches": 1})
    assert moved is not first
    assert {t["id"]: t["display"] for t in moved}["open_claims"] == "13"
