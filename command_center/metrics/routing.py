"""Metric → backend routing (`config/metric_routing.yaml`) and its start-up validation."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from command_center.settings import PROJECT_ROOT

ROUTING_PATH = PROJECT_ROOT / "config" / "metric_routing.yaml"
KNOWN_BACKENDS = ("postgres", "databricks")


class RoutingError(ValueError):
    """The routing file is unreadable or disagrees with the metrics catalog."""


class Route(BaseModel):
    """Where one metric runs and how long its results are cached."""

    backend: Literal["postgres", "databricks"]
    ttl_seconds: int = Field(default=60, ge=0, le=86_400)


class Routing(BaseModel):
    """The parsed routing file."""

    routes: dict[str, Route]

    def route_for(self, metric_id: str, default_backend: str | None = None) -> Route:
        """The route of `metric_id`; metrics added later (promoted) fall back to their backend."""
        if metric_id in self.routes:
            return self.routes[metric_id]
        if default_backend in KNOWN_BACKENDS:
            return Route(backend=default_backend)  # type: ignore[arg-type]
        raise RoutingError(f"metric {metric_id!r} has no route in {ROUTING_PATH.name}")


def load_routing(path: Path = ROUTING_PATH) -> Routing:
    """Parse the routing YAML; errors name the offending entry."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RoutingError(f"{path.name}: cannot read ({exc})") from None
    default_ttl = (document.get("defaults") or {}).get("ttl_seconds", 60)
    entries = document.get("metrics")
    if not isinstance(entries, dict) or not entries:
        raise RoutingError(f"{path.name}: 'metrics' must be a non-empty mapping")
    routes: dict[str, Route] = {}
    for metric_id, entry in entries.items():
        if not isinstance(entry, dict):
            raise RoutingError(f"{path.name}: metric {metric_id!r}: expected a mapping")
        backend = entry.get("backend")
        if backend not in KNOWN_BACKENDS:
            raise RoutingError(
                f"{path.name}: metric {metric_id!r}: unknown backend {backend!r} "
                f"(expected one of {', '.join(KNOWN_BACKENDS)})"
            )
        try:
            routes[metric_id] = Route(**{"ttl_seconds": default_ttl, **entry})
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise RoutingError(
                f"{path.name}: metric {metric_id!r}: {problem['loc'][0]}: {problem['msg']}"
            ) from None
    return Routing(routes=routes)


def validate_routing(routing: Routing, catalog: Iterable[tuple[str, str]]) -> None:
    """Check routing against the catalog's `(metric_id, backend)` pairs.

    Every catalog metric must be routed, no route may name an unknown metric, and a
    route's backend must match the metric's declared backend.
    """
    catalog_backends = dict(catalog)
    missing = sorted(set(catalog_backends) - set(routing.routes))
    if missing:
        raise RoutingError(f"metric_routing.yaml: catalog metric {missing[0]!r} has no route")
    unknown = sorted(set(routing.routes) - set(catalog_backends))
    if unknown:
        raise RoutingError(
            f"metric_routing.yaml: route {unknown[0]!r} names a metric not in the catalog"
        )
    for metric_id, route in routing.routes.items():
        if route.backend != catalog_backends[metric_id]:
            raise RoutingError(
                f"metric_routing.yaml: metric {metric_id!r} routed to {route.backend!r} "
                f"but defined on {catalog_backends[metric_id]!r}"
            )
