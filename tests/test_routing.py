"""Routing file validation against the catalog."""

from __future__ import annotations

import pytest

from command_center.metrics.definitions import SEEDED_METRICS
from command_center.metrics.routing import RoutingError, load_routing, validate_routing

CATALOG = [(m.id, m.backend) for m in SEEDED_METRICS]


def _write(tmp_path, body: str):
    path = tmp_path / "routing.yaml"
    path.write_text(body)
    return path


def _full_routes(**overrides: str) -> str:
    lines = ["metrics:"]
    for metric_id, backend in CATALOG:
        lines.append(f"  {metric_id}: {overrides.get(metric_id, '{backend: ' + backend + '}')}")
    return "\n".join(lines)


def test_shipped_routing_matches_catalog() -> None:
    routing = load_routing()
    validate_routing(routing, CATALOG)
    warehouse = {m for m, r in routing.routes.items() if r.backend == "databricks"}
    assert warehouse == {
        "claim_volume_l3_asurion",
        "claims_by_product_l3_asurion",
        "claim_status_mix_l3_asurion",
    }
    assert all(route.ttl_seconds > 0 for route in routing.routes.values())


def test_unrouted_metric_is_named(tmp_path) -> None:
    body = _full_routes().replace("  avg_payout: {backend: postgres}\n", "")
    with pytest.raises(RoutingError, match="'avg_payout' has no route"):
        validate_routing(load_routing(_write(tmp_path, body)), CATALOG)


def test_route_to_unknown_metric_is_named(tmp_path) -> None:
    body = _full_routes() + "\n  ghost_metric: {backend: postgres}"
    with pytest.raises(RoutingError, match="'ghost_metric' names a metric not in the catalog"):
        validate_routing(load_routing(_write(tmp_path, body)), CATALOG)


def test_unknown_backend_is_named(tmp_path) -> None:
    body = _full_routes(open_claims="{backend: snowflake}")
    with pytest.raises(RoutingError, match="'open_claims': unknown backend 'snowflake'"):
        load_routing(_write(tmp_path, body))


def test_backend_mismatch_is_named(tmp_path) -> None:
    body = _full_routes(claim_volume_l3_asurion="{backend: postgres}")
    with pytest.raises(RoutingError, match="'claim_volume_l3_asurion' routed to 'postgres'"):
        validate_routing(load_routing(_write(tmp_path, body)), CATALOG)


def test_bad_ttl_and_bad_yaml(tmp_path) -> None:
    with pytest.raises(RoutingError, match="'open_claims': ttl_seconds"):
        load_routing(
            _write(tmp_path, _full_routes(open_claims="{backend: postgres, ttl_seconds: -5}"))
        )
    with pytest.raises(RoutingError, match="cannot read"):
        load_routing(_write(tmp_path, "metrics: [unclosed"))
